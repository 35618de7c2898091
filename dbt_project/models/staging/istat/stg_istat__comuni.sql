with

source as (

    select * from {{ source('raw', 'istat__comuni') }}

),

renamed as (

    select

        ----------  ids
        codice_comune as comune_code,
        codice_regione as region_code,
        codice_uts as uts_code,
        codice_provincia_storico as historic_province_code,
        codice_catastale as cadastral_code,
        coalesce(nuts3_2024, nuts3_2021) as nuts3_code,
        nuts3_2021 as nuts3_code_2021,

        ----------  strings
        denominazione_it as comune_name,
        denominazione as comune_name_full,
        denominazione_regione as region_name,
        denominazione_uts as uts_name,
        tipologia_uts as uts_type,
        sigla_automobilistica as car_plate_code,

        ----------  booleans
        coalesce(flag_capoluogo = '1', false) as is_capital,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256

    from source

)

select * from renamed
