with

source as (

    select * from {{ source('raw', 'lombardia__energy_certificates') }}

),

renamed as (

    select

        ----------  ids
        cod_ape as certificate_id,

        ----------  strings
        comune as comune_name,
        {{ normalise_comune_name('comune') }}
            as comune_name_normalised,
        provincia as province_code,
        classificazione_dpr as use_category_code,
        case classificazione_dpr
            when 'E.1(1)' then 'Dwellings used all year'
            when 'E.1(2)' then 'Dwellings used occasionally'
            when 'E.1(3)' then 'Hotels and boarding houses'
            when 'E.2' then 'Offices'
            when 'E.3' then 'Hospitals and clinics'
            when 'E.4' then 'Leisure and worship'
            when 'E.5' then 'Commerce'
            when 'E.6' then 'Sport'
            when 'E.7' then 'Schools'
            when 'E.8' then 'Industry and crafts'
        end as use_category,
        upper(trim(classe_energetica)) as energy_class,
        zona_climatica as climate_zone,

        ----------  numerics
        case upper(trim(classe_energetica))
            when 'A4' then 1
            when 'A3' then 2
            when 'A2' then 3
            when 'A1' then 4
            when 'B' then 5
            when 'C' then 6
            when 'D' then 7
            when 'E' then 8
            when 'F' then 9
            when 'G' then 10
        end as energy_class_rank,
        cast(ep_gl_nren as double) as ep_gl_nren_kwh_m2,
        cast(ep_gl_ren as double) as ep_gl_ren_kwh_m2,
        cast(anno_costruzione as integer) as construction_year,
        cast(superf_utile_riscaldata as double) as heated_floor_area_m2,

        ----------  booleans
        classificazione_dpr in ('E.1(1)', 'E.1(2)') as is_residential,

        ----------  dates
        cast(data_ins as date) as issued_on,

        ----------  lineage
        _retrieval_id as source_retrieval_id,
        _sha256 as source_sha256,
        _partition as source_partition

    from source

),

deduplicated as (

    -- Defensive: keep one row per certificate, from the latest retrieval (a certificate
    -- whose issue date moved to another year can be in two partitions).
    select * from renamed
    qualify row_number() over (
        partition by certificate_id
        order by source_retrieval_id desc, issued_on desc
    ) = 1

)

select * from deduplicated
