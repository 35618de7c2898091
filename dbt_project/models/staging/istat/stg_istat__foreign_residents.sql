with

source as (

    select * from {{ source('raw', 'istat__foreign_residents') }}

),

renamed as (

    select

        ----------  ids
        ref_area as comune_code,
        cast(time_period as integer) as year,
        case sex
            when '1' then 'M'
            when '2' then 'F'
            when '9' then 'T'
        end as sex,

        ----------  strings
        obs_status as observation_status,

        ----------  numerics
        cast(obs_value as bigint) as foreign_residents,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256

    from source
    where
        freq = 'A'
        and data_type = 'JAN'
        and age = 'TOTAL'

),

deduplicated as (

    -- Defensive: keep one row per key, the one from the latest retrieval.
    select * from renamed
    qualify row_number() over (
        partition by comune_code, year, sex
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
