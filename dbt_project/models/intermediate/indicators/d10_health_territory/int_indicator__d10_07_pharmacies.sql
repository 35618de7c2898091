-- D10_07 Pharmacies per 10,000 residents, components by comune: numerator = pharmacies of the
-- Regione Lombardia list in the comune (every kind: ordinary, branch, subsidised rural),
-- denominator = residents on 1 January (ISTAT). The value, 10000 * numerator / denominator, is
-- computed (and aggregated to zona and cm) in fct_indicator_value.
-- The list gives the comune by name: matched to the ISTAT code through int_comune__name_lookup.
-- The list has no date of its own (it is the register as read on the retrieval day), so it
-- gives one year only: the latest year of the ISTAT population, whose residents are the
-- denominator. Comuni without a pharmacy have 0.

with

pharmacies as (

    select * from {{ ref('stg_lombardia__pharmacies') }}

),

comune_names as (

    select * from {{ ref('int_comune__name_lookup') }}

),

residents as (

    select * from {{ ref('int_population__residents') }}

),

latest_residents as (

    select * from residents
    where year = (select max(year) from residents)

),

counted as (

    select
        comune_names.comune_code,
        count(*) as pharmacies
    from pharmacies
    inner join comune_names
        on pharmacies.comune_name_normalised = comune_names.comune_name_normalised
    group by comune_names.comune_code

),

list_release as (

    select max(source_retrieval_id) as source_release
    from pharmacies

),

components as (

    select
        'D10_07' as indicator_id,
        latest_residents.comune_code,
        latest_residents.year,
        cast(coalesce(counted.pharmacies, 0) as bigint) as numerator,
        cast(latest_residents.residents as bigint) as denominator,
        list_release.source_release
        || ', '
        || latest_residents.source_retrieval_id as source_release
    from latest_residents
    cross join list_release
    left join counted
        on latest_residents.comune_code = counted.comune_code

)

select * from components
