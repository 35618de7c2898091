"""What the ISTAT SDMX datasets share: building the client, the comuni in the key, fetching
one or more answers into a retrieval, reading them back, and the bundled snapshot files.

Each dataset module declares its dataflow, the DSD key order it assumes (checked against the
published data structure before any data request, so a reordered or renamed DSD is a clear
schema-drift error instead of a silently wrong key) and the codes it selects by dimension
name; everything else is here, written once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestion.common.archive import Retrieval, StagedRetrieval
from ingestion.common.dataset import Dataset, FetchContext, SnapshotFile
from ingestion.common.errors import NoRecordsFound, SourceError
from ingestion.common.http import HttpClient
from ingestion.common.ingest import extract
from ingestion.common.schema import Field, TableSchema
from ingestion.istat import comuni, sdmx

log = logging.getLogger(__name__)
S = pl.String

SOURCE = sdmx.SOURCE
SNAPSHOT_DIR = Path(__file__).parent / "snapshot"
# The first year every comune-level dataset asks for (the bundled snapshots start there).
START_YEAR = 2019


@dataclass(frozen=True)
class Payload:
    """One SDMX data request of a dataset and the file name its answer is archived under.

    ``may_be_empty``: a 404 ``NoRecordsFound`` for this request is not an error (one chunk of
    a query split in several), as long as some request of the retrieval found data.
    """

    name: str
    flow: str
    dimensions: tuple[str, ...]
    key: str
    period: sdmx.PeriodBounds
    may_be_empty: bool = False


def client(ctx: FetchContext) -> sdmx.SdmxClient:
    """The SDMX client of a live fetch: paced for ISTAT's 5 requests a minute, structures cached."""
    http = HttpClient(
        SOURCE, min_interval=ctx.settings.min_interval("istat_sdmx", sdmx.MIN_INTERVAL_S)
    )
    return sdmx.SdmxClient(
        http,
        ctx.settings.base_url("istat_sdmx", sdmx.DEFAULT_BASE_URL),
        cache_dir=ctx.settings.data_dir / "cache" / "istat",
    )


def metropolitan_codes(ctx: FetchContext, dataset: str) -> list[str]:
    """The comuni of the Città metropolitana, from the archived comuni list (so the query
    follows the territory ISTAT publishes)."""
    latest = ctx.archive.latest(comuni.SOURCE, comuni.NAME)
    if latest is None:
        raise SourceError(SOURCE, dataset, "the comuni list must be in the archive first")
    return comuni.metropolitan_codes(extract(comuni.DATASET, latest))


def fetch(
    ctx: FetchContext, staged: StagedRetrieval, dataset: str, payloads: Sequence[Payload]
) -> None:
    """Check each dataflow's key order, then fetch every payload into ``staged``."""
    sdmx_client = client(ctx)
    fetch_with(sdmx_client, staged, dataset, payloads)


def fetch_with(
    sdmx_client: sdmx.SdmxClient,
    staged: StagedRetrieval,
    dataset: str,
    payloads: Sequence[Payload],
) -> None:
    checked: set[str] = set()
    for payload in payloads:
        if payload.flow not in checked:
            sdmx_client.check_dimensions(payload.flow, payload.dimensions, dataset=dataset)
            checked.add(payload.flow)
    found = 0
    for payload in payloads:
        try:
            sdmx_client.fetch_csv(
                staged,
                payload.name,
                dataset=dataset,
                flow=payload.flow,
                key=payload.key,
                period=payload.period,
            )
        except NoRecordsFound:
            if not payload.may_be_empty:
                raise
            log.warning("%s/%s: no records for %s", SOURCE, dataset, payload.name)
            continue
        found += 1
    if found == 0:
        raise NoRecordsFound(SOURCE, dataset, f"none of {len(payloads)} request(s) found data")


def read(retrieval: Retrieval, dataset: str, dimensions: Sequence[str]) -> pl.DataFrame:
    """Every archived answer, read by column name and cut to the period its request asked for
    (which undoes ISTAT's ``endPeriod`` + 1), stacked; columns one answer lacks are null.

    A row without a value for one of ``dimensions`` (those the answer has) or its period is
    an error: the CSV reader would otherwise pad a row cut short with nulls.
    """
    frames = []
    for entry in retrieval.files:
        frame = sdmx.read_sdmx_csv(
            retrieval.file(entry["name"]), dataset=dataset, period=sdmx.PeriodBounds()
        )
        # Before the period filter, which would drop a row without a period silently.
        sdmx.require_complete(frame, ("DATAFLOW", *dimensions, "TIME_PERIOD"), dataset=dataset)
        frames.append(sdmx.keep_period(frame, sdmx.period_of(entry["params"])))
    return pl.concat(frames, how="diagonal") if len(frames) > 1 else frames[0]


def snapshot_files(entries: Sequence[tuple[str, str]]) -> list[SnapshotFile]:
    """Bundled payloads ``(payload name, snapshot stem)``: ``<stem>.csv.gz`` with the request
    that produces it from the real service in ``<stem>.request.json``."""
    files = []
    for name, stem in entries:
        request = json.loads((SNAPSHOT_DIR / f"{stem}.request.json").read_text("utf-8"))
        files.append(SnapshotFile(name, SNAPSHOT_DIR / f"{stem}.csv.gz", **request))
    return files


def table_schema(
    dimensions: Sequence[Field],
    value: str,
    *,
    primary_key: Sequence[str] | None = None,
) -> TableSchema:
    """The raw table of an SDMX-CSV answer: the dataflow, its key dimensions (snake_case of
    the CSV headers), the period, the value and its status; the other attributes ignored.

    The key defaults to every required dimension but ``freq`` (one frequency is asked for),
    plus the period.
    """
    fields = (
        Field("dataflow", S, "SDMX dataflow and version, e.g. IT1:22_315(1.0)"),
        Field("freq", S, "Frequency (A = annual)"),
        *dimensions,
        Field("time_period", S, "Reference period (a year)"),
        Field("obs_value", pl.Float64, value),
        Field(
            "obs_status", S, "Observation status (e = estimate, p = provisional)", required=False
        ),
    )
    if primary_key is None:
        primary_key = (*(f.name for f in dimensions if f.required), "time_period")
    return TableSchema(fields=fields, primary_key=tuple(primary_key), ignored=sdmx.SDMX_ATTRIBUTES)


def comune_dataset(
    *,
    name: str,
    dimensions: Sequence[str],
    payloads: Callable[[list[str]], Sequence[Payload]],
    snapshot_entries: Callable[[], Sequence[tuple[str, str]]],
    title: str,
    description: str,
    schema: TableSchema,
    landing_url: str,
) -> Dataset:
    """A comune-level SDMX dataset: requests built from the archived comuni list, answers
    read back by column name, bundled payloads from ``snapshot_entries`` (see
    ``snapshot_files``). The modules declare only what differs: flow, key, schema, words."""

    def fetch_dataset(ctx: FetchContext, staged: StagedRetrieval) -> None:
        fetch(ctx, staged, name, payloads(metropolitan_codes(ctx, name)))

    def parse(retrieval: Retrieval) -> pl.DataFrame:
        return read(retrieval, name, dimensions)

    def snapshot(partition: str | None = None) -> list[SnapshotFile]:
        return snapshot_files(snapshot_entries())

    return Dataset(
        source=SOURCE,
        name=name,
        title=title,
        description=description,
        schema=schema,
        landing_url=landing_url,
        licence="CC BY 4.0",
        fetch=fetch_dataset,
        parse=parse,
        snapshot=snapshot,
        depends_on=("istat/comuni",),
        synthetic_snapshot=True,
    )
