-- D03_02 Median non-renewable energy performance (EPgl,nren, kWh/m² year) of the residential
-- certificates filed in the year (DPR 412/1993 E.1(1) and E.1(2), dwellings). A median is
-- not additive: it is computed here over all the certificates of each territory - the comune,
-- the zona (all the certificates of its comuni) and the Città metropolitana - never from the
-- comune medians. A territory with no residential certificate in the year has no row.
-- Direct values: numerator and denominator are null.

with

certificates as (

    select * from {{ ref('int_energy_certificates__by_comune') }}

),

comuni as (

    select * from {{ ref('dim_comune') }}

),

dwellings as (

    select
        certificates.comune_code,
        comuni.zona_code,
        certificates.year,
        certificates.ep_gl_nren_kwh_m2,
        certificates.source_retrieval_id
    from certificates
    inner join comuni
        on certificates.comune_code = comuni.comune_code
    where
        certificates.is_dwelling
        and certificates.ep_gl_nren_kwh_m2 is not null

),

comune_level as (

    select
        'comune' as territory_level,
        comune_code as territory_code,
        year,
        median(ep_gl_nren_kwh_m2) as value,
        string_agg(distinct source_retrieval_id, ', ' order by source_retrieval_id)
            as source_release
    from dwellings
    group by
        comune_code,
        year

),

zona_level as (

    select
        'zona' as territory_level,
        zona_code as territory_code,
        year,
        median(ep_gl_nren_kwh_m2) as value,
        string_agg(distinct source_retrieval_id, ', ' order by source_retrieval_id)
            as source_release
    from dwellings
    group by
        zona_code,
        year

),

cm_level as (

    select
        'cm' as territory_level,
        '{{ var("cm_uts_code") }}' as territory_code,
        year,
        median(ep_gl_nren_kwh_m2) as value,
        string_agg(distinct source_retrieval_id, ', ' order by source_retrieval_id)
            as source_release
    from dwellings
    group by year

),

all_levels as (

    select * from comune_level
    union all
    select * from zona_level
    union all
    select * from cm_level

),

final as (

    select
        'D03_02' as indicator_id,
        territory_level,
        territory_code,
        year,
        cast(value as double) as value,
        cast(null as double) as numerator,
        cast(null as double) as denominator,
        source_release
    from all_levels

)

select * from final
