-- D07_03 School building energy certificates in classes A1-B, components by comune and
-- year: numerator = energy performance certificates filed in the year (CENED, by issue date)
-- for school buildings (DPR 412/1993 use category E.7) in classes A4, A3, A2, A1 or B,
-- denominator = all E.7 certificates filed in the year. The value, 100 * numerator /
-- denominator, is computed (and aggregated to zona and cm) in fct_indicator_value.
-- CENED gives the comune by name: matched to the ISTAT code through int_comune__name_lookup
-- (a certificate whose name does not match a comune of the Città metropolitana is left out).
-- Every comune gets a row for every year CENED covers (0 / 0 where no school certificate was
-- filed), so the sums cover all comuni; the comune value is undefined there.

with

certificates as (

    select * from {{ ref('stg_lombardia__energy_certificates') }}

),

comune_names as (

    select * from {{ ref('int_comune__name_lookup') }}

),

certificate_years as (

    select
        cast(year(issued_on) as integer) as year,
        max(source_retrieval_id) as source_retrieval_id
    from certificates
    where issued_on is not null
    group by year(issued_on)

),

school_certificates as (

    select
        comune_names.comune_code,
        cast(year(certificates.issued_on) as integer) as year,
        count(*) filter (
            where certificates.energy_class in ('A4', 'A3', 'A2', 'A1', 'B')
        ) as certificates_a1_b,
        count(*) as certificates
    from certificates
    inner join comune_names
        on certificates.comune_name_normalised = comune_names.comune_name_normalised
    where certificates.use_category_code = 'E.7'
    group by
        comune_names.comune_code,
        year(certificates.issued_on)

),

components as (

    select
        'D07_03' as indicator_id,
        comune_names.comune_code,
        certificate_years.year,
        cast(coalesce(school_certificates.certificates_a1_b, 0) as bigint) as numerator,
        cast(coalesce(school_certificates.certificates, 0) as bigint) as denominator,
        certificate_years.source_retrieval_id as source_release
    from comune_names
    cross join certificate_years
    left join school_certificates
        on
            comune_names.comune_code = school_certificates.comune_code
            and certificate_years.year = school_certificates.year

)

select * from components
