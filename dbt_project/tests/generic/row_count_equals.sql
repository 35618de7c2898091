{#-
    Fails (one row) when the model does not have exactly `expected` rows.
-#}
{% test row_count_equals(model, expected) %}

with

counted as (

    select count(*) as row_count
    from {{ model }}

)

select
    row_count,
    {{ expected }} as expected_row_count
from counted
where row_count != {{ expected }}

{% endtest %}
