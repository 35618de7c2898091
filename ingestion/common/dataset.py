"""A dataset is declared once: how to fetch it live, where its snapshot is, how to parse it.

Orchestration builds one asset per declared dataset from these specs, so adding a dataset
is adding a spec, never copying an asset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ingestion.common.archive import RawArchive, Retrieval, StagedRetrieval
from ingestion.common.schema import TableSchema
from osservatorio.settings import Settings


@dataclass(frozen=True)
class SnapshotFile:
    """One bundled payload and the request that produces it from the real service."""

    name: str
    path: Path
    url: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


@dataclass(frozen=True)
class FetchContext:
    """What a live fetch may use: settings, the archive (to read what it depends on) and,
    for a dataset published by year, the partition being fetched."""

    settings: Settings
    archive: RawArchive
    partition: str | None = None


@dataclass(frozen=True)
class Yearly:
    """A dataset published by year: the first year the source holds and whether the current
    (incomplete) year is published as it goes (ARPA, labour contracts) or only once closed
    (ISPRA). The orchestrator turns this into yearly partitions."""

    first_year: int
    current_year: bool


@dataclass(frozen=True)
class Dataset:
    source: str
    name: str
    title: str
    description: str
    schema: TableSchema
    landing_url: str
    licence: str
    fetch: Callable[[FetchContext, StagedRetrieval], None]
    parse: Callable[[Retrieval], pl.DataFrame]
    # The bundled payloads of one partition (None for an unpartitioned dataset).
    snapshot: Callable[[str | None], list[SnapshotFile]]
    depends_on: tuple[str, ...] = ()
    synthetic_snapshot: bool = False
    # For datasets published by year: the partitions (years) available in a source mode.
    partitions: Callable[[Settings], list[str]] | None = None
    # The yearly calendar of a dataset published by year (set together with ``partitions``).
    yearly: Yearly | None = None
    # A cheap marker of the source's version (e.g. Socrata ``rowsUpdatedAt``): when it equals
    # the one recorded with the latest retrieval, nothing is fetched (incremental loads).
    probe: Callable[[FetchContext], dict[str, Any]] | None = None

    @property
    def table(self) -> str:
        """The raw table name: ``<source>__<dataset>`` in schema ``raw``."""
        return f"{self.source}__{self.name}"

    @property
    def key(self) -> str:
        return f"{self.source}/{self.name}"

    def partition_keys(self, settings: Settings) -> list[str | None]:
        """Every partition to ingest, or ``[None]`` for an unpartitioned dataset."""
        return list(self.partitions(settings)) if self.partitions else [None]
