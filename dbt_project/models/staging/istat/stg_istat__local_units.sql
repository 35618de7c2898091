with

source as (

    select * from {{ source('raw', 'istat__local_units') }}

),

renamed as (

    select

        ----------  ids
        ref_area as comune_code,
        cast(time_period as integer) as year,
        econ_activity_nace_2007 as ateco_code,
        case data_type
            when 'LU' then 'local_units'
            when 'LUEMPDAA' then 'employees'
        end as measure,

        ----------  strings
        case econ_activity_nace_2007
            when '0010' then 'All sectors'
            when '49' then 'Land transport and transport via pipelines'
            when '50' then 'Water transport'
            when '51' then 'Air transport'
            when '52' then 'Warehousing and support activities for transportation'
            when '53' then 'Postal and courier activities'
        end as ateco_description,
        data_type as measure_code,
        obs_status as observation_status,

        ----------  numerics
        -- Local units are whole counts, employees an annual average with two decimals.
        cast(obs_value as decimal(18, 2)) as measure_value,

        ----------  booleans
        econ_activity_nace_2007 = '0010' as is_all_sectors,
        econ_activity_nace_2007 in ('49', '50', '51', '52', '53') as is_transport_logistics,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256

    from source
    where
        freq = 'A'
        and pers_empl_size_class = 'TOTAL'
        and data_type in ('LU', 'LUEMPDAA')

),

deduplicated as (

    -- Defensive: keep one row per key, the one from the latest retrieval.
    select * from renamed
    qualify row_number() over (
        partition by comune_code, year, ateco_code, measure
        order by source_retrieval_id desc
    ) = 1

)

select * from deduplicated
