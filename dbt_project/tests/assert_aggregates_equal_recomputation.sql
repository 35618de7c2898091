{{ config(meta={"dagster": {"ref": {"name": "fct_indicator_value"}}}) }}

-- Every zona and cm value of an additive indicator (one built from comune components; not
-- medians or other direct values) equals its recomputation from the
-- published comune rows: multiplier * sum(numerator) / sum(denominator) over the comuni of
-- the territory (or multiplier * sum(numerator) for a count). Returns the rows that differ.

with

facts as (

    select * from {{ ref('fct_indicator_value') }}

),

comuni as (

    select * from {{ ref('dim_comune') }}

),

additive as (

    select distinct indicator_id from {{ ref('int_indicator__components_unioned') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

comune_rows as (

    select
        facts.indicator_id,
        facts.year,
        comuni.zona_code,
        facts.numerator,
        facts.denominator
    from facts
    inner join comuni
        on facts.territory_code = comuni.comune_code
    where
        facts.territory_level = 'comune'
        and facts.indicator_id in (select additive.indicator_id from additive)

),

recomputed as (

    select indicator_id, 'zona' as territory_level, zona_code as territory_code, year,
        sum(numerator) as numerator, sum(denominator) as denominator
    from comune_rows
    group by indicator_id, zona_code, year

    union all

    select indicator_id, 'cm' as territory_level, '{{ var("cm_uts_code") }}' as territory_code,
        year, sum(numerator) as numerator, sum(denominator) as denominator
    from comune_rows
    group by indicator_id, year

),

expected as (

    select
        recomputed.*,
        round(
            case
                when recomputed.denominator is null
                    then indicators.multiplier * recomputed.numerator
                else indicators.multiplier * recomputed.numerator
                    / nullif(recomputed.denominator, 0)
            end,
            2
        ) as expected_value
    from recomputed
    inner join indicators
        on recomputed.indicator_id = indicators.indicator_id

)

select
    facts.indicator_id,
    facts.territory_level,
    facts.territory_code,
    facts.year,
    facts.value,
    expected.expected_value
from facts
inner join expected
    on
        facts.indicator_id = expected.indicator_id
        and facts.territory_level = expected.territory_level
        and facts.territory_code = expected.territory_code
        and facts.year = expected.year
where abs(coalesce(facts.value, -1e300) - coalesce(expected.expected_value, -1e300)) > 0.005
