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


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, table],
        ).fetchone()[0]
    )


def _state(con: duckdb.DuckDBPyConnection, table: str, partition: str | None) -> RawTableState:
    if not _exists(con, table):
        return RawTableState(None, None)
    row = con.execute(
        f'select any_value(_retrieval_id), count(*) from {RAW_SCHEMA}."{table}" '
        "where _partition is not distinct from ?",
        [partition],
    ).fetchone()
    return RawTableState(row[0], row[1] if row[0] is not None else None)


def raw_table_state(db_path: Path, table: str, partition: str | None = None) -> RawTableState:
    """Which retrieval ``raw.<table>`` holds (for a partition), so unchanged data is skipped."""
    if not db_path.exists():
        return RawTableState(None, None)
    with connect_write(db_path) as con:
        return _state(con, table, partition)


def load_raw_table(
    db_path: Path,
    table: str,
    frame: pl.DataFrame,
    *,
    source: str,
    dataset: str,
    retrieval: Retrieval,
) -> RawTableState:
    """Replace ``raw.<table>`` (or one partition of it) with ``frame`` plus lineage columns.

    One transaction: readers see the old rows or the new ones, never a mix. Returns the
    state before the load.
    """
    partition = retrieval.partition
    lineage = frame.with_columns(
        pl.lit(source).alias(LINEAGE_COLUMNS[0]),
        pl.lit(dataset).alias(LINEAGE_COLUMNS[1]),
        pl.lit(retrieval.retrieval_id).alias(LINEAGE_COLUMNS[2]),
        pl.lit(retrieval.sha256).alias(LINEAGE_COLUMNS[3]),
        pl.lit(partition, dtype=pl.String).alias(LINEAGE_COLUMNS[4]),
    )
    name = f'{RAW_SCHEMA}."{table}"'
    with connect_write(db_path) as con:
        previous = _state(con, table, partition)
        con.execute(f"create schema if not exists {RAW_SCHEMA}")
        con.execute("begin transaction")
        try:
            con.register("incoming", lineage.to_arrow())
            if partition is None or not _exists(con, table):
                con.execute(f"create or replace table {name} as select * from incoming")
            else:
                con.execute(f"delete from {name} where _partition = ?", [partition])
                con.execute(f"insert into {name} by name select * from incoming")
            con.unregister("incoming")
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    return previous
