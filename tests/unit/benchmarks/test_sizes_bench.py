"""The size benchmark on a tiny hand-made release and raw archive."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import sizes


def write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


def test_release_parts_and_archive_per_year(tmp_path: Path) -> None:
    release = tmp_path / "exports" / "releases" / "2026-01-01"
    write(release / "data" / "dim_comune.csv", 1000)
    write(release / "data" / "dim_comune.parquet", 300)
    write(release / "data" / "dim_comune.json", 2000)
    write(release / "bundles" / "D01.zip", 400)
    write(release / "osservatorio.duckdb", 5000)
    write(release / "site" / "index.html", 700)
    write(release / "quality" / "index.html", 60)
    write(release / "catalog.ttl", 40)
    write(release / "SHA256SUMS", 2)
    (release.parent / "latest").symlink_to(release.name)
    parts = sizes.release_parts(release.parent / "latest")
    assert parts["data files (.csv)"] == 1000
    assert parts["data files (.json)"] == 2000
    assert parts["DuckDB file (osservatorio.duckdb)"] == 5000
    assert parts["metadata (catalogue, data package, changelog, SHA256SUMS)"] == 42
    assert parts["release in all"] == 9502

    raw = tmp_path / "raw"
    for retrieval, year, size in (("r1", "2023", 100), ("r2", "2024", 300), ("r3", "2024", 500)):
        entry = raw / "lombardia" / "air_measurements" / retrieval
        write(entry / "page-00001.json", size)
        (entry / "manifest.json").write_text(
            json.dumps({"source": "lombardia", "dataset": "air_measurements", "partition": year}),
            "utf-8",
        )
    write(raw / "istat" / "comuni" / "r0" / "comuni.csv", 50)
    (raw / "istat" / "comuni" / "r0" / "manifest.json").write_text('{"partition": null}', "utf-8")
    by_source, yearly = sizes.archive_sizes(raw)
    assert set(by_source) == {"istat", "lombardia"}
    assert set(yearly) == {"lombardia/air_measurements"}
    # The later retrieval of 2024 replaces the earlier one.
    manifest = len((raw / "lombardia/air_measurements/r3/manifest.json").read_bytes())
    assert yearly["lombardia/air_measurements"]["2024"] == 500 + manifest

    figures = sizes.figures_from(release.parent / "latest", raw, "snapshot")
    names = [f.benchmark for f in figures]
    assert "release size: release in all" in names
    assert "raw archive in all" in names
    assert "raw archive per year of data: lombardia/air_measurements" in names
    assert all(f.unit == "MB" and f.target is None and f.command for f in figures)
