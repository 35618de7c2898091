"""The open-data release of the snapshot build, checked as its users will check it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

from exports.catalogue import DATASETS
from exports.dcat import mandatory_problems
from exports.release import verify_release

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def release(snapshot_build) -> Path:
    latest = snapshot_build.releases_dir / "latest"
    assert latest.is_symlink(), "the build must publish a release"
    return latest.resolve()


def test_every_file_matches_its_checksum(release: Path) -> None:
    assert verify_release(release) == []
    listed = {line.split("  ", 1)[1] for line in (release / "SHA256SUMS").read_text().splitlines()}
    for dataset in DATASETS:
        for fmt in ("csv", "parquet", "json"):
            assert f"data/{dataset.slug}.{fmt}" in listed
    assert {"osservatorio.duckdb", "catalog.ttl", "datapackage.json", "site/index.html"} <= listed
    assert "quality/index.html" in listed


def test_the_catalogue_has_every_mandatory_property(release: Path) -> None:
    graph = Graph().parse(release / "catalog.ttl")
    assert mandatory_problems(graph) == []


def test_frictionless_validates_the_published_data_package(release: Path) -> None:
    frictionless = Path(sys.executable).parent / "frictionless"
    completed = subprocess.run(
        [str(frictionless), "validate", "--json", str(release / "datapackage.json")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(completed.stdout)
    assert report["valid"], json.dumps(report)[:3000]


def test_the_first_release_reports_every_row_as_added(release: Path) -> None:
    changelog = json.loads((release / "CHANGELOG.json").read_text())
    assert changelog["previous_release"] is None
    for dataset in changelog["datasets"]:
        assert dataset["added"] == dataset["rows"] > 0, dataset["slug"]
