"""AFOL Metropolitana (employment centres, GOL): files dropped in an inbox, checked."""

from ingestion.afol.contracts import CONTRACTS, DATASETS

__all__ = ["CONTRACTS", "DATASETS"]
