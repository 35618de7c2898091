"""Sizes on disk: the latest open-data release, part by part, and the raw archive.

The release is ``<data dir>/exports/releases/latest`` of the snapshot build (the pipeline
benchmark's cold run in the same ``python -m benchmarks`` invocation, or one built now):
the data files by format, the Driver bundles, the DuckDB file, the portal, the quality report
and the metadata (catalogue, data package, changelog, checksums). The raw archive is
``<data dir>/raw``: each source in all, and for each dataset published by year the mean
bytes of one year's retrieval. These are the snapshot's (reduced) volumes; the ingestion
benchmark reports the archive per year of data at full size.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from benchmarks.figures import Figure

COMMAND = ".venv/bin/python -m benchmarks --only sizes"
MB = 2**20


def tree_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def release_parts(release: Path) -> dict[str, int]:
    """Bytes of each part of a release (every file counted once)."""
    parts: dict[str, int] = {}
    data = release / "data"
    for fmt in ("csv", "parquet", "json"):
        parts[f"data files (.{fmt})"] = sum(p.stat().st_size for p in data.glob(f"*.{fmt}"))
    named = {
        "Driver bundles (bundles/*.zip)": release / "bundles",
        "DuckDB file (osservatorio.duckdb)": release / "osservatorio.duckdb",
        "portal (site/)": release / "site",
        "quality report (quality/)": release / "quality",
    }
    for label, path in named.items():
        parts[label] = tree_bytes(path) if path.exists() else 0
    counted = sum(parts.values())
    parts["metadata (catalogue, data package, changelog, SHA256SUMS)"] = (
        tree_bytes(release) - counted
    )
    parts["release in all"] = tree_bytes(release)
    return parts


def archive_sizes(raw: Path) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Bytes per source, and for each yearly dataset the bytes of each year's latest
    retrieval (``manifest.json`` names its partition)."""
    sources = {p.name: tree_bytes(p) for p in sorted(raw.iterdir()) if p.is_dir()}
    yearly: dict[str, dict[str, int]] = {}
    for manifest in sorted(raw.glob("*/*/*/manifest.json")):
        meta = json.loads(manifest.read_text("utf-8"))
        partition = str(meta.get("partition") or "")
        if not partition.isdigit():
            continue
        key = f"{meta.get('source', manifest.parents[2].name)}/{meta.get('dataset', '')}"
        # Retrieval folders sort by time: a later retrieval of the same year replaces it.
        yearly.setdefault(key, {})[partition] = tree_bytes(manifest.parent)
    return sources, yearly


def figures_from(release: Path | None, raw: Path, scale: str) -> list[Figure]:
    out: list[Figure] = []
    if release is not None:
        name = release.resolve().name
        for part, size in release_parts(release).items():
            out.append(
                Figure(
                    f"release size: {part}",
                    scale,
                    round(size / MB, 2),
                    "MB",
                    command=COMMAND,
                    note=f"release {name}" if part == "release in all" else "",
                )
            )
    sources, yearly = archive_sizes(raw)
    for source, size in sources.items():
        out.append(
            Figure(f"raw archive: {source}", scale, round(size / MB, 2), "MB", command=COMMAND)
        )
    out.append(
        Figure(
            "raw archive in all",
            scale,
            round(sum(sources.values()) / MB, 2),
            "MB",
            command=COMMAND,
        )
    )
    for key, years in yearly.items():
        sizes = list(years.values())
        out.append(
            Figure(
                f"raw archive per year of data: {key}",
                scale,
                round(statistics.mean(sizes) / MB, 3),
                "MB",
                command=COMMAND,
                note=(
                    f"mean of {len(sizes)} years ({min(years)}-{max(years)}: "
                    f"{min(sizes) / MB:.3f}-{max(sizes) / MB:.3f} MB)"
                ),
            )
        )
    return out


def run(scale: int, work_dir: Path) -> list[Figure]:
    """Sizes of the snapshot build (``scale`` does not change them)."""
    from benchmarks.pipeline import ensure_snapshot_build

    data_dir = ensure_snapshot_build(work_dir)
    latest = data_dir / "exports" / "releases" / "latest"
    return figures_from(latest if latest.exists() else None, data_dir / "raw", "snapshot")
