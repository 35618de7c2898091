"""ISTAT demographic balance (dataflow 22_315): the key, the parser, the bundled snapshot."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from ingestion.common.archive import RawArchive, Retrieval
from ingestion.common.errors import SourceError
from ingestion.common.ingest import extract
from ingestion.istat import balance, flows, sdmx
from ingestion.istat.synthetic import population_totals

FIXTURE = Path(__file__).parents[2] / "fixtures" / "istat" / "population_balance_22_315.csv"
SNAPSHOT = flows.SNAPSHOT_DIR


def retrieval(tmp_path: Path, path: Path, params: dict[str, str]) -> Retrieval:
    """An archived retrieval holding ``path`` as the dataset's payload, asked with ``params``."""
    with RawArchive(tmp_path / "raw").retrieve(
        "istat", balance.NAME, source_mode="snapshot"
    ) as staged:
        shutil.copyfile(path, staged.path_for(balance.PAYLOAD))
        staged.record(balance.PAYLOAD, url="https://example.org/data", params=params)
    assert staged.result is not None
    return staged.result


def test_the_key_names_comuni_events_and_both_sexes_in_the_assumed_order() -> None:
    (payload,) = balance.payloads(["015146", "015002"])
    assert balance.DIMENSIONS == ("FREQ", "REF_AREA", "DATA_TYPE", "SEX")
    assert payload.key == (
        "A.015146+015002.LBIRTH+DEATH+REGM+DEREGM+REGOTHC+DEREGOTHC+REGOTHREAS+DEROTHREAS.9"
    )
    assert (payload.flow, payload.period) == ("22_315", sdmx.PeriodBounds(start=2019))


def test_key_for_builds_keys_by_dimension_name_and_refuses_unknown_names() -> None:
    dims = ("FREQ", "REF_AREA", "DATA_TYPE")
    assert sdmx.key_for(dims, {"FREQ": "A", "DATA_TYPE": ["X", "Y"]}) == "A..X+Y"
    # A reordered DSD changes the positions, not the selection.
    assert sdmx.key_for(("DATA_TYPE", "FREQ"), {"FREQ": "A", "DATA_TYPE": "X"}) == "X.A"
    with pytest.raises(ValueError, match="SEX"):
        sdmx.key_for(dims, {"SEX": "9"})


def test_parsed_columns_values_and_status(tmp_path: Path) -> None:
    table = extract(balance.DATASET, retrieval(tmp_path, FIXTURE, {"startPeriod": "2019"}))
    assert table.columns == balance.SCHEMA.names
    assert table.height == 11
    assert table.row(0, named=True) == {
        "dataflow": "IT1:22_315(1.0)",
        "freq": "A",
        "ref_area": "015002",
        "data_type": "DEATH",
        "sex": "9",
        "time_period": "2023",
        "obs_value": 389.0,
        "obs_status": None,
    }
    provisional = table.filter(pl.col("obs_status") == "p")["time_period"].to_list()
    assert provisional == ["2024", "2025"]


def test_the_events_of_a_year_add_up_to_the_change_in_population(tmp_path: Path) -> None:
    table = extract(balance.DATASET, retrieval(tmp_path, FIXTURE, {"startPeriod": "2019"}))
    events = dict(
        table.filter((pl.col("ref_area") == "015002") & (pl.col("time_period") == "2023"))
        .select("data_type", "obs_value")
        .iter_rows()
    )
    inflow = ("LBIRTH", "REGM", "REGOTHC", "REGOTHREAS")
    outflow = ("DEATH", "DEREGM", "DEREGOTHC", "DEROTHREAS")
    # By hand: 231 + 1204 + 187 + 41 = 1663 in; 389 + 1012 + 64 + 95 = 1560 out; net +103.
    assert sum(events[k] for k in inflow) - sum(events[k] for k in outflow) == 103


def test_the_requested_end_period_is_what_is_kept(tmp_path: Path) -> None:
    # Asked for up to 2024, ISTAT answers up to 2025 (the endPeriod + 1 bug).
    params = {"startPeriod": "2023", "endPeriod": "2024"}
    table = extract(balance.DATASET, retrieval(tmp_path, FIXTURE, params))
    assert sorted(table["time_period"].unique()) == ["2023", "2024"]


def test_a_duplicated_observation_is_an_error(tmp_path: Path) -> None:
    lines = FIXTURE.read_text().splitlines()
    doubled = tmp_path / "doubled.csv"
    doubled.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(SourceError, match=r"istat/population_balance: 2 rows share a key"):
        extract(balance.DATASET, retrieval(tmp_path, doubled, {}))


def test_a_renamed_column_is_schema_drift(tmp_path: Path) -> None:
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(FIXTURE.read_text().replace("DATA_TYPE", "TIPO_DATO", 1))
    with pytest.raises(SourceError, match=r"schema drift: missing column\(s\) \['data_type'\]"):
        extract(balance.DATASET, retrieval(tmp_path, renamed, {}))


def test_latin1_bytes_are_refused(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes(FIXTURE.read_bytes().replace(b"LBIRTH", "NATI VIVI \xe0".encode("latin-1")))
    with pytest.raises(SourceError, match="not UTF-8"):
        extract(balance.DATASET, retrieval(tmp_path, latin, {}))


def test_the_snapshot_adds_up_to_the_bundled_population_exactly() -> None:
    with gzip.open(SNAPSHOT / "population_balance.csv.gz") as handle:
        events = pl.read_csv(handle.read(), infer_schema=False)
    sign = pl.when(pl.col("DATA_TYPE").is_in(["DEATH", "DEREGM", "DEREGOTHC", "DEROTHREAS"]))
    net = events.group_by("REF_AREA", "TIME_PERIOD").agg(
        (sign.then(-1).otherwise(1) * pl.col("OBS_VALUE").cast(pl.Int64)).sum().alias("net"),
        pl.len().alias("types"),
    )
    population = population_totals(SNAPSHOT / "population.csv.gz")
    change = population.with_columns(
        (pl.col("population").shift(-1).over("REF_AREA") - pl.col("population")).alias("change"),
        pl.col("year").cast(pl.String).alias("TIME_PERIOD"),
    ).drop_nulls("change")
    joined = net.join(change, on=["REF_AREA", "TIME_PERIOD"], how="full", coalesce=True)
    assert joined.height == 133 * 6  # 2019..2024, every comune
    assert joined["types"].unique().to_list() == [8]
    assert (joined["net"] == joined["change"]).all()
    assert events["OBS_VALUE"].cast(pl.Int64).min() >= 0


def test_the_snapshot_records_the_real_request() -> None:
    (file,) = balance.DATASET.snapshot(None)
    request = json.loads((SNAPSHOT / "population_balance.request.json").read_text())
    assert file.url == request["url"]
    assert file.url.startswith(f"{sdmx.DEFAULT_BASE_URL}/data/IT1,22_315/A.015002+015005+")
    assert file.url.endswith(
        "+015251.LBIRTH+DEATH+REGM+DEREGM+REGOTHC+DEREGOTHC+REGOTHREAS+DEROTHREAS.9"
    )
    assert file.params == {"startPeriod": "2019"}
    assert file.headers["content-type"].startswith("application/vnd.sdmx.data+csv")
