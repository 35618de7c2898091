with

source as (

    select * from {{ source('raw', 'istat__population') }}

),

renamed as (

    select

        ----------  ids
        ref_area as comune_code,
        cast(time_period as integer) as year,
        case sex
            when '1' then 'M'
            when '2' then 'F'
        end as sex,
        case
            when age = 'TOTAL' then null
            when age = 'Y_GE100' then 100
            else cast(substr(age, 2) as integer)
        end as age,

        ----------  booleans
        age = 'TOTAL' as is_all_ages,

        ----------  numerics
        cast(obs_value as bigint) as population,

        ----------  strings
        obs_status as observation_status,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256

    from source
    where
        data_type = 'JAN'
        and marital_status = '99'

),

deduplicated as (

    -- Defensive: keep one row per key, the one from the latest retrieval.
    select * from renamed
    qualify row_number() over (
        partition by comune_code, year, sex, age, is_all_ages
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
