-- Indicator values by territory and year.
-- Additive indicators (int_indicator__components_unioned, comune components): zona and cm
-- aggregates sum numerators and denominators, then take the ratio (never an average of comune
-- ratios); value = round(multiplier * numerator / denominator, 2), or multiplier * numerator
-- for a count (no denominator).
-- Other indicators (int_indicator__direct_values_unioned: medians, province-only rates,
-- station or employment-centre values) come with their value at each territory they cover.

with

components as (

    select * from {{ ref('int_indicator__components_unioned') }}

),

direct_values as (

    select * from {{ ref('int_indicator__direct_values_unioned') }}

),

comuni as (

    select * from {{ ref('dim_comune') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

comune_components as (

    -- Only the comuni of the Città metropolitana, each with its zona.
    select
        components.indicator_id,
        components.comune_code,
        comuni.zona_code,
        components.year,
        components.numerator,
        components.denominator,
        components.source_release
    from components
    inner join comuni
        on components.comune_code = comuni.comune_code

),

comune_level as (

    select
        indicator_id,
        'comune' as territory_level,
        comune_code as territory_code,
        year,
        numerator,
        denominator,
        source_release
    from comune_components

),

zona_level as (

    select
        indicator_id,
        'zona' as territory_level,
        zona_code as territory_code,
        year,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        string_agg(distinct source_release, ', ' order by source_release) as source_release
    from comune_components
    group by
        indicator_id,
        zona_code,
        year

),

cm_level as (

    select
        indicator_id,
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        year,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        string_agg(distinct source_release, ', ' order by source_release) as source_release
    from comune_components
    group by
        indicator_id,
        year

),

all_levels as (

    select * from comune_level
    union all
    select * from zona_level
    union all
    select * from cm_level

),

final as (

    select
        all_levels.indicator_id,
        all_levels.territory_level,
        all_levels.territory_code,
        all_levels.year,
        cast(
            round(
                case
                    when all_levels.denominator is null
                        then indicators.multiplier * all_levels.numerator
                    else indicators.multiplier * all_levels.numerator
                        / nullif(all_levels.denominator, 0)
                end,
                2
            ) as double
        ) as value,
        cast(all_levels.numerator as double) as numerator,
        cast(all_levels.denominator as double) as denominator,
        indicators.unit,
        all_levels.source_release
    from all_levels
    left join indicators
        on all_levels.indicator_id = indicators.indicator_id
    -- A comune with nothing to count (no school, no certificate that year) contributes 0 / 0
    -- so aggregates cover every comune, but has no value of its own to publish.
    where all_levels.denominator is distinct from 0

    union all

    select
        direct_values.indicator_id,
        direct_values.territory_level,
        direct_values.territory_code,
        direct_values.year,
        cast(round(direct_values.value, 2) as double) as value,
        direct_values.numerator,
        direct_values.denominator,
        indicators.unit,
        direct_values.source_release
    from direct_values
    left join indicators
        on direct_values.indicator_id = indicators.indicator_id

)

select * from final
