with

source as (

    select * from {{ source('raw', 'ats__general_practitioners') }}

),

renamed as (

    select

        ----------  ids
        codice_comune as comune_code,
        cast(anno as integer) as year,

        ----------  numerics
        cast(medici_mmg as integer) as general_practitioners,
        cast(assistiti as bigint) as registered_patients,

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
