-- The six PNRR missions with the Drivers of the Strategic Plan related to each.

with

missions as (

    select * from {{ ref('pnrr_mission') }}

),

driver_missions as (

    select * from {{ ref('driver_mission') }}

),

drivers_per_mission as (

    select
        mission_id,
        string_agg(driver_id, ', ' order by driver_id) as driver_ids,
        count(*) as drivers_count
    from driver_missions
    group by mission_id

),

final as (

    select
        cast(missions.mission_id as varchar) as mission_id,
        cast(missions.number as integer) as mission_number,
        cast(missions.name_it as varchar) as name_it,
        cast(missions.name_en as varchar) as name_en,
        cast(drivers_per_mission.driver_ids as varchar) as driver_ids,
        cast(coalesce(drivers_per_mission.drivers_count, 0) as integer) as drivers_count
    from missions
    left join drivers_per_mission
        on missions.mission_id = drivers_per_mission.mission_id

)

select * from final
