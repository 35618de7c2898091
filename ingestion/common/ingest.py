"""Acquire a dataset into the raw archive (from the snapshot or the live service), parse it,
land it in ``raw``. The one path every dataset takes, partition by partition."""

from __future__ import annotations

import gzip
import logging
import shutil
from dataclasses import dataclass

import polars as pl

from ingestion.common.archive import RawArchive, Retrieval
from ingestion.common.dataset import Dataset, FetchContext
from ingestion.common.errors import NoRecordsFound, SourceError
from osservatorio.settings import Settings
from warehouse.loading import load_raw_table, raw_table_state

log = logging.getLogger(__name__)


def acquire(dataset: Dataset, settings: Settings, partition: str | None = None) -> Retrieval:
    """Put the current payload of ``dataset`` (one partition of it) in the archive.

    In ``snapshot`` mode the bundled payloads are copied in, recorded under the URL of the
    real request that produces them; in ``live`` mode the source's client fetches them,
    unless the dataset's probe reports the version already archived. An unchanged payload
    reuses the latest entry, so repeated runs archive nothing new.
    """
    archive = RawArchive(settings.raw_dir)
    context = FetchContext(settings=settings, archive=archive, partition=partition)
    mode = settings.mode_for(dataset.source)
    extra: dict[str, object] = {}
    if mode == "snapshot":
        extra["synthetic"] = dataset.synthetic_snapshot
    elif dataset.probe is not None:
        version = dataset.probe(context)
        latest = archive.latest(dataset.source, dataset.name, partition)
        if latest is not None and latest.manifest.get("source_version") == version:
            log.info("%s %s: source unchanged (%s)", dataset.key, partition or "", version)
            return latest
        extra["source_version"] = version
    with archive.retrieve(
        dataset.source,
        dataset.name,
        source_mode=mode,
        partition=partition,
        extra=extra,
    ) as staged:
        if mode == "snapshot":
            for item in dataset.snapshot(partition):
                target = staged.path_for(item.name)
                opener = gzip.open if item.path.suffix == ".gz" else open
                with opener(item.path, "rb") as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                staged.record(
                    item.name,
                    url=item.url,
                    params=item.params,
                    status=item.status,
                    headers=item.headers,
                )
        else:
            dataset.fetch(context, staged)
    assert staged.result is not None
    return staged.result


def extract(dataset: Dataset, retrieval: Retrieval) -> pl.DataFrame:
    """Parse an archived retrieval into a frame that matches the dataset's declared schema."""
    try:
        frame = dataset.parse(retrieval)
    except SourceError:
        raise
    except Exception as exc:  # a payload no parser anticipated
        raise SourceError(
            dataset.source,
            dataset.name,
            f"cannot parse retrieval {retrieval.retrieval_id}: {type(exc).__name__}: {exc}",
        ) from exc
    if frame.height == 0:
        raise SourceError(
            dataset.source, dataset.name, f"retrieval {retrieval.retrieval_id} holds no rows"
        )
    return dataset.schema.conform(frame, source=dataset.source, dataset=dataset.name)


@dataclass(frozen=True)
class PartitionResult:
    partition: str | None
    retrieval: Retrieval | None  # None when the source has not published the partition yet
    rows: int
    previous_rows: int | None
    loaded: bool  # False when raw already held this retrieval (or nothing was published)


def ingest(
    dataset: Dataset, settings: Settings, partitions: list[str | None] | None = None
) -> list[PartitionResult]:
    """Acquire, parse and load each partition; an unchanged one is neither parsed nor loaded."""
    results = []
    for partition in partitions if partitions is not None else dataset.partition_keys(settings):
        try:
            retrieval = acquire(dataset, settings, partition)
        except NoRecordsFound as exc:
            if partition is None:
                raise
            # A year the source has not published yet (e.g. ISPRA's latest): not an error.
            log.warning(
                "%s: partition %s not published yet (%s)", dataset.key, partition, exc.cause
            )
            results.append(PartitionResult(partition, None, 0, None, loaded=False))
            continue
        state = raw_table_state(settings.warehouse_path, dataset.table, partition)
        if state.retrieval_id == retrieval.retrieval_id:
            results.append(
                PartitionResult(
                    partition, retrieval, state.row_count or 0, state.row_count, loaded=False
                )
            )
            continue
        frame = extract(dataset, retrieval)
        previous = load_raw_table(
            settings.warehouse_path,
            dataset.table,
            frame,
            source=dataset.source,
            dataset=dataset.name,
            retrieval=retrieval,
        )
        results.append(
            PartitionResult(partition, retrieval, frame.height, previous.row_count, loaded=True)
        )
    return results
