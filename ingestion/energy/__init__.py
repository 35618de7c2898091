"""Energy files per comune (photovoltaic plants, EV charging points), as file drops."""

from ingestion.energy.contracts import CONTRACTS, DATASETS

__all__ = ["CONTRACTS", "DATASETS"]
