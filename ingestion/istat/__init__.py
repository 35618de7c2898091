"""ISTAT: the list of comuni (file download) and SDMX dataflows (esploradati REST API)."""

from ingestion.istat import (
    balance,
    comuni,
    foreign_residents,
    labour_force,
    local_units,
    population,
    road_accidents,
)

# The comuni list first: the comune-level dataflows read its archived copy for their keys.
DATASETS = (
    comuni.DATASET,
    population.DATASET,
    balance.DATASET,
    foreign_residents.DATASET,
    labour_force.DATASET,
    road_accidents.DATASET,
    local_units.DATASET,
)
