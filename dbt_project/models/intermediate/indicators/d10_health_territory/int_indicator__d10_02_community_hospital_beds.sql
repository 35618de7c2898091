-- D10_02 Beds of operating Community Hospitals per 100,000 residents, components by comune and
-- year: numerator = beds of the Ospedali di Comunità operating by the end of the year,
-- denominator = residents on 1 January of the year (ISTAT). The value,
-- 100000 * numerator / denominator, is computed (and aggregated to zona and cm) in
-- fct_indicator_value.
-- Which hospitals count (catalogue): those `operating` on the registry's reference date;
-- planned ones are left out whatever their expected opening date. A hospital's beds count in
-- year Y when its opening date is on or before 31 December of Y; for the year of the reference
-- date the count is the one on the reference date. Years run from the first opening year of a
-- counted hospital to the year of the reference date; hospitals are assumed not to have closed
-- or changed their beds since (the registry gives the present beds).
-- Denominator: residents on 1 January of the year or, when ISTAT has not published that year
-- yet (the registry's latest year), of the latest year published before it.

with

community_hospitals as (

    select * from {{ ref('stg_ats__community_hospitals') }}

),

residents as (

    select * from {{ ref('int_population__residents') }}

),

counted_hospitals as (

    select
        comune_code,
        beds,
        opening_date
    from community_hospitals
    where status = 'operating'

),

registry as (

    select
        max(reference_date) as reference_date,
        max(source_retrieval_id) as source_release
    from community_hospitals

),

year_bounds as (

    select
        year(min(counted_hospitals.opening_date)) as first_year,
        year(max(registry.reference_date)) as last_year
    from counted_hospitals
    cross join registry

),

years as (

    select cast(unnest(range(first_year, last_year + 1)) as integer) as year
    from year_bounds
    where first_year is not null

),

population_years as (

    -- For each year, the latest population year published on or before it.
    select
        years.year,
        max(published.year) as population_year
    from years
    inner join (select distinct year from residents) as published
        on published.year <= years.year
    group by years.year

),

comune_years as (

    select
        residents.comune_code,
        population_years.year,
        residents.residents,
        residents.source_retrieval_id as population_release
    from population_years
    inner join residents
        on population_years.population_year = residents.year

),

beds as (

    select
        comune_years.comune_code,
        comune_years.year,
        coalesce(sum(counted_hospitals.beds), 0) as operating_beds
    from comune_years
    left join counted_hospitals
        on
            comune_years.comune_code = counted_hospitals.comune_code
            and counted_hospitals.opening_date <= make_date(comune_years.year, 12, 31)
    group by
        comune_years.comune_code,
        comune_years.year

),

components as (

    select
        'D10_02' as indicator_id,
        comune_years.comune_code,
        comune_years.year,
        cast(beds.operating_beds as bigint) as numerator,
        cast(comune_years.residents as bigint) as denominator,
        registry.source_release || ', ' || comune_years.population_release as source_release
    from comune_years
    inner join beds
        on
            comune_years.comune_code = beds.comune_code
            and comune_years.year = beds.year
    cross join registry

)

select * from components
