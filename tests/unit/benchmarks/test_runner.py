"""The runner writes BENCHMARKS.md from Figures: the machine, one table per benchmark, the
targets missed with their notes, modules that are missing or failed, and earlier figures
kept when only part of the benchmarks runs again."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from benchmarks import __main__ as runner
from benchmarks.figures import Figure

HOST = {
    "cpu": "Test CPU",
    "cpus": "2 logical, 2 usable",
    "ram": "4.0 GiB",
    "os": "TestOS",
    "python": "3.11.0",
    "duckdb": "9.9",
    "polars": "1.0",
    "pyarrow": "1",
    "dbt-core": "1.11",
    "dbt-duckdb": "1.11",
    "dagster": "1.13",
    "load": "0.1 / 0.1 / 0.1",
}


def fake_figures() -> list[Figure]:
    return [
        Figure(
            "cold run",
            "snapshot",
            141.6,
            "s",
            "< 60 s",
            False,
            "make run",
            "Why: dbt. What would close it: fewer nodes.",
        ),
        Figure("second run", "snapshot", 8.2, "s", "< 10 s", True, "make run", "3 runs"),
        Figure("dbt growth", "10x / 1x", 1.18, "ratio", command="python -m benchmarks"),
    ]


def test_writes_every_section(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    records = [
        runner.Record(
            "pipeline",
            1,
            "2026-01-01T00:00:00+00:00",
            300.0,
            "ok",
            "",
            HOST,
            fake_figures(),
            load_after="3.50 / 2.00 / 1.00",
        ),
        runner.Record(
            "ingestion",
            1,
            "2026-01-01T00:00:00+00:00",
            0.0,
            "missing",
            "no module benchmarks.ingestion",
            HOST,
        ),
    ]
    runner.write(out, records, HOST, "python -m benchmarks", 300.0)
    text = out.read_text("utf-8")
    for heading in (
        "# Benchmarks",
        "## Machine",
        "## Targets",
        "## Targets missed",
        "## Not measured",
        runner.TITLES["pipeline"],
    ):
        assert heading in text
    assert "| CPU | Test CPU (2 logical, 2 usable) |" in text
    assert "| figure | scale | value | unit | target | met | command |" in text
    assert "| cold run | snapshot | 141.6 | s | < 60 s | ✗ | `make run` |" in text
    assert "| second run | snapshot | 8.2 | s | < 10 s | ✓ | `make run` |" in text
    assert "### cold run (snapshot): 141.6 s, target < 60 s" in text
    assert "Why: dbt. What would close it: fewer nodes." in text
    assert "`ingestion` at scale 1: missing: no module benchmarks.ingestion" in text
    assert "1 met, 1 missed" in text
    assert "load average when it finished 3.50 / 2.00 / 1.00" in text


def test_a_later_partial_run_keeps_the_other_figures(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    first = runner.Record(
        "pipeline", 1, "2026-01-01T00:00:00+00:00", 1.0, "ok", "", HOST, fake_figures()
    )
    runner.write(out, [first], HOST, "python -m benchmarks", 1.0)
    queries = runner.Record(
        "queries",
        1,
        "2026-01-02T00:00:00+00:00",
        1.0,
        "ok",
        "",
        HOST,
        [Figure("all queries: p95", "snapshot", 12.0, "ms", "< 50 ms", True, "q --> x")],
    )
    records = runner.write(out, [queries], HOST, "python -m benchmarks --only queries", 1.0)
    assert [r.module for r in records] == ["pipeline", "queries"]
    loaded = runner.load_records(out)
    assert [f.benchmark for r in loaded for f in r.figures] == [
        "cold run",
        "second run",
        "dbt growth",
        "all queries: p95",
    ]
    assert loaded[1].figures[0].command == "q --> x"  # survives the HTML comment
    again = runner.Record(
        "pipeline", 1, "2026-01-03T00:00:00+00:00", 1.0, "ok", "", HOST, fake_figures()[:1]
    )
    records = runner.write(out, [again], HOST, "python -m benchmarks --only pipeline", 1.0)
    assert sum(len(r.figures) for r in records if r.module == "pipeline") == 1


def test_missing_and_failing_modules_are_recorded(monkeypatch, tmp_path: Path) -> None:
    failing = types.ModuleType("benchmarks.fake_failing")

    def boom(scale: int, work_dir: Path) -> list[Figure]:
        raise RuntimeError("the generator broke")

    failing.run = boom  # type: ignore[attr-defined]
    working = types.ModuleType("benchmarks.fake_working")
    seen: list[tuple[int, Path]] = []

    def works(scale: int, work_dir: Path) -> list[Figure]:
        seen.append((scale, work_dir))
        (work_dir / "scratch.bin").write_bytes(b"x")
        return fake_figures()

    working.run = works  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "benchmarks.fake_failing", failing)
    monkeypatch.setitem(sys.modules, "benchmarks.fake_working", working)
    monkeypatch.setattr(runner, "MODULES", ("fake_working", "fake_missing", "fake_failing"))
    monkeypatch.setattr(runner, "machine", lambda: HOST)
    out = tmp_path / "BENCHMARKS.md"
    code = runner.main(["--output", str(out), "--work-dir", str(tmp_path / "scratch")])
    assert code == 1  # a module failed
    text = out.read_text("utf-8")
    assert "`fake_missing` at scale 1: missing: no module benchmarks.fake_missing" in text
    assert "`fake_failing` at scale 1: failed: RuntimeError: the generator broke" in text
    assert "make bench, every benchmark at real scale" in text
    assert seen and seen[0][0] == 1
    assert not seen[0][1].exists(), "the scratch data is removed"


def test_scale_ten_runs_only_the_scaled_modules() -> None:
    assert runner.selected(None, 1) == list(runner.MODULES)
    assert runner.selected(None, 10) == ["ingestion"]
    assert runner.selected(["queries"], 10) == ["queries"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (141.63, "141.6"),
        (8.2, "8.2"),
        (8.0, "8"),
        (0.0423, "0.0423"),
        (12345.0, "12,345"),
        (float("nan"), "n/a"),
    ],
)
def test_values_are_readable(value: float, text: str) -> None:
    assert runner.fmt_value(value) == text


def test_machine_names_cpu_ram_and_versions() -> None:
    host = runner.machine()
    for key in ("cpu", "cpus", "ram", "os", "python", "duckdb", "polars", "dbt-core"):
        assert host[key]
