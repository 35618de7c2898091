with

source as (

    select * from {{ source('raw', 'afol__employment_centres') }}

),

renamed as (

    select

        ----------  ids
        codice_comune as comune_code,
        codice_cpi as cpi_code,
        codice_comune_sede_cpi as cpi_office_comune_code,

        ----------  strings
        denominazione_cpi as cpi_name,
        indirizzo_cpi as cpi_address,

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
        partition by comune_code
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
