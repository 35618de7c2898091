{#-
    A driver's wide mart: one row per comune of the Città metropolitana and year, one column
    per comune-level indicator of the driver, taken from fct_indicator_value.
    `indicators` is a list of (indicator_id, column_name) pairs, written out in each mart so
    its contract lists the same columns.
-#}
{% macro driver_mart(indicators) %}

with

indicator_values as (

    select
        territory_code as comune_code,
        year,
        indicator_id,
        value
    from {{ ref('fct_indicator_value') }}
    where
        territory_level = 'comune'
        and indicator_id in (
            {%- for indicator_id, column_name in indicators %}
            '{{ indicator_id }}'{{ "," if not loop.last }}
            {%- endfor %}
        )

),

comuni as (

    select
        comune_code,
        comune_name,
        zona_code
    from {{ ref('dim_comune') }}

),

years as (

    select distinct year from indicator_values

),

final as (

    select
        comuni.comune_code,
        comuni.comune_name,
        comuni.zona_code,
        years.year,
        {%- for indicator_id, column_name in indicators %}
        max(indicator_values.value) filter (
            where indicator_values.indicator_id = '{{ indicator_id }}'
        ) as {{ column_name }}{{ "," if not loop.last }}
        {%- endfor %}
    from comuni
    cross join years
    left join indicator_values
        on
            comuni.comune_code = indicator_values.comune_code
            and years.year = indicator_values.year
    group by
        comuni.comune_code,
        comuni.comune_name,
        comuni.zona_code,
        years.year

)

select * from final

{% endmacro %}
