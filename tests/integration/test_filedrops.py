"""File drops end to end: bundled snapshots, a live inbox, rejections, an optional URL.

Every dataset goes through ``ingest`` exactly as the API sources do: acquire into the raw
archive with provenance, parse against its contract, load ``raw.<source>__<dataset>``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from ingestion import afol, ats, cittametropolitana, energy
from ingestion.ats.contracts import community_houses
from ingestion.common.archive import RawArchive
from ingestion.common.errors import SourceError
from ingestion.common.ingest import ingest
from ingestion.ispra import soil_consumption
from osservatorio.settings import Settings

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures" / "filedrops"
GOOD = FIXTURES / "case_comunita_2025-06-30.csv"
BAD = FIXTURES / "case_comunita_2025-07-31.csv"
DATASETS = {
    d.key: d
    for d in (
        *ats.DATASETS,
        *afol.DATASETS,
        *cittametropolitana.DATASETS,
        *energy.DATASETS,
        soil_consumption.DATASET,
    )
}
HOUSES = DATASETS["ats/community_houses"]
TABLE = "raw.ats__community_houses"


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


# -- snapshot mode: every dataset -------------------------------------------------------------

# 133 comuni x 6 years for the series; the registries' sizes follow the plan's baselines.
SNAPSHOT_ROWS = {
    "ats/community_houses": 78,
    "ats/community_hospitals": 23,
    "ats/general_practitioners": 133 * 6,
    "afol/employment_centres": 133,
    "afol/gol_beneficiaries": 8 * 51,  # 8 CPIs x (2022-07 .. 2026-09: 6 + 12 + 12 + 12 + 9)
    "cittametropolitana/fibre_agreements": 96,
    "cittametropolitana/sites_5g": 79,
    "cittametropolitana/schools": 156,
    "cittametropolitana/student_housing": 18,
    "energy/photovoltaic": 133 * 6,
    "energy/ev_charging": 133 * 6,
    "ispra/soil_consumption": 133 * 6,
}
# Facts each bundled drop must show, as (SQL over the raw table, expected rows).
SNAPSHOT_FACTS = {
    "ats/community_houses": [
        ("select count(*) from {t} where stato = 'attiva' and data_apertura is null", [(0,)]),
        ("select count(distinct id_struttura) from {t}", [(78,)]),
    ],
    "ats/community_hospitals": [
        (
            "select id_struttura, codice_comune, posti_letto from {t}"
            " where id_struttura = 'ODC-001'",
            [("ODC-001", "015011", 20)],
        ),  # Assago
    ],
    "ats/general_practitioners": [
        (
            "select medici_mmg, assistiti from {t} where codice_comune = '015146' and anno = 2025",
            [(774, 1_178_814)],
        ),  # 1,523 patients per GP: under the 1,800 ceiling
        ("select count(distinct anno), min(anno), max(anno) from {t}", [(6, 2020, 2025)]),
    ],
    "afol/employment_centres": [
        ("select count(distinct codice_cpi), count(distinct codice_comune) from {t}", [(8, 133)]),
        ("select codice_cpi from {t} where codice_comune = '015146'", [("CPI01",)]),
    ],
    "afol/gol_beneficiaries": [
        (
            "select count(*) from {t} where percorso_1_reinserimento + percorso_2_aggiornamento"
            " + percorso_3_riqualificazione + percorso_4_lavoro_inclusione"
            " + percorso_5_ricollocazione_collettiva <> beneficiari_gol",
            [(0,)],
        ),
        ("select min(mese), max(mese) from {t}", [(date(2022, 7, 1), date(2026, 9, 1))]),
    ],
    "cittametropolitana/fibre_agreements": [
        # the plan's baseline: 70 of 133 comuni had signed by the end of 2021
        ("select count(*) from {t} where data_sottoscrizione <= date '2021-12-31'", [(70,)]),
    ],
    "cittametropolitana/sites_5g": [
        # the plan's baseline: 55 sites active by the end of 2023
        (
            "select count(*) from {t}"
            " where stato = 'attivo' and data_attivazione <= date '2023-12-31'",
            [(55,)],
        ),
    ],
    "cittametropolitana/schools": [
        ("select count(*), count(*) filter (where banda_ultralarga = 'si') from {t}", [(156, 140)]),
    ],
    "cittametropolitana/student_housing": [
        ("select count(*) from {t} where posti_canone_moderato > posti_letto", [(0,)]),
    ],
    "energy/photovoltaic": [
        (
            "select numero_impianti, potenza_kw from {t}"
            " where codice_comune = '015146' and anno = 2025",
            [(8417, 70619.1)],
        ),
    ],
    "energy/ev_charging": [
        (
            "select punti_ricarica, punti_ricarica_veloci, infrastrutture from {t}"
            " where codice_comune = '015146' and anno = 2025",
            [(2513, 644, 1343)],
        ),
    ],
    "ispra/soil_consumption": [
        # Milano: 10,376.09 ha of 18,167.94 -> 57.11 %; 2024 net = 10,376.09 - 10,368.64 = 7.45
        (
            "select superficie_ha, suolo_consumato_ha, suolo_consumato_percentuale,"
            " consumo_netto_ha from {t} where codice_comune = '015146' and anno = 2024",
            [(18167.94, 10376.09, 57.11, 7.45)],
        ),
    ],
}


@pytest.mark.parametrize("key", sorted(SNAPSHOT_ROWS))
def test_snapshot_ingest_loads_the_bundled_drop(tmp_path: Path, key: str) -> None:
    dataset = DATASETS[key]
    settings = Settings(data_dir=tmp_path)
    (result,) = ingest(dataset, settings)
    assert (result.rows, result.loaded, result.partition) == (SNAPSHOT_ROWS[key], True, None)
    table = f"raw.{dataset.table}"
    assert query(settings, f"select count(*) from {table}") == [(SNAPSHOT_ROWS[key],)]
    for sql, expected in SNAPSHOT_FACTS[key]:
        assert query(settings, sql.format(t=table)) == expected, sql
    (entry,) = result.retrieval.files
    reference = query(settings, f"select distinct data_riferimento from {table}")
    assert reference == [(date.fromisoformat(entry["params"]["reference_date"]),)]
    assert entry["url"] == f"file://inbox/{dataset.source}/{dataset.name}/{entry['name']}"
    assert result.retrieval.manifest["synthetic"] is True


def test_every_dataset_is_covered_and_the_snapshots_fit_the_budget() -> None:
    assert set(SNAPSHOT_ROWS) == set(DATASETS)
    bundled = [
        p
        for d in DATASETS.values()
        for p in d.snapshot(None)[0].path.parent.iterdir()
        if p.name.startswith(d.name)
    ]
    assert sum(p.stat().st_size for p in set(bundled)) < 500_000
    formats = {d.snapshot(None)[0].name.rsplit(".", 1)[1] for d in DATASETS.values()}
    assert formats == {"csv", "xlsx"}


def test_snapshot_files_are_byte_identical_when_regenerated(tmp_path: Path) -> None:
    from ingestion.ispra import soil_synthetic

    (path,) = soil_synthetic.write_snapshots(tmp_path)
    bundled = soil_consumption.SNAPSHOT_DIR / path.name
    assert path.read_bytes() == bundled.read_bytes()
    request = "soil_consumption.request.json"
    assert (tmp_path / request).read_bytes() == (
        soil_consumption.SNAPSHOT_DIR / request
    ).read_bytes()


# -- live mode: the inbox ---------------------------------------------------------------------


def live(tmp_path: Path, **options: object) -> Settings:
    return Settings(data_dir=tmp_path, source_mode="live", **options)  # type: ignore[arg-type]


def drop(settings: Settings, source: Path, name: str | None = None) -> Path:
    inbox = settings.data_dir / "inbox" / "ats" / "community_houses"
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / (name or source.name)
    target.write_bytes(source.read_bytes())
    return target


def test_live_mode_loads_the_inbox_file_with_its_provenance(tmp_path: Path) -> None:
    settings = live(tmp_path)
    dropped = drop(settings, GOOD)
    (result,) = ingest(HOUSES, settings)
    assert (result.rows, result.loaded) == (4, True)
    rows = query(
        settings, f"select id_struttura, stato, data_apertura, data_riferimento from {TABLE}"
    )
    assert rows[1] == ("CDC-002", "attiva", date(2023, 9, 18), date(2025, 6, 30))
    (entry,) = result.retrieval.files
    assert entry["name"] == GOOD.name
    assert entry["url"] == "file://inbox/ats/community_houses/case_comunita_2025-06-30.csv"
    assert entry["sha256"] == hashlib.sha256(GOOD.read_bytes()).hexdigest()
    assert entry["bytes"] == GOOD.stat().st_size
    assert entry["params"]["reference_date"] == "2025-06-30"
    assert entry["params"]["encoding"] == "utf-8"
    mtime = datetime.fromtimestamp(dropped.stat().st_mtime, UTC).isoformat(timespec="seconds")
    assert entry["params"]["mtime"] == mtime
    assert entry["headers"]["content-type"].startswith("text/csv")
    assert result.retrieval.manifest["source_mode"] == "live"
    assert dropped.read_bytes() == GOOD.read_bytes()  # the inbox is read, never changed
    # Unchanged inbox: nothing archived, nothing loaded.
    (again,) = ingest(HOUSES, settings)
    assert (again.loaded, again.retrieval.retrieval_id) == (False, result.retrieval.retrieval_id)


def test_a_newer_file_replaces_the_registry_whole(tmp_path: Path) -> None:
    settings = live(tmp_path)
    drop(settings, GOOD)
    ingest(HOUSES, settings)
    newer = tmp_path / "newer.csv"
    lines = GOOD.read_text("utf-8").splitlines()
    newer.write_text("\n".join(lines[:3]) + "\n", "utf-8")  # header + CDC-001, CDC-002
    drop(settings, newer, "case_comunita_2025-09-30.csv")
    (result,) = ingest(HOUSES, settings)
    assert (result.rows, result.previous_rows) == (2, 4)
    assert query(settings, f"select distinct data_riferimento from {TABLE}") == [
        (date(2025, 9, 30),)
    ]


def test_a_latin1_drop_is_read_and_its_encoding_recorded(tmp_path: Path) -> None:
    settings = live(tmp_path)
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes(GOOD.read_text("utf-8").encode("latin-1"))
    drop(settings, legacy, GOOD.name)
    (result,) = ingest(HOUSES, settings)
    assert result.retrieval.files[0]["params"]["encoding"] == "cp1252"
    names = query(settings, f"select denominazione from {TABLE} order by id_struttura limit 1")
    assert names == [("Casa della Comunità Rugabella",)]


def test_a_rejected_file_leaves_the_table_and_tells_the_office(tmp_path: Path) -> None:
    settings = live(tmp_path)
    drop(settings, GOOD)
    (first,) = ingest(HOUSES, settings)
    before = query(settings, f"select * from {TABLE} order by id_struttura")

    drop(settings, BAD)  # newer date: it is the one read
    with pytest.raises(SourceError) as caught:
        ingest(HOUSES, settings)
    error = caught.value
    assert (error.source, error.dataset) == ("ats", "community_houses")
    assert "file case_comunita_2025-07-31.csv breaks the contract (8 problem(s))" in error.cause
    assert "column 'id_struttura' [pattern] does not match the format CDC-\\d{3} at row(s) 3" in (
        error.cause
    )

    # The raw table is exactly as it was.
    assert query(settings, f"select * from {TABLE} order by id_struttura") == before
    assert query(settings, f"select distinct _retrieval_id from {TABLE}") == [
        (first.retrieval.retrieval_id,)
    ]
    # The office gets a report beside the inbox.
    report = (
        tmp_path / "inbox/ats/community_houses/rejected/case_comunita_2025-07-31.csv.rejection.md"
    )
    text = report.read_text("utf-8")
    assert text.startswith("# File rifiutato / Rejected file: `case_comunita_2025-07-31.csv`")
    assert f"sha256 `{hashlib.sha256(BAD.read_bytes()).hexdigest()}`" in text
    assert "| 3 | codice_comune | comune |" in text
    # The rejected bytes stay in the archive, as received (provenance of what was sent).
    latest = RawArchive(settings.raw_dir).latest("ats", "community_houses")
    assert latest.files[0]["name"] == BAD.name
    assert latest.file(BAD.name).read_bytes() == BAD.read_bytes()
    # A second run fails the same way: no silent fallback to the older file.
    with pytest.raises(SourceError, match="breaks the contract"):
        ingest(HOUSES, settings)

    # The office fixes the file under the same name: it loads and the stale report goes.
    drop(settings, GOOD, BAD.name)
    (fixed,) = ingest(HOUSES, settings)
    assert (fixed.rows, fixed.loaded) == (4, True)
    assert not report.exists()
    assert query(settings, f"select distinct data_riferimento from {TABLE}") == [
        (date(2025, 7, 31),)
    ]


def test_an_empty_inbox_is_an_error_naming_the_pattern(tmp_path: Path) -> None:
    settings = live(tmp_path)
    (tmp_path / "inbox" / "ats" / "community_houses").mkdir(parents=True)
    with pytest.raises(SourceError, match=r"no file named case_comunita_AAAA-MM-GG\.csv\|xlsx"):
        ingest(HOUSES, settings)
    assert not settings.warehouse_path.exists()


def test_live_xlsx_drop_of_soil_consumption(tmp_path: Path) -> None:
    settings = live(tmp_path)
    (bundled,) = soil_consumption.DATASET.snapshot(None)
    inbox = tmp_path / "inbox" / "ispra" / "soil_consumption"
    inbox.mkdir(parents=True)
    (inbox / bundled.name).write_bytes(gzip.decompress(bundled.path.read_bytes()))
    (result,) = ingest(soil_consumption.DATASET, settings)
    assert result.rows == 133 * 6
    assert result.retrieval.files[0]["headers"]["content-type"].endswith("spreadsheetml.sheet")
    assert "encoding" not in result.retrieval.files[0]["params"]


# -- live mode: an optional URL ---------------------------------------------------------------


class FileServer:
    """A quiet local server for one published file; records the paths asked for."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = server.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer({f"/opendata/{GOOD.name}": GOOD.read_bytes()}) as running:
        yield running


def test_a_configured_url_is_downloaded_instead_of_the_inbox(tmp_path: Path, server) -> None:
    url = f"{server.url}/opendata/{GOOD.name}"
    settings = live(
        tmp_path,
        base_urls={"ats_community_houses": url},
        min_intervals={"ats_community_houses": 0.0},
    )
    (result,) = ingest(HOUSES, settings)
    assert result.rows == 4
    assert server.requests == [f"/opendata/{GOOD.name}"]
    (entry,) = result.retrieval.files
    assert (entry["url"], entry["status"]) == (url, 200)
    assert entry["sha256"] == hashlib.sha256(GOOD.read_bytes()).hexdigest()
    assert entry["params"] == {"reference_date": "2025-06-30"}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/x/..%2F..%2Fetc%2Fpasswd", "does not end in a file named case_comunita_"),
        ("/x/case_comunita.csv", "does not end in a file named case_comunita_"),
        ("/x/..%2Fcase_comunita_2025-06-30.csv", "does not end in a file named case_comunita_"),
        ("/x/case_comunita_2025-02-30.csv", "the date in its name is no date"),
        ("/x/case_comunita_2999-01-01.csv", "the date in its name is in the future"),
    ],
)
def test_a_url_not_ending_in_a_contract_name_is_refused_before_asking(
    tmp_path: Path, server, path: str, message: str
) -> None:
    settings = live(tmp_path, base_urls={"ats_community_houses": server.url + path})
    with pytest.raises(SourceError, match=message):
        ingest(HOUSES, settings)
    assert server.requests == []
    assert not (tmp_path / "etc").exists()


def test_the_url_setting_comes_from_the_environment_name(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OSSERVATORIO_ATS_COMMUNITY_HOUSES_URL", "https://example.org/x.csv")
    monkeypatch.setenv("OSSERVATORIO_DATA_DIR", str(tmp_path))
    settings = Settings.from_env()
    assert settings.base_urls[community_houses.url_setting] == "https://example.org/x.csv"
    assert json.dumps(settings.base_urls)  # plain strings
