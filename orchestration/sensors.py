"""Sensors: a run when a source changes, not on a timer.

- One per dati.lombardia.it dataset: polls the view's ``rowsUpdatedAt`` (in snapshot mode, the
  bundled ``view.json``) and requests only the partitions whose rows changed since they were
  archived (``ingestion.lombardia.updates``).
- One per file-drop inbox: a new file in ``data/inbox/<source>/<dataset>/`` requests a run of
  that dataset, read from the inbox whatever the global source mode.
"""

from __future__ import annotations

import json

import dagster as dg

from ingestion.common.dataset import Dataset
from ingestion.common.filedrop import FileContract
from ingestion.lombardia import SPECS
from ingestion.lombardia.spec import SodaSpec
from ingestion.lombardia.updates import changes
from ingestion.registry import CONTRACTS, by_key
from orchestration.automation import polling_status
from orchestration.ingestion import raw_asset_key
from orchestration.resources import SOURCE_MODE_TAG
from osservatorio.settings import Settings

HOUR = 3600
# How often each Socrata dataset is asked for its version: as often as it changes.
POLL_SECONDS = {
    "air_stations": 6 * HOUR,
    "air_measurements": HOUR,  # hourly data, published through the day
    "labour_activated": 6 * HOUR,
    "labour_ceased": 6 * HOUR,
}
DEFAULT_POLL_SECONDS = 24 * HOUR
INBOX_POLL_SECONDS = 60
TRIGGER_TAG = "osservatorio/trigger"


def build_socrata_sensor(spec: SodaSpec, dataset: Dataset) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"socrata_{dataset.name}",
        target=[raw_asset_key(dataset)],
        minimum_interval_seconds=POLL_SECONDS.get(dataset.name, DEFAULT_POLL_SECONDS),
        default_status=polling_status(),
        description=f"Polls dati.lombardia.it view {spec.view_id} ({dataset.title}) for a new "
        "rowsUpdatedAt and requests "
        + (
            "only the years whose rows changed since they were archived."
            if spec.year_field
            else "a reload when it moved past the archived version."
        ),
    )
    def watch(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        found = changes(spec, dataset, Settings.from_env())
        cursor = json.dumps(found.versions, sort_keys=True)
        if not found.partitions:
            context.update_cursor(cursor)
            return dg.SkipReason(found.reason)
        version = max(found.versions.values())
        requests = [
            dg.RunRequest(
                # Dagster launches one run per key: the same change is never loaded twice.
                run_key=f"{dataset.key}:{partition or 'all'}:{version}",
                partition_key=partition,
                tags={TRIGGER_TAG: f"socrata rowsUpdatedAt {version}"},
            )
            for partition in found.partitions
        ]
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return watch


def inbox_files(contract: FileContract, settings: Settings) -> dict[str, str]:
    """Files in the inbox named as the contract wants, by an identity that changes when a
    file is replaced (name, size, modification time)."""
    inbox = contract.inbox(settings.data_dir)
    if not inbox.is_dir():
        return {}
    found = {}
    for path in sorted(inbox.iterdir()):
        if path.is_file() and not path.is_symlink() and contract.name_regex.match(path.name):
            stat = path.stat()
            found[f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}"] = path.name
    return found


def build_inbox_sensor(contract: FileContract) -> dg.SensorDefinition:
    dataset = by_key(contract.key)

    @dg.sensor(
        name=f"inbox_{contract.source}__{contract.dataset}",
        target=[raw_asset_key(dataset)],
        minimum_interval_seconds=INBOX_POLL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Watches {contract.inbox_relative()}/ for a new {contract.name_pattern} "
        f"from {contract.sender} and ingests it (the run reads the inbox even when the other "
        "sources come from the snapshot).",
    )
    def watch(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        files = inbox_files(contract, Settings.from_env())
        seen = set(json.loads(context.cursor)) if context.cursor else set()
        new = [identity for identity in files if identity not in seen]
        cursor = json.dumps(sorted(files))
        if not new:
            context.update_cursor(cursor)
            return dg.SkipReason(f"no new file in {contract.inbox_relative()}/")
        # Ingestion takes the newest file by the date in its name: one run covers every
        # file dropped since the last tick.
        newest = max(new, key=lambda identity: files[identity])
        request = dg.RunRequest(
            run_key=f"{contract.key}:{newest}",
            tags={
                SOURCE_MODE_TAG + contract.source: "live",
                TRIGGER_TAG: f"inbox file {files[newest]}",
            },
        )
        return dg.SensorResult(run_requests=[request], cursor=cursor)

    return watch


SOCRATA_SENSORS = [
    build_socrata_sensor(spec, by_key(f"lombardia/{name}")) for name, spec in SPECS.items()
]
INBOX_SENSORS = [build_inbox_sensor(contract) for contract in CONTRACTS]
SENSORS = [*SOCRATA_SENSORS, *INBOX_SENSORS]
