"""How the Socrata client and the Lombardia datasets behave against a local SODA replica.

The replica (``tests/replicas/socrata.py``) answers like dati.lombardia.it according to
docs/sources.md section 2: strings everywhere, omitted keys, ``$limit`` at most 50,000,
chunked gzip bodies, 429 for anonymous callers over a budget; faults are injected on
demand. Every test names one promise of the client and fails if it is broken.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from ingestion.common.archive import RawArchive, Retrieval
from ingestion.common.errors import SourceError
from ingestion.common.http import HostPacer, HttpClient
from ingestion.common.ingest import ingest
from ingestion.common.schema import Field, TableSchema
from ingestion.lombardia import DATASETS, air, energy, health, labour, soda
from ingestion.lombardia.synthetic import (
    VIEWS,
    Column,
    View,
    hospital_rows,
    pharmacy_rows,
    station_rows,
    territory,
)
from osservatorio.settings import Settings
from tests.replicas.socrata import JSON_TYPE, ReplicaDataset, SocrataReplica, dataset

pytestmark = pytest.mark.integration

SOURCE, NAME, VIEW_ID = "lombardia", "rows", "abcd-1234"
FAST = {"backoff_initial": 0.01, "backoff_max": 0.05}
FIXTURES = Path(__file__).parents[1] / "fixtures" / "lombardia"
COLUMNS = ["id:number", "data:calendar_date", "valore:number", "nome"]
KEYED = TableSchema(
    fields=(
        Field("id", pl.String, "row number"),
        Field("data", pl.Datetime("us"), "time"),
        Field("valore", pl.Float64, "value"),
        Field("nome", pl.String, "name", required=False),
    ),
    primary_key=("id",),
)
UNKEYED = TableSchema(fields=KEYED.fields)


def make_rows(n: int) -> list[dict[str, str]]:
    """Rows 0..n-1; every tenth has an accented name, every seventh no value (omitted)."""
    rows = []
    for i in range(n):
        row = {"id": str(i), "data": f"2024-01-{1 + i % 28:02d}T{i % 24:02d}:00:00.000"}
        if i % 7:
            row["valore"] = str(i % 97)
        row["nome"] = "Città" if i % 10 == 0 else "ok"
        rows.append(row)
    return rows


@pytest.fixture(autouse=True)
def fresh_pacer() -> Iterator[None]:
    HostPacer.reset()
    yield
    HostPacer.reset()


@pytest.fixture(autouse=True)
def no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(soda.APP_TOKEN_ENV, raising=False)


@pytest.fixture
def replica() -> Iterator[SocrataReplica]:
    with SocrataReplica([dataset(VIEW_ID, COLUMNS, make_rows(12))]) as server:
        yield server
        assert server.errors == []


@pytest.fixture
def archive(tmp_path: Path) -> RawArchive:
    return RawArchive(tmp_path / "raw")


def client(
    server: SocrataReplica, *, page_size: int = 5, token: str | None = None, **http: Any
) -> soda.SodaClient:
    options: dict[str, Any] = {"max_attempts": 3, "timeout": (2.0, 2.0), **FAST, **http}
    return soda.SodaClient(
        HttpClient(SOURCE, **options), server.base_url, page_size=page_size, token=token
    )


def fetch(
    soda_client: soda.SodaClient,
    archive: RawArchive,
    *,
    schema: TableSchema = KEYED,
    where: str | None = None,
) -> Retrieval:
    with archive.retrieve(SOURCE, NAME, source_mode="live") as staged:
        soda_client.retrieve(staged, dataset=NAME, view_id=VIEW_ID, schema=schema, where=where)
    assert staged.result is not None
    return staged.result


def ids(retrieval: Retrieval, schema: TableSchema = KEYED) -> list[int]:
    frame = soda.read_retrieval(retrieval, schema, dataset=NAME)
    return sorted(int(i) for i in frame["id"])


def leftovers(archive: RawArchive) -> list[str]:
    directory = archive.dataset_dir(SOURCE, NAME)
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def kinds(server: SocrataReplica) -> list[tuple[str, int | None]]:
    return [(r.kind, r.status) for r in server.requests]


# -- 1. paging ------------------------------------------------------------------------------


def test_120000_rows_arrive_in_pages_of_50000_and_agree_with_count(archive) -> None:
    rows = [{"id": str(i), "data": "2024-01-01T00:00:00.000"} for i in range(120_000)]
    with SocrataReplica([dataset(VIEW_ID, COLUMNS, rows)]) as server:
        retrieval = fetch(client(server, page_size=50_000), archive)
        pages = [r for r in server.requests if r.kind == "page"]
        assert [r.query["$offset"] for r in pages] == ["0", "50000", "100000"]
        assert {(r.query["$limit"], r.query["$order"]) for r in pages} == {("50000", ":id")}
        assert kinds(server)[-1] == ("count", 200)
    names = [f["name"] for f in retrieval.files]
    assert names == [
        "view.json",
        "page-00001.json",
        "page-00002.json",
        "page-00003.json",
        "count.json",
    ]
    sizes = [len(soda.parse_rows(retrieval.file(n).read_bytes())) for n in names[1:4]]
    assert sizes == [50_000, 50_000, 20_000]  # 120,000 = 2 x 50,000 + 20,000
    assert soda.parse_count(retrieval.file("count.json").read_bytes()) == 120_000
    assert ids(retrieval) == list(range(120_000))


def test_a_full_last_page_is_followed_by_an_empty_one(archive) -> None:
    with SocrataReplica([dataset(VIEW_ID, COLUMNS, make_rows(10))]) as server:
        retrieval = fetch(client(server, page_size=5), archive)
        assert [r.query.get("$offset") for r in server.requests if r.kind == "page"] == [
            "0",
            "5",
            "10",
        ]
    assert retrieval.file("page-00003.json").read_bytes() == b"[]\n"
    assert ids(retrieval) == list(range(10))


def test_the_where_is_sent_to_pages_and_count_alike(replica, archive) -> None:
    # Rows 0..11 with a value: all but 0 and 7 (every seventh omits it); above 5: 6, 8..11.
    retrieval = fetch(client(replica), archive, where="valore > 5")
    assert ids(retrieval) == [6, 8, 9, 10, 11]
    wheres = {r.query.get("$where") for r in replica.requests if r.kind != "view"}
    assert wheres == {"valore > 5"}


def test_missing_values_and_accents_survive(replica, archive) -> None:
    frame = soda.read_retrieval(fetch(client(replica), archive), KEYED, dataset=NAME)
    table = KEYED.conform(frame, source=SOURCE, dataset=NAME).sort("id")
    first = table.filter(table["id"] == "0").row(0, named=True)
    assert first["valore"] is None and first["nome"] == "Città"
    assert str(first["data"]) == "2024-01-01 00:00:00"


def test_a_row_dropped_mid_paging_is_caught_by_count_and_nothing_is_archived(archive) -> None:
    with SocrataReplica([dataset(VIEW_ID, COLUMNS, make_rows(25))]) as server:
        server.drop_row_next(skip=1)  # the second page comes back one row short
        with pytest.raises(SourceError) as info:
            fetch(client(server, page_size=10), archive)
    message = str(info.value)
    # Page 1: 10 rows; page 2: 9 (< 10, so paging stops); count(*) says 25.
    assert message.startswith("lombardia/rows: paging http://127.0.0.1:")
    assert "returned 19 rows but count(*) is 25" in message
    assert f"/resource/{VIEW_ID}.json" in message
    assert leftovers(archive) == []


# -- 2. transient faults are ridden out -----------------------------------------------------


def _retry_after(server: SocrataReplica) -> None:
    server.fail_next(429, retry_after=1, on="page")


RECOVERABLE = {
    "429-retry-after": (_retry_after, 1, {}),
    "503-burst": (lambda s: s.fail_next(503, times=2, on="page"), 2, {}),
    "500": (lambda s: s.fail_next(500, on="count"), 1, {}),
    "202-processing": (
        lambda s: s.fail_next(202, body='{"message":"Processing"}', on="page"),
        1,
        {},
    ),
    "stalled-past-timeout": (
        lambda s: s.stall_next(1.0, on="page"),
        1,
        {"timeout": (1.0, 0.3)},
    ),
    "connection-cut-mid-body": (lambda s: s.cut_next(on="page"), 1, {}),
    "content-length-truncated": (lambda s: s.truncate_next(on="page"), 1, {}),
    "json-array-cut": (lambda s: s.truncate_json_next(on="page"), 1, {}),
    "latin-1-bytes": (lambda s: s.latin1_next(on="page"), 1, {}),
    "maintenance-page": (lambda s: s.malformed_next(on="page"), 1, {}),
    "view-503": (lambda s: s.fail_next(503, on="view"), 1, {}),
    "count-cut": (lambda s: s.truncate_json_next(on="count"), 1, {}),
}


@pytest.mark.parametrize(
    ("inject", "extra", "http"), RECOVERABLE.values(), ids=list(RECOVERABLE.keys())
)
def test_transient_faults_are_retried_and_the_retrieval_is_whole(
    replica, archive, inject, extra, http
) -> None:
    inject(replica)
    started = time.monotonic()
    retrieval = fetch(client(replica, **http), archive)
    # view + 3 pages (5, 5, 2) + count, plus the requests that were answered badly.
    assert len(replica.requests) == 5 + extra
    assert ids(retrieval) == list(range(12))
    assert [f["status"] for f in retrieval.files] == [200] * 5
    if "retry_after" in inject.__name__:
        refused, retried = [r for r in replica.requests if r.kind == "page"][:2]
        assert refused.status == 429 and refused.response_headers["Retry-After"] == "1"
        assert retried.received_at - refused.received_at >= 1.0
    assert time.monotonic() - started < 5


# -- 3. lasting faults fail whole, naming source, dataset, URL and cause --------------------

LASTING = {
    "500-always": (
        lambda s: s.fail_next(500, times=3, on="page"),
        r"HTTP 500 from .*gave up after 3 attempts",
        KEYED,
    ),
    "cut-always": (lambda s: s.cut_next(times=3, on="page"), "cut short", KEYED),
    "json-cut-always": (
        lambda s: s.truncate_json_next(times=3, on="page"),
        r"not valid JSON \(cut short\?\).* after 3 attempts",
        KEYED,
    ),
    "latin-1-always": (lambda s: s.latin1_next(times=3, on="page"), "not UTF-8", KEYED),
    "duplicated-row-keyed": (
        lambda s: s.duplicate_row_next(skip=2),  # the short last page repeats its first row
        r"row with key \{'id': '10'\} answered twice",
        KEYED,
    ),
    "duplicated-row-unkeyed": (
        lambda s: s.duplicate_row_next(skip=2),
        r"returned 13 rows but count\(\*\) is 12",
        UNKEYED,
    ),
    "renamed-column-in-answer": (
        lambda s: s.rename_column_next("valore", "valore_x"),
        r"schema drift: the answer has fields \['id', 'data', 'valore_x', 'nome'\]",
        KEYED,
    ),
    "error-object": (
        lambda s: s.malformed_next(
            '{"code":"query.timeout","error":true,"message":"Query timed out"}',
            content_type=JSON_TYPE,
            on="page",
        ),
        "answered an object, not rows: Query timed out",
        KEYED,
    ),
    "bad-request": (
        lambda s: s.fail_next(400, body='{"message":"bad query"}', on="page"),
        "HTTP 400 from .*bad query",
        KEYED,
    ),
}


@pytest.mark.parametrize(("inject", "cause", "schema"), LASTING.values(), ids=list(LASTING.keys()))
def test_lasting_faults_fail_whole_and_leave_nothing(
    replica, archive, inject, cause, schema
) -> None:
    inject(replica)
    with pytest.raises(SourceError) as info:
        fetch(client(replica), archive, schema=schema)
    message = str(info.value)
    assert (info.value.source, info.value.dataset) == (SOURCE, NAME)
    assert message.startswith("lombardia/rows: ")
    assert (
        f"http://127.0.0.1:{replica.base_url.rsplit(':', 1)[1]}/resource/{VIEW_ID}.json" in message
    )
    assert re.search(cause, message), message
    assert leftovers(archive) == []  # no retrieval and no staging directory


def test_a_renamed_column_is_schema_drift_before_any_row_is_fetched(replica, archive) -> None:
    replica.rename_column(VIEW_ID, "valore", "valore_misurato")
    with pytest.raises(SourceError) as info:
        fetch(client(replica), archive)
    assert str(info.value) == (
        "lombardia/rows: schema drift: dataset abcd-1234 no longer publishes column(s) "
        "['valore']; columns it publishes that we do not declare: ['valore_misurato']"
    )
    assert kinds(replica) == [("view", 200)]
    assert leftovers(archive) == []


def test_an_unknown_dataset_is_a_404_not_retried(replica, tmp_path) -> None:
    with pytest.raises(SourceError, match=r"HTTP 404 from .*/api/views/zzzz-9999\.json"):
        client(replica).view("zzzz-9999", tmp_path / "view.json", dataset=NAME)
    assert len(replica.requests) == 1


# -- 4. throttling and the app token --------------------------------------------------------


def test_anonymous_callers_over_the_budget_wait_retry_after(archive) -> None:
    with SocrataReplica(
        [dataset(VIEW_ID, COLUMNS, make_rows(12))], anonymous_budget=3, window_s=1.0
    ) as server:
        retrieval = fetch(client(server), archive)
        statuses = [r.status for r in server.requests]
        # view, page 1, page 2 fill the budget; page 3 is refused, waits, then passes.
        assert statuses == [200, 200, 200, 429, 200, 200]
        refused, retried = server.requests[3:5]
        assert retried.received_at - refused.received_at >= int(
            refused.response_headers["Retry-After"]
        )
    assert ids(retrieval) == list(range(12))


def test_with_a_token_there_is_no_throttling_and_it_travels_only_in_a_header(archive) -> None:
    token = "tok-3f9a1c"
    with SocrataReplica(
        [dataset(VIEW_ID, COLUMNS, make_rows(12))], anonymous_budget=1, valid_tokens={token}
    ) as server:
        fetch(client(server, token=token), archive)
        assert [r.status for r in server.requests] == [200] * 5
        assert {r.headers.get("X-App-Token") for r in server.requests} == {token}
        assert all(token not in json.dumps(r.query) for r in server.requests)
    assert token not in (archive.latest(SOURCE, NAME).path / "manifest.json").read_text()


def test_an_invalid_token_is_a_403_not_retried_and_not_echoed(archive) -> None:
    secret = "not-a-valid-token-77"
    with SocrataReplica([dataset(VIEW_ID, COLUMNS, make_rows(3))], valid_tokens={"x"}) as server:
        with pytest.raises(SourceError, match="HTTP 403") as info:
            fetch(client(server, token=secret), archive)
        assert len(server.requests) == 1
    assert secret not in str(info.value)


# -- 5. the datasets in live mode -----------------------------------------------------------

CURRENT_YEAR = 2026
MEASUREMENTS_2024 = [
    # (idsensore, data, valore, stato): kept or why not
    ("20429", "2024-01-01T00:00:00.000", "61", "VA"),  # kept: PM10 Senato
    ("20429", "2024-01-02T00:00:00.000", "-9999", "VA"),  # missing value
    ("20429", "2024-01-03T00:00:00.000", "48", "NA"),  # not validated
    ("10273", "2024-03-01T08:00:00.000", "71.3", "VA"),  # kept: NO2 Senato, hourly
    ("10273", "2023-12-31T23:00:00.000", "50.2", "VA"),  # the year before
    ("5750", "2024-01-01T00:00:00.000", "40", "VA"),  # Turbigo PM10 closed at the end of 2022
    ("10274", "2024-01-01T00:00:00.000", "1.2", "VA"),  # carbon monoxide: not asked for
    ("90001", "2024-01-01T00:00:00.000", "33", "VA"),  # a sensor of Bergamo
    ("6957", "2024-12-31T00:00:00.000", "19", "VA"),  # kept: PM2.5 Pascal, last day
    ("6957", "2025-01-01T00:00:00.000", "22", "VA"),  # the year after
]
MEASUREMENTS_NOW = [
    ("20429", f"{CURRENT_YEAR}-02-01T00:00:00.000", "55", "VA"),  # kept
    ("20429", f"{CURRENT_YEAR}-02-02T00:00:00.000", "57", "NA"),  # not validated yet
]


def measurement(values: tuple[str, str, str, str]) -> dict[str, str]:
    idsensore, data, valore, stato = values
    return {
        "idsensore": idsensore,
        "data": data,
        "valore": valore,
        "stato": stato,
        "idoperatore": "1",
    }


def fixture_rows(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def lombardia_datasets() -> list[ReplicaDataset]:
    comuni = territory()
    stations = station_rows()
    bergamo = [
        dict(stations[0], idsensore=s, provincia="BG", comune="Bergamo") for s in ("90001", "90002")
    ]
    activated = fixture_rows("qbau-cyuc.page.json")
    activated += [
        dict(activated[0], data="2023-12-31T00:00:00.000"),  # the year before
        dict(activated[0], provinciaimpresa="BERGAMO"),  # another province
    ]
    ceased = [dict(r, data="2024-06-30T00:00:00.000") for r in activated[:2]]
    ceased.append(dict(ceased[0], provinciaimpresa="MONZA E DELLA BRIANZA"))
    certificates = fixture_rows("bbky-sde5.page.json")
    certificates += [
        dict(certificates[0], cod_ape="1", provincia="BG", comune="BERGAMO"),
        dict(certificates[0], cod_ape="2", data_ins="2023-05-05T00:00:00.000"),
    ]
    for row in certificates:
        row["indirizzo"] = "VIA ROMA, 1"  # a published column we do not declare
    pharmacies = pharmacy_rows(comuni)
    pharmacies += [dict(pharmacies[0], cod_farmacia=c, sigla_provincia="BG") for c in ("1", "2")]
    return [
        ReplicaDataset(VIEWS["ib47-atvt"], stations + bergamo),
        ReplicaDataset(VIEWS["g2hp-ar79"], [measurement(m) for m in MEASUREMENTS_2024]),
        ReplicaDataset(VIEWS["nicp-bhqi"], [measurement(m) for m in MEASUREMENTS_NOW]),
        ReplicaDataset(VIEWS["qbau-cyuc"], activated),
        ReplicaDataset(VIEWS["nwz3-p6vm"], ceased),
        ReplicaDataset(VIEWS["bbky-sde5"], certificates),
        ReplicaDataset(VIEWS["6n7g-5p5e"], hospital_rows(comuni)),
        ReplicaDataset(VIEWS["f77v-rpny"], pharmacies),
    ]


@pytest.fixture(scope="module")
def lombardia() -> Iterator[SocrataReplica]:
    with SocrataReplica(lombardia_datasets()) as server:
        yield server
        assert server.errors == []


def live(server: SocrataReplica, data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        source_mode="live",
        base_urls={"lombardia": server.base_url},
        min_intervals={"lombardia": 0.0},
    )


def rows_of(settings: Settings, table: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(f"select * exclude (_retrieval_id, _sha256) from raw.{table}").fetchall()


def by_name(name: str):
    return next(d for d in DATASETS if d.name == name)


@pytest.mark.parametrize(
    ("name", "view_id", "partition", "expected"),
    [
        ("air_stations", "ib47-atvt", None, 34),  # 34 MI sensors; 2 of Bergamo filtered out
        ("labour_activated", "qbau-cyuc", "2024", 4),  # 6 rows less one of 2023, one of Bergamo
        ("labour_ceased", "nwz3-p6vm", "2024", 2),  # 3 rows less one of Monza
        ("energy_certificates", "bbky-sde5", "2024", 3),  # 5 less one of Bergamo, one of 2023
        ("hospitals", "6n7g-5p5e", None, 212),  # the whole regional list
        ("pharmacies", "f77v-rpny", None, 976),  # the province's; 2 of Bergamo filtered out
    ],
)
def test_live_ingest_lands_the_rows_of_the_province(
    lombardia, tmp_path, monkeypatch, name, view_id, partition, expected
) -> None:
    monkeypatch.setattr(soda, "current_year", lambda: CURRENT_YEAR)
    settings = live(lombardia, tmp_path)
    (result,) = ingest(by_name(name), settings, partitions=[partition])
    assert result.rows == expected and result.loaded
    assert len(rows_of(settings, f"lombardia__{name}")) == expected
    manifest = result.retrieval.manifest
    assert manifest["source_mode"] == "live" and manifest["partition"] == partition
    assert manifest["source_version"] == {"rowsUpdatedAt": VIEWS[view_id].rows_updated_at}
    assert result.retrieval.files[1]["url"] == f"{lombardia.base_url}/resource/{view_id}.json"
    assert [f["name"] for f in result.retrieval.files] == [
        "view.json",
        "page-00001.json",
        "count.json",
    ]


def test_live_measurements_follow_the_archived_sensors_and_the_year(
    lombardia, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(soda, "current_year", lambda: CURRENT_YEAR)
    settings = live(lombardia, tmp_path)
    with pytest.raises(SourceError, match="stations registry must be archived first"):
        ingest(air.MEASUREMENTS, settings, partitions=["2024"])
    ingest(air.STATIONS, settings)
    results = ingest(air.MEASUREMENTS, settings, partitions=["2024", str(CURRENT_YEAR)])
    # 2024 from g2hp-ar79: 3 of its 10 rows are kept (see MEASUREMENTS_2024);
    # the current year from nicp-bhqi: 1 of 2.
    assert [(r.partition, r.rows) for r in results] == [("2024", 3), ("2026", 1)]
    urls = [r.retrieval.files[1]["url"] for r in results]
    assert urls[0].endswith("/resource/g2hp-ar79.json") and urls[1].endswith(
        "/resource/nicp-bhqi.json"
    )
    kept = sorted((r[0], str(r[1]), r[2]) for r in rows_of(settings, "lombardia__air_measurements"))
    assert kept == [
        ("10273", "2024-03-01 08:00:00", 71.3),
        ("20429", "2024-01-01 00:00:00", 61.0),
        ("20429", "2026-02-01 00:00:00", 55.0),
        ("6957", "2024-12-31 00:00:00", 19.0),
    ]
    where = results[0].retrieval.files[1]["params"]["$where"]
    assert "'5750'" not in where and "'10274'" not in where and "'17127'" in where
    assert results[0].retrieval.manifest["source_version"]["where"] == where


def test_energy_schema_drift_in_live_mode_names_the_columns(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(soda, "current_year", lambda: CURRENT_YEAR)
    view = VIEWS["bbky-sde5"]
    columns = [
        Column("classe_energ", "text", "CLASSE_ENERG") if c.field_name == "classe_energetica" else c
        for c in view.columns
    ]
    drifted = ReplicaDataset(View(view.view_id, view.name, tuple(columns), view.attribution))
    with SocrataReplica([drifted]) as server:
        settings = live(server, tmp_path)
        with pytest.raises(SourceError) as info:
            ingest(energy.CERTIFICATES, settings, partitions=["2024"])
        assert [r.kind for r in server.requests] == ["view", "view"]  # probe, then fetch
    assert "no longer publishes column(s) ['classe_energetica']" in str(info.value)
    assert "'classe_energ'" in str(info.value)
    assert RawArchive(settings.raw_dir).retrievals("lombardia", "energy_certificates") == []
    staging = settings.raw_dir / "lombardia" / "energy_certificates"
    assert not staging.exists() or list(staging.iterdir()) == []


def test_optional_columns_the_source_lacks_are_not_asked_for(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(soda, "current_year", lambda: CURRENT_YEAR)
    view = VIEWS["bbky-sde5"]
    columns = tuple(c for c in view.columns if c.field_name != "anno_costruzione")
    rows = [
        {k: v for k, v in r.items() if k != "anno_costruzione"}
        for r in fixture_rows("bbky-sde5.page.json")
    ]
    lacking = ReplicaDataset(View(view.view_id, view.name, columns, view.attribution), rows)
    with SocrataReplica([lacking]) as server:
        settings = live(server, tmp_path)
        (result,) = ingest(energy.CERTIFICATES, settings, partitions=["2024"])
        (page,) = [r for r in server.requests if r.kind == "page"]
    assert "anno_costruzione" not in page.query["$select"]
    assert result.rows == 3
    assert {
        r[0]
        for r in _select(
            settings, "select anno_costruzione from raw.lombardia__energy_certificates"
        )
    } == {None}


def _select(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


# -- 6. incremental loads -------------------------------------------------------------------


def test_an_unchanged_dataset_costs_one_metadata_request(tmp_path) -> None:
    stations = ReplicaDataset(VIEWS["ib47-atvt"], station_rows())
    with SocrataReplica([stations]) as server:
        settings = live(server, tmp_path)
        (first,) = ingest(air.STATIONS, settings)
        assert [r.kind for r in server.requests] == ["view", "view", "page", "count"]
        before = len(server.requests)
        (second,) = ingest(air.STATIONS, settings)
        again = server.requests[before:]
        assert [(r.path, r.kind) for r in again] == [("/api/views/ib47-atvt.json", "view")]
        assert second.retrieval.retrieval_id == first.retrieval.retrieval_id and not second.loaded

        server.set_rows("ib47-atvt", station_rows()[:-1])  # a sensor leaves the registry
        before = len(server.requests)
        (third,) = ingest(air.STATIONS, settings)
        assert [r.kind for r in server.requests[before:]] == ["view", "view", "page", "count"]
    assert third.loaded and third.rows == 33
    version = third.retrieval.manifest["source_version"]["rowsUpdatedAt"]
    assert version == VIEWS["ib47-atvt"].rows_updated_at + 3600
    assert len(RawArchive(settings.raw_dir).retrievals("lombardia", "air_stations")) == 2


# -- 7. the token never lands anywhere ------------------------------------------------------


def test_the_app_token_reaches_no_file_log_or_error(tmp_path, monkeypatch, caplog) -> None:
    token = "SECRET-app-token-4d7e2b"
    monkeypatch.setenv(soda.APP_TOKEN_ENV, token)
    monkeypatch.setattr(soda, "current_year", lambda: CURRENT_YEAR)
    caplog.set_level(logging.DEBUG)
    with SocrataReplica(lombardia_datasets(), valid_tokens={token}, anonymous_budget=0) as server:
        settings = live(server, tmp_path)
        ingest(air.STATIONS, settings)
        ingest(air.MEASUREMENTS, settings, partitions=["2024"])
        ingest(health.HOSPITALS, settings)
        server.fail_next(400, body='{"message":"bad query"}', on="page")
        with pytest.raises(SourceError) as info:
            ingest(labour.ACTIVATED, settings, partitions=["2024"])
        sent = server.requests
    assert {r.headers.get("X-App-Token") for r in sent} == {token}  # every request had it
    assert all(token not in "".join(f"{k}={v}" for k, v in r.query.items()) for r in sent)
    assert token not in str(info.value)
    assert token not in caplog.text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in files) and settings.warehouse_path in files
    leaked = [p for p in files if token.encode() in p.read_bytes()]
    assert leaked == []
