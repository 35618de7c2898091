-- The ten Drivers of the Strategic Plan with their PNRR missions and the number of
-- indicators measuring each.

with

drivers as (

    select * from {{ ref('driver') }}

),

driver_missions as (

    select * from {{ ref('driver_mission') }}

),

catalogue as (

    select * from {{ ref('indicator_catalogue') }}

),

missions_per_driver as (

    select
        driver_id,
        string_agg(mission_id, ', ' order by mission_id) as mission_ids,
        count(*) as missions_count
    from driver_missions
    group by driver_id

),

indicators_per_driver as (

    select
        driver_id,
        count(*) as indicators_count
    from catalogue
    group by driver_id

),

final as (

    select
        cast(drivers.driver_id as varchar) as driver_id,
        cast(drivers.number as integer) as driver_number,
        cast(drivers.title_it as varchar) as title_it,
        cast(drivers.title_en as varchar) as title_en,
        cast(drivers.subtitle_it as varchar) as subtitle_it,
        cast(drivers.subtitle_en as varchar) as subtitle_en,
        cast(drivers.description_it as varchar) as description_it,
        cast(drivers.description_en as varchar) as description_en,
        cast(drivers.mart_name as varchar) as mart_name,
        cast(missions_per_driver.mission_ids as varchar) as mission_ids,
        cast(coalesce(missions_per_driver.missions_count, 0) as integer) as missions_count,
        cast(coalesce(indicators_per_driver.indicators_count, 0) as integer) as indicators_count
    from drivers
    left join missions_per_driver
        on drivers.driver_id = missions_per_driver.driver_id
    left join indicators_per_driver
        on drivers.driver_id = indicators_per_driver.driver_id

)

select * from final
