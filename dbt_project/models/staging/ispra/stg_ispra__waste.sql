with

source as (

    select * from {{ source('raw', 'ispra__waste') }}

),

renamed as (

    select

        ----------  ids
        -- `IstatComune` is the 2-digit region code followed by the 6-digit ISTAT code.
        right(istat_comune, 6) as comune_code,
        cast(anno as integer) as year,

        ----------  strings
        istat_comune as ispra_comune_code,
        comune as comune_name,
        provincia as province_name,
        regione as region_name,

        ----------  numerics
        cast(popolazione as integer) as population,
        cast(frazione_umida_t as decimal(18, 3)) as organic_tonnes,
        cast(verde_t as decimal(18, 3)) as green_tonnes,
        cast(carta_e_cartone_t as decimal(18, 3)) as paper_cardboard_tonnes,
        cast(vetro_t as decimal(18, 3)) as glass_tonnes,
        cast(legno_t as decimal(18, 3)) as wood_tonnes,
        cast(metallo_t as decimal(18, 3)) as metal_tonnes,
        cast(plastica_t as decimal(18, 3)) as plastic_tonnes,
        cast(raee_t as decimal(18, 3)) as weee_tonnes,
        cast(tessili_t as decimal(18, 3)) as textile_tonnes,
        cast(selettiva_t as decimal(18, 3)) as selective_tonnes,
        cast(rifiuti_da_c_e_d_t as decimal(18, 3)) as construction_demolition_tonnes,
        cast(pulizia_stradale_a_recupero_t as decimal(18, 3)) as street_sweepings_recovered_tonnes,
        cast(ingombranti_misti_a_recupero_t as decimal(18, 3)) as bulky_mixed_recovered_tonnes,
        cast(altro_t as decimal(18, 3)) as other_separate_tonnes,
        cast(totale_rd_t as decimal(18, 3)) as separate_collection_tonnes,
        cast(ingombranti_a_smaltimento_t as decimal(18, 3)) as bulky_disposed_tonnes,
        cast(indifferenziato_t as decimal(18, 3)) as unsorted_tonnes,
        cast(totale_ru_t as decimal(18, 3)) as municipal_waste_tonnes,
        cast(percentuale_rd as decimal(5, 2)) as separate_collection_rate_pct,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256,
        _partition as source_partition

    from source
    -- Only rows reporting on a comune on its own (aggregations are dropped at ingestion).
    where dato_riferito_a = 'Comune'

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
