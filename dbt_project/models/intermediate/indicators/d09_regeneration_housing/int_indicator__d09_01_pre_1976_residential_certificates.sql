-- D09_01 Residential energy certificates of buildings built before 1976, components by comune
-- and year of issue: numerator = certificates of dwellings (DPR 412/1993 use categories
-- E.1(1) and E.1(2); hotels, E.1(3), are not dwellings) whose year of construction is before
-- 1976; denominator = certificates of dwellings with a year of construction. The value,
-- 100 * numerator / denominator, is computed (and aggregated to zona and cm) in
-- fct_indicator_value.
-- CENED gives the comune by name: matched to the ISTAT code through int_comune__name_lookup.
-- Every comune gets a row for every year the certificates cover; a comune with no
-- certificate of a dwelling with a year of construction in a year has 0 / 0 (no value).

with

certificates as (

    select * from {{ ref('stg_lombardia__energy_certificates') }}

),

comune_names as (

    select * from {{ ref('int_comune__name_lookup') }}

),

dwelling_certificates as (

    select
        comune_names.comune_code,
        cast(year(certificates.issued_on) as integer) as year,
        certificates.construction_year,
        certificates.source_retrieval_id
    from certificates
    inner join comune_names
        on certificates.comune_name_normalised = comune_names.comune_name_normalised
    where certificates.use_category_code in ('E.1(1)', 'E.1(2)')

),

years as (

    select
        year,
        max(source_retrieval_id) as source_release
    from dwelling_certificates
    group by year

),

comune_years as (

    select
        comune_names.comune_code,
        years.year,
        years.source_release
    from comune_names
    cross join years

),

counted as (

    select
        comune_code,
        year,
        count(*) filter (where construction_year < 1976) as pre_1976_certificates,
        count(construction_year) as dated_certificates
    from dwelling_certificates
    group by
        comune_code,
        year

),

components as (

    select
        'D09_01' as indicator_id,
        comune_years.comune_code,
        comune_years.year,
        cast(coalesce(counted.pre_1976_certificates, 0) as bigint) as numerator,
        cast(coalesce(counted.dated_certificates, 0) as bigint) as denominator,
        comune_years.source_release
    from comune_years
    left join counted
        on
            comune_years.comune_code = counted.comune_code
            and comune_years.year = counted.year

)

select * from components
