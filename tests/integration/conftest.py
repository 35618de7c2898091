"""Shared fixtures for tests that need the whole warehouse built from the bundled snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from osservatorio.settings import Settings


@pytest.fixture(scope="session")
def snapshot_run(tmp_path_factory: pytest.TempPathFactory):
    """The whole pipeline run once on the bundled snapshot: its settings and its report."""
    from orchestration.runner import run_pipeline

    settings = Settings(data_dir=tmp_path_factory.mktemp("snapshot-build"))
    report = run_pipeline(settings)
    assert report.success, report.failures
    return settings, report


@pytest.fixture(scope="session")
def snapshot_build(snapshot_run) -> Settings:
    """Settings of the snapshot run; tests read what it published."""
    return snapshot_run[0]


@pytest.fixture(scope="session")
def published_warehouse(snapshot_build: Settings) -> Path:
    return snapshot_build.published_warehouse_path
