with

source as (

    select * from {{ source('raw', 'lombardia__air_stations') }}

),

renamed as (

    select

        ----------  ids
        idsensore as sensor_id,
        idstazione as station_id,

        ----------  strings
        nomestazione as station_name,
        case nometiposensore
            when 'PM10 (SM2005)' then 'PM10'
            when 'PM10' then 'PM10'
            when 'Particelle sospese PM2.5' then 'PM2.5'
            when 'Biossido di Azoto' then 'NO2'
            when 'Ossidi di Azoto' then 'NOx'
            when 'Monossido di Azoto' then 'NO'
            when 'Monossido di Carbonio' then 'CO'
            when 'Ozono' then 'O3'
            when 'Biossido di Zolfo' then 'SO2'
            when 'Benzene' then 'C6H6'
            when 'Ammoniaca' then 'NH3'
            when 'BlackCarbon' then 'BC'
            when 'Benzo(a)pirene' then 'BaP'
            when 'Arsenico' then 'As'
            when 'Cadmio' then 'Cd'
            when 'Nikel' then 'Ni'
            when 'Piombo' then 'Pb'
            else nometiposensore
        end as pollutant,
        nometiposensore as sensor_type,
        unitamisura as unit,
        comune as comune_name,
        {{ normalise_comune_name('comune') }}
            as comune_name_normalised,
        provincia as province_code,

        ----------  numerics
        cast(quota as integer) as altitude_m,
        cast(lat as double) as latitude,
        cast(lng as double) as longitude,
        cast(utm_est as double) as utm_easting_m,
        cast(utm_nord as double) as utm_northing_m,

        ----------  booleans
        coalesce(storico <> 'S', datastop is null) as is_active,

        ----------  dates
        cast(datastart as date) as start_date,
        cast(datastop as date) as stop_date,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256

    from source

),

deduplicated as (

    -- Defensive: keep one row per key, the one from the latest retrieval.
    select * from renamed
    qualify row_number() over (
        partition by sensor_id
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
