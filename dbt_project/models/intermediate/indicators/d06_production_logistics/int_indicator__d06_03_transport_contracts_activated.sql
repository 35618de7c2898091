-- D06_03 Labour contracts activated in transport and warehousing, direct values by year:
-- the count of contracts activated in the year by employers in ATECO 2007 divisions H49-H53
-- (comunicazioni obbligatorie, Regione Lombardia; `is_transport_logistics` maps the ATECO
-- titles to the divisions in staging). The source gives the province of the employer, not
-- its comune: one `cm` row per year (the province of Milano), numerator = the count,
-- denominator null.
-- Only years the source covers to December: a year still in progress (live mode fetches the
-- current year) would publish a part-year count as if it were the year's.

with

activations as (

    select * from {{ ref('stg_lombardia__labour_activated') }}
    where employer_province = 'MILANO'

),

by_year as (

    select
        cast(year(event_date) as integer) as year,
        count(*) filter (where is_transport_logistics) as transport_activations,
        max(source_retrieval_id) as source_release
    from activations
    group by year(event_date)
    having max(month(event_date)) = 12

),

direct_values as (

    select
        'D06_03' as indicator_id,
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        year,
        cast(transport_activations as double) as value,
        cast(transport_activations as double) as numerator,
        cast(null as double) as denominator,
        source_release
    from by_year

)

select * from direct_values
