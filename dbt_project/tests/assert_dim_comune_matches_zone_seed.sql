{{ config(meta={"dagster": {"ref": {"name": "dim_comune"}}}) }}

-- Every comune of the zone omogenee seed is in dim_comune (the ISTAT comuni of the
-- Città metropolitana) and vice versa. Returns the comuni found on one side only.

with

seed_comuni as (

    select
        istat_code as comune_code,
        comune as comune_name
    from {{ ref('zone_omogenee') }}

),

dim_comuni as (

    select
        comune_code,
        comune_name
    from {{ ref('dim_comune') }}

),

compared as (

    select
        coalesce(seed_comuni.comune_code, dim_comuni.comune_code) as comune_code,
        seed_comuni.comune_name as seed_comune_name,
        dim_comuni.comune_name as dim_comune_name,
        case
            when dim_comuni.comune_code is null then 'only in seed zone_omogenee'
            when seed_comuni.comune_code is null then 'only in dim_comune'
        end as problem
    from seed_comuni
    full outer join dim_comuni
        on seed_comuni.comune_code = dim_comuni.comune_code

)

select * from compared
where problem is not null
