with

source as (

    select * from {{ source('raw', 'cittametropolitana__sites_5g') }}

),

renamed as (

    select

        ----------  ids
        id_sito as site_id,
        codice_comune as comune_code,

        ----------  strings
        denominazione as property_name,
        indirizzo as address,
        case tipo_immobile
            when 'scuola' then 'school'
            when 'sede istituzionale' then 'institutional_building'
            when 'strada provinciale' then 'provincial_road'
            when 'altro' then 'other'
            else tipo_immobile
        end as property_type,
        operatore as operator_name,
        case stato
            when 'in istruttoria' then 'under_review'
            when 'autorizzato' then 'authorised'
            when 'attivo' then 'active'
            else stato
        end as status,

        ----------  dates
        data_attivazione as activation_date,
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
        partition by site_id
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
