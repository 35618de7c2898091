"""Dagster definitions, assembled in ``definitions.py`` from factories over declared datasets."""
