with

source as (

    select * from {{ source('raw', 'istat__labour_force') }}

),

renamed as (

    select

        ----------  ids
        ref_area as nuts3_code,
        case data_type
            when 'EMP_R' then 'employment_rate'
            when 'UNEM_R' then 'unemployment_rate'
        end as indicator,
        case sex
            when '1' then 'M'
            when '2' then 'F'
            when '9' then 'T'
        end as sex,
        -- `Y20-64` -> `20-64`
        substr(age, 2) as age_band,
        cast(time_period as integer) as year,

        ----------  strings
        ref_area_published as nuts3_code_published,
        data_type as indicator_code,
        obs_status as observation_status,

        ----------  numerics
        cast(split_part(substr(age, 2), '-', 1) as integer) as age_from,
        cast(split_part(substr(age, 2), '-', 2) as integer) as age_to,
        cast(obs_value as double) as rate_pct,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256

    from source
    where
        freq = 'A'
        and edu_lev_highest = '99'
        and citizenship = 'TOTAL'
        and coalesce(duration_unemployment, 'TOTAL') = 'TOTAL'

),

deduplicated as (

    -- Defensive: keep one row per key, the one from the latest retrieval (and, within one
    -- retrieval, the row ISTAT published under the NUTS 2021 code).
    select * from renamed
    qualify row_number() over (
        partition by nuts3_code, indicator, sex, age_band, year
        order by source_retrieval_id desc, (nuts3_code_published = nuts3_code) desc
    ) = 1

)

select * from deduplicated
