"""The raw archive: every payload kept immutably with a manifest, before anything parses it.

Layout: ``<data>/raw/<source>/<dataset>/<retrieval>/`` holding the payload files exactly as
received and ``manifest.json`` (URL and parameters, status, selected headers, byte size,
sha256, retrieval time, source mode). A retrieval is staged in a hidden sibling folder and
renamed into place only when complete, so a crash never leaves a half-written entry, and a
finished entry is made read-only. Parsers read only from here, so any past run replays offline.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def safe_name(kind: str, value: str) -> str:
    """Refuse names that could escape the archive (``..``, slashes, hidden files)."""
    if not _SAFE_NAME.match(value) or ".." in value:
        raise ValueError(f"unsafe {kind} name for the raw archive: {value!r}")
    return value


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Retrieval:
    """One complete, immutable archive entry."""

    path: Path
    manifest: dict[str, Any]

    @property
    def retrieval_id(self) -> str:
        return self.manifest["retrieval_id"]

    @property
    def sha256(self) -> str:
        """Digest over every file's sha256: identical payloads give identical digests."""
        return self.manifest["sha256"]

    @property
    def files(self) -> list[dict[str, Any]]:
        return self.manifest["files"]

    def file(self, name: str) -> Path:
        return self.path / safe_name("file", name)

    @property
    def partition(self) -> str | None:
        return self.manifest.get("partition")

    @property
    def source_url(self) -> str:
        return self.files[0]["url"] if self.files else ""


def combined_sha256(file_digests: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(file_digests)).encode()).hexdigest()


class StagedRetrieval:
    """A retrieval being written; visible to readers only once ``RawArchive.retrieve`` commits."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.files: list[dict[str, Any]] = []
        # Set on commit: the new entry, or the latest one when the payload is unchanged.
        self.result: Retrieval | None = None

    def path_for(self, name: str) -> Path:
        return self.dir / safe_name("file", name)

    def record(
        self,
        name: str,
        *,
        url: str,
        params: dict[str, str] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        sha256: str | None = None,
        byte_size: int | None = None,
    ) -> None:
        """Describe a file already written at ``path_for(name)``."""
        path = self.path_for(name)
        self.files.append(
            {
                "name": name,
                "url": url,
                "params": dict(params or {}),
                "status": status,
                "headers": dict(headers or {}),
                "bytes": byte_size if byte_size is not None else path.stat().st_size,
                "sha256": sha256 or sha256_file(path),
            }
        )


class RawArchive:
    """Immutable, append-only store of fetched payloads."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def dataset_dir(self, source: str, dataset: str) -> Path:
        return self.root / safe_name("source", source) / safe_name("dataset", dataset)

    def retrievals(self, source: str, dataset: str) -> list[Retrieval]:
        """Complete retrievals, oldest first (ids sort by time)."""
        directory = self.dataset_dir(source, dataset)
        if not directory.is_dir():
            return []
        found = []
        for entry in sorted(directory.iterdir()):
            manifest = entry / MANIFEST
            if entry.name.startswith(".") or not manifest.is_file():
                continue
            found.append(Retrieval(entry, json.loads(manifest.read_text("utf-8"))))
        return found

    def latest(self, source: str, dataset: str, partition: str | None = None) -> Retrieval | None:
        """The newest complete retrieval (of ``partition``, for a dataset published by year)."""
        entries = [r for r in self.retrievals(source, dataset) if r.partition == partition]
        return entries[-1] if entries else None

    @contextmanager
    def retrieve(
        self,
        source: str,
        dataset: str,
        *,
        source_mode: str,
        partition: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Iterator[StagedRetrieval]:
        """Stage a retrieval; on success it is committed whole, on error nothing remains.

        If the payload is byte-identical to the latest retrieval, nothing new is written and
        the staged files are discarded: the archive grows only when the source changed.
        """
        directory = self.dataset_dir(source, dataset)
        directory.mkdir(parents=True, exist_ok=True)
        staging = directory / f".staging-{uuid.uuid4().hex}"
        staging.mkdir()
        staged = StagedRetrieval(staging)
        try:
            yield staged
            if not staged.files:
                raise ValueError(f"{source}/{dataset}: a retrieval must hold at least one file")
            self._commit(
                staged, source, dataset, source_mode, {**(extra or {}), "partition": partition}
            )
        finally:
            if staging.exists():
                shutil.rmtree(staging)

    def _commit(
        self,
        staged: StagedRetrieval,
        source: str,
        dataset: str,
        source_mode: str,
        extra: dict[str, Any],
    ) -> None:
        digest = combined_sha256([f["sha256"] for f in staged.files])
        latest = self.latest(source, dataset, extra.get("partition"))
        # Same bytes and same version marker: nothing new. (Same bytes under a newer marker
        # are archived, so the next probe compares against the newer marker.)
        if (
            latest is not None
            and latest.sha256 == digest
            and latest.manifest.get("source_version") == extra.get("source_version")
        ):
            staged.result = latest
            return
        now = datetime.now(UTC)
        retrieval_id = f"{now:%Y%m%dT%H%M%S%fZ}-{digest[:12]}"
        manifest = {
            "source": source,
            "dataset": dataset,
            "retrieval_id": retrieval_id,
            "source_mode": source_mode,
            "retrieved_at": now.isoformat(timespec="seconds"),
            "sha256": digest,
            "files": staged.files,
            **extra,
        }
        (staged.dir / MANIFEST).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n", "utf-8"
        )
        for path in staged.dir.iterdir():
            _fsync(path)
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        final = staged.dir.parent / retrieval_id
        os.rename(staged.dir, final)
        _fsync(final.parent)
        staged.result = Retrieval(final, manifest)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
