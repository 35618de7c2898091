{#-
    Fails for every combination of `combination_of_columns` that occurs more than once.
    A local stand-in for dbt_utils.unique_combination_of_columns (no packages offline).
-#}
{% test unique_combination(model, combination_of_columns) %}

with

grouped as (

    select
        {% for column in combination_of_columns -%}
        {{ column }},
        {% endfor -%}
        count(*) as row_count
    from {{ model }}
    group by
        {% for column in combination_of_columns -%}
        {{ column }}{{ "," if not loop.last }}
        {% endfor %}

)

select * from grouped
where row_count > 1

{% endtest %}
