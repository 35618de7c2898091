-- D08_05a People taken in charge by the public employment centres and D08_05b new GOL
-- programme beneficiaries, direct values by employment centre (CPI) and year: the monthly
-- counts of the AFOL Metropolitana file summed over the months of the year, per CPI
-- (`cpi` rows), and over all the CPIs for the Città metropolitana (`cm` rows: each of the 133
-- comuni belongs to exactly one CPI, so the CPIs add up to it). Numerator = the count,
-- denominator null. The source does not allow the comune level.
-- Only years the file covers to December: the year in progress (the file runs to its
-- reference month) would otherwise be published as a part-year sum. GOL started in 2022:
-- that year covers the months from the programme's start.

with

monthly as (

    select * from {{ ref('stg_afol__gol_beneficiaries') }}

),

complete_years as (

    select cast(year(month_start) as integer) as year
    from monthly
    group by year(month_start)
    having max(month(month_start)) = 12

),

by_cpi_year as (

    select
        monthly.cpi_code,
        cast(year(monthly.month_start) as integer) as year,
        sum(monthly.people_taken_in_charge) as people_taken_in_charge,
        sum(monthly.gol_beneficiaries) as gol_beneficiaries,
        max(monthly.source_retrieval_id) as source_release
    from monthly
    inner join complete_years
        on year(monthly.month_start) = complete_years.year
    group by
        monthly.cpi_code,
        year(monthly.month_start)

),

by_territory as (

    select
        'cpi' as territory_level,
        cpi_code as territory_code,
        year,
        people_taken_in_charge,
        gol_beneficiaries,
        source_release
    from by_cpi_year

    union all

    select
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        year,
        sum(people_taken_in_charge) as people_taken_in_charge,
        sum(gol_beneficiaries) as gol_beneficiaries,
        max(source_release) as source_release
    from by_cpi_year
    group by year

),

direct_values as (

    select
        'D08_05a' as indicator_id,
        territory_level,
        territory_code,
        year,
        cast(people_taken_in_charge as double) as value,
        cast(people_taken_in_charge as double) as numerator,
        cast(null as double) as denominator,
        source_release
    from by_territory

    union all

    select
        'D08_05b' as indicator_id,
        territory_level,
        territory_code,
        year,
        cast(gol_beneficiaries as double) as value,
        cast(gol_beneficiaries as double) as numerator,
        cast(null as double) as denominator,
        source_release
    from by_territory

)

select * from direct_values
