-- D05_03 Public charging points for electric vehicles per 10,000 residents, components by
-- comune and year: numerator = publicly accessible charging points on 31 December of the
-- year (national single platform, PUN), denominator = residents on 1 January of the year (as
-- the catalogue defines it). The value, 10000 * numerator / denominator, is computed (and
-- aggregated to zona and cm) in fct_indicator_value.
-- Every comune with residents gets a row for every year of the file; the file contract
-- requires all 133 comuni each year, and a comune missing anyway counts as 0 points.

with

charging as (

    select * from {{ ref('stg_energy__ev_charging') }}

),

residents as (

    select * from {{ ref('int_population__residents') }}

),

charging_years as (

    select
        year,
        max(source_retrieval_id) as source_retrieval_id
    from charging
    group by year

),

components as (

    select
        'D05_03' as indicator_id,
        residents.comune_code,
        residents.year,
        cast(coalesce(charging.charging_points, 0) as bigint) as numerator,
        residents.residents as denominator,
        charging_years.source_retrieval_id || ', ' || residents.source_retrieval_id
            as source_release
    from residents
    inner join charging_years
        on residents.year = charging_years.year
    left join charging
        on
            residents.comune_code = charging.comune_code
            and residents.year = charging.year

)

select * from components
