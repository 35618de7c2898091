{#-
    Fails for every non-null value of the column outside [min_value, max_value] (inclusive).
-#}
{% test accepted_range(model, column_name, min_value, max_value) %}

select {{ column_name }} as out_of_range_value
from {{ model }}
where
    {{ column_name }} is not null
    and (
        {{ column_name }} < {{ min_value }}
        or {{ column_name }} > {{ max_value }}
    )

{% endtest %}
