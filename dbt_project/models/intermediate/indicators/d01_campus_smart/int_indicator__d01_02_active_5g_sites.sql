-- D01_02 5G radio base station sites on Città metropolitana property, components by comune
-- and year: numerator = sites active on 31 December of the year (status `active` in the
-- registry and activation_date on or before that day), 0 for the comuni without one;
-- denominator null (a count: zona and cm = sum over their comuni). Sites authorised or under
-- review have no activation date and are never counted.
-- The registry is a snapshot at its reference date: the years run from the first activation
-- to the last year whose 31 December the snapshot has reached (a year not yet over is left
-- out, its year-end count is not known).

with

sites as (

    select * from {{ ref('stg_cittametropolitana__sites_5g') }}

),

comuni as (

    select * from {{ ref('dim_comune') }}

),

active_sites as (

    select * from sites
    where status = 'active'

),

registry as (

    select
        (select min(year(activation_date)) from active_sites) as first_year,
        year(max(reference_date) + interval 1 day) - 1 as last_year,
        string_agg(distinct source_retrieval_id, ', ' order by source_retrieval_id)
            as source_release
    from sites

),

years as (

    select cast(unnest(generate_series(first_year, last_year)) as integer) as year
    from registry

),

components as (

    select
        'D01_02' as indicator_id,
        comuni.comune_code,
        years.year,
        cast(count(active_sites.site_id) as integer) as numerator,
        cast(null as integer) as denominator,
        any_value(registry.source_release) as source_release
    from comuni
    cross join years
    cross join registry
    left join active_sites
        on
            comuni.comune_code = active_sites.comune_code
            and active_sites.activation_date <= make_date(years.year, 12, 31)
    group by
        comuni.comune_code,
        years.year

)

select * from components
