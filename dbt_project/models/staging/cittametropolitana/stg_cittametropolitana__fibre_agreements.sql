with

source as (

    select * from {{ source('raw', 'cittametropolitana__fibre_agreements') }}

),

renamed as (

    select

        ----------  ids
        codice_comune as comune_code,

        ----------  strings
        case stato_collegamento
            when 'da avviare' then 'not_started'
            when 'in realizzazione' then 'in_progress'
            when 'attivo' then 'active'
            else stato_collegamento
        end as connection_status,

        ----------  dates
        data_sottoscrizione as signature_date,
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
