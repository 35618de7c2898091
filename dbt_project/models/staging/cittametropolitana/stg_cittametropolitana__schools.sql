with

source as (

    select * from {{ source('raw', 'cittametropolitana__schools') }}

),

renamed as (

    select

        ----------  ids
        codice_meccanografico as school_code,
        codice_comune as comune_code,

        ----------  strings
        denominazione as school_name,
        indirizzo as address,
        case tipologia
            when 'liceo' then 'academic'
            when 'istituto tecnico' then 'technical'
            when 'istituto professionale' then 'vocational'
            when 'istruzione superiore' then 'comprehensive'
            else tipologia
        end as school_type,

        ----------  numerics
        cast(studenti as integer) as students,
        cast(velocita_mbps as integer) as connection_speed_mbps,

        ----------  booleans
        case banda_ultralarga
            when 'si' then true
            when 'no' then false
        end as has_ultra_broadband,

        ----------  dates
        data_attivazione_bul as ultra_broadband_activation_date,
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
        partition by school_code
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
