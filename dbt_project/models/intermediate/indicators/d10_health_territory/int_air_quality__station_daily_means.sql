-- Daily mean PM10 and PM2.5 concentration by ARPA station and day, the building block of
-- D10_04 (PM10 exceedance days) and D10_05b (PM2.5 annual mean). Stations of the Città
-- metropolitana only (station comune matched by name through int_comune__name_lookup).
-- 1. Daily mean of each sensor: the mean of its validated values of the day (the raw table
--    holds validated values only). ARPA publishes PM10 and PM2.5 as daily values (one value
--    at 00:00), which are their own daily mean; a sensor with values at other times of day is
--    an hourly series, and its daily mean is valid only with at least 18 hourly values (75% of
--    the day, the aggregation rule of D.Lgs. 155/2010, Allegato VII / Directive 2008/50/EC,
--    Annex VII). Days without a valid daily mean are absent.
-- 2. One value per station, pollutant and day: when a station has several sensors of the
--    pollutant with a valid daily mean that day, the reference-method sensor
--    (`PM10 (SM2005)`, gravimetric) is taken first, then the lowest sensor id; values of
--    different sensors are never averaged. This also joins the series of a sensor replaced in
--    the year.

with

measurements as (

    select * from {{ ref('stg_lombardia__air_measurements') }}

),

sensors as (

    select * from {{ ref('stg_lombardia__air_stations') }}
    where pollutant in ('PM10', 'PM2.5')

),

comune_names as (

    select * from {{ ref('int_comune__name_lookup') }}

),

sensor_values as (

    select
        sensors.station_id,
        sensors.station_name,
        sensors.pollutant,
        sensors.sensor_id,
        sensors.sensor_type,
        measurements.measured_at,
        measurements.measured_on,
        measurements.measured_value,
        measurements.source_retrieval_id
    from measurements
    inner join sensors
        on measurements.sensor_id = sensors.sensor_id
    inner join comune_names
        on sensors.comune_name_normalised = comune_names.comune_name_normalised

),

sensor_resolution as (

    -- A sensor with any value not at midnight is an hourly (sub-daily) series.
    select
        sensor_id,
        bool_or(measured_at <> cast(measured_on as timestamp)) as is_hourly_series
    from sensor_values
    group by sensor_id

),

sensor_days as (

    select
        sensor_values.station_id,
        sensor_values.station_name,
        sensor_values.pollutant,
        sensor_values.sensor_id,
        sensor_values.sensor_type,
        sensor_values.measured_on,
        sensor_resolution.is_hourly_series,
        count(*) as values_count,
        avg(sensor_values.measured_value) as daily_mean,
        max(sensor_values.source_retrieval_id) as source_retrieval_id
    from sensor_values
    inner join sensor_resolution
        on sensor_values.sensor_id = sensor_resolution.sensor_id
    group by
        sensor_values.station_id,
        sensor_values.station_name,
        sensor_values.pollutant,
        sensor_values.sensor_id,
        sensor_values.sensor_type,
        sensor_values.measured_on,
        sensor_resolution.is_hourly_series

),

valid_sensor_days as (

    select * from sensor_days
    where
        not is_hourly_series
        or values_count >= 18

),

station_days as (

    select
        station_id,
        station_name,
        pollutant,
        measured_on,
        cast(year(measured_on) as integer) as year,
        daily_mean,
        values_count,
        is_hourly_series,
        sensor_id,
        source_retrieval_id
    from valid_sensor_days
    qualify row_number() over (
        partition by station_id, pollutant, measured_on
        order by
            sensor_type = 'PM10 (SM2005)' desc,
            try_cast(sensor_id as bigint) asc nulls last,
            sensor_id asc
    ) = 1

)

select * from station_days
