-- D08_02a Unemployment rate aged 15-74 and D08_02b youth unemployment rate aged 15-24,
-- direct values by year: the rates ISTAT publishes for the province of Milano (labour force
-- survey, both sexes, annual average), taken as is. The survey is representative down to the
-- province only: one `cm` row per indicator and year, value = the rate, numerator = the rate
-- and denominator = 1 (as the catalogue defines them, multiplier 1).

with

labour_force as (

    select * from {{ ref('stg_istat__labour_force') }}
    -- ITC4C: the province of Milano (NUTS 2021), the code staging normalises to.
    where nuts3_code = 'ITC4C'

),

direct_values as (

    select
        case age_band
            when '15-74' then 'D08_02a'
            when '15-24' then 'D08_02b'
        end as indicator_id,
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        year,
        rate_pct as value,
        rate_pct as numerator,
        cast(1 as double) as denominator,
        source_retrieval_id as source_release
    from labour_force
    where
        indicator = 'unemployment_rate'
        and sex = 'T'
        and age_band in ('15-74', '15-24')
        and rate_pct is not null

)

select * from direct_values
