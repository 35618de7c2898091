{{ config(meta={"dagster": {"ref": {"name": "indicator_catalogue"}}}) }}

-- Row-level coherence of the indicator catalogue. Returns one row per indicator and problem:
-- the id must be `<driver>_<nn>[a-z]` and start with its driver; a target value needs
-- `at_least`/`at_most`, a direction-only target (`increase`/`decrease`) has no value, a
-- target year needs a target; the target must agree with the polarity; a baseline needs its
-- year and a baseline or target its citation; the multiplier must match the unit.

with

catalogue as (

    select * from {{ ref('indicator_catalogue') }}

),

checks as (

    select
        indicator_id,
        case
            when not regexp_full_match(indicator_id, '^D(0[1-9]|10)_[0-9]{2}[a-z]?$')
                then 'indicator_id is not <driver>_<nn>[a-z]'
            when left(indicator_id, 3) != driver_id
                then 'indicator_id does not start with its driver_id'
            when target is not null and coalesce(target_direction, '') not in ('at_least', 'at_most')
                then 'target value without target_direction at_least or at_most'
            when target is null and target_direction in ('at_least', 'at_most')
                then 'target_direction at_least/at_most without a target value'
            when target_year is not null and target_direction is null
                then 'target_year without a target'
            when target_direction in ('at_least', 'increase') and polarity != 'higher_is_better'
                then 'target asks for more but polarity is not higher_is_better'
            when target_direction in ('at_most', 'decrease') and polarity != 'lower_is_better'
                then 'target asks for less but polarity is not lower_is_better'
            when (baseline is null) != (baseline_year is null)
                then 'baseline and baseline_year must be both set or both empty'
            when (baseline is not null or target_direction is not null) and citation is null
                then 'baseline or target without a citation'
            when
                multiplier != case
                    when unit = '%' and multiplier = 1 then 1  -- rates published as % (ISTAT labour force)
                    when unit in ('%', 'per 100') then 100
                    when unit in (
                        'per 1,000 residents', 'per 1,000 residents aged 14+',
                        'kW per 1,000 residents', 'kg per resident'
                    ) then 1000
                    when unit = 'per 10,000 residents' then 10000
                    when unit = 'per 50,000 residents' then 50000
                    when unit = 'per 100,000 residents' then 100000
                    else 1
                end
                then 'multiplier does not match the unit'
        end as problem
    from catalogue

)

select * from checks
where problem is not null
