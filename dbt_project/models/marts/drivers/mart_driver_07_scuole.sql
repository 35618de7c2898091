-- Driver 7 Scuole avamposto di comunità: its comune-level indicators, one row per comune and
-- year.
{{ driver_mart([
    ('D07_01', 'd07_01_metropolitan_schools_count'),
    ('D07_02', 'd07_02_schools_ultra_broadband_pct'),
    ('D07_03', 'd07_03_school_certificates_class_a_b_pct'),
]) }}
