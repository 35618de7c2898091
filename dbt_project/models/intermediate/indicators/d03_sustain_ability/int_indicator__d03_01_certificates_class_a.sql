-- D03_01 Energy performance certificates in classes A1-A4, components by comune and year:
-- numerator = certificates filed in the year (all uses) in class A1, A2, A3 or A4,
-- denominator = all certificates filed in the year. Every comune of the Città metropolitana
-- gets a row for every year of the register, 0 / 0 where none was filed (the share is then
-- undefined for the comune, but the zona and cm sums are complete).

with

certificates as (

    select * from {{ ref('int_energy_certificates__by_comune') }}

),

comuni as (

    select * from {{ ref('dim_comune') }}

),

register_years as (

    select
        year,
        string_agg(distinct source_retrieval_id, ', ' order by source_retrieval_id)
            as source_release
    from certificates
    group by year

),

counted as (

    select
        comune_code,
        year,
        count(*) filter (where energy_class in ('A1', 'A2', 'A3', 'A4')) as class_a_certificates,
        count(*) as certificates
    from certificates
    group by
        comune_code,
        year

),

components as (

    select
        'D03_01' as indicator_id,
        comuni.comune_code,
        register_years.year,
        cast(coalesce(counted.class_a_certificates, 0) as integer) as numerator,
        cast(coalesce(counted.certificates, 0) as integer) as denominator,
        register_years.source_release
    from comuni
    cross join register_years
    left join counted
        on
            comuni.comune_code = counted.comune_code
            and register_years.year = counted.year

)

select * from components
