-- The 8 territories of level zona: the 7 zone omogenee plus the Comune di Milano.

with

zone as (

    select * from {{ ref('zona_omogenea') }}

),

comuni as (

    select * from {{ ref('dim_comune') }}

),

comuni_per_zona as (

    select
        zona_code,
        count(*) as comuni_count
    from comuni
    group by zona_code

),

final as (

    select
        zone.zona_code,
        zone.zona_name,
        cast(coalesce(comuni_per_zona.comuni_count, 0) as integer) as comuni_count,
        zone.sort_order
    from zone
    left join comuni_per_zona
        on zone.zona_code = comuni_per_zona.zona_code

)

select * from final
