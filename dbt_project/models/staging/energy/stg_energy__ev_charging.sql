with

source as (

    select * from {{ source('raw', 'energy__ev_charging') }}

),

renamed as (

    select

        ----------  ids
        codice_comune as comune_code,
        cast(anno as integer) as year,

        ----------  numerics
        cast(punti_ricarica as integer) as charging_points,
        cast(punti_ricarica_veloci as integer) as fast_charging_points,
        cast(infrastrutture as integer) as charging_stations,

        ----------  dates
        data_riferimento as reference_date,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256

    from source

),

deduplicated as (

    -- Defensive: keep one row per key, the one from the latest retrieval.
    select * from renamed
    qualify row_number() over (
        partition by comune_code, year
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
