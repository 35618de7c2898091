with

source as (

    select * from {{ source('raw', 'lombardia__air_measurements') }}

),

renamed as (

    select

        ----------  ids
        idsensore as sensor_id,
        cast(data as timestamp) as measured_at,

        ----------  strings
        stato as validation_status,
        idoperatore as operator_code,

        ----------  numerics
        cast(valore as double) as measured_value,

        ----------  dates
        cast(data as date) as measured_on,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256,
        _partition as source_partition

    from source

),

deduplicated as (

    -- Defensive: keep one row per key, the one from the latest retrieval.
    select * from renamed
    qualify row_number() over (
        partition by sensor_id, measured_at
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
