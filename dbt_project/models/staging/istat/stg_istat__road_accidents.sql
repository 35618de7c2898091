with

source as (

    select * from {{ source('raw', 'istat__road_accidents') }}

),

renamed as (

    select

        ----------  ids
        ref_area as comune_code,
        cast(time_period as integer) as year,
        case
            when data_type = 'ROADACC' and result = '9' then 'accidents_with_injuries'
            when data_type = 'KILLINJ' and result = 'M' then 'people_killed'
            when data_type = 'KILLINJ' and result = 'F' then 'people_injured'
        end as measure,

        ----------  strings
        data_type || '.' || result as measure_code,
        obs_status as observation_status,

        ----------  numerics
        cast(obs_value as bigint) as measure_value,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256

    from source
    where
        freq = 'A'
        and data_type || '.' || result in ('ROADACC.9', 'KILLINJ.M', 'KILLINJ.F')

),

deduplicated as (

    -- Defensive: keep one row per key, the one from the latest retrieval.
    select * from renamed
    qualify row_number() over (
        partition by comune_code, year, measure
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
