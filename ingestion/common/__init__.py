"""Mechanisms every source shares: HTTP, the raw archive, schemas, declared datasets."""
