-- D01_01 Comuni joined to the metropolitan fibre network, components by comune and year:
-- one row per comune of the Città metropolitana and year, numerator = 1 if the comune had
-- signed the agreement by 31 December of the year (signature_date), else 0; denominator = 1.
-- Summed to zona and cm in fct_indicator_value, the value is 100 * joined comuni / comuni
-- (70 of 133 -> 52.63 %); at comune level it is 100 (joined) or 0.
-- The registry is a snapshot at its reference date: the years run from the first signature
-- to the last year whose 31 December the snapshot has reached (a year not yet over is left
-- out, its year-end count is not known).

with

agreements as (

    select * from {{ ref('stg_cittametropolitana__fibre_agreements') }}

),

comuni as (

    select * from {{ ref('dim_comune') }}

),

registry as (

    select
        min(year(signature_date)) as first_year,
        year(max(reference_date) + interval 1 day) - 1 as last_year,
        string_agg(distinct source_retrieval_id, ', ' order by source_retrieval_id)
            as source_release
    from agreements

),

years as (

    select cast(unnest(generate_series(first_year, last_year)) as integer) as year
    from registry

),

components as (

    select
        'D01_01' as indicator_id,
        comuni.comune_code,
        years.year,
        cast(count(agreements.comune_code) as integer) as numerator,
        1 as denominator,
        any_value(registry.source_release) as source_release
    from comuni
    cross join years
    cross join registry
    left join agreements
        on
            comuni.comune_code = agreements.comune_code
            and agreements.signature_date <= make_date(years.year, 12, 31)
    group by
        comuni.comune_code,
        years.year

)

select * from components
