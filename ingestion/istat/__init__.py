"""ISTAT: the list of comuni (file download) and SDMX dataflows (esploradati REST API)."""

from ingestion.istat import comuni, population

DATASETS = (comuni.DATASET, population.DATASET)
