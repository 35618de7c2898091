-- D10_03 General practitioners per 1,000 residents aged 14 and over, components by comune and
-- year: numerator = general practitioners with a surgery in the comune on 31 December of the
-- year (ATS), denominator = residents aged 14 and over on 1 January of the same year (ISTAT,
-- `residents_14_plus`). The value, 1000 * numerator / denominator, is computed (and
-- aggregated to zona and cm) in fct_indicator_value. Only years present in both sources.

with

general_practitioners as (

    select * from {{ ref('stg_ats__general_practitioners') }}

),

residents as (

    select * from {{ ref('int_population__residents') }}

),

components as (

    select
        'D10_03' as indicator_id,
        general_practitioners.comune_code,
        general_practitioners.year,
        cast(general_practitioners.general_practitioners as bigint) as numerator,
        cast(residents.residents_14_plus as bigint) as denominator,
        general_practitioners.source_retrieval_id
        || ', '
        || residents.source_retrieval_id as source_release
    from general_practitioners
    inner join residents
        on
            general_practitioners.comune_code = residents.comune_code
            and general_practitioners.year = residents.year

)

select * from components
