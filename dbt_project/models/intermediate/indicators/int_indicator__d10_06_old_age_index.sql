-- D10_06 Old-age index (indice di vecchiaia), components by comune and year:
-- numerator = residents aged 65 and over, denominator = residents aged 0-14 (both sexes).
-- The value, 100 * numerator / denominator, is computed (and aggregated to zona and cm)
-- in fct_indicator_value from these components.

with

age_bands as (

    select * from {{ ref('int_population__age_bands') }}

),

components as (

    select
        'D10_06' as indicator_id,
        comune_code,
        year,
        cast(sum(population) filter (where age_band = '65+') as bigint) as numerator,
        cast(sum(population) filter (where age_band = '0-14') as bigint) as denominator,
        max(source_retrieval_id) as source_release
    from age_bands
    group by
        comune_code,
        year

)

select * from components
