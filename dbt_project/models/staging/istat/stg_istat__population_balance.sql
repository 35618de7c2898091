with

source as (

    select * from {{ source('raw', 'istat__population_balance') }}

),

renamed as (

    select

        ----------  ids
        ref_area as comune_code,
        cast(time_period as integer) as year,
        case data_type
            when 'LBIRTH' then 'live_births'
            when 'DEATH' then 'deaths'
            when 'REGM' then 'registrations_from_other_comuni'
            when 'REGOTHC' then 'registrations_from_abroad'
            when 'REGOTHREAS' then 'registrations_for_other_reasons'
            when 'DEREGM' then 'cancellations_to_other_comuni'
            when 'DEREGOTHC' then 'cancellations_to_abroad'
            when 'DEROTHREAS' then 'cancellations_for_other_reasons'
        end as event,

        ----------  strings
        data_type as event_code,
        obs_status as observation_status,

        ----------  numerics
        case
            when data_type in ('LBIRTH', 'REGM', 'REGOTHC', 'REGOTHREAS') then 1
            when data_type in ('DEATH', 'DEREGM', 'DEREGOTHC', 'DEROTHREAS') then -1
        end as population_sign,
        cast(obs_value as bigint) as event_count,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256

    from source
    where
        freq = 'A'
        and sex = '9'

),

deduplicated as (

    -- Defensive: keep one row per key, the one from the latest retrieval.
    select * from renamed
    qualify row_number() over (
        partition by comune_code, year, event_code
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
