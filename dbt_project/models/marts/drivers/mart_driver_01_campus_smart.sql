-- Driver 1 Campus Metropolitano Smart: its comune-level indicators, one row per comune and
-- year (D01_03 has no source yet and is not published).
{{ driver_mart([
    ('D01_01', 'd01_01_fibre_network_joined_pct'),
    ('D01_02', 'd01_02_active_5g_sites'),
]) }}
