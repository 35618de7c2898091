-- The number of comuni per zona matches the official counts published by the
-- Città metropolitana di Milano (Magentino e Abbiatense: 28 since Vermezzo and
-- Zelo Surrigone merged in 2019). Returns the zones whose count differs.

with

official_counts as (

    select
        zona_name,
        comuni_count
    from (
        values
            ('Adda Martesana', 29),
            ('Alto Milanese', 22),
            ('Magentino e Abbiatense', 28),
            ('Nord Milano', 6),
            ('Nord Ovest', 16),
            ('Sud Est', 15),
            ('Sud Ovest', 16),
            ('Milano', 1)
    ) as official (zona_name, comuni_count)

),

actual_counts as (

    select
        zona_name,
        comuni_count
    from {{ ref('dim_zona_omogenea') }}

),

compared as (

    select
        coalesce(official_counts.zona_name, actual_counts.zona_name) as zona_name,
        official_counts.comuni_count as official_comuni_count,
        actual_counts.comuni_count as actual_comuni_count
    from official_counts
    full outer join actual_counts
        on official_counts.zona_name = actual_counts.zona_name

)

select * from compared
where official_comuni_count is distinct from actual_comuni_count
