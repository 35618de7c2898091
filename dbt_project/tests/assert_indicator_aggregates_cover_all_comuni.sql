{{ config(meta={"dagster": {"ref": {"name": "int_indicator__components_unioned"}}}) }}

-- A zona or cm aggregate must be built from all the comuni of the territory: for every
-- indicator whose finest level is the comune, and every year, each zona has components
-- for all its comuni (dim_zona_omogenea.comuni_count). Returns the incomplete aggregates.

with

components as (

    select * from {{ ref('int_indicator__components_unioned') }}

),

comuni as (

    select * from {{ ref('dim_comune') }}

),

zone as (

    select * from {{ ref('dim_zona_omogenea') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}
    where finest_level = 'comune'

),

covered as (

    select
        components.indicator_id,
        components.year,
        comuni.zona_code,
        count(distinct components.comune_code) as covered_comuni_count
    from components
    inner join comuni
        on components.comune_code = comuni.comune_code
    inner join indicators
        on components.indicator_id = indicators.indicator_id
    group by
        components.indicator_id,
        components.year,
        comuni.zona_code

),

expected as (

    select
        indicator_years.indicator_id,
        indicator_years.year,
        zone.zona_code,
        zone.comuni_count
    from (select distinct indicator_id, year from covered) as indicator_years
    cross join zone

)

select
    expected.indicator_id,
    expected.year,
    expected.zona_code,
    expected.comuni_count,
    coalesce(covered.covered_comuni_count, 0) as covered_comuni_count
from expected
left join covered
    on
        expected.indicator_id = covered.indicator_id
        and expected.year = covered.year
        and expected.zona_code = covered.zona_code
where coalesce(covered.covered_comuni_count, 0) != expected.comuni_count
