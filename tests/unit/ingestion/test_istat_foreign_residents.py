"""ISTAT foreign residents (dataflow 29_7): the key, the parser, the bundled snapshot."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import polars as pl
import pytest

from ingestion.common.archive import RawArchive, Retrieval
from ingestion.common.errors import SourceError
from ingestion.common.ingest import extract
from ingestion.istat import flows, foreign_residents
from ingestion.istat.synthetic import population_totals

FIXTURE = Path(__file__).parents[2] / "fixtures" / "istat" / "foreign_residents_29_7.csv"
SNAPSHOT = flows.SNAPSHOT_DIR


def retrieval(tmp_path: Path, path: Path, params: dict[str, str]) -> Retrieval:
    with RawArchive(tmp_path / "raw").retrieve(
        "istat", foreign_residents.NAME, source_mode="snapshot"
    ) as staged:
        shutil.copyfile(path, staged.path_for(foreign_residents.PAYLOAD))
        staged.record(foreign_residents.PAYLOAD, url="https://example.org/data", params=params)
    assert staged.result is not None
    return staged.result


def test_the_key_asks_for_every_sex_and_all_ages_on_1_january() -> None:
    (payload,) = foreign_residents.payloads(["015146", "015002"])
    assert payload.key == "A.015146+015002.JAN.1+2+9.TOTAL"
    assert payload.flow == "29_7"
    assert payload.period.params() == {"startPeriod": "2019"}


def test_parsed_values_keep_the_estimate_flag(tmp_path: Path) -> None:
    table = extract(foreign_residents.DATASET, retrieval(tmp_path, FIXTURE, {}))
    assert table.columns == foreign_residents.SCHEMA.names
    milano_2024 = dict(
        table.filter((pl.col("ref_area") == "015146") & (pl.col("time_period") == "2024"))
        .select("sex", "obs_value")
        .iter_rows()
    )
    # By hand: 131,502 men + 137,015 women = 268,517, the published total.
    assert milano_2024 == {"1": 131502.0, "2": 137015.0, "9": 268517.0}
    assert milano_2024["1"] + milano_2024["2"] == milano_2024["9"]
    estimate = table.filter(pl.col("obs_status") == "e")
    assert estimate.select("ref_area", "time_period").rows() == [("015146", "2025")]


def test_a_value_that_is_not_a_number_names_the_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text(FIXTURE.read_text().replace(",3058,", ",3.058 n.d.,"))
    with pytest.raises(SourceError, match=r"istat/foreign_residents: column 'OBS_VALUE'"):
        extract(foreign_residents.DATASET, retrieval(tmp_path, broken, {}))


def test_a_row_cut_short_is_an_error_not_a_null_observation(tmp_path: Path) -> None:
    cut = tmp_path / "cut.csv"
    raw = FIXTURE.read_bytes()
    last = raw.rstrip(b"\n").rindex(b"\n") + 1
    cut.write_bytes(raw[: last + len("IT1:29_7(1.0),A,015002,JAN,9,TO")])
    with pytest.raises(SourceError, match=r"istat/foreign_residents: malformed SDMX-CSV: 1 row"):
        extract(foreign_residents.DATASET, retrieval(tmp_path, cut, {"startPeriod": "2019"}))


def test_the_snapshot_is_consistent_with_the_bundled_population() -> None:
    with gzip.open(SNAPSHOT / "foreign_residents.csv.gz") as handle:
        foreign = pl.read_csv(handle.read(), infer_schema=False).with_columns(
            pl.col("OBS_VALUE").cast(pl.Int64), pl.col("TIME_PERIOD").cast(pl.Int32)
        )
    wide = foreign.pivot(on="SEX", index=["REF_AREA", "TIME_PERIOD"], values="OBS_VALUE")
    assert wide.height == 133 * 7  # 2019..2025
    assert (wide["1"] + wide["2"] == wide["9"]).all()
    population = population_totals(SNAPSHOT / "population.csv.gz").rename({"year": "TIME_PERIOD"})
    share = wide.join(population, on=["REF_AREA", "TIME_PERIOD"]).with_columns(
        (pl.col("9") / pl.col("population")).alias("share")
    )
    assert share.height == wide.height
    assert share["share"].min() > 0.02 and share["share"].max() < 0.3
    milano = share.filter(pl.col("REF_AREA") == "015146")["share"]
    assert milano.min() > 0.18  # Milano has one of the highest shares
