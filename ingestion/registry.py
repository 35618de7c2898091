"""Every declared dataset, in dependency order. Orchestration builds its assets from this."""

from __future__ import annotations

from ingestion import afol, ats, cittametropolitana, energy, ispra, istat, lombardia
from ingestion.common.dataset import Dataset
from ingestion.common.filedrop import FileContract
from ingestion.ispra import soil_consumption

DATASETS: tuple[Dataset, ...] = (
    *istat.DATASETS,
    *lombardia.DATASETS,
    *ispra.DATASETS,
    *ats.DATASETS,
    *afol.DATASETS,
    *cittametropolitana.DATASETS,
    *energy.DATASETS,
)

# Datasets delivered as files into an inbox (``data/inbox/<source>/<dataset>/``).
CONTRACTS: tuple[FileContract, ...] = (
    *ats.CONTRACTS,
    *afol.CONTRACTS,
    *cittametropolitana.CONTRACTS,
    *energy.CONTRACTS,
    *soil_consumption.CONTRACTS,
)


def by_key(key: str) -> Dataset:
    for dataset in DATASETS:
        if dataset.key == key:
            return dataset
    raise KeyError(f"no dataset {key!r}; known: {[d.key for d in DATASETS]}")
