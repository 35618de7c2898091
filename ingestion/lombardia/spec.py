"""A dati.lombardia.it dataset is a small spec; this module turns it into a ``Dataset``.

Every Socrata dataset is fetched, archived, probed and parsed the same way (``soda.py``);
what differs is the 4x4 id, the declared schema, the ``$where`` filter and whether it is
published by year. Adding a dataset is adding a ``SodaSpec``.

Bundled snapshots live in ``snapshot/<dataset>/`` (``snapshot/<dataset>/<year>/`` for
datasets published by year): ``view.json.gz`` and, per partition, ``page-00001.json.gz``
... and ``count.json.gz``, each with a ``*.request.json`` recording the real request
(URL, parameters) and the response headers the service sends with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ingestion.common.archive import Retrieval, StagedRetrieval
from ingestion.common.dataset import Dataset, FetchContext, SnapshotFile, Yearly
from ingestion.common.http import HttpClient
from ingestion.common.schema import TableSchema
from ingestion.lombardia import soda
from osservatorio.settings import Settings

SNAPSHOT_DIR = Path(__file__).parent / "snapshot"
# First year fetched in live mode for datasets published by year (the snapshot bundles
# its own years).
FIRST_YEAR = 2019
ENDPOINT = "lombardia"  # key of the base URL and pacing in Settings


@dataclass(frozen=True)
class SodaSpec:
    name: str
    view_id: str
    title: str
    description: str
    schema: TableSchema
    licence: str
    # A fixed filter (e.g. the province); ``None`` fetches every row.
    where: str | None = None
    # Set for datasets published by year: the floating timestamp that places a row in one.
    year_field: str | None = None
    first_year: int = FIRST_YEAR
    # Where the current year's rows live when it is not ``view_id`` (ARPA air data).
    current_view_id: str | None = None
    # A filter computed from archived datasets this one depends on (the air sensors).
    dynamic_where: Callable[[FetchContext], str] | None = None
    depends_on: tuple[str, ...] = ()

    def view_for(self, partition: str | None) -> str:
        if partition is not None and self.current_view_id and int(partition) >= soda.current_year():
            return self.current_view_id
        return self.view_id

    def where_for(self, ctx: FetchContext) -> str | None:
        year = None
        if self.year_field is not None:
            if ctx.partition is None:
                raise ValueError(f"{self.name} is published by year: a partition is needed")
            year = soda.year_window(self.year_field, int(ctx.partition))
        dynamic = self.dynamic_where(ctx) if self.dynamic_where else None
        return soda.all_of(self.where, dynamic, year)

    @property
    def snapshot_dir(self) -> Path:
        return SNAPSHOT_DIR / self.name


def client(settings: Settings) -> soda.SodaClient:
    """A client for the configured domain, with the app token if the environment has one."""
    http = HttpClient(
        soda.SOURCE, min_interval=settings.min_interval(ENDPOINT, soda.MIN_INTERVAL_S)
    )
    return soda.SodaClient(
        http,
        settings.base_url(ENDPOINT, soda.DEFAULT_BASE_URL),
        token=settings.socrata_app_token or soda.app_token(),
    )


def snapshot_files(directory: Path, shared: Path) -> list[SnapshotFile]:
    """The bundled payloads of one partition: the shared view, its pages, its count."""

    def item(path: Path) -> SnapshotFile:
        name = path.name.removesuffix(".gz")
        request = json.loads(
            path.with_name(name.removesuffix(".json") + ".request.json").read_text("utf-8")
        )
        return SnapshotFile(name, path, **request)

    pages = sorted(directory.glob("page-*.json.gz"))
    if not pages:
        raise FileNotFoundError(f"no bundled pages in {directory}")
    return [
        item(shared / f"{soda.VIEW_FILE}.gz"),
        *map(item, pages),
        item(directory / f"{soda.COUNT_FILE}.gz"),
    ]


def build(spec: SodaSpec) -> Dataset:
    """The ``Dataset`` of a spec: live fetch, probe, parse, snapshot and partitions."""

    def fetch(ctx: FetchContext, staged: StagedRetrieval) -> None:
        client(ctx.settings).retrieve(
            staged,
            dataset=spec.name,
            view_id=spec.view_for(ctx.partition),
            schema=spec.schema,
            where=spec.where_for(ctx),
        )

    def probe(ctx: FetchContext) -> dict[str, Any]:
        version = client(ctx.settings).version(spec.view_for(ctx.partition), dataset=spec.name)
        if spec.dynamic_where is not None:
            # The query follows another dataset (the sensors): a new query is a new version.
            version["where"] = spec.where_for(ctx)
        return version

    def parse(retrieval: Retrieval) -> pl.DataFrame:
        return soda.read_retrieval(retrieval, spec.schema, dataset=spec.name)

    def snapshot(partition: str | None = None) -> list[SnapshotFile]:
        directory = spec.snapshot_dir / partition if partition else spec.snapshot_dir
        return snapshot_files(directory, spec.snapshot_dir)

    def partitions(settings: Settings) -> list[str]:
        if settings.mode_for(soda.SOURCE) == "snapshot":
            return sorted(p.name for p in spec.snapshot_dir.iterdir() if p.name.isdigit())
        return [str(y) for y in range(spec.first_year, soda.current_year() + 1)]

    return Dataset(
        source=soda.SOURCE,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        schema=spec.schema,
        landing_url=soda.landing_url(spec.view_id),
        licence=spec.licence,
        fetch=fetch,
        parse=parse,
        snapshot=snapshot,
        depends_on=spec.depends_on,
        synthetic_snapshot=True,
        partitions=partitions if spec.year_field else None,
        yearly=Yearly(spec.first_year, current_year=True) if spec.year_field else None,
        probe=probe,
    )
