"""ATS Città Metropolitana di Milano: files dropped in an inbox, checked against contracts."""

from ingestion.ats.contracts import CONTRACTS, DATASETS

__all__ = ["CONTRACTS", "DATASETS"]
