"""Declared table schemas: written once per dataset, enforced at parse time.

The same declaration types the raw table, documents its columns, names its key and is
what the validation suites and the dbt source docs are checked against.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import polars as pl

from ingestion.common.errors import SourceError

log = logging.getLogger(__name__)

LINEAGE_COLUMNS = ("_source", "_dataset", "_retrieval_id", "_sha256", "_partition")


def normalise_header(header: str) -> str:
    """Collapse whitespace and drop footnote markers such as ``(1)`` so headers compare."""
    text = re.sub(r"\(\d+\)", " ", header.replace("\ufeff", ""))
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass(frozen=True)
class Field:
    """One column: its raw-table name, type, meaning and the header the source uses."""

    name: str
    dtype: pl.DataType
    description: str
    source_name: str | None = None
    required: bool = True

    @property
    def header(self) -> str:
        return self.source_name or self.name


@dataclass(frozen=True)
class TableSchema:
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    # Columns the source is known to send that we do not keep (no drift warning for them).
    ignored: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {f.name: f.dtype for f in self.fields}

    def conform(self, frame: pl.DataFrame, *, source: str, dataset: str) -> pl.DataFrame:
        """Map source headers to declared columns, cast strictly, check the key.

        Missing required columns and values that do not fit their type are errors naming
        the column; unexpected columns are dropped with a warning (schema drift is visible
        without stopping a source that only added a column).
        """
        by_header = {normalise_header(c): c for c in frame.columns}
        missing = [
            f.header
            for f in self.fields
            if f.required and normalise_header(f.header) not in by_header
        ]
        if missing:
            raise SourceError(
                source,
                dataset,
                f"schema drift: missing column(s) {missing}; found {frame.columns}",
            )
        known = {normalise_header(h) for h in (*(f.header for f in self.fields), *self.ignored)}
        extra = [c for c in frame.columns if normalise_header(c) not in known]
        if extra:
            log.warning("%s/%s: ignoring unexpected column(s) %s", source, dataset, extra)
        columns = []
        originals = {}
        for f in self.fields:
            original = by_header.get(normalise_header(f.header))
            originals[f.name] = original or f.header
            if original is None:
                columns.append(pl.lit(None, dtype=f.dtype).alias(f.name))
            else:
                columns.append(pl.col(original).alias(f.name))
        renamed = frame.select(columns)
        out = {}
        for f in self.fields:
            column = renamed[f.name]
            try:
                out[f.name] = column.cast(f.dtype, strict=True)
            except pl.exceptions.InvalidOperationError as exc:
                bad = (
                    column.filter(
                        column.cast(f.dtype, strict=False).is_null() & column.is_not_null()
                    )
                    .head(3)
                    .to_list()
                )
                raise SourceError(
                    source,
                    dataset,
                    f"column {originals[f.name]!r}: value(s) {bad} are not {f.dtype}",
                ) from exc
        result = pl.DataFrame(out)
        if self.primary_key:
            duplicated = result.filter(result.select(self.primary_key).is_duplicated())
            if duplicated.height:
                sample = duplicated.select(self.primary_key).head(3).rows()
                raise SourceError(
                    source,
                    dataset,
                    f"{duplicated.height} rows share a key {self.primary_key}, e.g. {sample}",
                )
        return result
