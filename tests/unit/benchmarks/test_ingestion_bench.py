"""The ingestion benchmark at a tiny scale, so its code cannot rot (it is not a benchmark)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks import data, ingestion
from ingestion.common.ingest import extract
from ingestion.lombardia import soda

TINY = 0.001


@pytest.mark.parametrize("key", sorted(data.GENERATORS))
def test_generated_payloads_parse_through_the_real_path(tmp_path: Path, key: str) -> None:
    generated = data.generate(key, TINY, tmp_path / "raw")
    assert generated.rows > 0
    assert [r.retrieval_id for r in data.archived(key, tmp_path / "raw")] == [
        r.retrieval_id for r in generated.retrievals
    ]
    rows = sum(extract(generated.dataset, r).height for r in generated.retrievals)
    assert rows == generated.rows
    assert generated.payload_files() and generated.archive_bytes() > generated.payload_bytes()
    for retrieval in generated.retrievals:
        assert retrieval.manifest["synthetic"] is True
        if generated.payload_format == "json":
            names = [f["name"] for f in retrieval.files]
            assert names[0] == soda.VIEW_FILE and names[-1] == soda.COUNT_FILE
            last_page = json.loads(retrieval.file(names[-2]).read_bytes())
            assert len(last_page) < soda.PAGE_SIZE  # the client's stop signal


def test_volumes_follow_the_scale() -> None:
    assert data.certificates_scale(1) * data.lombardia_synthetic.CERTIFICATES_BASE * sum(
        data.lombardia_synthetic.CERTIFICATES_CYCLE[y] for y in data.CERTIFICATES_YEARS
    ) == pytest.approx(data.CERTIFICATES_ROWS)
    assert data.air_stations(1) == data.AIR_STATIONS and data.air_stations(10) == 400
    assert len(data.population_codes(1)) == 133
    codes = data.population_codes(2)
    assert len(codes) == len(set(codes)) == 266


def test_cycled_by_day_keeps_the_order_and_the_total() -> None:
    sample = [{"data": f"2024-01-0{d}T00:00:00.000", "n": str(i)} for d in (1, 2) for i in range(3)]
    for total in (4, 6, 15):
        rows = [json.loads(r) for r in data.cycled_by_day(sample, total)]
        assert len(rows) == total
        assert [r["data"] for r in rows] == sorted(r["data"] for r in rows)


def test_run_reports_every_figure(tmp_path: Path) -> None:
    figures = ingestion.run(TINY, tmp_path, datasets=("population",), repeats=1)
    by_name = {f.benchmark: f for f in figures}
    ratio = by_name["ingestion throughput: population"]
    assert ratio.unit == "ratio" and ratio.value > 0 and ratio.met is not None
    assert "--dataset population" in ratio.command
    peak = by_name["ingestion peak RSS: population"]
    assert peak.value > 0 and peak.target is None  # the memory target applies at 10x
    assert by_name["raw archive per year of data: population"].value > 0
    assert by_name["ingestion rows per second: population"].value > 0
    assert not any(tmp_path.iterdir())  # the scratch data are gone


def test_a_child_over_the_memory_cap_is_killed(tmp_path: Path) -> None:
    measured = ingestion.measure("population", TINY, tmp_path, repeats=1, cap_mb=20)
    (peak,) = [f for f in ingestion.figures(measured, 10) if "peak RSS" in f.benchmark]
    assert peak.met is False and "killed" in peak.note
    (ratio,) = [f for f in ingestion.figures(measured, 10) if "throughput" in f.benchmark]
    assert math.isnan(ratio.value) and ratio.met is False
