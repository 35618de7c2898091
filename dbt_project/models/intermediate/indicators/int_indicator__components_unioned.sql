-- Comune-level components (numerator and denominator) of every indicator, one row per
-- indicator, comune and year. To publish a new ratio indicator: add a model producing
-- indicator_id, comune_code, year, numerator, denominator, source_release, list it below,
-- and add its row to the indicator_catalogue seed.

{%- set indicator_models = [
    ref('int_indicator__d10_06_old_age_index'),
] %}

with

unioned as (

    {% for indicator_model in indicator_models %}
    select
        indicator_id,
        comune_code,
        year,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        source_release
    from {{ indicator_model }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unioned
