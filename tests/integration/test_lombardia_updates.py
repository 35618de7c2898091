"""Which yearly partitions of a Socrata dataset changed since a version, against the replica.

The sensors of issue 6 poll ``rowsUpdatedAt`` of a dati.lombardia.it view; when it moves
they ask ``SodaClient.updated_years`` which years hold rows whose ``:updated_at`` is later
than the previous ``rowsUpdatedAt``, and request only those partitions. The rows here are
the real ARPA measurement rows of ``tests/fixtures/lombardia/g2hp-ar79.page.json`` (2024)
moved to 2023 and 2025 where a test needs other years.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from ingestion.common.errors import SourceError
from ingestion.common.http import HostPacer, HttpClient
from ingestion.lombardia import air, soda
from ingestion.lombardia.spec import client as lombardia_client
from ingestion.lombardia.synthetic import VIEWS
from osservatorio.settings import Settings
from tests.replicas.socrata import JSON_TYPE, ReplicaDataset, SocrataReplica

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures" / "lombardia"
VIEW_ID = air.HISTORY_VIEW  # g2hp-ar79, ARPA measurements of closed years
DATASET = air.MEASUREMENTS.name
YEAR_FIELD = "data"
KEY = ("idsensore", "data")
T0 = int(datetime(2025, 3, 1, 6, 0, tzinfo=UTC).timestamp())  # the version the sensor saw
T1 = T0 + 30 * 86_400  # the next publication
FAST = {"backoff_initial": 0.01, "backoff_max": 0.05}


def rows_2024() -> list[dict[str, str]]:
    return json.loads((FIXTURES / "g2hp-ar79.page.json").read_text("utf-8"))


def moved(rows: list[dict[str, str]], year: int) -> list[dict[str, str]]:
    return [dict(r, data=f"{year}{r['data'][4:]}") for r in rows]


def published_rows() -> list[dict[str, str]]:
    """4 rows of 2023 (sensor 20429), 7 of 2024 (20429, 10273), 3 of 2025 (10273)."""
    rows = rows_2024()
    return moved(rows[:4], 2023) + rows + moved(rows[4:], 2025)


def revalidated() -> list[dict[str, str]]:
    """The publication at T1: ARPA revises two 2024 values and adds one 2025 value."""
    rows = rows_2024()
    return [
        dict(rows[1], valore="52"),  # 20429, 2024-01-02
        dict(rows[2], valore="49.8"),  # 20429, 2024-01-03
        {
            "idsensore": "6957",  # PM2.5 Milano - Pascal Città Studi
            "data": "2025-01-02T00:00:00.000",
            "valore": "22",
            "stato": "VA",
            "idoperatore": "1",
        },
    ]


@pytest.fixture(autouse=True)
def fresh_pacer() -> Iterator[None]:
    HostPacer.reset()
    yield
    HostPacer.reset()


@pytest.fixture(autouse=True)
def no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(soda.APP_TOKEN_ENV, raising=False)


def measurements(rows: list[dict[str, Any]]) -> ReplicaDataset:
    return ReplicaDataset(replace(VIEWS[VIEW_ID], rows_updated_at=T0), rows)


@pytest.fixture
def replica() -> Iterator[SocrataReplica]:
    """Published at T0, then revised at T1 (only the revised rows carry T1)."""
    with SocrataReplica([measurements(published_rows())]) as server:
        server.update_rows(VIEW_ID, revalidated(), rows_updated_at=T1, key=KEY)
        yield server
        assert server.errors == []


def client(server: SocrataReplica, **http: Any) -> soda.SodaClient:
    options: dict[str, Any] = {"max_attempts": 3, "timeout": (2.0, 2.0), **FAST, **http}
    return soda.SodaClient(HttpClient(soda.SOURCE, **options), server.base_url)


def changed(
    server: SocrataReplica, since: int, *, where: str | None = None, year_field: str = YEAR_FIELD
) -> list[int]:
    return client(server).updated_years(
        VIEW_ID, dataset=DATASET, year_field=year_field, since=since, where=where
    )


def groups(server: SocrataReplica) -> list[Any]:
    return [r for r in server.requests if r.kind == "group"]


# -- 1. only the affected years -------------------------------------------------------------


def test_only_the_years_of_rows_changed_after_the_version_are_reported(replica) -> None:
    assert client(replica).version(VIEW_ID, dataset=DATASET) == {"rowsUpdatedAt": T1}
    # 2023 was untouched; two 2024 rows were revised and a 2025 row was added at T1.
    assert changed(replica, since=T0) == [2024, 2025]


def test_nothing_changed_after_the_current_version(replica) -> None:
    assert changed(replica, since=T1) == []


def test_the_comparison_is_strict_and_to_the_second(replica) -> None:
    # Rows stamped exactly at T1 are part of version T1, not newer than it.
    assert changed(replica, since=T1 - 1) == [2024, 2025]
    # Before the first publication every year is new.
    assert changed(replica, since=T0 - 1) == [2023, 2024, 2025]


def test_the_dataset_filter_narrows_the_answer(replica) -> None:
    # The added 2025 value comes from sensor 6957, outside the sensors asked for.
    where = air.sensors_where(["20429", "10273"])
    assert changed(replica, since=T0, where=where) == [2024]


def test_the_request_asks_for_counts_by_year_of_the_changed_rows_only(replica) -> None:
    where = air.sensors_where(["20429", "10273"])
    changed(replica, since=T0, where=where)
    (request,) = groups(replica)
    assert request.path == f"/resource/{VIEW_ID}.json"
    assert request.query == {
        "$select": "date_extract_y(data) as year, count(*) as rows",
        "$where": ":updated_at > '2025-03-01T06:00:00.000' and "
        "(idsensore in ('20429','10273') and stato='VA' and valore > -9999)",
        "$group": "year",
        "$order": "year",
    }
    # One request, nothing else: no metadata, no rows.
    assert [r.kind for r in replica.requests] == ["group"]


def test_a_full_replace_restamps_every_row_so_every_year_is_reported(replica) -> None:
    replica.set_rows(VIEW_ID, published_rows(), rows_updated_at=T1 + 3600)
    assert changed(replica, since=T1) == [2023, 2024, 2025]


def test_a_deleted_row_leaves_no_trace_though_the_version_moves(replica) -> None:
    gone = dict(rows_2024()[0], **{":deleted": True})
    replica.update_rows(VIEW_ID, [gone], rows_updated_at=T1 + 3600, key=KEY)
    assert client(replica).version(VIEW_ID, dataset=DATASET) == {"rowsUpdatedAt": T1 + 3600}
    assert changed(replica, since=T1) == []


def test_changed_rows_without_a_date_are_logged_not_reported(replica, caplog) -> None:
    undated = {"idsensore": "20429", "valore": "40", "stato": "VA", "idoperatore": "1"}
    replica.update_rows(VIEW_ID, [undated], rows_updated_at=T1 + 3600, key=KEY)
    caplog.set_level(logging.WARNING, logger=soda.__name__)
    assert changed(replica, since=T0) == [2024, 2025]
    assert f"1 changed row(s) of {VIEW_ID} have no data" in caplog.text


# -- 2. faults --------------------------------------------------------------------------------


def test_a_burst_of_500s_is_retried(replica) -> None:
    replica.fail_next(500, times=2, on="group")
    assert changed(replica, since=T0) == [2024, 2025]
    assert [r.status for r in groups(replica)] == [500, 500, 200]


def test_a_maintenance_page_every_time_fails_naming_source_dataset_and_url(replica) -> None:
    replica.malformed_next(times=3, on="group")
    with pytest.raises(SourceError) as info:
        changed(replica, since=T0)
    assert (info.value.source, info.value.dataset) == ("lombardia", "air_measurements")
    message = str(info.value)
    assert message.startswith("lombardia/air_measurements: body is an HTML page, not JSON")
    assert f"{replica.base_url}/resource/{VIEW_ID}.json?" in message
    assert message.endswith("after 3 attempts")


def test_an_answer_that_is_not_years_fails_at_once(replica) -> None:
    body = '[{"year":"MMXXIV","rows":"2"}]'
    replica.malformed_next(body, content_type=JSON_TYPE, on="group")
    with pytest.raises(SourceError) as info:
        changed(replica, since=T0)
    assert (info.value.source, info.value.dataset) == ("lombardia", "air_measurements")
    assert "unexpected answer to the changed-years query" in str(info.value)
    assert "'MMXXIV'" in str(info.value)
    assert len(groups(replica)) == 1  # a well-formed answer we do not understand: no retry


def test_a_year_field_that_is_not_a_timestamp_is_refused_and_not_retried(replica) -> None:
    with pytest.raises(SourceError, match=r"HTTP 400 from .*date_extract_y"):
        changed(replica, since=T0, year_field="stato")
    assert [r.status for r in groups(replica)] == [400]


# -- 3. the app token -------------------------------------------------------------------------


def test_the_app_token_from_the_environment_travels_in_the_header(tmp_path, monkeypatch) -> None:
    token = "tok-updates-51c2"
    monkeypatch.setenv(soda.APP_TOKEN_ENV, token)
    with SocrataReplica([measurements(published_rows())], valid_tokens={token}) as server:
        server.update_rows(VIEW_ID, revalidated(), rows_updated_at=T1, key=KEY)
        settings = Settings(
            data_dir=tmp_path,
            source_mode="live",
            base_urls={"lombardia": server.base_url},
            min_intervals={"lombardia": 0.0},
        )
        years = lombardia_client(settings).updated_years(
            VIEW_ID, dataset=DATASET, year_field=YEAR_FIELD, since=T0
        )
        (request,) = server.requests
    assert years == [2024, 2025]
    assert request.headers.get("X-App-Token") == token and request.status == 200
    assert token not in json.dumps(request.query)


# -- 4. the replica is as strict as Socrata about these queries -------------------------------

STRICT = {
    "column-neither-grouped-nor-aggregated": {
        "$select": "date_extract_y(data) as year, idsensore, count(*) as rows",
        "$group": "year",
    },
    "year-of-a-text-column": {"$select": "date_extract_y(stato) as year", "$group": "year"},
    "unknown-function": {"$select": "date_extract_q(data) as q", "$group": "q"},
    "updated-at-against-a-non-timestamp": {"$where": ":updated_at > 'yesterday'"},
    "order-by-an-unknown-alias": {
        "$select": "date_extract_y(data) as year, count(*) as rows",
        "$group": "year",
        "$order": "anno",
    },
}


@pytest.mark.parametrize("params", STRICT.values(), ids=list(STRICT.keys()))
def test_the_replica_refuses_what_socrata_refuses(replica, params) -> None:
    answer = requests.get(f"{replica.base_url}/resource/{VIEW_ID}.json", params=params, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"] is True


def test_the_replica_counts_groups_and_keeps_updated_at_out_of_the_default_columns(
    replica,
) -> None:
    url = f"{replica.base_url}/resource/{VIEW_ID}.json"
    grouped = requests.get(
        url,
        params={
            "$select": "date_extract_y(data) as year, count(*) as rows",
            "$group": "year",
            "$order": "year desc",
        },
        timeout=5,
    )
    assert grouped.json() == [
        {"year": "2025", "rows": "4"},
        {"year": "2024", "rows": "7"},
        {"year": "2023", "rows": "4"},
    ]
    assert json.loads(grouped.headers["X-SODA2-Types"]) == ["number", "number"]
    rows = requests.get(url, timeout=5).json()
    assert len(rows) == 15 and not any(":updated_at" in r for r in rows)
    stamps = requests.get(url, params={"$select": "data, :updated_at"}, timeout=5).json()
    assert {r[":updated_at"] for r in stamps} == {
        "2025-03-01T06:00:00.000Z",  # T0: the rows published then and left alone
        "2025-03-31T06:00:00.000Z",  # T1: the three rows of the revision
    }
    assert sum(r[":updated_at"] == "2025-03-31T06:00:00.000Z" for r in stamps) == 3
