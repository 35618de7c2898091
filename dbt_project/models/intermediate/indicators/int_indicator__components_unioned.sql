-- Comune-level components (numerator and denominator) of every indicator, one row per
-- indicator, comune and year. To publish a new ratio indicator: add a model producing
-- indicator_id, comune_code, year, numerator, denominator, source_release, list it below,
-- and add its row to the indicator_catalogue seed.

{%- set indicator_models = [
    ref('int_indicator__d01_01_fibre_network_comuni'),
    ref('int_indicator__d01_02_active_5g_sites'),
    ref('int_indicator__d02_01_consumed_soil'),
    ref('int_indicator__d02_02_net_soil_consumption'),
    ref('int_indicator__d03_01_certificates_class_a'),
    ref('int_indicator__d03_03_certificates_class_f_g'),
    ref('int_indicator__d03_04_photovoltaic_power'),
    ref('int_indicator__d04_01_separate_collection_rate'),
    ref('int_indicator__d04_02_municipal_waste_per_resident'),
    ref('int_indicator__d04_03_unsorted_waste_per_resident'),
    ref('int_indicator__d05_01_road_accidents'),
    ref('int_indicator__d05_02_road_casualties'),
    ref('int_indicator__d05_03_ev_charging_points'),
    ref('int_indicator__d06_01_transport_employees_per_resident'),
    ref('int_indicator__d06_02_transport_employees_share'),
    ref('int_indicator__d07_01_metropolitan_schools'),
    ref('int_indicator__d07_02_schools_ultra_broadband'),
    ref('int_indicator__d07_03_school_certificates_a1_b'),
    ref('int_indicator__d09_01_pre_1976_residential_certificates'),
    ref('int_indicator__d09_02_moderate_rent_student_beds'),
    ref('int_indicator__d09_03_population_change_5y'),
    ref('int_indicator__d10_01_community_house_hubs'),
    ref('int_indicator__d10_02_community_hospital_beds'),
    ref('int_indicator__d10_03_general_practitioners'),
    ref('int_indicator__d10_07_pharmacies'),
    ref('int_indicator__d10_06_old_age_index'),
] %}

with

unioned as (

    {% for indicator_model in indicator_models %}
    select
        indicator_id,
        comune_code,
        cast(year as integer) as year,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        source_release
    from {{ indicator_model }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unioned
