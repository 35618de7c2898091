with

source as (

    select * from {{ source('raw', 'ats__community_houses') }}

),

renamed as (

    select

        ----------  ids
        id_struttura as community_house_id,
        codice_comune as comune_code,

        ----------  strings
        denominazione as community_house_name,
        indirizzo as address,
        case stato
            when 'programmata' then 'planned'
            when 'attiva' then 'operating'
            else stato
        end as status,
        tipologia as facility_type,

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
        partition by community_house_id
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
