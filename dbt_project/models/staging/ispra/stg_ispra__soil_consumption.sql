with

source as (

    select * from {{ source('raw', 'ispra__soil_consumption') }}

),

renamed as (

    select

        ----------  ids
        codice_comune as comune_code,
        cast(anno as integer) as year,

        ----------  numerics
        cast(superficie_ha as double) as area_ha,
        cast(suolo_consumato_ha as double) as consumed_soil_ha,
        cast(suolo_consumato_percentuale as double) as consumed_soil_pct,
        cast(consumo_netto_ha as double) as net_soil_consumption_ha,

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
