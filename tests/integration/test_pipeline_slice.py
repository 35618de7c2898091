"""The first vertical slice end to end in live mode, against a local ISTAT replica.

The replica serves the real comuni file and a hand-written population table; the pipeline
fetches both through the real clients, archives, loads, validates, builds with dbt,
publishes and exports. The old-age index (D10_06) is then checked against values computed
by hand from the fixture below.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.common.http import HostPacer
from ingestion.istat import comuni
from osservatorio.settings import Settings
from tests.replicas.istat import (
    BALANCE,
    EMPLOYMENT_RATE,
    FOREIGN_RESIDENTS,
    LOCAL_UNITS,
    ROAD_ACCIDENTS,
    UNEMPLOYMENT_RATE,
    IstatReplica,
)

pytestmark = pytest.mark.integration

YEAR = "2024"
EARLIER = "2019"
# Residents by comune, age and sex (M, F), hand-written. Ages 15 and 64 sit just outside
# the bands (0-14, 65+), so an off-by-one in the band limits changes the results.
HAND_WRITTEN = {
    "015146": {"Y5": (100, 100), "Y15": (1000, 0), "Y64": (0, 1000), "Y70": (150, 200)},
    "015002": {"Y10": (40, 40), "Y40": (500, 500), "Y80": (30, 50)},
    "015251": {"Y0": (30, 30), "Y14": (10, 10), "Y65": (20, 20), "Y_GE100": (1, 3)},
}
OTHERS = {"Y7": (50, 50), "Y40": (500, 500), "Y90": (60, 60)}
# Hand calculation, 65+ per 100 aged 0-14:
#   Milano 015146:           (150+200) / (100+100) = 350/200   -> 175.00
#   Abbiategrasso 015002:    (30+50) / (40+40)     = 80/80     -> 100.00
#   Vermezzo con Zelo 015251: (20+20+1+3) / (30+30+10+10) = 44/80 -> 55.00
#   every other comune:      120/100                            -> 120.00
#   Magentino e Abbiatense (28 comuni, both above among them):
#       (80 + 44 + 26*120) / (80 + 80 + 26*100) = 3244/2760      -> 117.54
#   Città metropolitana (133): (350 + 80 + 44 + 130*120) / (200 + 80 + 80 + 130*100)
#       = 16074/13360                                            -> 120.31
EXPECTED = {
    ("comune", "015146"): 175.00,
    ("comune", "015002"): 100.00,
    ("comune", "015251"): 55.00,
    ("comune", "015005"): 120.00,
    ("zona", "milano"): 175.00,
    ("zona", "magentino_abbiatense"): 117.54,
    ("cm", "215"): 120.31,
}


def observations(codes: list[str]) -> pl.DataFrame:
    rows = []
    # The same residents five years before too (D09_03, the five-year change, is then 0.00):
    # every indicator with a source must have values before anything is published.
    for year in (EARLIER, YEAR):
        for code in codes:
            ages = HAND_WRITTEN.get(code, OTHERS)
            for sex_index, sex in enumerate(("1", "2")):
                values = {age: pair[sex_index] for age, pair in ages.items()}
                for age, value in values.items():
                    rows.append((code, sex, age, year, value))
                rows.append((code, sex, "TOTAL", year, sum(values.values())))
    # A year before the requested start: the replica must not send it.
    rows.append(("015146", "1", "Y5", "2010", 999))
    return pl.DataFrame(
        rows, schema=["REF_AREA", "SEX", "AGE", "TIME_PERIOD", "OBS_VALUE"], orient="row"
    )


SNAPSHOT = Path(comuni.__file__).parent / "snapshot"
BUNDLED_FLOWS = {
    BALANCE.flow: ("population_balance",),
    FOREIGN_RESIDENTS.flow: ("foreign_residents",),
    EMPLOYMENT_RATE.flow: ("labour_force_employment",),
    UNEMPLOYMENT_RATE.flow: ("labour_force_unemployment",),
    ROAD_ACCIDENTS.flow: ("road_accidents",),
    LOCAL_UNITS.flow: ("local_units-1", "local_units-2", "local_units-3", "local_units-4"),
}


def bundled_flows() -> dict[str, pl.DataFrame]:
    """The other ISTAT flows as the bundled snapshot holds them: complete for the 133 comuni,
    as the validation suites require before anything is built on them."""
    return {
        flow: pl.concat(
            pl.read_csv(SNAPSHOT / f"{stem}.csv.gz", infer_schema=False) for stem in stems
        )
        for flow, stems in BUNDLED_FLOWS.items()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    real_file = comuni.snapshot()[0].path
    codes = comuni.metropolitan_codes(
        comuni.SCHEMA.conform(comuni.parse_file(real_file), source="istat", dataset="comuni")
    )
    data_dir = tmp_path_factory.mktemp("data")
    patch = pytest.MonkeyPatch()
    HostPacer.reset()
    # No rate limit here: the client's pacing is proven in test_istat_client.py, and a live
    # run of every ISTAT dataset would otherwise wait minutes on Retry-After.
    with IstatReplica(
        observations=observations(codes),
        comuni_csv=real_file.read_bytes(),
        flows=bundled_flows(),
        rate_limit=None,
    ) as replica:
        patch.setenv("OSSERVATORIO_ISTAT_SDMX_URL", replica.sdmx_url)
        patch.setenv("OSSERVATORIO_ISTAT_WWW_URL", replica.base_url)
        patch.setenv("OSSERVATORIO_ISTAT_SDMX_MIN_INTERVAL", "0")
        patch.setenv("OSSERVATORIO_ISTAT_WWW_MIN_INTERVAL", "0")
        # ISTAT live against the replica; every other source from the bundled snapshot.
        patch.setenv("OSSERVATORIO_SOURCE_MODE_ISTAT", "live")
        settings = Settings.from_env().with_overrides(data_dir=data_dir, source_mode="snapshot")

        from orchestration.runner import run_pipeline

        first = run_pipeline(settings)
        second = run_pipeline(settings)
        requests = list(replica.requests)
    patch.undo()
    return settings, first, second, requests


def test_the_run_succeeds_and_checks_pass(built) -> None:
    _, first, _, _ = built
    assert first.success, first.failures
    assert first.checks_failed == []
    assert "raw/istat__comuni:gx_istat__comuni" in first.checks_passed
    assert {
        "raw/istat__comuni",
        "raw/istat__population",
        "marts/fct_indicator_value",
        "warehouse/published",
        "exports/d10_06_old_age_index",
    } <= set(first.materialized)


def test_old_age_index_matches_hand_calculation(built) -> None:
    settings, _, _, _ = built
    with duckdb.connect(str(settings.published_warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select territory_level, territory_code, year, value from marts.fct_indicator_value "
            "where indicator_id = 'D10_06'"
        ).fetchall()
    values = {(level, code): value for level, code, year, value in rows if year == int(YEAR)}
    for key, expected in EXPECTED.items():
        assert values[key] == pytest.approx(expected, abs=0.005), key
    # 2010 was never requested.
    assert {year for _, _, year, _ in rows} == {int(EARLIER), int(YEAR)}


def test_dimensions_cover_the_territory(built) -> None:
    settings, _, _, _ = built
    with duckdb.connect(str(settings.published_warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_comune").fetchone()[0] == 133
        assert con.execute("select count(*) from marts.dim_zona_omogenea").fetchone()[0] == 8
        # Views in the published copy still resolve (they do not name the build database).
        assert con.execute("select count(*) from staging.stg_istat__comuni").fetchone()[0] > 7000


def test_payloads_are_archived_with_provenance(built) -> None:
    settings, _, _, requests = built
    (entry,) = list((settings.raw_dir / "istat" / "population").iterdir())
    comuni_manifest = json.loads(
        next((settings.raw_dir / "istat" / "comuni").glob("*/manifest.json")).read_text()
    )
    assert comuni_manifest["source_mode"] == "live"
    manifest = json.loads((entry / "manifest.json").read_text())
    (file,) = manifest["files"]
    assert manifest["source_mode"] == "live"
    assert file["url"].startswith(settings.base_urls["istat_sdmx"] + "/data/IT1,22_289/A.015002+")
    assert file["params"] == {"startPeriod": "2019"}
    assert file["headers"]["content-type"].startswith("application/vnd.sdmx.data+csv")
    data_requests = [r for r in requests if "/data/" in r.path]
    assert all("vnd.sdmx.data+csv" in r.headers.get("Accept", "") for r in data_requests)


def test_exports_hold_the_indicator(built) -> None:
    settings, _, _, _ = built
    csv = settings.exports_dir / "indicators" / "d10_06_old_age_index.csv"
    parquet = csv.with_suffix(".parquet")
    from_csv = pl.read_csv(csv, schema_overrides={"territory_code": pl.String})
    assert from_csv.equals(pl.read_parquet(parquet))
    cm = from_csv.filter(pl.col("territory_level") == "cm").row(0, named=True)
    assert cm["numerator"] == 16074 and cm["denominator"] == 13360
    assert cm["value"] == pytest.approx(120.31, abs=0.005)


def test_second_run_does_no_needless_work(built) -> None:
    _, _, second, requests = built
    assert second.success
    assert second.build_skipped
    assert all(key.startswith("raw/") for key in second.materialized)
    # Each dataflow's structure was cached: fetched once across both runs.
    structures = [r.path for r in requests if "/dataflow/" in r.path]
    assert len(structures) == len(set(structures)) >= 6


def test_nothing_temporary_left_behind(built) -> None:
    settings, _, _, _ = built
    leftovers = [
        p
        for p in Path(settings.data_dir).rglob("*")
        if p.name.startswith(".staging-") or p.name.endswith(".tmp")
    ]
    assert leftovers == []
