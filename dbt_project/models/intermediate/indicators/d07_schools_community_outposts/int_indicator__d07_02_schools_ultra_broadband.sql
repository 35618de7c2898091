-- D07_02 Città metropolitana schools with an ultra-broadband connection, components by comune
-- and year: numerator = schools of the registry whose ultra-broadband connection (at least
-- 1 Gbit/s) was in service at the end of the year (activation date on or before 31 December,
-- or before the file's reference date for the reference year itself), denominator = schools
-- of the registry in the comune. The value, 100 * numerator / denominator, is computed (and
-- aggregated to zona and cm) in fct_indicator_value.
-- Years: from the first activation year to the year of the reference date. The registry is
-- a snapshot: earlier years assume the schools of today (no school opened or closed since),
-- the only history the source gives being the activation dates.
-- Every comune of the Città metropolitana gets a row (0 / 0 where there is no school), so
-- the sums cover all comuni; the comune value is undefined there.

with

schools as (

    select * from {{ ref('stg_cittametropolitana__schools') }}

),

comuni as (

    select * from {{ ref('stg_istat__comuni') }}
    where uts_code = '{{ var("cm_uts_code") }}'

),

registry as (

    select
        max(reference_date) as reference_date,
        cast(year(max(reference_date)) as integer) as reference_year,
        cast(
            coalesce(
                year(min(ultra_broadband_activation_date)),
                year(max(reference_date))
            ) as integer
        ) as first_year,
        max(source_retrieval_id) as source_retrieval_id
    from schools

),

years as (

    select
        cast(unnest(generate_series(first_year, reference_year)) as integer) as year,
        reference_date,
        source_retrieval_id
    from registry
    where reference_year is not null

),

year_ends as (

    select
        year,
        least(make_date(year, 12, 31), reference_date) as as_of_date,
        source_retrieval_id
    from years

),

schools_by_comune_year as (

    select
        schools.comune_code,
        year_ends.year,
        count(*) filter (
            where
                schools.has_ultra_broadband
                and schools.ultra_broadband_activation_date <= year_ends.as_of_date
        ) as schools_with_ultra_broadband,
        count(*) as schools
    from schools
    cross join year_ends
    group by
        schools.comune_code,
        year_ends.year

),

components as (

    select
        'D07_02' as indicator_id,
        comuni.comune_code,
        year_ends.year,
        cast(coalesce(schools_by_comune_year.schools_with_ultra_broadband, 0) as bigint)
            as numerator,
        cast(coalesce(schools_by_comune_year.schools, 0) as bigint) as denominator,
        year_ends.source_retrieval_id as source_release
    from comuni
    cross join year_ends
    left join schools_by_comune_year
        on
            comuni.comune_code = schools_by_comune_year.comune_code
            and year_ends.year = schools_by_comune_year.year

)

select * from components
