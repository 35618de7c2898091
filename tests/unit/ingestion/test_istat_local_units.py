"""ISTAT local units and employees by comune and ATECO division (ASIA-UL): the query split in
groups of comuni, the parser, the D06 computations by hand, the bundled snapshot."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from ingestion.common.archive import RawArchive, Retrieval
from ingestion.common.ingest import extract
from ingestion.istat import comuni, flows, local_units, sdmx

FIXTURES = Path(__file__).parents[2] / "fixtures" / "istat"
SNAPSHOT = flows.SNAPSHOT_DIR


def metropolitan_codes() -> list[str]:
    frame = comuni.SCHEMA.conform(
        comuni.parse_file(comuni.snapshot()[0].path), source="istat", dataset="comuni"
    )
    return comuni.metropolitan_codes(frame)


def retrieval(tmp_path: Path, *paths: Path) -> Retrieval:
    with RawArchive(tmp_path / "raw").retrieve(
        "istat", local_units.NAME, source_mode="snapshot"
    ) as staged:
        for i, path in enumerate(paths, start=1):
            name = local_units.payload_name(i)
            shutil.copyfile(path, staged.path_for(name))
            staged.record(name, url="https://example.org/data", params={"startPeriod": "2019"})
    assert staged.result is not None
    return staged.result


def test_the_query_is_one_constant_and_builds_the_key_by_dimension_name() -> None:
    assert local_units.QUERY.flow == "183_1163_DF_DICA_ASIAULP_TERRIFDATA_7"
    assert local_units.key(["015171"]) == "A.015171.LU+LUEMPDAA.0010+49+50+51+52+53.TOTAL"


def test_the_133_comuni_are_asked_for_in_groups_of_at_most_35() -> None:
    codes = metropolitan_codes()
    payloads = local_units.payloads(codes)
    groups = [p.key.split(".")[1].split("+") for p in payloads]
    assert [len(g) for g in groups] == [35, 35, 35, 28]  # 133 = 3 * 35 + 28
    assert [code for group in groups for code in group] == codes  # each once, in order
    assert [p.name for p in payloads] == ["data-1.csv", "data-2.csv", "data-3.csv", "data-4.csv"]
    assert all(p.may_be_empty for p in payloads)  # one empty group is not an error
    (single,) = local_units.payloads(codes[:3])
    assert not single.may_be_empty  # one request: no records is no records


def test_chunked_splits_in_order_and_keeps_small_lists_whole() -> None:
    assert sdmx.chunked(["a", "b", "c"], 2) == [["a", "b"], ["c"]]
    assert sdmx.chunked(["a", "b"], None) == [["a", "b"]]
    with pytest.raises(ValueError):
        sdmx.chunked(["a", "b"], 0)


def test_answers_of_several_groups_are_stacked_and_d06_computes_by_hand(tmp_path: Path) -> None:
    table = extract(
        local_units.DATASET,
        retrieval(
            tmp_path, FIXTURES / "local_units_asia_1.csv", FIXTURES / "local_units_asia_2.csv"
        ),
    )
    assert table.columns == local_units.SCHEMA.names
    assert table.height == 10 + 3
    peschiera = table.filter((pl.col("ref_area") == "015171") & (pl.col("data_type") == "LUEMPDAA"))
    employees = dict(peschiera.select("econ_activity_nace_2007", "obs_value").iter_rows())
    assert employees["51"] == 1203.25  # annual averages keep their decimals
    assert "50" not in employees  # no water transport there: the division is left out
    transport = sum(employees.get(d, 0.0) for d in local_units.TRANSPORT_DIVISIONS)
    # By hand: 410.5 + 1,203.25 + 1,377 + 96.75 = 3,087.5 employees in H49-H53.
    assert transport == pytest.approx(3087.5)
    # D06_02 by hand: 3,087.5 / 15,320.45 = 20.15 % of all employees.
    assert transport / employees["0010"] * 100 == pytest.approx(20.15, abs=0.005)
    # D06_01 by hand, with 23,820 residents: 3,087.5 / 23,820 * 1,000 = 129.62 per 1,000.
    assert transport / 23_820 * 1_000 == pytest.approx(129.62, abs=0.005)


def test_the_snapshot_groups_match_their_requests_and_cover_every_comune() -> None:
    files = local_units.DATASET.snapshot(None)
    assert [f.name for f in files] == [local_units.payload_name(i) for i in range(1, 5)]
    seen: list[str] = []
    for i, file in enumerate(files, start=1):
        request = json.loads((SNAPSHOT / f"local_units-{i}.request.json").read_text())
        assert file.url == request["url"]
        asked = file.url.split("/")[-1].split(".")[1].split("+")
        assert len(asked) <= local_units.QUERY.codes_per_request
        with gzip.open(file.path) as handle:
            answered = set(pl.read_csv(handle.read(), infer_schema=False)["REF_AREA"])
        assert answered == set(asked)
        seen.extend(asked)
    assert sorted(seen) == sorted(metropolitan_codes())


def test_the_snapshot_has_fewer_transport_employees_than_employees() -> None:
    frames = []
    for file in local_units.DATASET.snapshot(None):
        with gzip.open(file.path) as handle:
            frames.append(pl.read_csv(handle.read(), infer_schema=False))
    cells = pl.concat(frames).with_columns(
        pl.col("OBS_VALUE").cast(pl.Float64),
        pl.when(pl.col("ECON_ACTIVITY_NACE_2007") == "0010")
        .then(pl.lit("all"))
        .otherwise(pl.lit("transport"))
        .alias("group"),
    )
    sums = cells.group_by("REF_AREA", "TIME_PERIOD", "DATA_TYPE", "group").agg(
        pl.col("OBS_VALUE").sum()
    )
    wide = sums.pivot(
        on="group", index=["REF_AREA", "TIME_PERIOD", "DATA_TYPE"], values="OBS_VALUE"
    )
    assert wide.height == 133 * 6 * 2  # every comune, 2019..2024, units and employees
    assert (wide["transport"] < wide["all"]).all()
    employees = wide.filter(pl.col("DATA_TYPE") == "LUEMPDAA")
    share = employees["transport"].sum() / employees["all"].sum()
    assert 0.03 < share < 0.10  # transport and storage: a few % of all employees
