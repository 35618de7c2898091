-- The indicator catalogue, typed.

with

catalogue as (

    select * from {{ ref('indicator_catalogue') }}

),

final as (

    select
        cast(indicator_id as varchar) as indicator_id,
        cast(driver_id as varchar) as driver_id,
        cast(name_it as varchar) as name_it,
        cast(name_en as varchar) as name_en,
        cast(definition as varchar) as definition,
        cast(formula as varchar) as formula,
        cast(unit as varchar) as unit,
        cast(multiplier as double) as multiplier,
        cast(polarity as varchar) as polarity,
        cast(source as varchar) as source,
        cast(frequency as varchar) as frequency,
        cast(finest_level as varchar) as finest_level,
        cast(baseline as double) as baseline,
        cast(target as double) as target,
        cast(target_year as integer) as target_year,
        cast(citation as varchar) as citation,
        cast(baseline_year as integer) as baseline_year,
        cast(target_direction as varchar) as target_direction
    from catalogue

)

select * from final
