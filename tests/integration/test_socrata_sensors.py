"""The dati.lombardia.it sensors in live mode, against the Socrata replica.

The energy certificates (``bbky-sde5``) are published by year of issue: the real rows of
``tests/fixtures/lombardia/bbky-sde5.page.json`` (2024, province of Milan) copied to 2023 and
2025, plus a certificate of Bergamo the province filter leaves out. They are archived with
the real live ingestion at T0; then the publisher changes rows and the sensor is ticked the
way the daemon ticks it (``evaluate_tick`` with the code location, the environment pointing
at the replica, each tick getting the previous tick's cursor).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData

from ingestion.common.http import HostPacer
from ingestion.common.ingest import ingest
from ingestion.lombardia import energy, health, soda
from ingestion.lombardia.synthetic import VIEWS, hospital_rows, territory
from orchestration.sensors import TRIGGER_TAG
from osservatorio.settings import Settings
from tests.replicas.socrata import ReplicaDataset, SocrataReplica

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures" / "lombardia"
VIEW_ID = energy.VIEW  # bbky-sde5
SENSOR = "socrata_energy_certificates"
KEY = ("cod_ape",)
YEARS = ["2023", "2024", "2025"]
T0 = int(datetime(2026, 3, 2, 6, 0, tzinfo=UTC).timestamp())  # what was archived
T1 = T0 + 7 * 86_400  # the next publication
T2 = T1 + 7 * 86_400


def certificates() -> list[dict[str, str]]:
    """3 certificates of Milan in each of 2023, 2024, 2025, and one of Bergamo in 2023."""
    rows = json.loads((FIXTURES / "bbky-sde5.page.json").read_text("utf-8"))
    out = []
    for year in YEARS:
        for row in rows:
            out.append(
                dict(row, cod_ape=f"{year}{row['cod_ape']}", data_ins=year + row["data_ins"][4:])
            )
    out.append(
        dict(
            rows[0],
            cod_ape="90001",
            provincia="BG",
            comune="BERGAMO",
            data_ins="2023-05-05T00:00:00.000",
        )
    )
    return out


def revised(year: str, number: int = 0) -> dict[str, str]:
    """Certificate ``number`` of ``year``, with its class revised by the registry."""
    row = [r for r in certificates() if r["data_ins"].startswith(year) and r["provincia"] == "MI"]
    return dict(row[number], classe_energetica="A1", ep_gl_nren="70.1")


@pytest.fixture(autouse=True)
def fresh_pacer() -> Iterator[None]:
    HostPacer.reset()
    yield
    HostPacer.reset()


@pytest.fixture(scope="module")
def repository() -> dg.RepositoryDefinition:
    from orchestration.definitions import defs

    return defs.get_repository_def()


@pytest.fixture
def replica() -> Iterator[SocrataReplica]:
    published = ReplicaDataset(replace(VIEWS[VIEW_ID], rows_updated_at=T0), certificates())
    hospitals = ReplicaDataset(
        replace(VIEWS["6n7g-5p5e"], rows_updated_at=T0), hospital_rows(territory())
    )
    with SocrataReplica([published, hospitals]) as server:
        yield server
        assert server.errors == []


@pytest.fixture
def settings(replica: SocrataReplica, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment a live deployment has, pointing at the replica."""
    for name in list(os.environ):
        if name.startswith("OSSERVATORIO_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv(soda.APP_TOKEN_ENV, raising=False)
    monkeypatch.setenv("OSSERVATORIO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OSSERVATORIO_SOURCE_MODE", "live")
    monkeypatch.setenv("OSSERVATORIO_LOMBARDIA_URL", replica.base_url)
    monkeypatch.setenv("OSSERVATORIO_LOMBARDIA_MIN_INTERVAL", "0")
    return Settings.from_env()


@pytest.fixture
def archived(settings: Settings, replica: SocrataReplica) -> Settings:
    """2023, 2024 and 2025 archived and loaded live at T0 (the other years never were)."""
    results = ingest(energy.CERTIFICATES, settings, partitions=list(YEARS))
    assert [(r.partition, r.rows, r.loaded) for r in results] == [(year, 3, True) for year in YEARS]
    return settings


def evaluate(
    repository: dg.RepositoryDefinition, cursor: str | None = None, name: str = SENSOR
) -> SensorExecutionData:
    context = dg.build_sensor_context(cursor=cursor, repository_def=repository, sensor_name=name)
    return repository.get_sensor_def(name).evaluate_tick(context)


def requested(data: SensorExecutionData) -> list[str | None]:
    return [r.partition_key for r in data.run_requests]


def kinds_since(replica: SocrataReplica, count: int) -> list[str]:
    return [r.kind for r in replica.requests[count:]]


# -- 1. nothing changed -----------------------------------------------------------------------


def test_nothing_archived_yet_requests_nothing(repository, settings, replica) -> None:
    data = evaluate(repository)
    assert data.run_requests == []
    assert data.skip_message == "nothing archived yet: load it with a run or a backfill"


def test_an_unchanged_source_costs_one_view_request_and_requests_nothing(
    repository, archived, replica
) -> None:
    before = len(replica.requests)
    data = evaluate(repository)
    assert data.run_requests == []
    assert data.skip_message == "every archived partition is current"
    assert json.loads(data.cursor) == {VIEW_ID: T0}
    assert kinds_since(replica, before) == ["view"]
    assert evaluate(repository, cursor=data.cursor).run_requests == []


# -- 2. rows of one year changed --------------------------------------------------------------


def test_a_change_to_one_year_requests_exactly_that_year(repository, archived, replica) -> None:
    replica.update_rows(VIEW_ID, [revised("2024")], rows_updated_at=T1, key=KEY)
    before = len(replica.requests)
    data = evaluate(repository)
    (request,) = data.run_requests
    assert request.partition_key == "2024"
    assert request.tags["dagster/partition"] == "2024"
    assert request.run_key == f"lombardia/energy_certificates:2024:{T1}"
    assert request.tags[TRIGGER_TAG] == f"socrata rowsUpdatedAt {T1}"
    assert json.loads(data.cursor) == {VIEW_ID: T1}
    # The version, then changed years counted by year: no row is fetched to decide.
    asked = kinds_since(replica, before)
    assert asked[0] == "view" and set(asked[1:]) == {"group"}


def test_a_new_certificate_of_one_year_requests_that_year(repository, archived, replica) -> None:
    added = dict(revised("2025"), cod_ape="2025999")
    replica.update_rows(VIEW_ID, [added], rows_updated_at=T1, key=KEY)
    assert requested(evaluate(repository)) == ["2025"]


def test_changes_to_two_years_request_both(repository, archived, replica) -> None:
    replica.update_rows(VIEW_ID, [revised("2023"), revised("2025", 2)], rows_updated_at=T1, key=KEY)
    assert requested(evaluate(repository)) == ["2023", "2025"]


def test_once_the_changed_year_is_reloaded_nothing_more_is_requested(
    repository, archived, replica
) -> None:
    replica.update_rows(VIEW_ID, [revised("2024")], rows_updated_at=T1, key=KEY)
    first = evaluate(repository)
    assert requested(first) == ["2024"]
    # The requested run: 2024 is archived again, at T1; 2023 and 2025 did not change.
    (reloaded,) = ingest(energy.CERTIFICATES, archived, partitions=["2024"])
    assert reloaded.loaded and reloaded.retrieval.manifest["source_version"] == {
        "rowsUpdatedAt": T1
    }
    data = evaluate(repository, cursor=first.cursor)
    assert data.run_requests == []
    # The next publication changes 2025 only: 2024, archived at T1, is not asked again.
    replica.update_rows(VIEW_ID, [revised("2025")], rows_updated_at=T2, key=KEY)
    assert requested(evaluate(repository, cursor=data.cursor)) == ["2025"]


# -- 3. rows deleted, rows outside the province -----------------------------------------------


def test_a_deletion_requests_every_archived_year(repository, archived, replica) -> None:
    # A deleted row leaves no trace a query can see; only rowsUpdatedAt moves.
    gone = dict(revised("2023"), **{":deleted": True})
    replica.update_rows(VIEW_ID, [gone], rows_updated_at=T1, key=KEY)
    data = evaluate(repository)
    assert requested(data) == YEARS  # never 2019..2022 or 2026: they were never archived
    assert {r.run_key for r in data.run_requests} == {
        f"lombardia/energy_certificates:{year}:{T1}" for year in YEARS
    }


def test_a_change_outside_the_province_requests_nothing(repository, archived, replica) -> None:
    bergamo = dict(certificates()[-1], classe_energetica="C")
    replica.update_rows(VIEW_ID, [bergamo], rows_updated_at=T1, key=KEY)
    assert evaluate(repository).run_requests == []


# -- 4. a dataset not published by year -------------------------------------------------------


def test_an_unpartitioned_dataset_is_requested_whole_when_it_changed(
    repository, settings, replica
) -> None:
    (result,) = ingest(health.HOSPITALS, settings)
    assert result.loaded
    name = "socrata_hospitals"
    assert evaluate(repository, name=name).run_requests == []
    replica.set_rows("6n7g-5p5e", hospital_rows(territory())[:-1], rows_updated_at=T1)
    (request,) = evaluate(repository, name=name).run_requests
    assert request.partition_key is None
    assert request.run_key == f"lombardia/hospitals:all:{T1}"
    # Nothing grouped by year is asked of a dataset not published by year.
    assert "group" not in [r.kind for r in replica.requests]
