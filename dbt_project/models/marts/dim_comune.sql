-- The 133 comuni of the Città metropolitana di Milano with their zona omogenea.

with

comuni as (

    select * from {{ ref('stg_istat__comuni') }}
    where uts_code = '{{ var("cm_uts_code") }}'

),

zone_membership as (

    select * from {{ ref('zone_omogenee') }}

),

zone as (

    select * from {{ ref('zona_omogenea') }}

),

final as (

    select
        comuni.comune_code,
        comuni.comune_name,
        zone.zona_code,
        zone.zona_name,
        comuni.cadastral_code,
        comuni.nuts3_code,
        comuni.historic_province_code,
        comuni.is_capital
    from comuni
    left join zone_membership
        on comuni.comune_code = zone_membership.istat_code
    left join zone
        on zone_membership.zona_omogenea = zone.zona_name

)

select * from final
