"""Schedules: each tick runs the right job, for the right years, under a run key Dagster
launches once.

Ticks are evaluated with Dagster's test context and ``evaluate_tick`` against the code
location, as the daemon evaluates them: a requested year that is not a partition of the job
on the day of the tick fails the evaluation. Settings come from the environment at each tick,
so every test sets ``OSSERVATORIO_*`` on a temporary data directory.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._core.definitions.schedule_definition import ScheduleExecutionData
from dagster._utils.schedules import schedule_execution_time_iterator

from ingestion.ispra import waste
from ingestion.lombardia.spec import SNAPSHOT_DIR as LOMBARDIA_SNAPSHOT
from orchestration import automation, schedules
from orchestration.schedules import SCHEDULES

ROME = ZoneInfo("Europe/Rome")
PARTITION_TAG = "dagster/partition"
A_TICK = datetime(2026, 3, 2, 7, 0, tzinfo=ROME)  # a Monday


# What each schedule promises: its job, the raw tables that job loads, its cron, and how
# its description opens (the cadence in words, which must say what the cron says).
PROMISES = {
    "air_quality_daily": (
        "refresh_air_quality",
        {"raw/lombardia__air_stations", "raw/lombardia__air_measurements"},
        "30 6 * * *",
        "Daily at 06:30",
    ),
    "labour_contracts_weekly": (
        "refresh_labour_contracts",
        {"raw/lombardia__labour_activated", "raw/lombardia__labour_ceased"},
        "0 7 * * 1",
        "Mondays at 07:00",
    ),
    "istat_monthly": (
        "ingest_istat",
        {
            "raw/istat__comuni",
            "raw/istat__foreign_residents",
            "raw/istat__labour_force",
            "raw/istat__local_units",
            "raw/istat__population",
            "raw/istat__population_balance",
            "raw/istat__road_accidents",
        },
        "0 5 3 * *",
        "Monthly on the 3rd at 05:00",
    ),
    "ispra_monthly": (
        "ingest_ispra_by_year",
        {"raw/ispra__waste"},
        "0 5 4 * *",
        "Monthly on the 4th at 05:00",
    ),
    "lombardia_registers_monthly": (
        "refresh_lombardia_registers",
        {
            "raw/lombardia__hospitals",
            "raw/lombardia__pharmacies",
            "raw/lombardia__energy_certificates",
        },
        "0 5 5 * *",
        "Monthly on the 5th at 05:00",
    ),
    "nightly_build": ("build", None, "0 2 * * *", "Nightly at 02:00"),
    "nightly_publication": ("publish", None, "0 4 * * *", "Nightly at 04:00, after the build"),
}

# The first three ticks from a day, in Rome local time, across the spring change to CEST
# (28-29 March 2026) and the autumn change back (25 October 2026).
TICKS = {
    "air_quality_daily": (
        datetime(2026, 3, 28, tzinfo=ROME),
        ["2026-03-28T06:30:00+01:00", "2026-03-29T06:30:00+02:00", "2026-03-30T06:30:00+02:00"],
    ),
    "labour_contracts_weekly": (
        datetime(2026, 3, 1, tzinfo=ROME),
        ["2026-03-02T07:00:00+01:00", "2026-03-09T07:00:00+01:00", "2026-03-16T07:00:00+01:00"],
    ),
    "istat_monthly": (
        datetime(2026, 3, 1, tzinfo=ROME),
        ["2026-03-03T05:00:00+01:00", "2026-04-03T05:00:00+02:00", "2026-05-03T05:00:00+02:00"],
    ),
    "ispra_monthly": (
        datetime(2026, 3, 1, tzinfo=ROME),
        ["2026-03-04T05:00:00+01:00", "2026-04-04T05:00:00+02:00", "2026-05-04T05:00:00+02:00"],
    ),
    "lombardia_registers_monthly": (
        datetime(2026, 3, 1, tzinfo=ROME),
        ["2026-03-05T05:00:00+01:00", "2026-04-05T05:00:00+02:00", "2026-05-05T05:00:00+02:00"],
    ),
    # 02:00 does not exist on 29 March (the build runs at 03:00 CEST) and happens twice on
    # 25 October (it runs once).
    "nightly_publication": (
        datetime(2026, 3, 28, tzinfo=ROME),
        ["2026-03-28T04:00:00+01:00", "2026-03-29T04:00:00+02:00", "2026-03-30T04:00:00+02:00"],
    ),
    "nightly_build": (
        datetime(2026, 3, 28, tzinfo=ROME),
        ["2026-03-28T02:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"],
    ),
}
AUTUMN_BUILDS = ["2026-10-24T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]


@pytest.fixture(scope="module")
def repository() -> dg.RepositoryDefinition:
    from orchestration.definitions import defs

    return defs.get_repository_def()


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: only the data directory is set (snapshot mode, automation off)."""
    for name in list(os.environ):
        if name.startswith("OSSERVATORIO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OSSERVATORIO_DATA_DIR", str(tmp_path))
    return tmp_path


def schedule(name: str) -> dg.ScheduleDefinition:
    return next(s for s in SCHEDULES if s.name == name)


def tick(repository: dg.RepositoryDefinition, name: str, when: datetime) -> ScheduleExecutionData:
    """Evaluate one tick as the daemon does (requested years checked against the job)."""
    context = dg.build_schedule_context(scheduled_execution_time=when, repository_def=repository)
    return repository.get_schedule_def(name).evaluate_tick(context)


def requested_years(data: ScheduleExecutionData) -> list[str | None]:
    return [r.partition_key for r in data.run_requests or []]


def ticks(name: str, start: datetime, count: int) -> list[datetime]:
    """The next ``count`` tick times from ``start``, computed as the daemon computes them."""
    definition = schedule(name)
    times = schedule_execution_time_iterator(
        start.timestamp(), definition.cron_schedule, definition.execution_timezone
    )
    return [next(times) for _ in range(count)]


def today_at(hour: int, minute: int) -> datetime:
    """Today's tick at ``hour:minute`` in Rome: live mode asks for the years of today."""
    return datetime.combine(date.today(), datetime.min.time(), ROME).replace(
        hour=hour, minute=minute
    )


def bundled_lombardia_years(name: str) -> list[str]:
    return sorted(p.name for p in (LOMBARDIA_SNAPSHOT / name).iterdir() if p.name.isdigit())


def bundled_waste_years() -> list[str]:
    return sorted(
        p.name[len("waste-") : -len(".csv.gz")] for p in waste.SNAPSHOT_DIR.glob("waste-*.csv.gz")
    )


# -- 1. what each schedule runs, and when -----------------------------------------------------


def test_the_code_location_holds_exactly_the_promised_schedules(repository) -> None:
    assert {s.name for s in repository.schedule_defs} == set(PROMISES)
    assert {s.name for s in SCHEDULES} == set(PROMISES)


@pytest.mark.parametrize("name", list(PROMISES))
def test_each_schedule_runs_its_job_on_the_cadence_its_description_states(repository, name) -> None:
    job_name, raw_tables, cron, cadence = PROMISES[name]
    definition = repository.get_schedule_def(name)
    assert definition.job_name == job_name
    assert definition.cron_schedule == cron
    assert definition.execution_timezone == "Europe/Rome"
    assert definition.description and definition.description.startswith(cadence + ":")
    if raw_tables is not None:
        selected = repository.get_job(job_name).asset_layer.selected_asset_keys
        assert {key.to_user_string() for key in selected} == raw_tables


def test_the_nightly_build_builds_everything_but_the_raw_tables_and_validates_them(
    repository,
) -> None:
    graph = repository.asset_graph
    materializable = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
    }
    job = repository.get_job("build")
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    # Everything but the raw tables and the open-data release, which its own job publishes.
    assert selected == {
        key
        for key in materializable
        if not key.startswith("raw/") and key != "exports/open_data_release"
    }
    assert {"warehouse/published", "exports/dbt_docs"} <= selected
    # The raw tables' checks (our suites, dbt's source tests) run in the build.
    raw_checks = {key for key in graph.asset_check_keys if key.asset_key.path[0] == "raw"}
    assert raw_checks and raw_checks <= set(job.asset_layer.asset_graph.asset_check_keys)


@pytest.mark.parametrize("name", list(TICKS))
def test_ticks_fall_at_rome_local_time_across_daylight_saving(name) -> None:
    start, expected = TICKS[name]
    assert [t.isoformat() for t in ticks(name, start, 3)] == expected


def test_the_autumn_hour_that_happens_twice_builds_once() -> None:
    autumn = ticks("nightly_build", datetime(2026, 10, 24, tzinfo=ROME), 2)
    assert [t.isoformat() for t in autumn] == AUTUMN_BUILDS


# -- 2. which years each refresh asks for ------------------------------------------------------


def test_snapshot_air_quality_asks_for_the_newest_bundled_year(repository) -> None:
    newest = bundled_lombardia_years("air_measurements")[-1]
    assert newest == "2025"
    data = tick(repository, "air_quality_daily", datetime(2026, 3, 2, 6, 30, tzinfo=ROME))
    (request,) = data.run_requests
    assert request.partition_key == newest
    assert request.tags[PARTITION_TAG] == newest  # resolved against the job's calendar
    assert data.skip_message is None


@pytest.mark.parametrize(
    ("name", "dataset"),
    [
        ("labour_contracts_weekly", "labour_activated"),
        ("lombardia_registers_monthly", "energy_certificates"),
    ],
)
def test_snapshot_lombardia_refreshes_ask_for_the_newest_bundled_year(
    repository, name, dataset
) -> None:
    data = tick(repository, name, ticks(name, A_TICK, 1)[0])
    assert requested_years(data) == bundled_lombardia_years(dataset)[-1:]


def test_snapshot_ispra_asks_for_the_two_newest_bundled_years(repository) -> None:
    newest_two = bundled_waste_years()[-2:]
    assert newest_two == ["2023", "2024"]
    data = tick(repository, "ispra_monthly", datetime(2026, 3, 4, 5, 0, tzinfo=ROME))
    assert requested_years(data) == newest_two
    assert [r.tags[PARTITION_TAG] for r in data.run_requests] == newest_two


@pytest.mark.parametrize(
    ("name", "at", "looks_back_days"),
    [
        ("air_quality_daily", (6, 30), 1),
        ("labour_contracts_weekly", (7, 0), 7),
        ("lombardia_registers_monthly", (5, 0), 0),
    ],
)
def test_live_lombardia_refreshes_ask_for_the_current_year(
    repository, monkeypatch, name, at, looks_back_days
) -> None:
    monkeypatch.setenv("OSSERVATORIO_SOURCE_MODE", "live")
    when = today_at(*at)
    # The year of the data the tick collects: today's, but for the first days of January.
    data_year = (when - timedelta(days=looks_back_days)).year
    data = tick(repository, name, when)
    assert requested_years(data) == [str(data_year)]


def test_on_new_years_morning_air_quality_loads_the_year_just_closed(
    repository, monkeypatch
) -> None:
    """At 06:30 on 1 January ARPA publishes the measurements of 31 December: the tick loads
    the year that just closed, not the new, still empty one; a day later, the new year."""
    monkeypatch.setenv("OSSERVATORIO_SOURCE_MODE", "live")
    this_year = date.today().year
    new_years_morning = datetime(this_year, 1, 1, 6, 30, tzinfo=ROME)
    assert requested_years(tick(repository, "air_quality_daily", new_years_morning)) == [
        str(this_year - 1)
    ]
    next_day = new_years_morning + timedelta(days=1)
    assert requested_years(tick(repository, "air_quality_daily", next_day)) == [str(this_year)]


def test_live_ispra_asks_for_the_two_years_before_the_current_one(repository, monkeypatch) -> None:
    monkeypatch.setenv("OSSERVATORIO_SOURCE_MODE", "live")
    year = date.today().year
    data = tick(repository, "ispra_monthly", today_at(5, 0))
    assert requested_years(data) == [str(year - 2), str(year - 1)]


def test_the_mode_of_one_source_decides_its_schedule(repository, monkeypatch) -> None:
    # ISPRA live while everything else comes from the snapshot.
    monkeypatch.setenv("OSSERVATORIO_SOURCE_MODE_ISPRA", "live")
    year = date.today().year
    data = tick(repository, "ispra_monthly", today_at(5, 0))
    assert requested_years(data) == [str(year - 2), str(year - 1)]


def test_a_live_lombardia_source_asks_for_the_current_year_in_a_snapshot_deployment(
    repository, monkeypatch
) -> None:
    monkeypatch.setenv("OSSERVATORIO_SOURCE_MODE_LOMBARDIA", "live")
    data = tick(repository, "air_quality_daily", today_at(6, 30))
    assert requested_years(data) == [str(date.today().year)]


def test_istat_asks_for_no_year_and_keys_its_run_by_month(repository) -> None:
    data = tick(repository, "istat_monthly", datetime(2026, 3, 3, 5, 0, tzinfo=ROME))
    (request,) = data.run_requests
    assert request.partition_key is None
    assert request.run_key == "2026-03"


def test_the_nightly_build_runs_the_build_job_keyed_by_the_night(repository) -> None:
    data = tick(repository, "nightly_build", datetime(2026, 3, 29, 3, 0, tzinfo=ROME))
    (request,) = data.run_requests
    assert request.partition_key is None
    assert request.run_key == "2026-03-29"
    assert request.tags["dagster/schedule_name"] == "nightly_build"


# -- 3. run keys: Dagster launches one run per key --------------------------------------------


@pytest.mark.parametrize("name", list(PROMISES))
def test_the_same_tick_gives_the_same_run_keys_and_the_next_tick_new_ones(repository, name) -> None:
    first, second = ticks(name, A_TICK, 2)
    keys_first = [r.run_key for r in tick(repository, name, first).run_requests]
    again = [r.run_key for r in tick(repository, name, first).run_requests]
    keys_second = [r.run_key for r in tick(repository, name, second).run_requests]
    assert keys_first and all(keys_first)
    assert again == keys_first
    assert not set(keys_first) & set(keys_second)


def test_the_years_of_one_tick_have_distinct_run_keys(repository) -> None:
    data = tick(repository, "ispra_monthly", datetime(2026, 3, 4, 5, 0, tzinfo=ROME))
    keys = [r.run_key for r in data.run_requests]
    assert len(keys) == 2 and len(set(keys)) == 2
    assert keys == ["2026-03-04T05:00:2023", "2026-03-04T05:00:2024"]


def test_a_tick_a_day_later_at_the_same_time_is_a_new_run(repository) -> None:
    when = datetime(2026, 3, 2, 6, 30, tzinfo=ROME)
    today = tick(repository, "air_quality_daily", when).run_requests[0].run_key
    tomorrow = tick(repository, "air_quality_daily", when + timedelta(days=1)).run_requests[0]
    assert today == "2026-03-02T06:30:2025"
    assert tomorrow.run_key == "2026-03-03T06:30:2025"


# -- 4. switched on only where automation is wanted ------------------------------------------


def test_every_schedule_is_described(repository) -> None:
    for definition in repository.schedule_defs:
        assert definition.description and len(definition.description) > 60, definition.name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, dg.DefaultScheduleStatus.STOPPED),
        ("", dg.DefaultScheduleStatus.STOPPED),
        ("off", dg.DefaultScheduleStatus.STOPPED),
        ("on", dg.DefaultScheduleStatus.RUNNING),
        ("ON", dg.DefaultScheduleStatus.RUNNING),
        ("true", dg.DefaultScheduleStatus.RUNNING),
        ("1", dg.DefaultScheduleStatus.RUNNING),
    ],
)
def test_schedules_start_stopped_unless_automation_is_on(monkeypatch, value, expected) -> None:
    if value is not None:
        monkeypatch.setenv(automation.AUTOMATION_ENV, value)
    assert automation.schedule_status() == expected


def fresh_schedules() -> Iterator[dg.ScheduleDefinition]:
    """The schedules as a code location starting now builds them (a new copy of the module,
    leaving the imported one alone)."""
    spec = importlib.util.spec_from_file_location("_fresh_schedules", schedules.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield from module.SCHEDULES


def test_a_deployment_with_automation_on_starts_every_schedule(monkeypatch) -> None:
    assert {s.default_status for s in fresh_schedules()} == {dg.DefaultScheduleStatus.STOPPED}
    monkeypatch.setenv(automation.AUTOMATION_ENV, "on")
    assert {s.default_status for s in fresh_schedules()} == {dg.DefaultScheduleStatus.RUNNING}
