-- D05_01 Road accidents with injuries per 10,000 residents, components by comune and year:
-- numerator = road accidents with injuries that happened in the comune in the year (ISTAT),
-- denominator = residents on 1 January of the year. The value, 10000 * numerator /
-- denominator, is computed (and aggregated to zona and cm) in fct_indicator_value.
-- Every comune with residents gets a row for every year ISTAT published accidents for: a
-- comune missing from the answer had no accident (0), as the ingestion documents.

with

accidents as (

    select * from {{ ref('stg_istat__road_accidents') }}
    where measure = 'accidents_with_injuries'

),

residents as (

    select * from {{ ref('int_population__residents') }}

),

accident_years as (

    select
        year,
        max(source_retrieval_id) as source_retrieval_id
    from accidents
    group by year

),

accidents_by_comune as (

    select
        comune_code,
        year,
        sum(measure_value) as accidents_with_injuries
    from accidents
    group by
        comune_code,
        year

),

components as (

    select
        'D05_01' as indicator_id,
        residents.comune_code,
        residents.year,
        cast(coalesce(accidents_by_comune.accidents_with_injuries, 0) as bigint) as numerator,
        residents.residents as denominator,
        accident_years.source_retrieval_id || ', ' || residents.source_retrieval_id
            as source_release
    from residents
    inner join accident_years
        on residents.year = accident_years.year
    left join accidents_by_comune
        on
            residents.comune_code = accidents_by_comune.comune_code
            and residents.year = accidents_by_comune.year

)

select * from components
