-- Resident population by comune, year, sex and broad age band (0-14, 15-64, 65+),
-- summed from the single years of age only (never from the all-ages total rows).

with

population as (

    select * from {{ ref('stg_istat__population') }}

),

single_ages as (

    select
        comune_code,
        year,
        sex,
        case
            when age <= 14 then '0-14'
            when age <= 64 then '15-64'
            else '65+'
        end as age_band,
        population,
        source_retrieval_id
    from population
    where
        not is_all_ages
        and age is not null

),

banded as (

    select
        comune_code,
        year,
        sex,
        age_band,
        cast(sum(population) as bigint) as population,
        max(source_retrieval_id) as source_retrieval_id
    from single_ages
    group by
        comune_code,
        year,
        sex,
        age_band

)

select * from banded
