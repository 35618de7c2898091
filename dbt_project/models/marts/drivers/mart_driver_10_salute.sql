-- Driver 10 Sistema salute territorio: its comune-level indicators, one row per comune and
-- year. The air-quality indicators (D10_04, D10_05a, D10_05b) are published per ARPA station
-- and for the Città metropolitana, not per comune: they are in fct_indicator_value only.
{{ driver_mart([
    ('D10_01', 'd10_01_community_house_hubs_per_50k'),
    ('D10_02', 'd10_02_community_hospital_beds_per_100k'),
    ('D10_03', 'd10_03_general_practitioners_per_1000_aged_14_plus'),
    ('D10_06', 'd10_06_old_age_index'),
    ('D10_07', 'd10_07_pharmacies_per_10k'),
]) }}
