{{ config(meta={"dagster": {"ref": {"name": "indicator_catalogue"}}}) }}

-- Every Driver of the plan is measured by at least one indicator of the catalogue.
-- Returns the drivers without any.

with

drivers as (

    select * from {{ ref('driver') }}

),

catalogue as (

    select * from {{ ref('indicator_catalogue') }}

),

indicators_per_driver as (

    select
        driver_id,
        count(*) as indicators_count
    from catalogue
    group by driver_id

)

select
    drivers.driver_id,
    drivers.title_it,
    coalesce(indicators_per_driver.indicators_count, 0) as indicators_count
from drivers
left join indicators_per_driver
    on drivers.driver_id = indicators_per_driver.driver_id
where coalesce(indicators_per_driver.indicators_count, 0) = 0
