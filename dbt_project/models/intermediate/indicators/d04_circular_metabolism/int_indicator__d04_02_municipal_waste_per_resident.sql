-- D04_02 Municipal waste per resident, components by comune and year (ISPRA Catasto rifiuti):
-- numerator = all municipal waste produced in the year (t), denominator = the resident
-- population ISPRA uses for the year. With the catalogue's multiplier 1000 the value,
-- 1000 * tonnes / residents, is in kg per resident; it is computed (and aggregated to zona and
-- cm) in fct_indicator_value.

with

waste as (

    select * from {{ ref('stg_ispra__waste') }}

),

components as (

    select
        'D04_02' as indicator_id,
        comune_code,
        year,
        municipal_waste_tonnes as numerator,
        population as denominator,
        source_retrieval_id as source_release
    from waste

)

select * from components
