"""Writing published tables: CSV (UTF-8, comma, header, ISO dates, ``.`` decimals) and Parquet.

Files are written into a staging folder and renamed into place, so a reader sees the
previous file or the new one, never a partial one.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import polars as pl

FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    byte_size: int
    sha256: str


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_table(frame: pl.DataFrame, directory: Path, name: str) -> list[WrittenFile]:
    """Write ``frame`` as ``<name>.csv`` and ``<name>.parquet`` in ``directory`` atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    token = uuid.uuid4().hex
    try:
        for fmt in FORMATS:
            final = directory / f"{name}.{fmt}"
            temporary = directory / f".{name}.{fmt}.{token}.tmp"
            if fmt == "csv":
                frame.write_csv(
                    temporary,
                    separator=",",
                    include_header=True,
                    datetime_format="%Y-%m-%dT%H:%M:%S",
                    date_format="%Y-%m-%d",
                )
            else:
                frame.write_parquet(temporary, compression="zstd", statistics=True)
            staged.append((temporary, final))
        written = []
        for temporary, final in staged:
            os.replace(temporary, final)
            written.append(WrittenFile(final, final.stat().st_size, _digest(final)))
        return written
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
