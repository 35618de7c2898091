-- D09_03 Resident population change over five years, components by comune and year:
-- numerator = residents on 1 January of the year - residents on 1 January five years earlier,
-- denominator = residents on 1 January five years earlier. The value,
-- 100 * numerator / denominator, is computed (and aggregated to zona and cm) in
-- fct_indicator_value. Only years whose year - 5 is in the population data have a row.
-- ISTAT gives the series on present boundaries (a merged comune, such as Vermezzo con Zelo
-- in 2019, under its present code), so the two years are compared by comune code.

with

residents as (

    select * from {{ ref('int_population__residents') }}

),

components as (

    select
        'D09_03' as indicator_id,
        current_year.comune_code,
        current_year.year,
        current_year.residents - five_years_earlier.residents as numerator,
        five_years_earlier.residents as denominator,
        greatest(
            current_year.source_retrieval_id, five_years_earlier.source_retrieval_id
        ) as source_release
    from residents as current_year
    inner join residents as five_years_earlier
        on
            current_year.comune_code = five_years_earlier.comune_code
            and current_year.year - 5 = five_years_earlier.year

)

select * from components
