"""Acquire a dataset into the raw archive (from the snapshot or the live service), then parse it."""

from __future__ import annotations

import gzip
import logging
import shutil

import polars as pl

from ingestion.common.archive import RawArchive, Retrieval
from ingestion.common.dataset import Dataset, FetchContext
from ingestion.common.errors import SourceError
from osservatorio.settings import Settings

log = logging.getLogger(__name__)


def acquire(dataset: Dataset, settings: Settings) -> Retrieval:
    """Put the current payload of ``dataset`` in the archive and return its entry.

    In ``snapshot`` mode the bundled payloads are copied in, recorded under the URL of the
    real request that produces them; in ``live`` mode the source's client fetches them.
    An unchanged payload reuses the latest entry, so repeated runs archive nothing new.
    """
    archive = RawArchive(settings.raw_dir)
    with archive.retrieve(
        dataset.source,
        dataset.name,
        source_mode=settings.source_mode,
        extra={"synthetic": dataset.synthetic_snapshot}
        if settings.source_mode == "snapshot"
        else None,
    ) as staged:
        if settings.source_mode == "snapshot":
            for item in dataset.snapshot():
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
            dataset.fetch(FetchContext(settings=settings, archive=archive), staged)
    assert staged.result is not None
    return staged.result


def extract(dataset: Dataset, retrieval: Retrieval) -> pl.DataFrame:
    """Parse an archived retrieval into a frame that matches the dataset's declared schema."""
    try:
        frame = dataset.parse(retrieval)
    except SourceError:
        raise
    except Exception as exc:  # a parser bug or a payload no parser anticipated
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
