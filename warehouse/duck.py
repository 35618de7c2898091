"""Connections to the DuckDB warehouse, with one writer at a time.

DuckDB allows a single writing process per file; a file lock beside the database makes
concurrent writers (a UI run beside ``make run``) wait instead of failing half-way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from filelock import FileLock

WRITE_LOCK_TIMEOUT_S = 600


def write_lock(db_path: Path) -> FileLock:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(db_path) + ".lock", timeout=WRITE_LOCK_TIMEOUT_S)


@contextmanager
def connect_write(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection held under the warehouse's write lock."""
    with write_lock(db_path):
        con = duckdb.connect(str(db_path))
        try:
            yield con
        finally:
            con.close()


@contextmanager
def connect_read(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection (many readers may hold one at once)."""
    if not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: run `make run` first")
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        yield con
    finally:
        con.close()
