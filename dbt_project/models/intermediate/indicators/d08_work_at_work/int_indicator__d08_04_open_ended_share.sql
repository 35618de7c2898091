-- D08_04 Share of open-ended contracts among activations, direct values by year: numerator =
-- contracts activated in the year as open-ended employment (`is_open_ended`: LAVORO A TEMPO
-- INDETERMINATO; apprenticeships and domestic work are not), denominator = all contracts
-- activated in the year, by employers of the province of Milano (comunicazioni obbligatorie,
-- Regione Lombardia); value = 100 * numerator / denominator. The source gives the province
-- of the employer, not its comune: one `cm` row per year.
-- Only years the source covers to December, like D08_03.

with

activations as (

    select * from {{ ref('stg_lombardia__labour_activated') }}
    where employer_province = 'MILANO'

),

by_year as (

    select
        cast(year(event_date) as integer) as year,
        count(*) filter (where is_open_ended) as open_ended_contracts,
        count(*) as contracts,
        max(source_retrieval_id) as source_release
    from activations
    group by year(event_date)
    having max(month(event_date)) = 12

),

direct_values as (

    select
        'D08_04' as indicator_id,
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        year,
        100.0 * open_ended_contracts / contracts as value,
        cast(open_ended_contracts as double) as numerator,
        cast(contracts as double) as denominator,
        source_release
    from by_year

)

select * from direct_values
