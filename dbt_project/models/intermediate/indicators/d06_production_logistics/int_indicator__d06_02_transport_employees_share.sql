-- D06_02 Share of transport and warehousing employees, components by comune and year:
-- numerator = employees (annual average) of the local units in ATECO 2007 divisions H49-H53,
-- denominator = employees of the local units of all sectors (ATECO `0010`), both from ISTAT
-- ASIA local units. The value, 100 * numerator / denominator, is computed (and aggregated to
-- zona and cm) in fct_indicator_value.
-- ISTAT leaves out cells without local units: a missing division counts as 0 employees.
-- Every comune of the Città metropolitana gets a row for every year ISTAT published.

with

local_units as (

    select * from {{ ref('stg_istat__local_units') }}
    where measure = 'employees'

),

comuni as (

    select * from {{ ref('stg_istat__comuni') }}
    where uts_code = '{{ var("cm_uts_code") }}'

),

local_unit_years as (

    select
        year,
        max(source_retrieval_id) as source_retrieval_id
    from local_units
    group by year

),

employees_by_comune as (

    select
        comune_code,
        year,
        sum(measure_value) filter (where is_transport_logistics) as transport_employees,
        sum(measure_value) filter (where is_all_sectors) as all_employees
    from local_units
    group by
        comune_code,
        year

),

components as (

    select
        'D06_02' as indicator_id,
        comuni.comune_code,
        local_unit_years.year,
        cast(coalesce(employees_by_comune.transport_employees, 0) as double) as numerator,
        cast(coalesce(employees_by_comune.all_employees, 0) as double) as denominator,
        local_unit_years.source_retrieval_id as source_release
    from comuni
    cross join local_unit_years
    left join employees_by_comune
        on
            comuni.comune_code = employees_by_comune.comune_code
            and local_unit_years.year = employees_by_comune.year

)

select * from components
