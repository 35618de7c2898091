"""Landing parsed frames in schema ``raw`` with their lineage, atomically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from ingestion.common.archive import Retrieval
from ingestion.common.schema import LINEAGE_COLUMNS
from warehouse.duck import connect_write

RAW_SCHEMA = "raw"


@dataclass(frozen=True)
class RawTableState:
    retrieval_id: str | None
    row_count: int | None


def _state(con: duckdb.DuckDBPyConnection, table: str) -> RawTableState:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [RAW_SCHEMA, table],
    ).fetchone()[0]
    if not exists:
        return RawTableState(None, None)
    row = con.execute(
        f'select any_value(_retrieval_id), count(*) from {RAW_SCHEMA}."{table}"'
    ).fetchone()
    return RawTableState(row[0], row[1])


def raw_table_state(db_path: Path, table: str) -> RawTableState:
    """Which retrieval ``raw.<table>`` holds, so an unchanged source is not parsed again."""
    if not db_path.exists():
        return RawTableState(None, None)
    with connect_write(db_path) as con:
        return _state(con, table)


def load_raw_table(
    db_path: Path,
    table: str,
    frame: pl.DataFrame,
    *,
    source: str,
    dataset: str,
    retrieval: Retrieval,
) -> RawTableState:
    """Replace ``raw.<table>`` with ``frame`` plus lineage columns in one transaction.

    Readers see the old table or the new one, never a mix. Returns the previous state.
    """
    lineage = frame.with_columns(
        pl.lit(source).alias(LINEAGE_COLUMNS[0]),
        pl.lit(dataset).alias(LINEAGE_COLUMNS[1]),
        pl.lit(retrieval.retrieval_id).alias(LINEAGE_COLUMNS[2]),
        pl.lit(retrieval.sha256).alias(LINEAGE_COLUMNS[3]),
    )
    with connect_write(db_path) as con:
        previous = _state(con, table)
        con.execute(f"create schema if not exists {RAW_SCHEMA}")
        con.execute("begin transaction")
        try:
            con.register("incoming", lineage.to_arrow())
            con.execute(f'create or replace table {RAW_SCHEMA}."{table}" as select * from incoming')
            con.unregister("incoming")
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    return previous
