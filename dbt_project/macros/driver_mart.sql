{#-
    A driver's wide mart from fct_indicator_value, one column per indicator.
    - level 'comune' (default): one row per comune of the Città metropolitana and year.
    - level 'cm': one row per year for the Città metropolitana as a whole, for drivers whose
      sources publish only the province (D08: ISTAT labour force, comunicazioni obbligatorie).
    `indicators` is a list of (indicator_id, column_name) pairs, written out in each mart so
    its contract lists the same columns.
-#}
{% macro driver_mart(indicators, level='comune') %}

with

indicator_values as (

    select
        territory_code,
        year,
        indicator_id,
        value
    from {{ ref('fct_indicator_value') }}
    where
        territory_level = '{{ level }}'
        and indicator_id in (
            {%- for indicator_id, column_name in indicators %}
            '{{ indicator_id }}'{{ "," if not loop.last }}
            {%- endfor %}
        )

),

{% if level == 'comune' %}
territories as (

    select
        comune_code,
        comune_name,
        zona_code
    from {{ ref('dim_comune') }}

),
{% endif %}

years as (

    select distinct year from indicator_values

),

final as (

    select
        {%- if level == 'comune' %}
        territories.comune_code,
        territories.comune_name,
        territories.zona_code,
        {%- else %}
        '{{ var("cm_uts_code") }}' as territory_code,
        {%- endif %}
        years.year,
        {%- for indicator_id, column_name in indicators %}
        max(indicator_values.value) filter (
            where indicator_values.indicator_id = '{{ indicator_id }}'
        ) as {{ column_name }}{{ "," if not loop.last }}
        {%- endfor %}
    {%- if level == 'comune' %}
    from territories
    cross join years
    left join indicator_values
        on
            territories.comune_code = indicator_values.territory_code
            and years.year = indicator_values.year
    group by
        territories.comune_code,
        territories.comune_name,
        territories.zona_code,
        years.year
    {%- else %}
    from years
    left join indicator_values
        on years.year = indicator_values.year
    group by years.year
    {%- endif %}

)

select * from final

{% endmacro %}
