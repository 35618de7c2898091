"""The ISTAT SDMX datasets beyond population, fetched through the real clients from the
replica (tests/replicas/istat.py), and ingested end to end in snapshot and live mode.

Datasets: population_balance (22_315), foreign_residents (29_7), labour_force (150_915 and
151_914), road_accidents (41_983), local_units (ASIA-UL). Expected values are computed by hand
from the replica's default observations (``default_flow_observations``), noted beside them.
"""

from __future__ import annotations

import gzip
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import duckdb
import polars as pl
import pytest

from ingestion.common.archive import RawArchive
from ingestion.common.errors import NoRecordsFound, SourceError
from ingestion.common.http import HostPacer, HttpClient
from ingestion.common.ingest import ingest
from ingestion.istat import (
    balance,
    comuni,
    flows,
    foreign_residents,
    labour_force,
    local_units,
    road_accidents,
)
from ingestion.istat.sdmx import PeriodBounds, SdmxClient, read_sdmx_csv
from osservatorio.settings import Settings
from tests.replicas.istat import FLOWS, IstatReplica, default_flow_observations

pytestmark = pytest.mark.integration

FAST = {"backoff_initial": 0.01, "backoff_max": 0.05}
MODULES = (balance, foreign_residents, labour_force, road_accidents, local_units)
IDS = [m.NAME for m in MODULES]
COMUNI_FILE = comuni.snapshot()[0].path
MESSAGE_NS = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}"
GENERIC_NS = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic}"
STRUCTURE_NS = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure}"


@pytest.fixture(autouse=True)
def fresh_pacer() -> Iterator[None]:
    HostPacer.reset()
    yield
    HostPacer.reset()


@pytest.fixture
def replica() -> Iterator[IstatReplica]:
    with IstatReplica(comuni_csv=COMUNI_FILE.read_bytes(), rate_limit=None) as server:
        yield server
        assert server.errors == []


def live_settings(server: IstatReplica, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        source_mode="live",
        base_urls={"istat_sdmx": server.sdmx_url, "istat_www": server.base_url},
        min_intervals={"istat_sdmx": 0.0, "istat_www": 0.0},
    )


def with_comuni(settings: Settings) -> Settings:
    """The comuni list archived first: the comune-level keys are built from it."""
    ingest(comuni.DATASET, settings)
    return settings


def raw(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def http(**overrides: object) -> HttpClient:
    options: dict[str, object] = {"max_attempts": 3, "timeout": (2.0, 2.0), **FAST}
    options.update(overrides)
    return HttpClient("istat", **options)  # type: ignore[arg-type]


def client(server: IstatReplica, tmp_path: Path, **overrides: object) -> SdmxClient:
    return SdmxClient(http(**overrides), server.sdmx_url, cache_dir=tmp_path / "cache")


def data_requests(server: IstatReplica) -> list:
    return [r for r in server.requests if "/data/" in r.path]


def fetch_one(
    sdmx_client: SdmxClient, tmp_path: Path, flow: str, key: str, dataset: str = "test"
) -> pl.DataFrame:
    archive = RawArchive(tmp_path / "raw")
    with archive.retrieve("istat", dataset, source_mode="live") as staged:
        sdmx_client.fetch_csv(staged, "data.csv", dataset=dataset, flow=flow, key=key)
    assert staged.result is not None
    return read_sdmx_csv(staged.result.file("data.csv"), dataset=dataset, period=PeriodBounds())


# -- 1. snapshot mode: the bundled payloads load as they are ---------------------------------

SNAPSHOT_ROWS = {
    # 133 comuni x 8 event types x 2019..2024
    "population_balance": 133 * 8 * 6,
    # 133 comuni x sexes 1, 2, 9 x 2019..2025
    "foreign_residents": 133 * 3 * 7,
    # (2 ages x 3 sexes) x 2 flows x 2018..2025
    "labour_force": 6 * 2 * 8,
    # 133 comuni x 3 series x 2019..2024
    "road_accidents": 133 * 3 * 6,
}


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_snapshot_mode_loads_the_bundled_payloads(module: ModuleType, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    (result,) = ingest(module.DATASET, settings)
    assert result.loaded and result.retrieval.manifest["synthetic"] is True
    payloads = []
    for file in module.DATASET.snapshot(None):
        with gzip.open(file.path) as handle:
            payloads.append(pl.read_csv(handle.read(), infer_schema=False))
    bundled = pl.concat(payloads, how="diagonal")
    expected_rows = SNAPSHOT_ROWS.get(module.NAME, bundled.height)  # local units: cells vary
    table = module.DATASET.table
    assert raw(settings, f"select count(*) from raw.{table}") == [(expected_rows,)]
    assert result.rows == expected_rows
    # The recorded request is the real one, for every payload.
    for entry in result.retrieval.files:
        assert entry["url"].startswith("https://esploradati.istat.it/SDMXWS/rest/data/IT1,")
    # A few values, compared with the bundled bytes read independently.
    first = bundled.row(0, named=True)
    where = " and ".join(
        f"{column.lower()} = '{first[column]}'"
        for column in ("DATA_TYPE", "SEX", "AGE", "RESULT", "ECON_ACTIVITY_NACE_2007")
        if column in bundled.columns
    )
    area = "ITC4C" if module is labour_force else first["REF_AREA"]
    ((value,),) = raw(
        settings,
        f"select obs_value from raw.{table} where ref_area = '{area}' "
        f"and time_period = '{first['TIME_PERIOD']}' and {where}",
    )
    assert value == float(first["OBS_VALUE"])
    rerun = ingest(module.DATASET, settings)
    assert [r.loaded for r in rerun] == [False]  # unchanged: neither parsed nor reloaded


def test_the_local_units_snapshot_keeps_every_cell_of_every_group(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    ingest(local_units.DATASET, settings)
    ((comuni_count, years, rows),) = raw(
        settings,
        "select count(distinct ref_area), count(distinct time_period), count(*) "
        "from raw.istat__local_units",
    )
    assert (comuni_count, years) == (133, 6)
    # Every comune and year has both counts for all sectors: 133 x 6 x 2 rows of 0010.
    ((totals,),) = raw(
        settings,
        "select count(*) from raw.istat__local_units where econ_activity_nace_2007 = '0010'",
    )
    assert totals == 133 * 6 * 2 and rows > totals


# -- 2. live mode: through the real client, from the replica ---------------------------------

LIVE = {
    # module: (rows, (where clause, value)) from the replica's defaults, by hand
    # 3 comuni x 6 event types x 2019..2024; Milano deaths 2019 = 1,370,000 // 110 = 12,454
    "population_balance": (108, ("ref_area='015146' and data_type='DEATH'", "2019", 12454.0)),
    # 3 comuni x 3 sexes x 2019..2024; Milano total 2019 = 1,370,000 // 20 + // 19
    #   = 68,500 + 72,105 = 140,605
    "foreign_residents": (54, ("ref_area='015146' and sex='9'", "2019", 140605.0)),
    # 2 flows x 2 ages x 3 sexes x 2018..2024; both sexes 20-64 in 2020 = 75.0 + 0.2 = 75.2
    "labour_force": (84, ("sex='9' and age='Y20-64'", "2020", 75.2)),
    # 3 comuni x 3 series x 2019..2024; Milano accidents 2019 = 1,370,000 // 2000 = 685
    "road_accidents": (54, ("ref_area='015146' and data_type='ROADACC'", "2019", 685.0)),
    # 3 comuni x (0010, 49, 52) x (LU, LUEMPDAA) x 2019..2024;
    #   Milano employees 2019, all sectors = 1,370,000 x 0.4 = 548,000
    "local_units": (
        108,
        (
            "ref_area='015146' and data_type='LUEMPDAA' and econ_activity_nace_2007='0010'",
            "2019",
            548000.0,
        ),
    ),
}


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_live_mode_fetches_through_the_client_and_loads(
    module: ModuleType, replica: IstatReplica, tmp_path: Path
) -> None:
    settings = with_comuni(live_settings(replica, tmp_path))
    before = len(replica.requests)
    (result,) = ingest(module.DATASET, settings)
    rows, (where, year, value) = LIVE[module.NAME]
    table = module.DATASET.table
    assert raw(settings, f"select count(*) from raw.{table}") == [(rows,)]
    assert raw(
        settings, f"select obs_value from raw.{table} where {where} and time_period = '{year}'"
    ) == [(value,)]
    assert result.retrieval.manifest["source_mode"] == "live"
    requests = replica.requests[before:]
    structures = [r for r in requests if "/dataflow/" in r.path]
    payloads = labour_force.payloads() if module is labour_force else module.payloads(["015146"])
    assert {r.path.split("/")[5] for r in structures} == {p.flow for p in payloads}
    assert all(r.query == {"references": "datastructure"} for r in structures)
    data = [r for r in requests if "/data/" in r.path]
    assert all("vnd.sdmx.data+csv" in r.headers["Accept"] for r in data)
    for entry in result.retrieval.files:
        assert entry["url"].startswith(f"{replica.sdmx_url}/data/IT1,")
        assert entry["headers"]["content-type"].startswith("application/vnd.sdmx.data+csv")
        assert entry["params"] == {"startPeriod": str(module.START_YEAR)}


def test_live_local_units_ask_in_groups_and_tolerate_a_group_without_data(
    replica: IstatReplica, tmp_path: Path
) -> None:
    settings = with_comuni(live_settings(replica, tmp_path))
    (result,) = ingest(local_units.DATASET, settings)
    data = data_requests(replica)
    keys = [r.path.split("/")[-1] for r in data]
    assert [len(k.split(".")[1].split("+")) for k in keys] == [35, 35, 35, 28]
    # The defaults hold Abbiategrasso and Albairate (group 1) and Milano (group 3).
    assert [r.status for r in data] == [200, 404, 200, 404]
    assert [f["name"] for f in result.retrieval.files] == ["data-1.csv", "data-3.csv"]


def test_a_key_with_more_than_35_comuni_is_refused_by_the_local_units_flow(
    replica: IstatReplica, tmp_path: Path
) -> None:
    codes = [f"015{n:03d}" for n in range(1, 37)]
    with pytest.raises(SourceError, match="HTTP 400") as info:
        fetch_one(client(replica, tmp_path), tmp_path, local_units.FLOW, local_units.key(codes))
    assert not isinstance(info.value, NoRecordsFound)
    assert [r.status for r in replica.requests] == [400]  # a client error: not retried


# -- 3. keys: + and wildcards, on every flow -------------------------------------------------

KEYS = [
    # flow, key, expected rows (by hand from the defaults)
    # Milano + Albairate, every event type (wildcard): 2 x 6 x 6 years
    ("22_315", "A.015146+015005..9", 72),
    # every comune (wildcard), women and total: 3 x 2 x 6
    ("29_7", "A..JAN.2+9.TOTAL", 36),
    # the province, men, every age (wildcard): 2 ages x 7 years
    ("150_915", "A.ITC45.EMP_R.1..99.TOTAL", 14),
    # both province codes asked, one published: 1 age x 3 sexes x 7 years
    ("151_914", "A.ITC4C+ITC45.UNEM_R..Y15-24.99.TOTAL.TOTAL", 21),
    # Abbiategrasso, the two casualty results: 2 x 6
    ("41_983", "A.015002.KILLINJ.M+F", 12),
    # Milano, transport divisions 49 and 52, both data types: 2 x 2 x 6
    (local_units.FLOW, "A.015146..49+52.TOTAL", 24),
]


@pytest.mark.parametrize(("flow", "key", "rows"), KEYS, ids=[k[0] for k in KEYS])
def test_keys_filter_with_or_and_wildcards(
    replica: IstatReplica, tmp_path: Path, flow: str, key: str, rows: int
) -> None:
    frame = fetch_one(client(replica, tmp_path), tmp_path, flow, key)
    assert frame.height == rows
    spec = FLOWS[flow]
    assert frame.columns[: len(spec.dimensions) + 3] == [
        "DATAFLOW",
        *spec.dimensions,
        "TIME_PERIOD",
        "OBS_VALUE",
    ]
    for dimension, segment in zip(spec.dimensions, key.split("."), strict=True):
        if segment:
            assert set(frame[dimension]) <= set(segment.split("+")), dimension


@pytest.mark.parametrize("flow", [k[0] for k in KEYS])
def test_a_key_of_the_wrong_length_is_a_400(replica: IstatReplica, tmp_path: Path, flow: str):
    short = ".".join(["A"] * (len(FLOWS[flow].dimensions) - 1))
    with pytest.raises(SourceError, match="HTTP 400"):
        fetch_one(client(replica, tmp_path), tmp_path, flow, short)


# -- 4. content negotiation ------------------------------------------------------------------


@pytest.mark.parametrize("flow", ["22_315", "151_914", local_units.FLOW])
def test_the_format_follows_the_accept_header(
    replica: IstatReplica, tmp_path: Path, flow: str
) -> None:
    url = client(replica, tmp_path).data_url(flow, "all")
    as_csv = http().download(url, tmp_path / "a.csv", dataset="t", headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("application/vnd.sdmx.data+csv")
    assert (tmp_path / "a.csv").read_text().startswith("DATAFLOW,FREQ,REF_AREA,")
    as_xml = http().download(url, tmp_path / "a.xml", dataset="t", headers={"Accept": None})  # type: ignore[dict-item]
    assert as_xml.headers["content-type"].startswith("application/vnd.sdmx.genericdata+xml")
    root = ET.parse(tmp_path / "a.xml").getroot()
    assert root.tag == f"{MESSAGE_NS}GenericData"
    (ref,) = root.iter("Ref")
    assert ref.get("id") == FLOWS[flow].dsd
    keys = {v.get("id") for v in root.iter(f"{GENERIC_NS}Value")}
    assert set(FLOWS[flow].dimensions) <= keys
    with pytest.raises(SourceError, match="HTTP 406"):
        http().download(url, tmp_path / "a.pdf", dataset="t", headers={"Accept": "application/pdf"})


# -- 5. the province code: ITC4C, ITC45 or both ---------------------------------------------


def rates(flow: str, territory: str) -> pl.DataFrame:
    return default_flow_observations(flow).with_columns(pl.lit(territory).alias("REF_AREA"))


@pytest.mark.parametrize(
    ("employment_code", "unemployment_code"),
    [("ITC4C", "ITC45"), ("ITC4C", "ITC4C"), ("ITC45", "ITC45")],
    ids=["mixed", "nuts-2021", "nuts-2010"],
)
def test_either_province_code_is_normalised(
    tmp_path: Path, employment_code: str, unemployment_code: str
) -> None:
    observations = {
        "150_915": rates("150_915", employment_code),
        "151_914": rates("151_914", unemployment_code),
    }
    with IstatReplica(flows=observations, rate_limit=None) as server:
        settings = live_settings(server, tmp_path)
        ingest(labour_force.DATASET, settings)
        keys = [r.path.split("/")[-1] for r in data_requests(server)]
    assert all(k.split(".")[1] == "ITC4C+ITC45" for k in keys)
    published = dict(
        raw(settings, "select distinct data_type, ref_area_published from raw.istat__labour_force")
    )
    assert published == {"EMP_R": employment_code, "UNEM_R": unemployment_code}
    assert raw(settings, "select distinct ref_area from raw.istat__labour_force") == [("ITC4C",)]


def test_both_codes_published_for_the_same_series_keep_one_row(tmp_path: Path) -> None:
    employment = pl.concat([rates("150_915", "ITC45"), rates("150_915", "ITC4C")])
    with IstatReplica(flows={"150_915": employment}, rate_limit=None) as server:
        settings = live_settings(server, tmp_path)
        ingest(labour_force.DATASET, settings)
    # 2 ages x 3 sexes x 7 years per flow, not twice that for employment.
    assert raw(settings, "select count(*) from raw.istat__labour_force") == [(84,)]


def test_a_province_under_neither_code_finds_no_records(tmp_path: Path) -> None:
    lombardia = {flow: rates(flow, "ITC4") for flow in ("150_915", "151_914")}
    with IstatReplica(flows=lombardia, rate_limit=None) as server:
        settings = live_settings(server, tmp_path)
        with pytest.raises(NoRecordsFound, match=r"^istat/labour_force: HTTP 404"):
            ingest(labour_force.DATASET, settings)
    assert RawArchive(settings.raw_dir).retrievals("istat", "labour_force") == []


# -- 6. no records ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [balance, foreign_residents, road_accidents, local_units],
    ids=["population_balance", "foreign_residents", "road_accidents", "local_units"],
)
def test_no_records_for_our_comuni_is_no_records_found_and_archives_nothing(
    module: ModuleType, tmp_path: Path
) -> None:
    flow = module.FLOW
    elsewhere = default_flow_observations(flow).with_columns(pl.lit("099999").alias("REF_AREA"))
    with IstatReplica(
        flows={flow: elsewhere}, comuni_csv=COMUNI_FILE.read_bytes(), rate_limit=None
    ) as server:
        settings = with_comuni(live_settings(server, tmp_path))
        with pytest.raises(NoRecordsFound, match=f"^istat/{module.NAME}: "):
            ingest(module.DATASET, settings)
        assert {r.status for r in data_requests(server)} == {404}
    directory = RawArchive(settings.raw_dir).dataset_dir("istat", module.NAME)
    assert sorted(p.name for p in directory.iterdir()) == []  # no entry, no staging left


# -- 7. a changed data structure -------------------------------------------------------------


def reordered(dimensions: tuple[str, ...]) -> tuple[str, ...]:
    """DATA_TYPE moved before REF_AREA (the kind of change the assumed orders risk)."""
    rest = [d for d in dimensions if d not in ("FREQ", "DATA_TYPE", "REF_AREA")]
    return ("FREQ", "DATA_TYPE", "REF_AREA", *rest)


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_a_reordered_data_structure_is_schema_drift_before_any_data_request(
    module: ModuleType, tmp_path: Path
) -> None:
    flow = labour_force.UNEMPLOYMENT_FLOW if module is labour_force else module.FLOW
    published = reordered(FLOWS[flow].dimensions)
    with IstatReplica(
        flow_dimensions={flow: published}, comuni_csv=COMUNI_FILE.read_bytes(), rate_limit=None
    ) as server:
        settings = with_comuni(live_settings(server, tmp_path))
        with pytest.raises(SourceError, match="schema drift") as info:
            ingest(module.DATASET, settings)
        assert data_requests(server) == []  # no data asked with a wrong key
        assert server.errors == []
    assert str(info.value).startswith(f"istat/{module.NAME}: schema drift: {flow} key dimensions")
    assert str(list(published)) in str(info.value)
    assert RawArchive(settings.raw_dir).retrievals("istat", module.NAME) == []


def test_the_replica_publishes_every_structure(replica: IstatReplica, tmp_path: Path) -> None:
    path = tmp_path / "all.xml"
    http().download(
        f"{replica.sdmx_url}/dataflow/IT1/all/latest",
        path,
        dataset="t",
        params={"references": "datastructure"},
    )
    root = ET.parse(path).getroot()
    flows_listed = {f.get("id") for f in root.iter(f"{STRUCTURE_NS}Dataflow")}
    assert flows_listed == set(FLOWS)
    dsds = {d.get("id"): d for d in root.iter(f"{STRUCTURE_NS}DataStructure")}
    unemployment = dsds["DCCV_TAXDISOCCU1"].iter(f"{STRUCTURE_NS}Dimension")
    assert [(d.get("id"), d.get("position")) for d in unemployment][-1] == (
        "DURATION_UNEMPLOYMENT",
        "8",
    )


# -- 8. transient failures: 429 and 5xx ------------------------------------------------------


@pytest.mark.parametrize("flow", ["22_315", "29_7", "41_983", "150_915", local_units.FLOW])
def test_503_bursts_a_429_and_a_cut_body_are_ridden_out(
    replica: IstatReplica, tmp_path: Path, flow: str
) -> None:
    replica.fail_next(503, times=2)
    replica.fail_next(429, retry_after="0")
    replica.truncate_next()  # then a body cut short
    frame = fetch_one(client(replica, tmp_path, max_attempts=5), tmp_path, flow, "all")
    assert [r.status for r in replica.requests] == [503, 503, 429, 200, 200]
    # Every observation of the flow arrived whole (the replica's defaults, "all" key).
    assert frame.height == default_flow_observations(flow).height


def test_a_dataset_fetch_recovers_from_429_and_500_with_its_own_client(
    replica: IstatReplica, tmp_path: Path
) -> None:
    settings = live_settings(replica, tmp_path)
    replica.fail_next(500)  # the first structure request
    replica.fail_next(429, retry_after=1)  # its retry
    started = time.monotonic()
    (result,) = ingest(labour_force.DATASET, settings)
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert [r.status for r in replica.requests][:3] == [500, 429, 200]
    assert result.rows == 84


def test_over_the_rate_limit_the_fetch_waits_and_succeeds(tmp_path: Path) -> None:
    with IstatReplica(rate_limit=2, window_s=1.0) as server:
        settings = live_settings(server, tmp_path)
        (result,) = ingest(labour_force.DATASET, settings)  # 2 structures + 2 data requests
        statuses = [r.status for r in server.requests]
    assert statuses.count(200) == 4 and 429 in statuses
    assert result.rows == 84


def test_the_fetch_helper_keeps_the_key_order_check_per_flow(
    replica: IstatReplica, tmp_path: Path
) -> None:
    archive = RawArchive(tmp_path / "raw")
    with archive.retrieve("istat", labour_force.NAME, source_mode="live") as staged:
        flows.fetch_with(
            client(replica, tmp_path), staged, labour_force.NAME, labour_force.payloads()
        )
    structures = [r.path for r in replica.requests if "/dataflow/" in r.path]
    assert structures == [
        "/SDMXWS/rest/dataflow/IT1/150_915/latest",
        "/SDMXWS/rest/dataflow/IT1/151_914/latest",
    ]
    assert sorted((tmp_path / "cache").iterdir()) == [
        tmp_path / "cache" / "dataflow-150_915.xml",
        tmp_path / "cache" / "dataflow-151_914.xml",
    ]
