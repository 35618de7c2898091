-- Driver 5 Il diritto alla mobilità: its comune-level indicators, one row per comune and year.
{{ driver_mart([
    ('D05_01', 'd05_01_road_accidents_per_10000_residents'),
    ('D05_02', 'd05_02_road_casualties_per_10000_residents'),
    ('D05_03', 'd05_03_ev_charging_points_per_10000_residents'),
]) }}
