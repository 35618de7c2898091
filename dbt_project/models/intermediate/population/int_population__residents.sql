-- Residents on 1 January by comune and year (both sexes), with the age groups indicators
-- divide by: the denominator of every "per N residents" indicator.

with

age_bands as (

    select * from {{ ref('int_population__age_bands') }}

),

population as (

    select * from {{ ref('stg_istat__population') }}

),

adults as (

    -- Aged 14 and over: the patients of general practitioners (D10_03).
    select
        comune_code,
        year,
        cast(sum(population) as bigint) as residents_14_plus
    from population
    where
        not is_all_ages
        and age >= 14
    group by
        comune_code,
        year

),

totals as (

    select
        comune_code,
        year,
        cast(sum(population) as bigint) as residents,
        cast(sum(population) filter (where age_band = '0-14') as bigint) as residents_0_14,
        cast(sum(population) filter (where age_band = '15-64') as bigint) as residents_15_64,
        cast(sum(population) filter (where age_band = '65+') as bigint) as residents_65_plus,
        max(source_retrieval_id) as source_retrieval_id
    from age_bands
    group by
        comune_code,
        year

),

final as (

    select
        totals.comune_code,
        totals.year,
        totals.residents,
        totals.residents_0_14,
        totals.residents_15_64,
        totals.residents_65_plus,
        adults.residents_14_plus,
        totals.source_retrieval_id
    from totals
    inner join adults
        on
            totals.comune_code = adults.comune_code
            and totals.year = adults.year

)

select * from final
