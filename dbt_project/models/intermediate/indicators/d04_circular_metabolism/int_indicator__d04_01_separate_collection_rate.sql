-- D04_01 Separate collection rate, components by comune and year (ISPRA Catasto rifiuti):
-- numerator = separately collected municipal waste (t), denominator = all municipal waste
-- produced (t). The value, 100 * numerator / denominator, is computed (and aggregated to zona
-- and cm by summing tonnes, never averaging rates) in fct_indicator_value.

with

waste as (

    select * from {{ ref('stg_ispra__waste') }}

),

components as (

    select
        'D04_01' as indicator_id,
        comune_code,
        year,
        separate_collection_tonnes as numerator,
        municipal_waste_tonnes as denominator,
        source_retrieval_id as source_release
    from waste

)

select * from components
