with

source as (

    select * from {{ source('raw', 'ats__community_hospitals') }}

),

renamed as (

    select

        ----------  ids
        id_struttura as community_hospital_id,
        codice_comune as comune_code,

        ----------  strings
        denominazione as community_hospital_name,
        indirizzo as address,
        case stato
            when 'programmata' then 'planned'
            when 'attiva' then 'operating'
            else stato
        end as status,

        ----------  numerics
        cast(posti_letto as integer) as beds,

        ----------  dates
        data_apertura as opening_date,
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
        partition by community_hospital_id
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
