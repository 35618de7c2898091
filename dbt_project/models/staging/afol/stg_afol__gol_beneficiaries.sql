with

source as (

    select * from {{ source('raw', 'afol__gol_beneficiaries') }}

),

renamed as (

    select

        ----------  ids
        codice_cpi as cpi_code,
        mese as month_start,

        ----------  numerics
        cast(presi_in_carico as integer) as people_taken_in_charge,
        cast(beneficiari_gol as integer) as gol_beneficiaries,
        cast(percorso_1_reinserimento as integer) as beneficiaries_job_placement,
        cast(percorso_2_aggiornamento as integer) as beneficiaries_upskilling,
        cast(percorso_3_riqualificazione as integer) as beneficiaries_reskilling,
        cast(percorso_4_lavoro_inclusione as integer) as beneficiaries_work_and_inclusion,
        cast(percorso_5_ricollocazione_collettiva as integer) as beneficiaries_collective_reallocation,

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
        partition by cpi_code, month_start
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
