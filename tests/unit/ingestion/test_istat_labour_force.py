"""ISTAT labour force rates of the province (dataflows 150_915 and 151_914): the keys, the
parser with its territory normalisation (ITC45 / ITC4C), the bundled snapshot."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import polars as pl
import pytest

from ingestion.common.archive import RawArchive, Retrieval
from ingestion.common.errors import SourceError
from ingestion.common.ingest import extract
from ingestion.istat import flows, labour_force

FIXTURES = Path(__file__).parents[2] / "fixtures" / "istat"
EMPLOYMENT = FIXTURES / "labour_force_150_915.csv"
UNEMPLOYMENT = FIXTURES / "labour_force_151_914.csv"
PARAMS = {"startPeriod": "2018"}


def retrieval(tmp_path: Path, employment: Path, unemployment: Path) -> Retrieval:
    with RawArchive(tmp_path / "raw").retrieve(
        "istat", labour_force.NAME, source_mode="snapshot"
    ) as staged:
        for name, path in (
            (labour_force.EMPLOYMENT_PAYLOAD, employment),
            (labour_force.UNEMPLOYMENT_PAYLOAD, unemployment),
        ):
            shutil.copyfile(path, staged.path_for(name))
            staged.record(name, url="https://example.org/data", params=PARAMS)
    assert staged.result is not None
    return staged.result


def recoded(tmp_path: Path, path: Path, old: str, new: str, *, lines: int | None = None) -> Path:
    """``path`` with territory ``old`` written ``new`` (on the first ``lines`` data rows)."""
    header, *rows = path.read_text().splitlines()
    count = len(rows) if lines is None else lines
    rows = [r.replace(f",{old},", f",{new},") if i < count else r for i, r in enumerate(rows)]
    out = tmp_path / f"{path.stem}-{new}-{count}.csv"
    out.write_text("\n".join([header, *rows]) + "\n")
    return out


def test_the_keys_ask_for_both_province_codes_and_the_wanted_ages() -> None:
    employment, unemployment = labour_force.payloads()
    assert employment.flow == "150_915"
    assert employment.key == "A.ITC4C+ITC45.EMP_R.1+2+9.Y20-64+Y15-64.99.TOTAL"
    assert unemployment.flow == "151_914"
    assert unemployment.key == "A.ITC4C+ITC45.UNEM_R.1+2+9.Y15-74+Y15-24.99.TOTAL.TOTAL"
    assert employment.period.params() == {"startPeriod": "2018"}


def test_both_answers_land_in_one_table_with_the_province_normalised(tmp_path: Path) -> None:
    table = extract(labour_force.DATASET, retrieval(tmp_path, EMPLOYMENT, UNEMPLOYMENT))
    assert table.columns == labour_force.SCHEMA.names
    assert table.height == 4 + 2
    assert set(table["ref_area"]) == {"ITC4C"}
    assert set(table["ref_area_published"]) == {"ITC45"}
    rates = {
        (d, s, a): v
        for d, s, a, v in table.select("data_type", "sex", "age", "obs_value").iter_rows()
    }
    assert rates[("EMP_R", "9", "Y20-64")] == 77.8
    assert rates[("EMP_R", "9", "Y15-64")] == 71.7  # "Milano 71.7% (2024), 15-64"
    assert rates[("UNEM_R", "9", "Y15-24")] == 15.2
    # Gap by hand: 83.4 - 72.2 = 11.2 points between men and women aged 20-64.
    assert rates[("EMP_R", "1", "Y20-64")] - rates[("EMP_R", "2", "Y20-64")] == pytest.approx(11.2)
    durations = dict(table.select("data_type", "duration_unemployment").unique().iter_rows())
    assert durations == {"EMP_R": None, "UNEM_R": "TOTAL"}  # the dimension only 151_914 has


def test_the_nuts_2021_code_is_accepted_as_it_is(tmp_path: Path) -> None:
    employment = recoded(tmp_path, EMPLOYMENT, "ITC45", "ITC4C")
    table = extract(labour_force.DATASET, retrieval(tmp_path, employment, UNEMPLOYMENT))
    assert set(table["ref_area"]) == {"ITC4C"}
    published = dict(table.select("data_type", "ref_area_published").unique().iter_rows())
    assert published == {"EMP_R": "ITC4C", "UNEM_R": "ITC45"}


def test_when_both_codes_carry_a_series_the_nuts_2021_row_is_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    both = tmp_path / "both.csv"
    header, *rows = EMPLOYMENT.read_text().splitlines()
    newer = [r.replace(",ITC45,", ",ITC4C,").replace(",77.8,", ",77.9,") for r in rows[2:3]]
    both.write_text("\n".join([header, *rows, *newer]) + "\n")
    table = extract(labour_force.DATASET, retrieval(tmp_path, both, UNEMPLOYMENT))
    assert "ITC4C and ITC45 disagree" in caplog.text  # 77.8 under one code, 77.9 the other
    assert table.height == 6  # one row per series and year, not seven
    total = table.filter(
        (pl.col("data_type") == "EMP_R") & (pl.col("sex") == "9") & (pl.col("age") == "Y20-64")
    )
    assert total.select("ref_area", "ref_area_published", "obs_value").rows() == [
        ("ITC4C", "ITC4C", 77.9)
    ]


def test_a_row_sent_twice_under_the_same_code_is_still_an_error(tmp_path: Path) -> None:
    twice = tmp_path / "twice.csv"
    header, *rows = EMPLOYMENT.read_text().splitlines()
    twice.write_text("\n".join([header, *rows, rows[0]]) + "\n")
    with pytest.raises(SourceError, match="istat/labour_force: 2 rows share a key"):
        extract(labour_force.DATASET, retrieval(tmp_path, twice, UNEMPLOYMENT))


def test_an_answer_with_neither_code_is_an_error() -> None:
    frame = pl.read_csv(EMPLOYMENT, infer_schema=False).head(0)
    with pytest.raises(SourceError, match="istat/labour_force: neither ITC4C nor ITC45"):
        labour_force.normalise_territory(frame)


def test_another_territory_is_an_error(tmp_path: Path) -> None:
    lombardia = recoded(tmp_path, EMPLOYMENT, "ITC45", "ITC4", lines=1)
    with pytest.raises(SourceError, match=r"unexpected territory code\(s\) \['ITC4'\]"):
        extract(labour_force.DATASET, retrieval(tmp_path, lombardia, UNEMPLOYMENT))


def test_the_snapshot_rates_are_ordered_like_real_ones() -> None:
    frames = []
    for _, stem in labour_force.SNAPSHOTS:
        with gzip.open(flows.SNAPSHOT_DIR / f"{stem}.csv.gz") as handle:
            frames.append(pl.read_csv(handle.read(), infer_schema=False))
    rates = pl.concat(frames, how="diagonal").with_columns(pl.col("OBS_VALUE").cast(pl.Float64))
    assert set(rates["REF_AREA"]) == {"ITC45"}
    assert sorted(rates["TIME_PERIOD"].unique()) == [str(y) for y in range(2018, 2026)]
    wide = rates.pivot(on="SEX", index=["DATA_TYPE", "AGE", "TIME_PERIOD"], values="OBS_VALUE")
    assert wide.height == 2 * 2 * 8
    employment = wide.filter(pl.col("DATA_TYPE") == "EMP_R")
    assert ((employment["2"] < employment["9"]) & (employment["9"] < employment["1"])).all()
    unemployment = wide.filter(pl.col("DATA_TYPE") == "UNEM_R")
    assert ((unemployment["1"] < unemployment["9"]) & (unemployment["9"] < unemployment["2"])).all()
    youth = unemployment.filter(pl.col("AGE") == "Y15-24").sort("TIME_PERIOD")["9"]
    overall = unemployment.filter(pl.col("AGE") == "Y15-74").sort("TIME_PERIOD")["9"]
    assert (youth > 2 * overall).all()
