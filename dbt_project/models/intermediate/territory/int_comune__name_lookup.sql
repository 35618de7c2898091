-- The comuni of the Città metropolitana by normalised name, for sources that publish comune
-- names instead of ISTAT codes (ARPA stations, CENED certificates, pharmacies, hospitals).
-- Join on `comune_name_normalised` (see the macro normalise_comune_name).

with

comuni as (

    select * from {{ ref('stg_istat__comuni') }}
    where uts_code = '{{ var("cm_uts_code") }}'

),

final as (

    select
        {{ normalise_comune_name('comune_name') }} as comune_name_normalised,
        comune_code,
        comune_name
    from comuni

)

select * from final
