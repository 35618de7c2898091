-- D04_03 Unsorted waste per resident, components by comune and year (ISPRA Catasto rifiuti):
-- numerator = unsorted residual municipal waste collected in the year (t; bulky waste sent
-- to disposal is not included), denominator = the resident population ISPRA uses for the
-- year. With the catalogue's multiplier 1000 the value, 1000 * tonnes / residents, is in kg
-- per resident; it is computed (and aggregated to zona and cm) in fct_indicator_value.
-- ISPRA leaves a fraction empty when nothing was reported: an empty unsorted fraction counts
-- as 0 t, as in ISPRA's own total (total = separate + bulky to disposal + unsorted).

with

waste as (

    select * from {{ ref('stg_ispra__waste') }}

),

components as (

    select
        'D04_03' as indicator_id,
        comune_code,
        year,
        coalesce(unsorted_tonnes, 0) as numerator,
        population as denominator,
        source_retrieval_id as source_release
    from waste

)

select * from components
