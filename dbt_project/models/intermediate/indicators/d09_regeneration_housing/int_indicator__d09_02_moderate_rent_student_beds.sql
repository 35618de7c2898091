-- D09_02 Student housing beds at moderate rent, components by comune and year: numerator =
-- beds at moderate rent of the residences of the metropolitan programme available by the end
-- of the year; denominator null (a count: value = numerator, summed to zona and cm in
-- fct_indicator_value).
-- The registry is a snapshot as of its reference date: a residence counts in year Y when it is
-- `active` on the reference date and its availability date is on or before 31 December of Y
-- (residences planned or under construction are left out whatever their expected date). For
-- the year of the reference date the count is the one on the reference date (the catalogue's
-- "as of the file's reference date"). Years run from the first availability year of an active
-- residence to the year of the reference date; residences are assumed not to have closed since.

with

student_housing as (

    select * from {{ ref('stg_cittametropolitana__student_housing') }}

),

comuni as (

    select * from {{ ref('stg_istat__comuni') }}
    where uts_code = '{{ var("cm_uts_code") }}'

),

active_residences as (

    select
        comune_code,
        moderate_rent_beds,
        availability_date
    from student_housing
    where status = 'active'

),

registry as (

    select
        max(reference_date) as reference_date,
        max(source_retrieval_id) as source_release
    from student_housing

),

year_bounds as (

    select
        year(min(active_residences.availability_date)) as first_year,
        year(max(registry.reference_date)) as last_year
    from active_residences
    cross join registry

),

years as (

    select unnest(range(first_year, last_year + 1)) as year
    from year_bounds
    where first_year is not null

),

comune_years as (

    select
        comuni.comune_code,
        years.year
    from comuni
    cross join years

),

components as (

    select
        'D09_02' as indicator_id,
        comune_years.comune_code,
        cast(comune_years.year as integer) as year,
        cast(coalesce(sum(active_residences.moderate_rent_beds), 0) as bigint) as numerator,
        cast(null as bigint) as denominator,
        any_value(registry.source_release) as source_release
    from comune_years
    cross join registry
    left join active_residences
        on
            comune_years.comune_code = active_residences.comune_code
            and active_residences.availability_date <= make_date(comune_years.year, 12, 31)
    group by
        comune_years.comune_code,
        comune_years.year

)

select * from components
