-- D02_01 Consumed soil as a share of the comune's area, components by comune and year:
-- numerator = consumed soil at the end of the year (ha), denominator = area of the comune
-- (ha). The value, 100 * numerator / denominator, is computed (and aggregated to zona and cm
-- by summing hectares, never averaging percentages) in fct_indicator_value.

with

soil as (

    select * from {{ ref('stg_ispra__soil_consumption') }}

),

components as (

    select
        'D02_01' as indicator_id,
        comune_code,
        year,
        consumed_soil_ha as numerator,
        area_ha as denominator,
        source_retrieval_id as source_release
    from soil

)

select * from components
