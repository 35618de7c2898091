-- D05_02 People killed or injured in road accidents per 10,000 residents, components by
-- comune and year: numerator = people killed (within 30 days) plus people injured in road
-- accidents that happened in the comune in the year (ISTAT), denominator = residents on
-- 1 January of the year. The value, 10000 * numerator / denominator, is computed (and
-- aggregated to zona and cm) in fct_indicator_value.
-- Every comune with residents gets a row for every year ISTAT published casualties for: a
-- comune missing from the answer had no casualty (0), as the ingestion documents.

with

casualties as (

    select * from {{ ref('stg_istat__road_accidents') }}
    where measure in ('people_killed', 'people_injured')

),

residents as (

    select * from {{ ref('int_population__residents') }}

),

casualty_years as (

    select
        year,
        max(source_retrieval_id) as source_retrieval_id
    from casualties
    group by year

),

casualties_by_comune as (

    select
        comune_code,
        year,
        sum(measure_value) as people_killed_or_injured
    from casualties
    group by
        comune_code,
        year

),

components as (

    select
        'D05_02' as indicator_id,
        residents.comune_code,
        residents.year,
        cast(coalesce(casualties_by_comune.people_killed_or_injured, 0) as bigint) as numerator,
        residents.residents as denominator,
        casualty_years.source_retrieval_id || ', ' || residents.source_retrieval_id
            as source_release
    from residents
    inner join casualty_years
        on residents.year = casualty_years.year
    left join casualties_by_comune
        on
            residents.comune_code = casualties_by_comune.comune_code
            and residents.year = casualties_by_comune.year

)

select * from components
