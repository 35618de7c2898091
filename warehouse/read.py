"""Read access to the published warehouse, for analysts and for the command line."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from osservatorio.settings import Settings
from warehouse.duck import connect_read


def published_path(settings: Settings | None = None) -> Path:
    """The read-only DuckDB file analysts query (replaced whole after each checked build)."""
    return (settings or Settings.from_env()).published_warehouse_path


def query(sql: str, settings: Settings | None = None) -> pl.DataFrame:
    """Run one query on the published warehouse, read-only: it can never change it."""
    with connect_read(published_path(settings)) as con:
        return pl.from_arrow(con.sql(sql).to_arrow_table())
