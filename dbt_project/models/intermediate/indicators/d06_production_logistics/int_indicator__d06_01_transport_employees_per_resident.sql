-- D06_01 Transport and warehousing employees per 1,000 residents, components by comune and
-- year: numerator = employees (annual average) of the local units in ATECO 2007 divisions
-- H49-H53 (ISTAT ASIA local units), denominator = residents on 1 January of the year. The
-- value, 1000 * numerator / denominator, is computed (and aggregated to zona and cm) in
-- fct_indicator_value.
-- ISTAT leaves out a division with no local unit in the comune: a missing division, or a
-- comune with none of the five, counts as 0 employees. Every comune with residents gets a
-- row for every year ISTAT published local units for.

with

local_units as (

    select * from {{ ref('stg_istat__local_units') }}
    where measure = 'employees'

),

residents as (

    select * from {{ ref('int_population__residents') }}

),

local_unit_years as (

    select
        year,
        max(source_retrieval_id) as source_retrieval_id
    from local_units
    group by year

),

transport_employees as (

    select
        comune_code,
        year,
        sum(measure_value) as employees
    from local_units
    where is_transport_logistics
    group by
        comune_code,
        year

),

components as (

    select
        'D06_01' as indicator_id,
        residents.comune_code,
        residents.year,
        cast(coalesce(transport_employees.employees, 0) as double) as numerator,
        residents.residents as denominator,
        local_unit_years.source_retrieval_id || ', ' || residents.source_retrieval_id
            as source_release
    from residents
    inner join local_unit_years
        on residents.year = local_unit_years.year
    left join transport_employees
        on
            residents.comune_code = transport_employees.comune_code
            and residents.year = transport_employees.year

)

select * from components
