with

source as (

    select * from {{ source('raw', 'lombardia__hospitals') }}

),

renamed as (

    select

        ----------  ids
        codice_struttura_di_ricovero as hospital_code,

        ----------  strings
        descrizione_struttura_di as hospital_name,
        ats_struttura as ats_name,
        indirizzo as address,
        cap as postcode,
        localita as comune_name,
        {{ normalise_comune_name('localita') }}
            as comune_name_normalised,

        ----------  numerics
        cast(coordinata_geografica_y as double) as latitude,
        cast(coordinata_geografica_x as double) as longitude,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256

    from source

),

deduplicated as (

    -- Defensive: keep one row per key, the one from the latest retrieval.
    select * from renamed
    qualify row_number() over (
        partition by hospital_code
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
