-- Driver 3 Sustain-Ability: its comune-level indicators, one row per comune and year.
{{ driver_mart([
    ('D03_01', 'd03_01_certificates_class_a_pct'),
    ('D03_02', 'd03_02_residential_ep_gl_nren_median_kwh_m2'),
    ('D03_03', 'd03_03_certificates_class_f_g_pct'),
    ('D03_04', 'd03_04_photovoltaic_kw_per_1000_residents'),
]) }}
