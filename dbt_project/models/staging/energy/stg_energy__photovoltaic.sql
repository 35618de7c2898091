with

source as (

    select * from {{ source('raw', 'energy__photovoltaic') }}

),

renamed as (

    select

        ----------  ids
        codice_comune as comune_code,
        cast(anno as integer) as year,

        ----------  numerics
        cast(numero_impianti as integer) as photovoltaic_plants,
        cast(potenza_kw as double) as installed_power_kw,

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
