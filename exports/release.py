"""Dated, immutable open-data releases, switched to ``latest`` only when complete.

A publication builds ``releases/<YYYY-MM-DD>/`` in a hidden staging folder next to it::

    data/<slug>.csv|.parquet|.json   every published dataset in the three formats
    bundles/<driver_id>.zip          per Driver: its mart, the rows of the shared tables that
                                     concern it, a README.txt in Italian and English
    osservatorio.duckdb              every published table, for analysts who want it all
    CHANGELOG.json, CHANGELOG.md     rows added, removed and changed per dataset against the
                                     release ``latest`` pointed to
    ... whatever ``extra`` writes     (catalogue, data package, quality report, portal)
    SHA256SUMS                       ``sha256sum -c`` format, every other file of the release

then makes it read-only, renames it into place and only then switches ``latest`` (a relative
symlink replaced atomically) and ``LATEST`` (a text file with the release name, for static
hosts that do not follow symlinks). Any failure before the switch removes the staging folder:
``latest`` and every earlier release stay as they were. Releases are never overwritten: a
second publication on one day is ``<YYYY-MM-DD>.2``. One publication runs at a time (a file
lock in the releases folder).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import stat
import textwrap
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

import duckdb
import polars as pl
from filelock import FileLock

from exports.catalogue import PublishedDataset
from exports.formats import csv_bytes, json_bytes, parquet_bytes, prepare, write_bytes_atomically

LATEST_LINK = "latest"
LATEST_FILE = "LATEST"
CHECKSUMS = "SHA256SUMS"
CHANGELOG_JSON = "CHANGELOG.json"
CHANGELOG_MD = "CHANGELOG.md"
ANALYST_DATABASE = "osservatorio.duckdb"
DATA_DIR = "data"
BUNDLES_DIR = "bundles"
BUNDLE_README = "README.txt"
STAGING_PREFIX = ".staging-"
LINK_PREFIX = ".latest-"
LOCK_FILE = ".publish.lock"
LOCK_TIMEOUT_S = 1800
# Zip entries carry this date (the earliest a zip can hold) so an unchanged bundle keeps its
# bytes, and its checksum, from one release to the next.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
# The analysts' database in a storage format DuckDB 1.1 and later can open.
ANALYST_DB_STORAGE_VERSION = "v1.1.0"
RELEASE_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[1-9]\d*)?$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

CREDIT = "Città metropolitana di Milano, Osservatorio metropolitano"
LICENCE_URL_IT = "https://creativecommons.org/licenses/by/4.0/deed.it"
LICENCE_URL_EN = "https://creativecommons.org/licenses/by/4.0/"

FILE_MODE = 0o444
DIR_MODE = 0o555


class ReleaseError(RuntimeError):
    """A publication that cannot complete; nothing public changed."""


class ReleaseFile(NamedTuple):
    path: str  # relative to the release, with "/" separators
    byte_size: int
    sha256: str


@dataclass(frozen=True)
class DatasetChanges:
    """What changed in one dataset since the previous release, compared on its key."""

    slug: str
    status: str  # "new" (not in the previous release), "kept" or "removed"
    rows: int
    previous_rows: int | None
    added: int
    removed: int
    changed: int  # same key, some other column different
    changed_columns: Mapping[str, int] = field(default_factory=dict)  # column: rows changed
    columns_added: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "status": self.status,
            "rows": self.rows,
            "previous_rows": self.previous_rows,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "changed_columns": dict(self.changed_columns),
            "columns_added": list(self.columns_added),
            "columns_removed": list(self.columns_removed),
        }


@dataclass(frozen=True)
class Changelog:
    release: str
    release_date: str
    previous: str | None  # None for the first release
    datasets: tuple[DatasetChanges, ...]

    def dataset(self, slug: str) -> DatasetChanges:
        for changes in self.datasets:
            if changes.slug == slug:
                return changes
        raise KeyError(slug)

    def as_json(self) -> dict[str, object]:
        return {
            "release": self.release,
            "release_date": self.release_date,
            "previous_release": self.previous,
            "datasets": [changes.as_json() for changes in self.datasets],
        }


@dataclass(frozen=True)
class Release:
    name: str
    path: Path
    files: list[ReleaseFile]  # every file listed in SHA256SUMS, sorted by path
    changelog: Changelog


# --- reading what is published --------------------------------------------------------------


def latest_release(releases_root: Path) -> Path | None:
    """The release ``latest`` points to (or, without the symlink, the one ``LATEST`` names)."""
    link = releases_root / LATEST_LINK
    if link.is_symlink():
        name = os.readlink(link)
    elif (releases_root / LATEST_FILE).is_file():
        name = (releases_root / LATEST_FILE).read_text(encoding="utf-8").strip()
    else:
        return None
    if not RELEASE_NAME.match(name):
        raise ReleaseError(f"{link} names {name!r}, which is not a release")
    path = releases_root / name
    if not path.is_dir():
        raise ReleaseError(f"{link} names {name!r}, which does not exist")
    return path


def verify_release(path: Path) -> list[str]:
    """Problems found re-checking a release against its SHA256SUMS; empty when it is intact.

    Every listed file must exist with its checksum, and every file must be listed.
    """
    sums = path / CHECKSUMS
    if not sums.is_file():
        return [f"{CHECKSUMS} is missing"]
    problems = []
    listed = set()
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        expected, separator, relative = line.partition("  ")
        if not separator or not re.fullmatch(r"[0-9a-f]{64}", expected):
            problems.append(f"{CHECKSUMS} line {number} is malformed: {line!r}")
            continue
        listed.add(relative)
        target = path / relative
        if not target.is_file():
            problems.append(f"{relative}: missing")
        elif _sha256(target) != expected:
            problems.append(f"{relative}: checksum differs")
    for relative in _relative_files(path):
        if relative != CHECKSUMS and relative not in listed:
            problems.append(f"{relative}: not listed in {CHECKSUMS}")
    return problems


# --- publishing ----------------------------------------------------------------------------


def publish_release(
    published_warehouse: Path,
    releases_root: Path,
    datasets: Sequence[PublishedDataset],
    *,
    release_date: date,
    extra: Callable[[Path, str], None] | None = None,
) -> Release:
    """Publish ``datasets`` of the published warehouse as a new release and point ``latest`` to it.

    ``extra(staging_dir, release_name)`` runs once the data files, bundles, analysts' database and
    CHANGELOG are written, and may add files (catalogue, data package, portal) or raise to stop
    the publication; SHA256SUMS then covers what it wrote too.
    """
    _check_declarations(datasets)
    if not published_warehouse.is_file():
        raise FileNotFoundError(f"no published warehouse at {published_warehouse}")
    releases_root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(releases_root / LOCK_FILE), timeout=LOCK_TIMEOUT_S):
        _remove_leftovers(releases_root)
        previous = latest_release(releases_root)
        name = _free_name(releases_root, release_date)
        staging = releases_root / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        staging.mkdir()
        final = releases_root / name
        try:
            frames = _write_tables(published_warehouse, staging, datasets)
            _write_bundles(staging, datasets, frames)
            changelog = _compare(name, release_date, previous, staging, datasets)
            _write_changelog(staging, changelog, datasets)
            if extra is not None:
                extra(staging, name)
            files = _write_checksums(staging)
            problems = verify_release(staging)
            if problems:
                raise ReleaseError(f"release {name} does not verify: {problems}")
            _make_read_only(staging)
            os.rename(staging, final)
            _fsync_directory(releases_root)
        except BaseException:
            _remove_tree(staging)
            raise
        try:
            _switch_latest(releases_root, name, previous)
        except BaseException:
            _remove_tree(final)
            raise
    return Release(name=name, path=final, files=files, changelog=changelog)


def _check_declarations(datasets: Sequence[PublishedDataset]) -> None:
    if not datasets:
        raise ValueError("nothing to publish: no datasets")
    slugs = [dataset.slug for dataset in datasets]
    duplicated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if duplicated:
        raise ValueError(f"datasets declared twice: {duplicated}")
    for dataset in datasets:
        names = [dataset.slug, *([dataset.driver_id] if dataset.driver_id else [])]
        for name in names:
            if not _SAFE_NAME.match(name):
                raise ValueError(f"{name!r} cannot name a file")
        if not dataset.key:
            raise ValueError(f"dataset {dataset.slug} declares no key")


def _remove_leftovers(releases_root: Path) -> None:
    """Staging folders and link names left by a publication that was killed (we hold the lock)."""
    for entry in releases_root.iterdir():
        if entry.name.startswith(STAGING_PREFIX):
            _remove_tree(entry)
        elif entry.name.startswith(LINK_PREFIX):
            entry.unlink()


def _free_name(releases_root: Path, release_date: date) -> str:
    base = release_date.isoformat()
    candidate, number = base, 1
    while os.path.lexists(releases_root / candidate):
        number += 1
        candidate = f"{base}.{number}"
    return candidate


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _qualified(table: str) -> tuple[str, str]:
    schema, _, name = table.rpartition(".")
    return schema or "main", name


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _write_tables(
    published_warehouse: Path, staging: Path, datasets: Sequence[PublishedDataset]
) -> dict[str, pl.DataFrame]:
    """Each dataset in three formats, and every one of them in the analysts' database.

    One connection reads everything, so all files come from the same warehouse file even if
    a new warehouse is swapped in meanwhile.
    """
    frames: dict[str, pl.DataFrame] = {}
    con = duckdb.connect()
    try:
        con.execute(
            f"attach {_literal(str(published_warehouse))} as published (read_only)"
        ).fetchall()
        con.execute(
            f"attach {_literal(str(staging / ANALYST_DATABASE))} as analysts "
            f"(storage_version {_literal(ANALYST_DB_STORAGE_VERSION)})"
        ).fetchall()
        for dataset in datasets:
            schema, name = _qualified(dataset.table)
            source = f"published.{_quoted(schema)}.{_quoted(name)}"
            try:
                arrow = con.sql(f"select * from {source}").to_arrow_table()
            except duckdb.Error as error:
                raise ReleaseError(f"dataset {dataset.slug}: {error}") from error
            frame = prepare(pl.from_arrow(arrow), dataset.key)  # type: ignore[arg-type]
            frames[dataset.slug] = frame
            stem = staging / DATA_DIR / dataset.slug
            for suffix, render in (
                ("csv", csv_bytes),
                ("parquet", parquet_bytes),
                ("json", json_bytes),
            ):
                write_bytes_atomically(stem.with_suffix(f".{suffix}"), render(frame))
            target = f"analysts.{_quoted(schema)}.{_quoted(name)}"
            order = ", ".join(_quoted(column) for column in dataset.key)
            con.execute(f"create schema if not exists analysts.{_quoted(schema)}").fetchall()
            con.execute(
                f"create table {target} as select * from {source} order by {order}"
            ).fetchall()
            comment = _literal(_table_comment(dataset))
            con.execute(f"comment on table {target} is {comment}").fetchall()
        con.execute("detach analysts").fetchall()
    finally:
        con.close()
    wal = staging / f"{ANALYST_DATABASE}.wal"
    if wal.exists():
        raise ReleaseError(f"{wal.name} left behind: the analysts' database is not checkpointed")
    return frames


def _table_comment(dataset: PublishedDataset) -> str:
    return (
        f"{dataset.title_it}. {dataset.description_it}\n\n"
        f"{dataset.title_en}. {dataset.description_en}"
    )


# --- bundles -------------------------------------------------------------------------------


def _bundle_frames(
    driver_id: str, datasets: Sequence[PublishedDataset], frames: Mapping[str, pl.DataFrame]
) -> list[tuple[PublishedDataset, pl.DataFrame, bool]]:
    """The tables of a Driver's bundle: (dataset, rows, whether the rows are a selection).

    Its marts whole; from the shared tables, rows with its ``driver_id``, rows of its
    indicators (those a shared table with ``driver_id`` and ``indicator_id`` assigns to it),
    and tables with neither column (territories, missions) whole. Other Drivers' marts are
    left out.
    """
    shared = [dataset for dataset in datasets if dataset.driver_id is None]
    indicators: set[str] = set()
    for dataset in shared:
        frame = frames[dataset.slug]
        if {"driver_id", "indicator_id"} <= set(frame.columns):
            selected = frame.filter(pl.col("driver_id") == driver_id)["indicator_id"]
            indicators.update(value for value in selected.to_list() if value is not None)
    chosen = [
        (dataset, frames[dataset.slug], False)
        for dataset in datasets
        if dataset.driver_id == driver_id
    ]
    for dataset in shared:
        frame = frames[dataset.slug]
        if "driver_id" in frame.columns:
            chosen.append((dataset, frame.filter(pl.col("driver_id") == driver_id), True))
        elif "indicator_id" in frame.columns:
            selection = frame.filter(pl.col("indicator_id").is_in(sorted(indicators)))
            chosen.append((dataset, selection, True))
        else:
            chosen.append((dataset, frame, False))
    return chosen


def _wrapped(text: str, indent: str = "") -> str:
    return textwrap.fill(
        text, width=78, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )


def _bundle_readme(
    driver_id: str, chosen: Sequence[tuple[PublishedDataset, pl.DataFrame, bool]]
) -> str:
    marts = [dataset for dataset, _, selection in chosen if dataset.driver_id == driver_id]
    title_it = "; ".join(dataset.title_it for dataset in marts)
    title_en = "; ".join(dataset.title_en for dataset in marts)
    lines = [
        "Osservatorio metropolitano - Città metropolitana di Milano",
        _wrapped(f"Driver {driver_id}: {title_it} / {title_en}", indent="  "),
        "",
        "ITALIANO",
        "",
        _wrapped(
            f"Questo archivio raccoglie i dati aperti del Driver {driver_id}: la sua tabella e, "
            "delle tabelle comuni, le righe che lo riguardano. Ogni file è anche pubblicato "
            "intero, in CSV, Parquet e JSON, nella cartella data/ della release."
        ),
        "",
        "File:",
    ]
    for dataset, frame, selection in chosen:
        rows = f"{frame.height} {'riga' if frame.height == 1 else 'righe'}"
        scope = ", solo quelle del Driver" if selection else ""
        entry = f"- {dataset.slug}.csv ({rows}{scope}): {dataset.title_it}. "
        lines.append(_wrapped(entry + dataset.description_it, indent="  "))
    lines += [
        "",
        _wrapped(
            "Formato: CSV in UTF-8, separatore virgola, prima riga di intestazione, date "
            "ISO 8601 (AAAA-MM-GG), decimali con il punto, valore mancante = campo vuoto."
        ),
        _wrapped(
            "Licenza: Creative Commons Attribuzione 4.0 Internazionale (CC BY 4.0), "
            f"{LICENCE_URL_IT}. Titolare: Città metropolitana di Milano. "
            f'Citare come "{CREDIT}" e le fonti indicate per ciascun dataset.'
        ),
        "",
        "ENGLISH",
        "",
        _wrapped(
            f"This archive holds the open data of Driver {driver_id}: its table and, from the "
            "shared tables, the rows that concern it. Every file is also published whole, as "
            "CSV, Parquet and JSON, in the data/ folder of the release."
        ),
        "",
        "Files:",
    ]
    for dataset, frame, selection in chosen:
        rows = f"{frame.height} {'row' if frame.height == 1 else 'rows'}"
        scope = ", only the Driver's" if selection else ""
        entry = f"- {dataset.slug}.csv ({rows}{scope}): {dataset.title_en}. "
        lines.append(_wrapped(entry + dataset.description_en, indent="  "))
    lines += [
        "",
        _wrapped(
            "Format: CSV in UTF-8, comma separated, header row, ISO 8601 dates (YYYY-MM-DD), "
            "'.' as decimal separator, a missing value is an empty field."
        ),
        _wrapped(
            "Licence: Creative Commons Attribution 4.0 International (CC BY 4.0), "
            f"{LICENCE_URL_EN}. Rights holder: Città metropolitana di Milano. "
            f'Credit "{CREDIT}" and the sources named for each dataset.'
        ),
        "",
    ]
    return "\n".join(lines)


def zip_bytes(entries: Mapping[str, bytes]) -> bytes:
    """A zip whose bytes depend only on ``entries``: sorted names, fixed dates and modes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so external_attr reads as a file mode everywhere
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, entries[name], compresslevel=9)
    return buffer.getvalue()


def _write_bundles(
    staging: Path, datasets: Sequence[PublishedDataset], frames: Mapping[str, pl.DataFrame]
) -> None:
    drivers = sorted({dataset.driver_id for dataset in datasets if dataset.driver_id})
    for driver_id in drivers:
        chosen = _bundle_frames(driver_id, datasets, frames)
        entries = {f"{dataset.slug}.csv": csv_bytes(frame) for dataset, frame, _ in chosen}
        entries[BUNDLE_README] = _bundle_readme(driver_id, chosen).encode("utf-8")
        write_bytes_atomically(staging / BUNDLES_DIR / f"{driver_id}.zip", zip_bytes(entries))


# --- changelog -----------------------------------------------------------------------------


def _parquet_columns(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    rows = con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
    return {row[0]: row[1] for row in rows}


def _row_count(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    return int(con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchall()[0][0])


def compare_tables(
    new: Path, old: Path | None, key: Sequence[str], slug: str = ""
) -> DatasetChanges:
    """Rows added, removed and changed from the Parquet file ``old`` to ``new``, on ``key``.

    Changed rows are compared on the columns both files have (cast to text where their types
    differ); columns added or removed are reported by name.
    """
    con = duckdb.connect()
    try:
        rows = _row_count(con, new)
        if old is None or not old.is_file():
            return DatasetChanges(slug, "new", rows, None, added=rows, removed=0, changed=0)
        new_columns = _parquet_columns(con, new)
        old_columns = _parquet_columns(con, old)
        columns_added = tuple(column for column in new_columns if column not in old_columns)
        columns_removed = tuple(column for column in old_columns if column not in new_columns)
        previous_rows = _row_count(con, old)
        if any(column not in old_columns for column in key):
            # No common key: every old row is gone and every new row is new.
            return DatasetChanges(
                slug=slug,
                status="kept",
                rows=rows,
                previous_rows=previous_rows,
                added=rows,
                removed=previous_rows,
                changed=0,
                columns_added=columns_added,
                columns_removed=columns_removed,
            )
        common = [column for column in new_columns if column in old_columns]

        def pair(column: str) -> tuple[str, str]:
            left, right = f"o.{_quoted(column)}", f"n.{_quoted(column)}"
            if new_columns[column] != old_columns[column]:
                return f"cast({left} as varchar)", f"cast({right} as varchar)"
            return left, right

        join = " and ".join("{} is not distinct from {}".format(*pair(c)) for c in key)
        values = [column for column in common if column not in key]
        differs = {column: "{} is distinct from {}".format(*pair(column)) for column in values}
        both = "o.__old and n.__new"
        any_differs = " or ".join(differs.values()) or "false"
        per_column = "".join(
            f", count(*) filter (where {both} and ({condition}))" for condition in differs.values()
        )
        query = f"""
            select
                count(*) filter (where o.__old is null),
                count(*) filter (where n.__new is null),
                count(*) filter (where {both} and ({any_differs}))
                {per_column}
            from (select *, true as __old from read_parquet($old)) as o
            full outer join (select *, true as __new from read_parquet($new)) as n
                on {join}
        """
        counts = con.execute(query, {"old": str(old), "new": str(new)}).fetchall()[0]
    finally:
        con.close()
    added, removed, changed, *by_column = (int(count) for count in counts)
    changed_columns = {column: n for column, n in zip(differs, by_column, strict=True) if n}
    return DatasetChanges(
        slug=slug,
        status="kept",
        rows=rows,
        previous_rows=previous_rows,
        added=added,
        removed=removed,
        changed=changed,
        changed_columns=changed_columns,
        columns_added=columns_added,
        columns_removed=columns_removed,
    )


def _compare(
    name: str,
    release_date: date,
    previous: Path | None,
    staging: Path,
    datasets: Sequence[PublishedDataset],
) -> Changelog:
    changes = []
    for dataset in datasets:
        new = staging / DATA_DIR / f"{dataset.slug}.parquet"
        old = previous / DATA_DIR / f"{dataset.slug}.parquet" if previous else None
        changes.append(compare_tables(new, old, dataset.key, dataset.slug))
    if previous is not None:
        slugs = {dataset.slug for dataset in datasets}
        con = duckdb.connect()
        try:
            for old in sorted((previous / DATA_DIR).glob("*.parquet")):
                if old.stem not in slugs:
                    rows = _row_count(con, old)
                    gone = DatasetChanges(old.stem, "removed", 0, rows, 0, removed=rows, changed=0)
                    changes.append(gone)
        finally:
            con.close()
    return Changelog(
        release=name,
        release_date=release_date.isoformat(),
        previous=previous.name if previous else None,
        datasets=tuple(changes),
    )


def changelog_markdown(changelog: Changelog, titles: Mapping[str, tuple[str, str]]) -> str:
    """The changelog for people, in Italian and English; ``titles`` maps slug to (it, en)."""
    lines = [f"# Release {changelog.release}", ""]
    if changelog.previous is None:
        lines += [
            "Prima release: tutte le righe sono nuove.",
            "First release: every row is new.",
        ]
    else:
        lines += [
            f"Confronto con la release precedente {changelog.previous}: righe confrontate "
            "sulla chiave di ciascun dataset; modificata = stessa chiave, altri valori diversi.",
            f"Compared with the previous release {changelog.previous}: rows matched on each "
            "dataset's key; changed = same key, other values different.",
        ]
    lines += [
        "",
        "| Dataset | Righe / Rows | Aggiunte / Added | Rimosse / Removed "
        "| Modificate / Changed | Note / Notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for changes in changelog.datasets:
        notes = []
        if changes.status == "new":
            notes.append("nuovo / new")
        elif changes.status == "removed":
            notes.append("non più pubblicato / no longer published")
        if changes.changed_columns:
            counts = ", ".join(f"`{c}` {n}" for c, n in changes.changed_columns.items())
            notes.append(f"colonne modificate / changed columns: {counts}")
        if changes.columns_added:
            added = ", ".join(f"`{c}`" for c in changes.columns_added)
            notes.append(f"colonne nuove / new columns: {added}")
        if changes.columns_removed:
            removed = ", ".join(f"`{c}`" for c in changes.columns_removed)
            notes.append(f"colonne rimosse / removed columns: {removed}")
        title_it, title_en = titles.get(changes.slug, (changes.slug, changes.slug))
        label = f"`{changes.slug}` {title_it} / {title_en}".replace("|", "\\|")
        lines.append(
            f"| {label} | {changes.rows} | {changes.added} | {changes.removed} "
            f"| {changes.changed} | {'; '.join(notes)} |"
        )
    return "\n".join(lines) + "\n"


def _write_changelog(
    staging: Path, changelog: Changelog, datasets: Sequence[PublishedDataset]
) -> None:
    text = json.dumps(changelog.as_json(), ensure_ascii=False, indent=2) + "\n"
    write_bytes_atomically(staging / CHANGELOG_JSON, text.encode("utf-8"))
    titles = {dataset.slug: (dataset.title_it, dataset.title_en) for dataset in datasets}
    markdown = changelog_markdown(changelog, titles)
    write_bytes_atomically(staging / CHANGELOG_MD, markdown.encode("utf-8"))


# --- checksums, permissions, the switch ----------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _relative_files(root: Path) -> Iterator[str]:
    for directory, subdirectories, files in os.walk(root):
        subdirectories.sort()
        for name in sorted(files):
            yield (Path(directory) / name).relative_to(root).as_posix()


def _write_checksums(staging: Path) -> list[ReleaseFile]:
    """SHA256SUMS of every file (each flushed to disk on the way); symlinks are refused."""
    files = []
    for directory, subdirectories, names in os.walk(staging):
        for name in [*subdirectories, *names]:
            if os.path.islink(os.path.join(directory, name)):
                raise ReleaseError(f"{name}: a release holds files, not symlinks")
    for relative in sorted(_relative_files(staging)):
        if "\n" in relative or "\\" in relative:
            raise ReleaseError(f"{relative!r} cannot be listed in {CHECKSUMS}")
        path = staging / relative
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
        files.append(ReleaseFile(relative, path.stat().st_size, _sha256(path)))
    text = "".join(f"{entry.sha256}  {entry.path}\n" for entry in files)
    write_bytes_atomically(staging / CHECKSUMS, text.encode("utf-8"))
    with open(staging / CHECKSUMS, "rb") as handle:
        os.fsync(handle.fileno())
    for directory, _, _ in os.walk(staging):
        _fsync_directory(Path(directory))
    return files


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _make_read_only(root: Path) -> None:
    for directory, _, names in os.walk(root, topdown=False):
        for name in names:
            os.chmod(os.path.join(directory, name), FILE_MODE)
        os.chmod(directory, DIR_MODE)


def _remove_tree(root: Path) -> None:
    if not os.path.lexists(root):
        return
    if root.is_symlink() or not root.is_dir():
        root.unlink()
        return
    for directory, _, _ in os.walk(root):
        os.chmod(directory, 0o755)
    shutil.rmtree(root)


def _replace_link(releases_root: Path, name: str) -> None:
    temporary = releases_root / f"{LINK_PREFIX}{uuid.uuid4().hex}"
    os.symlink(name, temporary)
    try:
        os.replace(temporary, releases_root / LATEST_LINK)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _switch_latest(releases_root: Path, name: str, previous: Path | None) -> None:
    """Point ``latest`` and ``LATEST`` to ``name``; on failure point them back to ``previous``."""
    _replace_link(releases_root, name)
    try:
        write_bytes_atomically(releases_root / LATEST_FILE, f"{name}\n".encode())
        _fsync_directory(releases_root)
    except BaseException:
        if previous is not None:
            _replace_link(releases_root, previous.name)
        else:
            (releases_root / LATEST_LINK).unlink()
        raise
