-- D08_01 Employment rate aged 20-64, direct values by year: the rate ISTAT publishes for the
-- province of Milano (labour force survey, both sexes, annual average), taken as is. The
-- survey is representative down to the province only: one `cm` row per year, value = the
-- rate, numerator = the rate and denominator = 1 (as the catalogue defines it, multiplier 1).

with

labour_force as (

    select * from {{ ref('stg_istat__labour_force') }}
    -- ITC4C: the province of Milano (NUTS 2021), the code staging normalises to.
    where nuts3_code = 'ITC4C'

),

direct_values as (

    select
        'D08_01' as indicator_id,
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        year,
        rate_pct as value,
        rate_pct as numerator,
        cast(1 as double) as denominator,
        source_retrieval_id as source_release
    from labour_force
    where
        indicator = 'employment_rate'
        and sex = 'T'
        and age_band = '20-64'
        and rate_pct is not null

)

select * from direct_values
