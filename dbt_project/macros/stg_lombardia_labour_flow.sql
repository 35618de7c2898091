{#-
    Staging of the comunicazioni obbligatorie (contracts activated, ceased): the two Socrata
    datasets share every column, so one body serves both. `event` names the row in comments.
-#}
{% macro stg_lombardia_labour_flow(table, event) %}

with

source as (

    select * from {{ source('raw', table) }}

),

renamed as (

    -- One row per contract {{ event }}; there is no event id, and two identical rows are two
    -- events (two workers of the same profile and contract on the same day), so nothing is
    -- deduplicated: the raw table holds one retrieval per year.
    select

        ----------  strings
        genere as sex,
        settoreeconomicodettaglio as sector_description,
        titolostudio as education_level,
        contratto as contract_type,
        modalitalavoro as working_time,
        provinciaimpresa as employer_province,
        italiano as citizenship,

        ----------  numerics
        cast(eta as integer) as age,

        ----------  booleans
        coalesce(contratto = 'LAVORO A TEMPO INDETERMINATO', false) as is_open_ended,
        -- ATECO 2007 section H, divisions 49-53: the Italian titles of those divisions, their
        -- groups, classes and sub-categories, compared in lower case (see the model's YAML).
        coalesce(
            lower(trim(settoreeconomicodettaglio)) in (
                'trasporto terrestre e trasporto mediante condotte',
                'trasporto ferroviario di passeggeri (interurbano)',
                'trasporto ferroviario di merci',
                'altri trasporti terrestri di passeggeri',
                'trasporto terrestre di passeggeri in aree urbane e suburbane',
                'trasporto con taxi, noleggio di autovetture con conducente',
                'trasporto con taxi',
                'trasporto mediante noleggio di autovetture da rimessa con conducente',
                'altre attività di trasporti terrestri di passeggeri nca',
                'gestioni di funicolari, ski-lift e seggiovie se non facenti parte dei sistemi di transito '
                || 'urbano o sub-urbano',
                'trasporto di merci su strada e servizi di trasloco',
                'trasporto di merci su strada',
                'servizi di trasloco',
                'trasporto mediante condotte',
                'trasporto marittimo e per vie d''acqua',
                'trasporto marittimo e costiero di passeggeri',
                'trasporto marittimo e costiero di merci',
                'trasporto di passeggeri per vie d''acqua interne',
                'trasporto di merci per vie d''acqua interne',
                'trasporto aereo',
                'trasporto aereo di passeggeri',
                'trasporto aereo di merci e trasporto spaziale',
                'trasporto aereo di merci',
                'trasporto spaziale',
                'magazzinaggio e attività di supporto ai trasporti',
                'magazzinaggio e custodia',
                'magazzini di custodia e deposito per conto terzi',
                'magazzini frigoriferi per conto terzi',
                'attività di supporto ai trasporti',
                'attività dei servizi connessi al trasporto terrestre',
                'gestione di infrastrutture ferroviarie',
                'gestione di strade, ponti, gallerie',
                'gestione di stazioni per autobus',
                'gestione di centri di movimentazione merci (interporti)',
                'gestione di parcheggi e autorimesse',
                'attività di traino e soccorso stradale',
                'altre attività connesse ai trasporti terrestri nca',
                'attività dei servizi connessi al trasporto marittimo e per vie d''acqua',
                'attività dei servizi connessi al trasporto aereo',
                'movimentazione merci',
                'movimento merci relativo a trasporti aerei',
                'movimento merci relativo a trasporti marittimi e fluviali',
                'movimento merci relativo a trasporti ferroviari',
                'movimento merci relativo ad altri trasporti terrestri',
                'altre attività di supporto connesse ai trasporti',
                'spedizionieri e agenzie di operazioni doganali',
                'intermediari dei trasporti',
                'servizi logistici relativi alla distribuzione delle merci',
                'servizi postali e attività di corriere',
                'attività postali con obbligo di servizio universale',
                'altre attività postali e di corriere senza obbligo di servizio universale'
            ),
            false
        ) as is_transport_logistics,

        ----------  dates
        cast(data as date) as event_date,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256,
        _partition as source_partition

    from source

)

select * from renamed

{% endmacro %}
