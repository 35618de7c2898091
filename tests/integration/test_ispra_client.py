"""How the ISPRA waste client behaves against a static-file replica of the Catasto rifiuti.

The replica (``tests/replicas/static_files.py``) serves the bundled yearly files at the real
path ``/get/getDettaglioComunale.csv.php``, a header-only file for a year not yet published
(the real 2025 file, about 535 bytes) and an HTML landing page; faults are injected on
demand. Every test names one promise of the client and fails if it is broken: transient
faults are retried, the rest is a ``SourceError`` naming source and dataset, and the
archive never holds a half-written entry.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingestion.common.archive import RawArchive, Retrieval
from ingestion.common.errors import NoRecordsFound, SourceError
from ingestion.common.http import USER_AGENT, HostPacer, HttpClient
from ingestion.common.ingest import ingest
from ingestion.ispra import synthetic, waste
from osservatorio.settings import Settings
from tests.replicas.static_files import HTML_TYPE, StaticFileReplica, reencode

pytestmark = pytest.mark.integration

SOURCE, DATASET = "ispra", "waste"
CSV_TYPE = synthetic.CONTENT_TYPE
YEARS = (2023, 2024)
FAST = {"max_attempts": 3, "timeout": (2.0, 2.0), "backoff_initial": 0.01, "backoff_max": 0.05}
LANDING = (
    b'<!DOCTYPE html>\n<html lang="it"><head><title>Catasto Rifiuti - Download dati comunali'
    b'</title></head><body><div id="app"></div><script src="js/app.js"></script></body></html>\n'
)


def payload(year: int) -> bytes:
    return gzip.decompress((waste.SNAPSHOT_DIR / f"waste-{year}.csv.gz").read_bytes())


UNPUBLISHED = synthetic.waste_csv([], 2025)  # title and header only


@pytest.fixture(autouse=True)
def fresh_pacer() -> Iterator[None]:
    HostPacer.reset()
    yield
    HostPacer.reset()


@pytest.fixture
def replica() -> Iterator[StaticFileReplica]:
    with StaticFileReplica() as server:
        for year in YEARS:
            server.add(
                waste.FILE_PATH, payload(year), query={"aa": str(year)}, content_type=CSV_TYPE
            )
        server.add(waste.FILE_PATH, UNPUBLISHED, content_type=CSV_TYPE)  # any other year [A]
        server.add("/index.php", LANDING, query={"pg": "downloadComune"}, content_type=HTML_TYPE)
        yield server
        assert server.errors == []


@pytest.fixture
def archive(tmp_path: Path) -> RawArchive:
    return RawArchive(tmp_path / "raw")


def http(**overrides: object) -> HttpClient:
    return HttpClient(SOURCE, **{**FAST, **overrides})  # type: ignore[arg-type]


def fetch(
    server: StaticFileReplica, archive: RawArchive, year: int = 2024, **overrides: object
) -> Retrieval:
    with archive.retrieve(SOURCE, DATASET, source_mode="live", partition=str(year)) as staged:
        waste.download_year(http(**overrides), server.base_url, year, staged)
    assert staged.result is not None
    return staged.result


def leftovers(archive: RawArchive) -> list[str]:
    """Everything in the dataset's archive folder, hidden staging folders included."""
    directory = archive.dataset_dir(SOURCE, DATASET)
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def statuses(server: StaticFileReplica) -> list[int | None]:
    return [r.status for r in server.requests]


def live_settings(tmp_path: Path, server: StaticFileReplica) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        source_mode="live",
        base_urls={waste.ENDPOINT: server.base_url},
        min_intervals={waste.ENDPOINT: 0.0},
    )


def raw_rows(settings: Settings) -> dict[str, int]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return dict(
            con.execute(
                "select _partition, count(*) from raw.ispra__waste group by 1 order by 1"
            ).fetchall()
        )


# -- 1. the real URL shape, archived with provenance -------------------------------------


def test_a_year_is_fetched_with_the_real_url_and_archived_faithfully(replica, archive) -> None:
    retrieval = fetch(replica, archive, 2024)

    (request,) = replica.requests
    assert request.target == "/get/getDettaglioComunale.csv.php?&aa=2024"  # the form in use
    assert request.query == {"aa": "2024"}
    assert request.headers["User-Agent"] == USER_AGENT
    (entry,) = retrieval.files
    assert entry["url"] == replica.base_url + "/get/getDettaglioComunale.csv.php"
    assert entry["params"] == {"aa": "2024"}
    assert entry["status"] == 200
    assert entry["headers"]["content-type"] == CSV_TYPE
    archived = retrieval.file(waste.PAYLOAD).read_bytes()
    assert archived == payload(2024)  # byte for byte, BOM and TABs included
    assert entry["bytes"] == len(archived) == int(entry["headers"]["content-length"])
    assert entry["sha256"] == hashlib.sha256(archived).hexdigest()
    assert retrieval.partition == "2024" and retrieval.manifest["source_mode"] == "live"
    frame = waste.SCHEMA.conform(waste.parse(retrieval), source=SOURCE, dataset=DATASET)
    assert frame.height == 133 and set(frame["anno"]) == {2024}


def test_the_plain_query_form_is_served_the_same(replica, tmp_path) -> None:
    result = http().download(
        replica.base_url + waste.FILE_PATH,
        tmp_path / "x.csv",
        dataset=DATASET,
        params={"aa": "2023"},
    )
    assert replica.requests[0].target.endswith("?aa=2023")
    assert (tmp_path / "x.csv").read_bytes() == payload(2023) and result.status == 200


def test_a_gzip_encoded_chunked_answer_is_archived_decoded(replica, archive) -> None:
    replica.add(
        waste.FILE_PATH,
        payload(2024),
        query={"aa": "2024"},
        content_type=CSV_TYPE,
        content_encoding="gzip",
        chunked=True,
    )
    retrieval = fetch(replica, archive, 2024)
    (request,) = replica.requests
    assert request.response_headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in request.response_headers
    (entry,) = retrieval.files
    assert retrieval.file(waste.PAYLOAD).read_bytes() == payload(2024)
    assert entry["sha256"] == hashlib.sha256(payload(2024)).hexdigest()
    assert entry["headers"]["content-encoding"] == "gzip"


# -- 2. transient faults are retried -------------------------------------------------------


def test_429_waits_retry_after_then_succeeds(replica, archive) -> None:
    replica.fail_next(429, retry_after=1)
    retrieval = fetch(replica, archive)
    assert statuses(replica) == [429, 200]
    refused, retried = replica.requests
    assert refused.response_headers["Retry-After"] == "1"
    assert retried.received_at - refused.received_at >= 1.0
    assert retrieval.file(waste.PAYLOAD).read_bytes() == payload(2024)


def test_a_burst_of_503_and_500_is_ridden_out(replica, archive) -> None:
    replica.fail_next(503)
    replica.fail_next(500)
    retrieval = fetch(replica, archive)
    assert statuses(replica) == [503, 500, 200]
    assert retrieval.files[0]["status"] == 200


def test_a_persistent_500_gives_up_and_archives_nothing(replica, archive) -> None:
    replica.fail_next(500, times=3)
    with pytest.raises(SourceError) as info:
        fetch(replica, archive)
    message = str(info.value)
    assert message.startswith("ispra/waste: HTTP 500")
    assert "gave up after 3 attempts" in message
    assert statuses(replica) == [500, 500, 500]
    assert leftovers(archive) == []


def test_a_slow_answer_past_the_timeout_is_retried(replica, archive) -> None:
    replica.stall_next(1.0)
    started = time.monotonic()
    retrieval = fetch(replica, archive, timeout=(1.0, 0.25))
    assert time.monotonic() - started < 1.0  # did not wait for the stalled answer
    assert len(replica.requests) == 2
    assert retrieval.file(waste.PAYLOAD).read_bytes() == payload(2024)


def test_an_answer_always_too_slow_fails_clearly(replica, archive) -> None:
    replica.stall_next(0.6, times=2)
    with pytest.raises(SourceError, match=r"^ispra/waste: (Read|Connect)?Timeout"):
        fetch(replica, archive, timeout=(1.0, 0.2), max_attempts=2)
    assert leftovers(archive) == []


def test_a_connection_cut_mid_body_is_fetched_again(replica, archive) -> None:
    replica.cut_next()
    retrieval = fetch(replica, archive)
    assert len(replica.requests) == 2
    assert replica.requests[0].response_headers["Transfer-Encoding"] == "chunked"
    assert retrieval.file(waste.PAYLOAD).read_bytes() == payload(2024)


def test_a_connection_always_cut_fails_and_leaves_nothing(replica, archive) -> None:
    replica.cut_next(times=3)
    with pytest.raises(SourceError, match=r"^ispra/waste: .*cut short"):
        fetch(replica, archive)
    assert len(replica.requests) == 3
    assert leftovers(archive) == []


def test_a_truncated_body_is_detected_and_fetched_again(replica, archive) -> None:
    replica.truncate_next()
    retrieval = fetch(replica, archive)
    assert statuses(replica) == [200, 200]
    (entry,) = retrieval.files
    assert entry["bytes"] == int(entry["headers"]["content-length"]) == len(payload(2024))


def test_a_body_always_truncated_fails_and_leaves_nothing(replica, archive) -> None:
    replica.truncate_next(times=3)
    with pytest.raises(SourceError, match=r"^ispra/waste: .*(truncated|cut short)"):
        fetch(replica, archive)
    assert leftovers(archive) == []


# -- 3. answers that are not the file: refused before the archive -----------------------------


def test_an_html_page_instead_of_the_csv_is_a_source_error(replica, archive) -> None:
    replica.replace_next(LANDING, content_type=HTML_TYPE)
    with pytest.raises(SourceError, match=r"^ispra/waste: got an HTML page instead of the CSV"):
        fetch(replica, archive)
    assert len(replica.requests) == 1  # a wrong answer is not retried
    assert leftovers(archive) == []


def test_the_landing_page_is_html_and_refused(replica, tmp_path) -> None:
    dest = tmp_path / "page"
    result = http().download(
        waste.LANDING_URL.replace(waste.DEFAULT_BASE_URL, replica.base_url), dest, dataset=DATASET
    )
    assert result.headers["content-type"].startswith("text/html")
    with pytest.raises(SourceError, match="got an HTML page"):
        waste.ensure_rows(dest, 2024)


def test_an_unpublished_year_is_no_records_found_and_archives_nothing(replica, archive) -> None:
    with pytest.raises(NoRecordsFound, match=r"^ispra/waste: the 2025 file holds a header but no"):
        fetch(replica, archive, 2025)
    (request,) = replica.requests  # an answer, not a failure: not retried
    assert request.status == 200 and request.query == {"aa": "2025"}
    assert leftovers(archive) == []


def test_binary_garbage_is_a_source_error_and_archives_nothing(replica, archive) -> None:
    replica.replace_next(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))
    with pytest.raises(SourceError, match=r"^ispra/waste: the 2024 answer holds no rows") as info:
        fetch(replica, archive)
    assert not isinstance(info.value, NoRecordsFound)
    assert leftovers(archive) == []


def test_a_wrong_path_is_a_404_source_error_not_no_records(replica, tmp_path) -> None:
    with pytest.raises(SourceError, match="HTTP 404") as info:
        http().download(replica.base_url + "/get/nothing.php", tmp_path / "x", dataset=DATASET)
    assert not isinstance(info.value, NoRecordsFound)
    assert statuses(replica) == [404]


# -- 4. ingest() in live mode, and payloads that are wrong: clear errors, raw untouched -------


def test_ingest_in_live_mode(replica, tmp_path) -> None:
    settings = live_settings(tmp_path, replica)
    results = ingest(waste.DATASET, settings, ["2023", "2024"])
    assert [(r.partition, r.rows, r.loaded) for r in results] == [
        ("2023", 133, True),
        ("2024", 133, True),
    ]
    assert [r.target for r in replica.requests] == [
        "/get/getDettaglioComunale.csv.php?&aa=2023",
        "/get/getDettaglioComunale.csv.php?&aa=2024",
    ]
    assert all(r.retrieval.manifest["source_mode"] == "live" for r in results)
    assert "synthetic" not in results[0].retrieval.manifest
    assert raw_rows(settings) == {"2023": 133, "2024": 133}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        milano = con.execute(
            "select anno, popolazione, totale_ru_t from raw.ispra__waste "
            "where istat_comune = '03015146' order by anno"
        ).fetchall()
    expected = [
        (year, row["popolazione"], row["totale_ru_t"])
        for year in YEARS
        for row in waste.SCHEMA.conform(
            waste.parse_bytes(payload(year), year=year), source=SOURCE, dataset=DATASET
        )
        .filter(istat_comune="03015146")
        .iter_rows(named=True)
    ]
    assert milano == expected

    # The newest year is not published yet: that partition is reported as not published
    # (no retrieval), the years before it loaded and untouched, nothing archived for it.
    results = ingest(waste.DATASET, settings, ["2024", "2025"])
    assert [(r.partition, r.retrieval is None) for r in results] == [
        ("2024", False),
        ("2025", True),
    ]
    assert raw_rows(settings) == {"2023": 133, "2024": 133}
    archive = RawArchive(settings.raw_dir)
    assert archive.latest(SOURCE, DATASET, "2025") is None
    assert [r.partition for r in archive.retrievals(SOURCE, DATASET)] == ["2023", "2024"]


def _drop_column(name: str):
    def transform(body: bytes) -> bytes:
        lines = body.decode("utf-8").split("\n")
        index = lines[1].split(";").index(name)
        out = [
            ";".join(c for i, c in enumerate(line.split(";")) if i != index)
            if line.count(";") >= 20
            else line
            for line in lines
        ]
        return "\n".join(out).encode("utf-8")

    return transform


def _duplicate_milano(body: bytes) -> bytes:
    lines = body.decode("utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if "\t03015146;" in line)
    return "\n".join([*lines[: at + 1], lines[at], *lines[at + 1 :]]).encode("utf-8")


def _php_warning_mid_file(body: bytes) -> bytes:
    lines = body.decode("utf-8").split("\n")
    lines.insert(
        40, "<br /><b>Warning</b>:  Undefined index: regid in getDettaglioComunale.csv.php"
    )
    return "\n".join(lines).encode("utf-8")


@pytest.mark.parametrize(
    ("transform", "error"),
    [
        (_php_warning_mid_file, r"line 41 is not a row of 25 fields but rows follow it"),
        (
            lambda b: b.replace(b"Totale RU (t)", b"Totale rifiuti urbani (t)"),
            r"schema drift: missing column\(s\) \['Totale RU \(t\)'\]",
        ),
        (_drop_column("Verde (t)"), r"schema drift: missing column\(s\) \['Verde \(t\)'\]"),
        (reencode("utf-8", "latin-1"), r"file is not UTF-8 as published"),
        (_duplicate_milano, r"2 rows share a key \('anno', 'istat_comune'\)"),
    ],
    ids=["malformed", "renamed-column", "missing-column", "latin-1", "duplicated-rows"],
)
def test_a_wrong_payload_is_a_clear_error_and_raw_keeps_the_last_good_load(
    replica, tmp_path, transform, error
) -> None:
    settings = live_settings(tmp_path, replica)
    ingest(waste.DATASET, settings, ["2024"])
    good = RawArchive(settings.raw_dir).latest(SOURCE, DATASET, "2024")

    replica.mutate_next(transform)
    with pytest.raises(SourceError, match=r"^ispra/waste: .*" + error):
        ingest(waste.DATASET, settings, ["2024"])

    assert raw_rows(settings) == {"2024": 133}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        (loaded,) = con.execute("select distinct _retrieval_id from raw.ispra__waste").fetchone()
    assert good is not None and loaded == good.retrieval_id
    # The bad payload is archived whole, as received, for inspection: no partial entry.
    entries = leftovers(RawArchive(settings.raw_dir))
    assert not any(name.startswith(".") for name in entries) and len(entries) == 2
