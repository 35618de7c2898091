-- D08_03a Labour contracts activated, D08_03b labour contracts ceased and D08_03c their net
-- balance (activated less ceased), direct values by year: counts of the contracts activated
-- and ceased in the year by employers of the province of Milano, all sectors (comunicazioni
-- obbligatorie, Regione Lombardia; one row per event in staging). The source gives the
-- province of the employer, not its comune: one `cm` row per indicator and year, numerator =
-- the count (for D08_03c the balance, negative when more contracts ceased), denominator null.
-- Only years the source covers to December: a year still in progress (live mode fetches the
-- current year) would publish part-year counts as if they were the year's. The balance needs
-- both flows for the year.

with

activations as (

    select * from {{ ref('stg_lombardia__labour_activated') }}
    where employer_province = 'MILANO'

),

cessations as (

    select * from {{ ref('stg_lombardia__labour_ceased') }}
    where employer_province = 'MILANO'

),

activations_by_year as (

    select
        cast(year(event_date) as integer) as year,
        count(*) as contracts,
        max(source_retrieval_id) as source_release
    from activations
    group by year(event_date)
    having max(month(event_date)) = 12

),

cessations_by_year as (

    select
        cast(year(event_date) as integer) as year,
        count(*) as contracts,
        max(source_retrieval_id) as source_release
    from cessations
    group by year(event_date)
    having max(month(event_date)) = 12

),

counts as (

    select
        'D08_03a' as indicator_id,
        year,
        contracts as numerator,
        source_release
    from activations_by_year

    union all

    select
        'D08_03b' as indicator_id,
        year,
        contracts as numerator,
        source_release
    from cessations_by_year

    union all

    select
        'D08_03c' as indicator_id,
        activations_by_year.year,
        activations_by_year.contracts - cessations_by_year.contracts as numerator,
        activations_by_year.source_release || ', ' || cessations_by_year.source_release
            as source_release
    from activations_by_year
    inner join cessations_by_year
        on activations_by_year.year = cessations_by_year.year

),

direct_values as (

    select
        indicator_id,
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        year,
        cast(numerator as double) as value,
        cast(numerator as double) as numerator,
        cast(null as double) as denominator,
        source_release
    from counts

)

select * from direct_values
