-- Energy performance certificates (CENED) with the ISTAT code of their comune and the year
-- they were filed: the shared input of D03_01, D03_02 and D03_03. CENED gives the comune by
-- name; names are matched on their normalised spelling to the comuni of the Città
-- metropolitana (int_comune__name_lookup), and certificates whose name matches none are left
-- out. `is_dwelling` marks the residential certificates of D03_02 (DPR 412/1993 E.1(1) and
-- E.1(2)); hotels and boarding houses (E.1(3)) are not dwellings.

with

certificates as (

    select * from {{ ref('stg_lombardia__energy_certificates') }}

),

comune_names as (

    select * from {{ ref('int_comune__name_lookup') }}

),

final as (

    select
        certificates.certificate_id,
        comune_names.comune_code,
        cast(year(certificates.issued_on) as integer) as year,
        certificates.use_category_code,
        certificates.use_category_code in ('E.1(1)', 'E.1(2)') as is_dwelling,
        certificates.energy_class,
        certificates.ep_gl_nren_kwh_m2,
        certificates.issued_on,
        certificates.source_retrieval_id
    from certificates
    inner join comune_names
        on certificates.comune_name_normalised = comune_names.comune_name_normalised

)

select * from final
