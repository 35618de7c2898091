"""SDMX-CSV parsing of ISTAT dataflow 22_289, on payloads shaped like the real answers."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ingestion.common.errors import SourceError
from ingestion.istat import population, sdmx

FIXTURE = Path(__file__).parents[2] / "fixtures" / "istat" / "population_22_289.csv"


def parse(path: Path, period: sdmx.PeriodBounds | None = None) -> pl.DataFrame:
    frame = sdmx.read_sdmx_csv(path, dataset="population", period=period or sdmx.PeriodBounds())
    return population.SCHEMA.conform(frame, source="istat", dataset="population")


def test_columns_by_name_with_attributes_kept_or_ignored() -> None:
    table = parse(FIXTURE)
    assert table.columns == population.SCHEMA.names
    assert table.height == 7
    first = table.row(0, named=True)
    assert first == {
        "dataflow": "IT1:22_289(1.0)",
        "freq": "A",
        "ref_area": "015146",
        "data_type": "JAN",
        "sex": "1",
        "age": "Y0",
        "marital_status": "99",
        "time_period": "2024",
        "obs_value": 5012.0,
        "obs_status": None,
    }


def test_observation_status_is_kept() -> None:
    table = parse(FIXTURE)
    assert table.filter(pl.col("time_period") == "2026")["obs_status"].to_list() == ["e"]


def test_end_period_bound_undoes_istat_off_by_one() -> None:
    # Asked for 2024-2025, ISTAT answers up to 2026: the parser drops 2026.
    table = parse(FIXTURE, sdmx.PeriodBounds(start=2024, end=2025))
    assert sorted(table["time_period"].unique().to_list()) == ["2024", "2025"]


def test_period_of_reads_recorded_params_case_insensitively() -> None:
    assert sdmx.period_of({"startperiod": "2020", "endPeriod": "2022"}) == sdmx.PeriodBounds(
        2020, 2022
    )
    assert sdmx.period_of({}) == sdmx.PeriodBounds()


def test_columns_in_another_order_parse_the_same(tmp_path: Path) -> None:
    frame = pl.read_csv(FIXTURE, infer_schema=False)
    shuffled = tmp_path / "shuffled.csv"
    frame.select(list(reversed(frame.columns))).write_csv(shuffled)
    assert (
        parse(shuffled)
        .sort("ref_area", "time_period", "sex", "age")
        .equals(parse(FIXTURE).sort("ref_area", "time_period", "sex", "age"))
    )


def test_missing_obs_value_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    pl.read_csv(FIXTURE, infer_schema=False).drop("OBS_VALUE").write_csv(broken)
    with pytest.raises(SourceError, match=r"istat/population: SDMX-CSV lacks.*OBS_VALUE"):
        parse(broken)


def test_non_numeric_value_names_the_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text(FIXTURE.read_text().replace(",5012,", ",5.012 ab,"))
    with pytest.raises(SourceError, match=r"column 'OBS_VALUE'.*5.012 ab"):
        parse(broken)


def test_xml_answer_is_rejected(tmp_path: Path) -> None:
    xml = tmp_path / "data.csv"
    xml.write_text('<?xml version="1.0"?><message:GenericData/>')
    with pytest.raises(SourceError, match="expected SDMX-CSV, got XML"):
        parse(xml)


def test_key_joins_comuni_and_sexes_with_wildcard_age() -> None:
    assert population.population_key(["015146", "015002"]) == "A.015146+015002.JAN.1+2..99"
