"""Writing one table as CSV and Parquet beside other exports (per-indicator files).

Kept for ``exports.indicators``; the formats themselves live in ``exports.formats`` so the
per-indicator files and the releases write the same bytes for the same data.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from exports.formats import WrittenFile, write_formats

FORMATS = ("csv", "parquet")

__all__ = ["FORMATS", "WrittenFile", "write_table"]


def write_table(frame: pl.DataFrame, directory: Path, name: str) -> list[WrittenFile]:
    """Write ``frame`` as ``<name>.csv`` and ``<name>.parquet`` in ``directory`` atomically.

    The frame's row order is kept: callers read it with an ``order by``.
    """
    return write_formats(frame, directory, name, key=None, formats=FORMATS)
