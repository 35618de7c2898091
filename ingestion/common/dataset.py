"""A dataset is declared once: how to fetch it live, where its snapshot is, how to parse it.

Orchestration builds one asset per declared dataset from these specs, so adding a dataset
is adding a spec, never copying an asset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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
    """What a live fetch may use: settings and the archive (to read what it depends on)."""

    settings: Settings
    archive: RawArchive


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
    snapshot: Callable[[], list[SnapshotFile]]
    depends_on: tuple[str, ...] = ()
    synthetic_snapshot: bool = False

    @property
    def table(self) -> str:
        """The raw table name: ``<source>__<dataset>`` in schema ``raw``."""
        return f"{self.source}__{self.name}"

    @property
    def key(self) -> str:
        return f"{self.source}/{self.name}"
