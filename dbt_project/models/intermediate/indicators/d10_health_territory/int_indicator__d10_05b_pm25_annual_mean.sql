-- D10_05b Annual mean PM2.5 concentration (µg/m³), direct values by ARPA station and year,
-- plus the Città metropolitana row.
-- The mean of the station's valid daily means of the year (see
-- int_air_quality__station_daily_means). Minimum coverage: a station-year is published only
-- when its valid daily means cover at least 90% of the days of the year (329 of 365, 330 of
-- 366; the minimum data capture of D.Lgs. 155/2010, Allegato I), so a partial year has no
-- value. numerator = sum of the daily means, denominator = number of valid days (value =
-- numerator / denominator).
-- `cm` row: the worst station (the highest annual mean among the stations published that
-- year), as compliance with the limit value is judged station by station.

with

station_days as (

    select * from {{ ref('int_air_quality__station_daily_means') }}
    where pollutant = 'PM2.5'

),

station_years as (

    select
        station_id,
        year,
        count(*) as valid_days,
        sum(daily_mean) as daily_means_sum,
        avg(daily_mean) as annual_mean,
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
        'D10_05b' as indicator_id,
        'station' as territory_level,
        station_id as territory_code,
        year,
        cast(annual_mean as double) as value,
        cast(daily_means_sum as double) as numerator,
        cast(valid_days as double) as denominator,
        source_release
    from covered_station_years

),

cm_level as (

    select
        'D10_05b' as indicator_id,
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        year,
        cast(annual_mean as double) as value,
        cast(daily_means_sum as double) as numerator,
        cast(valid_days as double) as denominator,
        source_release
    from covered_station_years
    qualify row_number() over (
        partition by year
        order by annual_mean desc, station_id asc
    ) = 1

),

final as (

    select * from station_level
    union all
    select * from cm_level

)

select * from final
