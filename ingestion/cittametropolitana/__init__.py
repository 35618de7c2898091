"""The Città metropolitana's own registries (fibre, 5G, schools, student housing) as file drops."""

from ingestion.cittametropolitana.contracts import CONTRACTS, DATASETS

__all__ = ["CONTRACTS", "DATASETS"]
