"""ISTAT road accidents by comune (dataflow 41_983): the key, the parser, the snapshot."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import polars as pl
import pytest

from ingestion.common.archive import RawArchive, Retrieval
from ingestion.common.errors import SourceError
from ingestion.common.ingest import extract
from ingestion.istat import flows, road_accidents
from ingestion.istat.synthetic import population_totals

FIXTURE = Path(__file__).parents[2] / "fixtures" / "istat" / "road_accidents_41_983.csv"
SNAPSHOT = flows.SNAPSHOT_DIR


def retrieval(tmp_path: Path, path: Path, params: dict[str, str]) -> Retrieval:
    with RawArchive(tmp_path / "raw").retrieve(
        "istat", road_accidents.NAME, source_mode="snapshot"
    ) as staged:
        shutil.copyfile(path, staged.path_for(road_accidents.PAYLOAD))
        staged.record(road_accidents.PAYLOAD, url="https://example.org/data", params=params)
    assert staged.result is not None
    return staged.result


def test_the_key_crosses_the_two_data_types_with_the_three_results() -> None:
    (payload,) = road_accidents.payloads(["015146"])
    assert payload.key == "A.015146.ROADACC+KILLINJ.9+M+F"
    assert payload.flow == "41_983"


def test_parsed_counts_and_the_two_indicators_by_hand(tmp_path: Path) -> None:
    table = extract(road_accidents.DATASET, retrieval(tmp_path, FIXTURE, {"startPeriod": "2019"}))
    assert table.columns == road_accidents.SCHEMA.names
    assert table.height == 6
    milano = {
        (d, r): v
        for d, r, v in table.filter(pl.col("ref_area") == "015146")
        .select("data_type", "result", "obs_value")
        .iter_rows()
    }
    assert milano == {("ROADACC", "9"): 7920.0, ("KILLINJ", "M"): 44.0, ("KILLINJ", "F"): 10402.0}
    residents = 1_366_155
    # D05_01 by hand: 7,920 / 1,366,155 * 10,000 = 57.97 accidents per 10,000 residents.
    assert milano[("ROADACC", "9")] / residents * 10_000 == pytest.approx(57.97, abs=0.005)
    # D05_02 by hand: (44 + 10,402) / 1,366,155 * 10,000 = 76.46 casualties per 10,000.
    casualties = milano[("KILLINJ", "M")] + milano[("KILLINJ", "F")]
    assert casualties / residents * 10_000 == pytest.approx(76.46, abs=0.005)
    zeros = table.filter(pl.col("ref_area") == "015005")["obs_value"].to_list()
    assert zeros == [0.0, 0.0, 0.0]  # a comune without accidents is published with zeros


def test_an_answer_in_xml_is_refused(tmp_path: Path) -> None:
    xml = tmp_path / "data.xml"
    xml.write_text('<?xml version="1.0"?><message:GenericData/>')
    with pytest.raises(SourceError, match="istat/road_accidents: expected SDMX-CSV, got XML"):
        extract(road_accidents.DATASET, retrieval(tmp_path, xml, {}))


def test_the_snapshot_has_at_least_one_casualty_per_accident() -> None:
    with gzip.open(SNAPSHOT / "road_accidents.csv.gz") as handle:
        frame = pl.read_csv(handle.read(), infer_schema=False)
    wide = frame.with_columns(
        (pl.col("DATA_TYPE") + "." + pl.col("RESULT")).alias("series"),
        pl.col("OBS_VALUE").cast(pl.Int64),
    ).pivot(on="series", index=["REF_AREA", "TIME_PERIOD"], values="OBS_VALUE")
    assert wide.height == 133 * 6  # 2019..2024
    assert (wide["KILLINJ.M"] + wide["KILLINJ.F"] >= wide["ROADACC.9"]).all()
    assert (wide["KILLINJ.M"] < wide["KILLINJ.F"]).sum() > wide.height * 0.9  # few deaths
    # A plausible overall rate: 20 to 60 accidents with injuries per 10,000 residents.
    population = population_totals(SNAPSHOT / "population.csv.gz").with_columns(
        pl.col("year").cast(pl.String).alias("TIME_PERIOD")
    )
    rates = wide.join(population, on=["REF_AREA", "TIME_PERIOD"]).select(
        (pl.col("ROADACC.9").sum() / pl.col("population").sum() * 10_000).alias("rate")
    )
    assert 20 < rates["rate"][0] < 60
