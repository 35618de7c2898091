"""Acquiring a dataset: snapshot seeding, incremental probes, partitions."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.common.dataset import Dataset, FetchContext, SnapshotFile
from ingestion.common.ingest import acquire, ingest
from ingestion.common.schema import Field, TableSchema
from osservatorio.settings import Settings


def make_dataset(tmp_path: Path, calls: dict[str, int], version: dict[str, int]) -> Dataset:
    bundled = tmp_path / "bundled.csv"
    bundled.write_text("year,value\n2024,1\n")

    def fetch(ctx: FetchContext, staged) -> None:
        calls["fetch"] += 1
        staged.path_for("data.csv").write_text(f"year,value\n{ctx.partition},{calls['fetch']}\n")
        staged.record("data.csv", url="https://example.org/data", params={"year": ctx.partition})

    def probe(ctx: FetchContext) -> dict[str, int]:
        calls["probe"] += 1
        return {"rowsUpdatedAt": version["value"]}

    return Dataset(
        source="demo",
        name="values",
        title="Demo",
        description="Demo values",
        schema=TableSchema((Field("year", pl.Int64, "Year"), Field("value", pl.Int64, "Value"))),
        landing_url="https://example.org",
        licence="CC0",
        fetch=fetch,
        parse=lambda retrieval: pl.read_csv(retrieval.file("data.csv")),
        snapshot=lambda partition: [SnapshotFile("data.csv", bundled, "https://example.org/d")],
        partitions=lambda settings: ["2023", "2024"],
        probe=probe,
    )


def test_live_probe_skips_fetch_when_the_source_is_unchanged(tmp_path: Path) -> None:
    calls, version = {"fetch": 0, "probe": 0}, {"value": 100}
    dataset = make_dataset(tmp_path, calls, version)
    settings = Settings(data_dir=tmp_path / "data", source_mode="live")
    first = acquire(dataset, settings, "2024")
    again = acquire(dataset, settings, "2024")
    assert again == first and calls == {"fetch": 1, "probe": 2}
    assert first.manifest["source_version"] == {"rowsUpdatedAt": 100}
    version["value"] = 200
    newer = acquire(dataset, settings, "2024")
    assert calls["fetch"] == 2 and newer.retrieval_id != first.retrieval_id


def test_partitions_are_archived_and_loaded_separately(tmp_path: Path) -> None:
    calls, version = {"fetch": 0, "probe": 0}, {"value": 1}
    dataset = make_dataset(tmp_path, calls, version)
    settings = Settings(data_dir=tmp_path / "data", source_mode="live")
    results = ingest(dataset, settings)
    assert [(r.partition, r.rows, r.loaded) for r in results] == [
        ("2023", 1, True),
        ("2024", 1, True),
    ]
    assert {r.retrieval.partition for r in results} == {"2023", "2024"}
    rerun = ingest(dataset, settings)
    assert [r.loaded for r in rerun] == [False, False]  # nothing parsed or reloaded


def test_snapshot_mode_never_probes_or_fetches(tmp_path: Path) -> None:
    calls, version = {"fetch": 0, "probe": 0}, {"value": 1}
    dataset = make_dataset(tmp_path, calls, version)
    settings = Settings(data_dir=tmp_path / "data")
    retrieval = acquire(dataset, settings, "2024")
    assert calls == {"fetch": 0, "probe": 0}
    assert retrieval.manifest["source_mode"] == "snapshot"
    assert retrieval.manifest["synthetic"] is False


def test_an_unpublished_year_is_skipped_not_fatal(tmp_path: Path) -> None:
    from ingestion.common.errors import NoRecordsFound

    calls, version = {"fetch": 0, "probe": 0}, {"value": 1}
    dataset = make_dataset(tmp_path, calls, version)

    def fetch(ctx: FetchContext, staged) -> None:
        if ctx.partition == "2024":
            raise NoRecordsFound("demo", "values", "year 2024 not published")
        staged.path_for("data.csv").write_text(f"year,value\n{ctx.partition},7\n")
        staged.record("data.csv", url="https://example.org/data")

    from dataclasses import replace

    results = ingest(
        replace(dataset, fetch=fetch, probe=None),
        Settings(data_dir=tmp_path / "data", source_mode="live"),
    )
    assert [(r.partition, r.rows, r.retrieval is None) for r in results] == [
        ("2023", 1, False),
        ("2024", 0, True),
    ]
