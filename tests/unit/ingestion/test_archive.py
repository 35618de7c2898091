"""The raw archive: complete entries only, immutable, deduplicated, safe names."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from ingestion.common.archive import RawArchive


def write(archive: RawArchive, payload: bytes, name: str = "data.csv") -> None:
    with archive.retrieve("istat", "population", source_mode="snapshot") as staged:
        staged.path_for(name).write_bytes(payload)
        staged.record(
            name,
            url="https://example.org/data",
            params={"startPeriod": "2019"},
            status=200,
            headers={"content-type": "text/csv"},
        )


def test_manifest_describes_the_payload(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    write(archive, b"a,b\n1,2\n")
    (entry,) = archive.retrievals("istat", "population")
    manifest = json.loads((entry.path / "manifest.json").read_text())
    (file,) = manifest["files"]
    assert file["sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert file["bytes"] == 8
    assert file["params"] == {"startPeriod": "2019"}
    assert manifest["source_mode"] == "snapshot"
    assert manifest["retrieval_id"] == entry.path.name
    assert entry.path.parent == tmp_path / "istat" / "population"


def test_entries_are_read_only(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    write(archive, b"x")
    entry = archive.latest("istat", "population")
    mode = (entry.path / "data.csv").stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_identical_payload_reuses_the_latest_entry(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    write(archive, b"same")
    write(archive, b"same")
    write(archive, b"changed")
    entries = archive.retrievals("istat", "population")
    assert len(entries) == 2
    assert (entries[-1].path / "data.csv").read_bytes() == b"changed"


def test_failure_leaves_nothing_behind(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    write(archive, b"first")
    with (
        pytest.raises(RuntimeError),
        archive.retrieve("istat", "population", source_mode="live") as staged,
    ):
        staged.path_for("data.csv").write_bytes(b"half")
        raise RuntimeError("connection cut")
    directory = tmp_path / "istat" / "population"
    assert [p.name for p in directory.iterdir()] == [
        archive.latest("istat", "population").path.name
    ]


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "..", ""])
def test_names_cannot_escape_the_archive(tmp_path: Path, name: str) -> None:
    archive = RawArchive(tmp_path)
    with pytest.raises(ValueError, match="unsafe"):
        archive.dataset_dir("istat", name)
