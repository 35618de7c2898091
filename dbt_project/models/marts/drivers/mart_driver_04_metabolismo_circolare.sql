-- Driver 4 Metabolismo circolare metropolitano: its comune-level indicators, one row per
-- comune and year.
{{ driver_mart([
    ('D04_01', 'd04_01_separate_collection_rate_pct'),
    ('D04_02', 'd04_02_municipal_waste_kg_per_resident'),
    ('D04_03', 'd04_03_unsorted_waste_kg_per_resident'),
]) }}
