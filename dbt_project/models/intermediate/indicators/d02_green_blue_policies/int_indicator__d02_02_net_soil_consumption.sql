-- D02_02 Net new soil consumption per year, components by comune and year:
-- numerator = net new consumed soil in the year (ha, new consumption less restored soil,
-- negative where more was restored), denominator null (a sum: zona and cm = sum over their
-- comuni). ISPRA's published figure is used; where it is missing, the change of consumed soil
-- from the previous year stands in for it (the two agree to ±0.011 ha where both exist), and
-- the first year of the series without a published figure has none.

with

soil as (

    select * from {{ ref('stg_ispra__soil_consumption') }}

),

with_previous_year as (

    select
        comune_code,
        year,
        net_soil_consumption_ha,
        consumed_soil_ha,
        lag(consumed_soil_ha) over (partition by comune_code order by year)
            as previous_consumed_soil_ha,
        lag(year) over (partition by comune_code order by year) as previous_year,
        source_retrieval_id
    from soil

),

components as (

    select
        'D02_02' as indicator_id,
        comune_code,
        year,
        coalesce(
            net_soil_consumption_ha,
            case
                when previous_year = year - 1
                    then round(consumed_soil_ha - previous_consumed_soil_ha, 2)
            end
        ) as numerator,
        cast(null as double) as denominator,
        source_retrieval_id as source_release
    from with_previous_year

)

select * from components
