-- D07_01 Upper secondary schools of the Città metropolitana, components by comune: numerator
-- = schools in the registry in the comune, denominator null (a count: zona and cm = sum over
-- their comuni), as of the file's reference date. The registry is a snapshot, not a
-- history, so the only year is the year of its reference date. Every comune of the Città
-- metropolitana gets a row (0 where there is no school), so the sums cover all comuni.

with

schools as (

    select * from {{ ref('stg_cittametropolitana__schools') }}

),

comuni as (

    select * from {{ ref('stg_istat__comuni') }}
    where uts_code = '{{ var("cm_uts_code") }}'

),

registry as (

    select
        cast(year(max(reference_date)) as integer) as year,
        max(source_retrieval_id) as source_retrieval_id
    from schools

),

schools_by_comune as (

    select
        comune_code,
        count(*) as schools
    from schools
    group by comune_code

),

components as (

    select
        'D07_01' as indicator_id,
        comuni.comune_code,
        registry.year,
        cast(coalesce(schools_by_comune.schools, 0) as bigint) as numerator,
        cast(null as bigint) as denominator,
        registry.source_retrieval_id as source_release
    from comuni
    cross join registry
    left join schools_by_comune
        on comuni.comune_code = schools_by_comune.comune_code
    where registry.year is not null

)

select * from components
