{{ config(meta={"dagster": {"ref": {"name": "int_population__age_bands"}}}) }}

-- For every comune, year and sex, the three age bands (summed from single years of age)
-- must add up to ISTAT's all-ages total row. Returns the rows that do not.

with

bands as (

    select
        comune_code,
        year,
        sex,
        sum(population) as banded_population
    from {{ ref('int_population__age_bands') }}
    group by
        comune_code,
        year,
        sex

),

totals as (

    select
        comune_code,
        year,
        sex,
        population as total_population
    from {{ ref('stg_istat__population') }}
    where is_all_ages

),

compared as (

    select
        coalesce(bands.comune_code, totals.comune_code) as comune_code,
        coalesce(bands.year, totals.year) as year,
        coalesce(bands.sex, totals.sex) as sex,
        bands.banded_population,
        totals.total_population
    from bands
    full outer join totals
        on
            bands.comune_code = totals.comune_code
            and bands.year = totals.year
            and bands.sex = totals.sex

)

select * from compared
where banded_population is distinct from total_population
