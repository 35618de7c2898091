"""What changed on dati.lombardia.it since we archived it: the question a sensor asks.

A Socrata view says when its rows last changed (``rowsUpdatedAt`` in ``/api/views/<id>.json``);
the archive keeps, with every retrieval, the ``view.json`` it was fetched with. A partition
is stale when the view now reports a later version than the one archived with it. For a view
holding many years, only the years whose rows changed are reloaded: Socrata says which
(``:updated_at`` grouped by year, ``SodaClient.updated_years``). In snapshot mode the bundled
``view.json`` stands for the service.

Years never archived are not "changed": loading them is a backfill, left to the operator.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from ingestion.common.archive import RawArchive
from ingestion.common.dataset import Dataset
from ingestion.lombardia import soda
from ingestion.lombardia.spec import SodaSpec, client
from osservatorio.settings import Settings


@dataclass(frozen=True)
class Changes:
    """The source's versions now, and the partitions to reload (``None``: the whole dataset
    of an unpartitioned one)."""

    versions: dict[str, int]
    partitions: list[str | None]
    reason: str


def archived_version(archive: RawArchive, dataset: Dataset, partition: str | None) -> int | None:
    """``rowsUpdatedAt`` of the view archived with the latest retrieval of a partition."""
    latest = archive.latest(dataset.source, dataset.name, partition)
    if latest is None:
        return None
    view = soda.parse_view(latest.file(soda.VIEW_FILE).read_bytes())
    return soda.rows_updated_at(view)


def _snapshot_version(spec: SodaSpec) -> int:
    with gzip.open(spec.snapshot_dir / f"{soda.VIEW_FILE}.gz", "rb") as handle:
        return soda.rows_updated_at(soda.parse_view(handle.read()))


def changes(spec: SodaSpec, dataset: Dataset, settings: Settings) -> Changes:
    """Compare the source's versions with the archive's, one cheap request per view."""
    archive = RawArchive(settings.raw_dir)
    live = settings.mode_for(dataset.source) == "live"
    keys = dataset.partition_keys(settings)
    archived = {key: archived_version(archive, dataset, key) for key in keys}
    held = {key: version for key, version in archived.items() if version is not None}
    views = sorted({spec.view_for(key) for key in keys})
    if live:
        socrata = client(settings)
        versions = {
            view: int(socrata.version(view, dataset=dataset.name)["rowsUpdatedAt"])
            for view in views
        }
    else:
        bundled = _snapshot_version(spec)
        versions = dict.fromkeys(views, bundled)
    if not held:
        return Changes(versions, [], "nothing archived yet: load it with a run or a backfill")
    stale = [key for key, version in held.items() if version < versions[spec.view_for(key)]]
    if not stale:
        return Changes(versions, [], "every archived partition is current")
    if spec.year_field is None:
        return Changes(versions, [None], "the dataset changed since it was archived")
    if not live:
        return Changes(versions, stale, "the bundled snapshot is newer than the archive")
    # Live, by year: a closed year's rows rarely change; ask which years did, each since the
    # version it was archived with (one grouped query per distinct archived version).
    by_history = [k for k in stale if spec.view_for(k) == spec.view_id]
    current = [k for k in stale if spec.view_for(k) != spec.view_id]
    reload = list(current)
    if by_history:

        def years_since(since: int, where: str | None) -> list[int]:
            return socrata.updated_years(
                spec.view_id,
                dataset=dataset.name,
                year_field=spec.year_field,
                since=since,
                where=where,
            )

        # The fixed filter only: a filter computed from other datasets (the air sensors)
        # can only widen the answer, so a year is reloaded needlessly, never missed.
        changed_since = {
            v: years_since(v, spec.where) for v in sorted({held[k] for k in by_history})
        }
        changed = [k for k in by_history if int(k) in changed_since[held[k]]]
        # A deletion moves rowsUpdatedAt but stamps no row: when no row of the view (whatever
        # the filter) was stamped after the newest archived version though the view moved past
        # it, reload every stale year rather than keep rows the publisher removed.
        newest = max(v for k, v in held.items() if spec.view_for(k) == spec.view_id)
        if newest < versions[spec.view_id] and not years_since(newest, None):
            changed = by_history
        reload += changed
    if not reload:
        return Changes(versions, [], "no archived year's rows changed since it was archived")
    return Changes(versions, sorted(reload), "rows changed in these years")
