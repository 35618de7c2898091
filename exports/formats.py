"""One published table as CSV, Parquet and JSON, with identical bytes for identical data.

The three files of a table hold the same values: rows sorted by the dataset's key (then by
every other column, so the order never depends on how the warehouse scanned the table),
non-finite floats (NaN, ±inf) published as null because JSON cannot carry them and they
mean "no value" in open data, dates and times as ISO 8601 text in CSV and JSON.

- CSV: UTF-8 without BOM, comma, header, ``\\n`` line ends, ``.`` decimals, null as an empty
  field (an empty string is written ``""``), booleans ``true``/``false``.
- JSON: an array of objects, one per line, keys in column order, numbers as numbers
  (decimals included), nulls as ``null``, UTF-8 (no ``\\u`` escapes for accented letters).
- Parquet: zstd, native types (dates stay dates). Polars writes the same bytes for the same
  frame (its footer names the Polars version, so an upgrade of Polars changes the bytes once).

Every file is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import decimal
import hashlib
import io
import json
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

FORMATS = ("csv", "parquet", "json")

DATE_FORMAT = "%Y-%m-%d"
# Fractional seconds only when there are some; offset as +01:00 (ISO 8601 extended form).
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.f"
DATETIME_TZ_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%:z"
TIME_FORMAT = "%H:%M:%S%.f"

_SCALAR_TYPES = (
    pl.Boolean,
    pl.Int8,
    pl.Int16,
    pl.Int32,
    pl.Int64,
    pl.Int128,
    pl.UInt8,
    pl.UInt16,
    pl.UInt32,
    pl.UInt64,
    pl.Float32,
    pl.Float64,
    pl.Decimal,
    pl.String,
    pl.Date,
    pl.Datetime,
    pl.Time,
)


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    byte_size: int
    sha256: str


def prepare(frame: pl.DataFrame, key: Sequence[str] | None) -> pl.DataFrame:
    """The frame as published: sorted by ``key`` then every other column, NaN as null.

    ``key=None`` keeps the frame's order (the caller sorted it). Raises ``ValueError`` when
    a key column is missing or the key does not identify rows (the changelog compares
    releases row by row on it), ``TypeError`` for a column no open format can carry flat.
    """
    columns = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Categorical | pl.Enum):
            columns.append(pl.col(name).cast(pl.String))
        elif dtype.is_float():
            columns.append(
                pl.when(pl.col(name).is_finite()).then(pl.col(name)).otherwise(None).alias(name)
            )
        elif isinstance(dtype, _SCALAR_TYPES) or dtype == pl.Null:
            columns.append(pl.col(name))
        else:
            raise TypeError(f"column {name!r} has type {dtype}, which CSV cannot carry")
    frame = frame.select(columns)
    if key is None:
        return frame
    missing = [column for column in key if column not in frame.columns]
    if missing:
        raise ValueError(f"key columns {missing} are not in the table ({frame.columns})")
    if key and frame.height and frame.select(key).is_duplicated().any():
        duplicates = frame.filter(frame.select(key).is_duplicated()).select(key).head(3)
        raise ValueError(f"key {list(key)} does not identify rows, e.g. {duplicates.rows()}")
    order = [*key, *(column for column in frame.columns if column not in key)]
    return frame.sort(order, nulls_last=True, maintain_order=True)


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates and times as ISO 8601 text, the same in CSV and JSON."""
    columns = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Date:
            columns.append(pl.col(name).dt.to_string(DATE_FORMAT))
        elif isinstance(dtype, pl.Datetime):
            fmt = DATETIME_TZ_FORMAT if dtype.time_zone else DATETIME_FORMAT
            columns.append(pl.col(name).dt.to_string(fmt))
        elif dtype == pl.Time:
            columns.append(pl.col(name).dt.to_string(TIME_FORMAT))
        else:
            columns.append(pl.col(name))
    return frame.select(columns)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The CSV text of an already prepared frame."""
    buffer = io.BytesIO()
    _as_text(frame).write_csv(
        buffer,
        separator=",",
        line_terminator="\n",
        include_header=True,
        include_bom=False,
        quote_style="necessary",
        null_value="",
    )
    return buffer.getvalue()


def _encoder(dtype: pl.DataType) -> Callable[[object], str]:
    if dtype == pl.Boolean:
        return lambda value: "true" if value else "false"
    if dtype.is_integer():
        return lambda value: str(int(value))  # type: ignore[call-overload]
    if dtype.is_float():
        # repr is the shortest text that reads back as the same double (0.1, 1e+20).
        return lambda value: repr(float(value))  # type: ignore[arg-type]
    if isinstance(dtype, pl.Decimal):
        return _decimal_text
    return lambda value: json.dumps(value, ensure_ascii=False)


def _decimal_text(value: object) -> str:
    assert isinstance(value, decimal.Decimal)
    if not value.is_finite():
        raise ValueError(f"decimal {value} has no JSON number")
    return str(value)


def json_bytes(frame: pl.DataFrame) -> bytes:
    """The JSON text of an already prepared frame: ``[`` one object per line ``]``."""
    text = _as_text(frame)
    names = [json.dumps(name, ensure_ascii=False) + ":" for name in text.columns]
    encoders = [_encoder(dtype) for dtype in text.dtypes]
    lines = []
    for row in text.iter_rows():
        fields = (
            name + ("null" if value is None else encode(value))
            for name, encode, value in zip(names, encoders, row, strict=True)
        )
        lines.append("{" + ",".join(fields) + "}")
    body = ",\n".join(lines)
    return ("[\n" + body + "\n]\n" if lines else "[]\n").encode("utf-8")


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    """The Parquet file (zstd, with column statistics) of an already prepared frame."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=True)
    return buffer.getvalue()


_WRITERS: dict[str, Callable[[pl.DataFrame], bytes]] = {
    "csv": csv_bytes,
    "parquet": parquet_bytes,
    "json": json_bytes,
}


def write_bytes_atomically(path: Path, content: bytes) -> WrittenFile:
    """Write ``content`` to ``path`` under a temporary name, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(content)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return WrittenFile(path, len(content), hashlib.sha256(content).hexdigest())


def write_formats(
    frame: pl.DataFrame,
    directory: Path,
    stem: str,
    key: Sequence[str] | None,
    formats: Sequence[str] = FORMATS,
) -> list[WrittenFile]:
    """Write ``frame`` as ``<stem>.<format>`` for each format, sorted by ``key``.

    Each file is complete or absent: it is written under a temporary name and renamed.
    """
    unknown = [fmt for fmt in formats if fmt not in _WRITERS]
    if unknown:
        raise ValueError(f"unknown formats {unknown}; known: {sorted(_WRITERS)}")
    published = prepare(frame, key)
    return [
        write_bytes_atomically(directory / f"{stem}.{fmt}", _WRITERS[fmt](published))
        for fmt in formats
    ]
