-- Driver 6 Tra produzione e logistica: its comune-level indicators, one row per comune and
-- year. D06_03 (contracts activated in transport) is published for the Città metropolitana
-- only: see fct_indicator_value.
{{ driver_mart([
    ('D06_01', 'd06_01_transport_employees_per_1000_residents'),
    ('D06_02', 'd06_02_transport_employees_share_pct'),
]) }}
