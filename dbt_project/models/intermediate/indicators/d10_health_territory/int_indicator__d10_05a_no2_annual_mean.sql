-- D10_05a Annual mean NO2 concentration (µg/m³), direct values by ARPA station and year, plus
-- the Città metropolitana row. Stations of the Città metropolitana only (station comune matched
-- by name through int_comune__name_lookup).
-- The mean of the station's validated hourly values of the year (the raw table holds validated
-- values only). When a station has several NO2 sensors with a value at the same hour, the
-- lowest sensor id is taken (values of different sensors are never averaged; this also joins
-- the series of a sensor replaced in the year). Minimum coverage: a station-year is published
-- only when its values cover at least 90% of the hours of the year (7,884 of 8,760; 7,906 of
-- 8,784; the minimum data capture of D.Lgs. 155/2010, Allegato I), so a partial year has no
-- value; a station whose NO2 series is daily (values only at midnight) needs 90% of the days.
-- numerator = sum of the values, denominator = number of values (value = numerator /
-- denominator).
-- `cm` row: the worst station (the highest annual mean among the stations published that
-- year), as compliance with the limit value is judged station by station.

with

measurements as (

    select * from {{ ref('stg_lombardia__air_measurements') }}

),

sensors as (

    select * from {{ ref('stg_lombardia__air_stations') }}
    where pollutant = 'NO2'

),

comune_names as (

    select * from {{ ref('int_comune__name_lookup') }}

),

station_values as (

    select
        sensors.station_id,
        measurements.measured_at,
        measurements.measured_on,
        cast(year(measurements.measured_on) as integer) as year,
        measurements.measured_value,
        measurements.source_retrieval_id
    from measurements
    inner join sensors
        on measurements.sensor_id = sensors.sensor_id
    inner join comune_names
        on sensors.comune_name_normalised = comune_names.comune_name_normalised
    qualify row_number() over (
        partition by sensors.station_id, measurements.measured_at
        order by try_cast(sensors.sensor_id as bigint) asc nulls last, sensors.sensor_id asc
    ) = 1

),

station_years as (

    select
        station_id,
        year,
        count(*) as values_count,
        sum(measured_value) as values_sum,
        avg(measured_value) as annual_mean,
        date_diff('day', make_date(year, 1, 1), make_date(year + 1, 1, 1))
        * case
            when bool_or(measured_at <> cast(measured_on as timestamp)) then 24
            else 1
        end as expected_values_count,
        max(source_retrieval_id) as source_release
    from station_values
    group by
        station_id,
        year

),

covered_station_years as (

    select * from station_years
    where values_count >= 0.9 * expected_values_count

),

station_level as (

    select
        'D10_05a' as indicator_id,
        'station' as territory_level,
        station_id as territory_code,
        year,
        cast(annual_mean as double) as value,
        cast(values_sum as double) as numerator,
        cast(values_count as double) as denominator,
        source_release
    from covered_station_years

),

cm_level as (

    select
        'D10_05a' as indicator_id,
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        year,
        cast(annual_mean as double) as value,
        cast(values_sum as double) as numerator,
        cast(values_count as double) as denominator,
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
