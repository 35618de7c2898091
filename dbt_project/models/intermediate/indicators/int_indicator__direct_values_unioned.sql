-- Indicator values that cannot be built by summing comune components: medians, values
-- published only for the province (ISTAT labour-force rates), per air-quality station or per
-- employment centre. Each listed model produces, for every territory it covers:
-- indicator_id, territory_level, territory_code, year, value, numerator, denominator,
-- source_release (numerator and denominator may be null). They reach fct_indicator_value as
-- they are.

{%- set indicator_models = [
    ref('int_indicator__d03_02_residential_ep_gl_nren_median'),
    ref('int_indicator__d06_03_transport_contracts_activated'),
    ref('int_indicator__d08_01_employment_rate'),
    ref('int_indicator__d08_02_unemployment_rates'),
    ref('int_indicator__d08_03_labour_contracts_balance'),
    ref('int_indicator__d08_04_open_ended_share'),
    ref('int_indicator__d08_05_employment_centre_users'),
    ref('int_indicator__d10_04_pm10_exceedance_days'),
    ref('int_indicator__d10_05a_no2_annual_mean'),
    ref('int_indicator__d10_05b_pm25_annual_mean'),
] %}

with

unioned as (

    {% for indicator_model in indicator_models %}
    select
        indicator_id,
        territory_level,
        territory_code,
        cast(year as integer) as year,
        cast(value as double) as value,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        source_release
    from {{ indicator_model }}
    union all
    {% endfor %}
    -- Typed and empty, so the union is valid whatever the list holds.
    select
        cast(null as varchar) as indicator_id,
        cast(null as varchar) as territory_level,
        cast(null as varchar) as territory_code,
        cast(null as integer) as year,
        cast(null as double) as value,
        cast(null as double) as numerator,
        cast(null as double) as denominator,
        cast(null as varchar) as source_release
    where false

)

select * from unioned
