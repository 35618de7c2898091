-- D03_04 Installed photovoltaic power per 1,000 residents, components by comune and year:
-- numerator = photovoltaic power installed on 31 December of the year (kW, GSE),
-- denominator = residents on 1 January of the same year (ISTAT). The value,
-- 1000 * numerator / denominator, is computed (and aggregated to zona and cm) in
-- fct_indicator_value. A year without the population of its 1 January has no row.

with

photovoltaic as (

    select * from {{ ref('stg_energy__photovoltaic') }}

),

residents as (

    select * from {{ ref('int_population__residents') }}

),

components as (

    select
        'D03_04' as indicator_id,
        photovoltaic.comune_code,
        photovoltaic.year,
        photovoltaic.installed_power_kw as numerator,
        residents.residents as denominator,
        photovoltaic.source_retrieval_id || ', ' || residents.source_retrieval_id
            as source_release
    from photovoltaic
    inner join residents
        on
            photovoltaic.comune_code = residents.comune_code
            and photovoltaic.year = residents.year

)

select * from components
