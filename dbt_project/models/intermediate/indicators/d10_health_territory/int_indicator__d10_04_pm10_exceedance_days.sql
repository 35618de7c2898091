-- D10_04 Days with daily mean PM10 above 50 µg/m³, direct values by ARPA station and year,
-- plus the Città metropolitana row.
-- A day counts when the station has a valid daily mean (see int_air_quality__station_daily_means)
-- strictly above 50 µg/m³ (unrounded). Minimum coverage: a station-year is published only when
-- its valid daily means cover at least 90% of the days of the year (329 of 365, 330 of 366; the
-- minimum data capture of D.Lgs. 155/2010, Allegato I), so a partial year (a station opened or
-- closed in the year, or the current year) has no value.
-- `cm` row: the worst station (the most exceedance days among the stations published that
-- year), as compliance with the limit (at most 35 days) is judged station by station.
-- numerator = the exceedance days, denominator null (a count).

with

station_days as (

    select * from {{ ref('int_air_quality__station_daily_means') }}
    where pollutant = 'PM10'

),

station_years as (

    select
        station_id,
        year,
        count(*) as valid_days,
        count(*) filter (where daily_mean > 50) as exceedance_days,
        date_diff('day', make_date(year, 1, 1), make_date(year + 1, 1, 1)) as days_in_year,
        max(source_retrieval_id) as source_release
    from station_days
    group by
        station_id,
        year

),

covered_station_years as (

    select * from station_years
    where valid_days >= 0.9 * days_in_year

),

station_level as (

    select
        'D10_04' as indicator_id,
        'station' as territory_level,
        station_id as territory_code,
        year,
        cast(exceedance_days as double) as value,
        cast(exceedance_days as double) as numerator,
        cast(null as double) as denominator,
        source_release
    from covered_station_years

),

cm_level as (

    select
        'D10_04' as indicator_id,
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        year,
        cast(exceedance_days as double) as value,
        cast(exceedance_days as double) as numerator,
        cast(null as double) as denominator,
        source_release
    from covered_station_years
    qualify row_number() over (
        partition by year
        order by exceedance_days desc, station_id asc
    ) = 1

),

final as (

    select * from station_level
    union all
    select * from cm_level

)

select * from final
