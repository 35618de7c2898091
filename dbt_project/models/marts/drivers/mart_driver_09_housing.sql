-- Driver 9 Ri-generation Housing: its comune-level indicators, one row per comune and year.
{{ driver_mart([
    ('D09_01', 'd09_01_pre_1976_residential_certificates_pct'),
    ('D09_02', 'd09_02_moderate_rent_student_beds'),
    ('D09_03', 'd09_03_population_change_5y_pct'),
]) }}
