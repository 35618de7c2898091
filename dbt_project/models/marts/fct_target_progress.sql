-- Progress towards the plan's targets, for the Città metropolitana as a whole: for every
-- indicator with a target (a value, or a direction such as "increase"), the latest value,
-- the distance still to go, and whether the trend since the baseline goes the right way.
--
-- The reference point of the trend is the catalogue's baseline when it has one (the plan's
-- figure, e.g. 70 comuni in the fibre network), else the first year observed.

with

indicators as (

    select * from {{ ref('dim_indicator') }}
    where target is not null or target_direction is not null

),

metropolitan_values as (

    select
        indicator_id,
        year,
        value
    from {{ ref('fct_indicator_value') }}
    where territory_level = 'cm'

),

ranked as (

    select
        indicator_id,
        year,
        value,
        row_number() over (partition by indicator_id order by year desc) as recency,
        row_number() over (partition by indicator_id order by year asc) as seniority
    from metropolitan_values
    where value is not null

),

latest as (

    select indicator_id, year as latest_year, value as latest_value
    from ranked
    where recency = 1

),

first_observed as (

    select indicator_id, year as first_year, value as first_value
    from ranked
    where seniority = 1

),

joined as (

    select
        indicators.indicator_id,
        indicators.driver_id,
        indicators.unit,
        indicators.polarity,
        indicators.target,
        indicators.target_direction,
        indicators.target_year,
        coalesce(indicators.baseline, first_observed.first_value) as reference_value,
        case
            when indicators.baseline is not null then indicators.baseline_year
            else first_observed.first_year
        end as reference_year,
        indicators.baseline is not null as is_reference_from_plan,
        latest.latest_year,
        latest.latest_value
    from indicators
    left join latest
        on indicators.indicator_id = latest.indicator_id
    left join first_observed
        on indicators.indicator_id = first_observed.indicator_id

),

-- Which way is "better": the target's direction first, else the indicator's polarity.
oriented as (

    select
        *,
        case
            when target_direction in ('at_least', 'increase') then 1
            when target_direction in ('at_most', 'decrease') then -1
            when polarity = 'higher_is_better' then 1
            when polarity = 'lower_is_better' then -1
            else 0
        end as better_sign
    from joined

),

final as (

    select
        indicator_id,
        driver_id,
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        unit,
        reference_year,
        reference_value,
        is_reference_from_plan,
        latest_year,
        latest_value,
        target,
        target_direction,
        target_year,
        -- Still to go, in `unit`: positive while the target is not reached, 0 once it is.
        case
            when target is null or latest_value is null then null
            when target_direction = 'at_most' then greatest(latest_value - target, 0)
            else greatest(target - latest_value, 0)
        end as distance_to_target,
        case
            when latest_value is null then null
            when target_direction = 'at_least' then latest_value >= target
            when target_direction = 'at_most' then latest_value <= target
            when target_direction = 'increase' then latest_value > reference_value
            when target_direction = 'decrease' then latest_value < reference_value
        end as is_target_met,
        case
            when latest_value is null or reference_value is null then null
            when latest_value > reference_value then 'up'
            when latest_value < reference_value then 'down'
            else 'flat'
        end as trend,
        case
            when latest_value is null or reference_value is null or better_sign = 0 then null
            else sign(latest_value - reference_value) * better_sign > 0
        end as is_trend_right_direction
    from oriented

)

select * from final
