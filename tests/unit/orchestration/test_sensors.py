"""Sensors: a run when a source changes, none when nothing did.

Ticks are evaluated with Dagster's test context and ``evaluate_tick`` against the code
location, as the daemon evaluates them (a requested year must be a partition of the target),
and each next tick gets the cursor the previous one returned. Settings come from the
environment at each tick: every test sets ``OSSERVATORIO_*`` on a temporary data directory.

- Inbox sensors: files dropped into ``data/inbox/<source>/<dataset>/``.
- Socrata sensors in snapshot mode: the bundled ``view.json`` stands for the service, and the
  archive is filled with the real ingestion of the snapshot.
  (Live mode, against the Socrata replica: ``tests/integration/test_socrata_sensors.py``.)
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData
from dagster._utils.tags import is_valid_tag_key

from ingestion.common.archive import RawArchive
from ingestion.common.filedrop import FileContract
from ingestion.common.ingest import ingest
from ingestion.lombardia import SPECS, soda
from ingestion.registry import CONTRACTS, by_key
from orchestration import automation, sensors
from orchestration.resources import SOURCE_MODE_TAG
from orchestration.sensors import INBOX_SENSORS, SOCRATA_SENSORS, TRIGGER_TAG
from osservatorio.settings import Settings

HOUR = 3600
CONTRACT = next(c for c in CONTRACTS if c.key == "ats/community_houses")
CSV = "codice_struttura;denominazione\n"  # the sensor reads names and sizes, not contents


@pytest.fixture(scope="module")
def repository() -> dg.RepositoryDefinition:
    from orchestration.definitions import defs

    return defs.get_repository_def()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: only the data directory is set (snapshot mode, automation off)."""
    for name in list(os.environ):
        if name.startswith("OSSERVATORIO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OSSERVATORIO_DATA_DIR", str(tmp_path))
    return tmp_path


def evaluate(
    repository: dg.RepositoryDefinition, name: str, cursor: str | None = None
) -> SensorExecutionData:
    """One tick, as the daemon runs it, with the cursor the previous tick left."""
    context = dg.build_sensor_context(cursor=cursor, repository_def=repository, sensor_name=name)
    return repository.get_sensor_def(name).evaluate_tick(context)


def targeted_assets(repository: dg.RepositoryDefinition, name: str) -> set[str]:
    """The assets a run requested by the sensor materializes (its target job's selection)."""
    job = repository.get_job(repository.get_sensor_def(name).job_name)
    return {key.to_user_string() for key in job.asset_layer.selected_asset_keys}


# -- 1. file-drop inboxes ---------------------------------------------------------------------


def inbox_sensor(contract: FileContract) -> str:
    return f"inbox_{contract.source}__{contract.dataset}"


def drop(data_dir: Path, name: str, text: str = CSV, contract: FileContract = CONTRACT) -> Path:
    inbox = contract.inbox(data_dir)
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_text(text, "utf-8")
    return path


def a_file_name(contract: FileContract, day: str = "2026-01-31") -> str:
    name = f"{contract.stem}_{day}.{contract.formats[0]}"
    assert contract.name_regex.match(name), name
    return name


def test_every_contract_has_an_inbox_sensor_that_starts_running(repository) -> None:
    names = {inbox_sensor(c) for c in CONTRACTS}
    assert {s.name for s in INBOX_SENSORS} == names
    assert names <= {s.name for s in repository.sensor_defs}
    for name in names:
        definition = repository.get_sensor_def(name)
        assert definition.default_status == dg.DefaultSensorStatus.RUNNING
        assert definition.minimum_interval_seconds == 60
        assert definition.description and "inbox/" in definition.description


def test_without_an_inbox_folder_nothing_is_requested(repository, data_dir) -> None:
    data = evaluate(repository, inbox_sensor(CONTRACT))
    assert data.run_requests == []
    assert data.skip_message == "no new file in inbox/ats/community_houses/"
    assert not CONTRACT.inbox(data_dir).exists()  # the sensor only looks


@pytest.mark.parametrize("contract", CONTRACTS, ids=[c.key for c in CONTRACTS])
def test_a_dropped_file_requests_one_live_run_of_its_dataset(
    repository, data_dir, contract
) -> None:
    name = a_file_name(contract)
    drop(data_dir, name, contract=contract)
    sensor = inbox_sensor(contract)
    data = evaluate(repository, sensor)
    (request,) = data.run_requests
    assert data.skip_message is None
    assert targeted_assets(repository, sensor) == {f"raw/{contract.source}__{contract.dataset}"}
    assert request.partition_key is None
    # The run reads the inbox even when the other sources come from the snapshot.
    assert request.tags[SOURCE_MODE_TAG + contract.source] == "live"
    assert request.tags[TRIGGER_TAG] == f"inbox file {name}"
    assert request.run_key.startswith(f"{contract.key}:{name}:")


def test_the_requested_run_carries_tag_keys_dagster_accepts(repository, data_dir) -> None:
    drop(data_dir, a_file_name(CONTRACT))
    (request,) = evaluate(repository, inbox_sensor(CONTRACT)).run_requests
    assert [key for key in request.tags if not is_valid_tag_key(key)] == []


def test_the_same_file_on_the_next_tick_requests_nothing(repository, data_dir) -> None:
    drop(data_dir, a_file_name(CONTRACT))
    first = evaluate(repository, inbox_sensor(CONTRACT))
    assert len(first.run_requests) == 1
    second = evaluate(repository, inbox_sensor(CONTRACT), cursor=first.cursor)
    assert second.run_requests == []
    assert second.skip_message == "no new file in inbox/ats/community_houses/"
    assert second.cursor == first.cursor


BAD_NAMES = {
    "date-not-iso": "case_comunita_31-01-2026.csv",
    "day-without-zero": "case_comunita_2026-1-31.csv",
    "other-extension": "case_comunita_2026-01-31.txt",
    "another-stem": "case_della_comunita_2026-01-31.csv",
    "upper-case-stem": "CASE_COMUNITA_2026-01-31.csv",
    "copy-suffix": "case_comunita_2026-01-31 (1).csv",
    "excel-lock-file": "~$case_comunita_2026-01-31.xlsx",
    "partial-download": "case_comunita_2026-01-31.csv.part",
}


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=list(BAD_NAMES.keys()))
def test_a_wrongly_named_file_requests_nothing(repository, data_dir, name) -> None:
    drop(data_dir, name)
    data = evaluate(repository, inbox_sensor(CONTRACT))
    assert data.run_requests == []
    assert data.skip_message == "no new file in inbox/ats/community_houses/"


def test_files_in_rejected_and_links_request_nothing(repository, data_dir) -> None:
    inbox = CONTRACT.inbox(data_dir)
    (inbox / "rejected").mkdir(parents=True)
    name = a_file_name(CONTRACT)
    (inbox / "rejected" / name).write_text(CSV, "utf-8")
    (inbox / "rejected" / f"{name}.rejection.md").write_text("# Rifiutato\n", "utf-8")
    outside = data_dir / "elsewhere.csv"  # a link may point anywhere: never followed
    outside.write_text(CSV, "utf-8")
    (inbox / a_file_name(CONTRACT, "2026-02-28")).symlink_to(outside)
    (inbox / a_file_name(CONTRACT, "2026-03-31")).mkdir()  # a folder named like a file
    data = evaluate(repository, inbox_sensor(CONTRACT))
    assert data.run_requests == []


def test_a_replaced_file_requests_a_new_run(repository, data_dir) -> None:
    name = a_file_name(CONTRACT)
    path = drop(data_dir, name)
    first = evaluate(repository, inbox_sensor(CONTRACT))
    path.write_text(CSV + "ATS001;Casa di Comunità Milano Nord\n", "utf-8")  # sent again
    second = evaluate(repository, inbox_sensor(CONTRACT), cursor=first.cursor)
    (request,) = second.run_requests
    (before,) = first.run_requests
    assert request.run_key.startswith(f"{CONTRACT.key}:{name}:")
    assert request.run_key != before.run_key  # a new key: Dagster launches it
    third = evaluate(repository, inbox_sensor(CONTRACT), cursor=second.cursor)
    assert third.run_requests == []


def test_two_files_at_once_request_one_run_named_after_the_newest(repository, data_dir) -> None:
    older, newer = a_file_name(CONTRACT, "2026-01-31"), a_file_name(CONTRACT, "2026-02-28")
    drop(data_dir, newer)
    drop(data_dir, older)  # written last, dated first
    data = evaluate(repository, inbox_sensor(CONTRACT))
    (request,) = data.run_requests
    assert request.run_key.startswith(f"{CONTRACT.key}:{newer}:")
    assert request.tags[TRIGGER_TAG] == f"inbox file {newer}"


def test_a_file_dropped_later_requests_a_run_for_that_file(repository, data_dir) -> None:
    drop(data_dir, a_file_name(CONTRACT, "2026-01-31"))
    first = evaluate(repository, inbox_sensor(CONTRACT))
    february = a_file_name(CONTRACT, "2026-02-28")
    drop(data_dir, february)
    second = evaluate(repository, inbox_sensor(CONTRACT), cursor=first.cursor)
    (request,) = second.run_requests
    assert request.run_key.startswith(f"{CONTRACT.key}:{february}:")


def test_a_removed_file_requests_nothing(repository, data_dir) -> None:
    january = drop(data_dir, a_file_name(CONTRACT, "2026-01-31"))
    drop(data_dir, a_file_name(CONTRACT, "2026-02-28"))
    first = evaluate(repository, inbox_sensor(CONTRACT))
    january.unlink()
    second = evaluate(repository, inbox_sensor(CONTRACT), cursor=first.cursor)
    assert second.run_requests == []


def test_each_inbox_has_its_own_sensor(repository, data_dir) -> None:
    drop(data_dir, a_file_name(CONTRACT))
    other = next(c for c in CONTRACTS if c.key == "afol/employment_centres")
    assert evaluate(repository, inbox_sensor(other)).run_requests == []


# -- 2. dati.lombardia.it, snapshot mode ------------------------------------------------------

LABOUR = by_key("lombardia/labour_activated")
HOSPITALS = by_key("lombardia/hospitals")


def bundled_version(name: str) -> int:
    with gzip.open(SPECS[name].snapshot_dir / "view.json.gz", "rb") as handle:
        return int(json.loads(handle.read())["rowsUpdatedAt"])


def archive_older_view(settings: Settings, name: str, partition: str | None, age: int) -> None:
    """The archive's latest retrieval of a partition came with a view ``age`` seconds older
    than the bundled one (the partition was archived before the source's last change)."""
    with gzip.open(SPECS[name].snapshot_dir / "view.json.gz", "rb") as handle:
        view = json.loads(handle.read())
    view["rowsUpdatedAt"] = int(view["rowsUpdatedAt"]) - age
    archive = RawArchive(settings.raw_dir)
    with archive.retrieve("lombardia", name, source_mode="snapshot", partition=partition) as staged:
        staged.path_for(soda.VIEW_FILE).write_text(json.dumps(view), "utf-8")
        staged.record(soda.VIEW_FILE, url=soda.resource_url(soda.DEFAULT_BASE_URL, "view"))
    assert staged.result is not None and staged.result.partition == partition


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings.from_env()


def test_every_lombardia_dataset_has_a_polling_sensor(repository) -> None:
    names = {f"socrata_{name}" for name in SPECS}
    assert {s.name for s in SOCRATA_SENSORS} == names
    assert names <= {s.name for s in repository.sensor_defs}
    for name in names:
        definition = repository.get_sensor_def(name)
        assert definition.default_status == dg.DefaultSensorStatus.STOPPED
        assert targeted_assets(repository, name) == {f"raw/lombardia__{name[8:]}"}
    # Hourly data is asked for hourly; registers that change a few times a year, daily.
    assert repository.get_sensor_def("socrata_air_measurements").minimum_interval_seconds == HOUR
    assert repository.get_sensor_def("socrata_hospitals").minimum_interval_seconds == 24 * HOUR


def test_with_an_empty_archive_nothing_is_requested(repository) -> None:
    data = evaluate(repository, "socrata_labour_activated")
    assert data.run_requests == []
    assert data.skip_message == "nothing archived yet: load it with a run or a backfill"


def test_after_ingesting_the_snapshot_every_year_is_current(repository, settings) -> None:
    ingest(LABOUR, settings)
    data = evaluate(repository, "socrata_labour_activated")
    assert data.run_requests == []
    assert data.skip_message == "every archived partition is current"
    assert json.loads(data.cursor) == {"qbau-cyuc": bundled_version("labour_activated")}


def test_one_year_archived_before_the_last_change_is_the_one_requested(
    repository, settings
) -> None:
    ingest(LABOUR, settings)
    archive_older_view(settings, "labour_activated", "2024", age=7 * 24 * HOUR)
    data = evaluate(repository, "socrata_labour_activated")
    (request,) = data.run_requests
    version = bundled_version("labour_activated")
    assert request.partition_key == "2024"
    assert request.tags["dagster/partition"] == "2024"  # a partition of the target on this day
    assert request.run_key == f"lombardia/labour_activated:2024:{version}"
    assert request.tags[TRIGGER_TAG] == f"socrata rowsUpdatedAt {version}"


def test_the_same_change_keeps_its_run_key_until_it_is_loaded(repository, settings) -> None:
    ingest(LABOUR, settings)
    archive_older_view(settings, "labour_activated", "2023", age=HOUR)
    first = evaluate(repository, "socrata_labour_activated")
    # The run has not happened yet: the next tick asks again under the same key, which
    # Dagster does not launch twice.
    again = evaluate(repository, "socrata_labour_activated", cursor=first.cursor)
    assert [r.run_key for r in again.run_requests] == [r.run_key for r in first.run_requests]
    # The run reloads 2023 from the snapshot: nothing is left to request.
    ingest(LABOUR, settings, partitions=["2023"])
    after = evaluate(repository, "socrata_labour_activated", cursor=again.cursor)
    assert after.run_requests == []
    assert after.skip_message == "every archived partition is current"


def test_only_the_years_archived_before_the_change_are_requested(repository, settings) -> None:
    ingest(LABOUR, settings, partitions=["2022", "2023", "2024"])
    archive_older_view(settings, "labour_activated", "2022", age=HOUR)
    archive_older_view(settings, "labour_activated", "2024", age=HOUR)
    data = evaluate(repository, "socrata_labour_activated")
    assert [r.partition_key for r in data.run_requests] == ["2022", "2024"]
    assert len({r.run_key for r in data.run_requests}) == 2


def test_a_newer_archive_than_the_source_is_not_a_change(repository, settings) -> None:
    ingest(LABOUR, settings, partitions=["2024"])
    archive_older_view(settings, "labour_activated", "2024", age=-HOUR)
    data = evaluate(repository, "socrata_labour_activated")
    assert data.run_requests == []


def test_an_unpartitioned_dataset_archived_before_the_change_is_reloaded_whole(
    repository, settings
) -> None:
    ingest(HOSPITALS, settings)
    assert evaluate(repository, "socrata_hospitals").run_requests == []
    archive_older_view(settings, "hospitals", None, age=30 * 24 * HOUR)
    (request,) = evaluate(repository, "socrata_hospitals").run_requests
    assert request.partition_key is None
    assert request.run_key == f"lombardia/hospitals:all:{bundled_version('hospitals')}"


# -- 3. switched on only where automation is wanted ------------------------------------------


def fresh_sensors() -> Iterator[dg.SensorDefinition]:
    """The sensors as a code location starting now builds them (a new copy of the module,
    leaving the imported one alone)."""
    spec = importlib.util.spec_from_file_location("_fresh_sensors", sensors.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield from module.SENSORS


def statuses(prefix: str) -> set[dg.DefaultSensorStatus]:
    return {s.default_status for s in fresh_sensors() if s.name.startswith(prefix)}


def test_polling_sensors_start_stopped_unless_automation_is_on(monkeypatch) -> None:
    assert automation.polling_status() == dg.DefaultSensorStatus.STOPPED
    assert statuses("socrata_") == {dg.DefaultSensorStatus.STOPPED}
    assert statuses("inbox_") == {dg.DefaultSensorStatus.RUNNING}
    monkeypatch.setenv(automation.AUTOMATION_ENV, "on")
    assert automation.polling_status() == dg.DefaultSensorStatus.RUNNING
    assert statuses("socrata_") == {dg.DefaultSensorStatus.RUNNING}
    assert statuses("inbox_") == {dg.DefaultSensorStatus.RUNNING}
