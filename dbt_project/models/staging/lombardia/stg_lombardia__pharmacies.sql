with

source as (

    select * from {{ source('raw', 'lombardia__pharmacies') }}

),

renamed as (

    select

        ----------  ids
        cod_farmacia as pharmacy_code,

        ----------  strings
        descrizione_farmacia as pharmacy_name,
        descrizione_tipologia as pharmacy_type,
        indirizzo as address,
        cap as postcode,
        comune as comune_name,
        {{ normalise_comune_name('comune') }}
            as comune_name_normalised,
        sigla_provincia as province_code,

        ----------  numerics
        cast(latitudine as double) as latitude,
        cast(longitudine as double) as longitude,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256

    from source

),

deduplicated as (

    -- Defensive: keep one row per key, the one from the latest retrieval.
    select * from renamed
    qualify row_number() over (
        partition by pharmacy_code
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
