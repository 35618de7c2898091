with

source as (

    select * from {{ source('raw', 'cittametropolitana__student_housing') }}

),

renamed as (

    select

        ----------  ids
        id_intervento as project_id,
        codice_comune as comune_code,

        ----------  strings
        denominazione as residence_name,
        indirizzo as address,
        case stato
            when 'programmato' then 'planned'
            when 'in costruzione' then 'under_construction'
            when 'attivo' then 'active'
            else stato
        end as status,
        case finanziamento
            when 'PNRR' then 'pnrr'
            when 'L. 338/2000' then 'law_338_2000'
            when 'altro' then 'other'
            else finanziamento
        end as funding_source,

        ----------  numerics
        cast(posti_letto as integer) as beds,
        cast(posti_canone_moderato as integer) as moderate_rent_beds,

        ----------  dates
        data_disponibilita as availability_date,
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
        partition by project_id
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
