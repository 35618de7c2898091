"""ISPRA: the Catasto rifiuti (municipal waste per comune, one static CSV a year) and soil
consumption per comune (the spreadsheet ISPRA publishes, as a file drop)."""

from ingestion.ispra import soil_consumption, waste

DATASETS = (waste.DATASET, soil_consumption.DATASET)
