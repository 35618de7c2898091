-- Driver 2 Politiche verdi e blu: its comune-level indicators, one row per comune and year
-- (D02_03 has no source yet and is not published).
{{ driver_mart([
    ('D02_01', 'd02_01_consumed_soil_pct'),
    ('D02_02', 'd02_02_net_soil_consumption_ha'),
]) }}
