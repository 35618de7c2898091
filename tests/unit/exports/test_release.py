"""Dated, immutable releases: complete or absent, checksummed, compared with the previous one.

A hand-made published warehouse with the real tables' shapes (a few rows each) stands in for
the real one, so every publication takes a fraction of a second.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import threading
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from exports.catalogue import PublishedDataset
from exports.release import (
    ReleaseError,
    compare_tables,
    latest_release,
    publish_release,
    verify_release,
    zip_bytes,
)

DAY = date(2025, 1, 31)


def dataset(slug: str, key: tuple[str, ...], driver_id: str | None = None) -> PublishedDataset:
    return PublishedDataset(
        slug=slug,
        table=f"marts.{slug}",
        title_it=f"Titolo {slug}",
        title_en=f"Title {slug}",
        description_it=f"Descrizione di {slug}.",
        description_en=f"Description of {slug}.",
        themes=("REGI",),
        periodicity="ANNUAL",
        keywords_it=(),
        keywords_en=(),
        key=key,
        driver_id=driver_id,
    )


DATASETS = (
    dataset("dim_comune", ("comune_code",)),
    dataset("dim_indicator", ("indicator_id",)),
    dataset("fct_indicator_value", ("indicator_id", "territory_level", "territory_code", "year")),
    dataset("mart_driver_01_campus_smart", ("comune_code", "year"), driver_id="D01"),
)

SCHEMA = """
create schema marts;
create table marts.dim_comune (
    comune_code varchar, comune_name varchar, zona_code varchar, is_capital boolean
);
insert into marts.dim_comune values
    ('015146', 'Milano', 'ZO01', true),
    ('015002', 'Abbiategrasso', 'ZO05', false),
    ('015005', 'Arconate', 'ZO04', false);
create table marts.dim_indicator (
    indicator_id varchar, driver_id varchar, name_it varchar, name_en varchar, unit varchar
);
insert into marts.dim_indicator values
    ('D01_01', 'D01', 'Comuni in fibra', 'Comuni on fibre', '%'),
    ('D01_02', 'D01', 'Siti 5G', '5G sites', 'count'),
    ('D02_01', 'D02', 'Suolo consumato', 'Consumed soil', '%');
create table marts.fct_indicator_value (
    indicator_id varchar, territory_level varchar, territory_code varchar, year integer,
    value double, numerator double, denominator double, unit varchar
);
-- Inserted out of key order: the files are sorted whatever the table's order.
insert into marts.fct_indicator_value values
    ('D02_01', 'comune', '015146', 2022, 31.5, 57.0, 181.0, '%'),
    ('D01_01', 'cm', '215', 2022, 50.0, 1.0, 2.0, '%'),
    ('D01_01', 'comune', '015146', 2022, 100.0, 1.0, 1.0, '%'),
    ('D01_01', 'comune', '015002', 2022, 0.0, 0.0, 1.0, '%'),
    ('D01_02', 'comune', '015146', 2022, 12.0, 12.0, null, 'count');
create table marts.mart_driver_01_campus_smart (
    comune_code varchar, comune_name varchar, zona_code varchar, year integer,
    d01_01_fibre_network_joined_pct double, d01_02_active_5g_sites double
);
insert into marts.mart_driver_01_campus_smart values
    ('015146', 'Milano', 'ZO01', 2022, 100.0, 12.0),
    ('015002', 'Abbiategrasso', 'ZO05', 2022, 0.0, null);
"""

# Rows per dataset, counted from SCHEMA.
ROWS = {
    "dim_comune": 3,
    "dim_indicator": 3,
    "fct_indicator_value": 5,
    "mart_driver_01_campus_smart": 2,
}

RELEASE_FILES = sorted(
    [
        "CHANGELOG.json",
        "CHANGELOG.md",
        "bundles/D01.zip",
        "osservatorio.duckdb",
        *(f"data/{slug}.{fmt}" for slug in ROWS for fmt in ("csv", "json", "parquet")),
    ]
)


def run_sql(path: Path, sql: str) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "published" / "osservatorio.duckdb"
    path.parent.mkdir()
    run_sql(path, SCHEMA)
    return path


@pytest.fixture
def releases(tmp_path: Path) -> Path:
    return tmp_path / "releases"


def tree(root: Path) -> dict[str, tuple[str, int]]:
    """Every file and folder under ``root``: content hash (or "dir") and permission bits."""
    found = {}
    for directory, subdirectories, files in os.walk(root):
        for name in subdirectories:
            path = Path(directory) / name
            found[path.relative_to(root).as_posix()] = ("dir", stat.S_IMODE(path.stat().st_mode))
        for name in files:
            path = Path(directory) / name
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[path.relative_to(root).as_posix()] = (digest, stat.S_IMODE(path.stat().st_mode))
    return found


def listed(release: Path) -> list[str]:
    return [line.split("  ", 1)[1] for line in (release / "SHA256SUMS").read_text().splitlines()]


# --- the first release --------------------------------------------------------------------


def test_the_first_release_holds_every_dataset_in_three_formats_a_bundle_and_the_database(
    warehouse: Path, releases: Path
) -> None:
    release = publish_release(warehouse, releases, DATASETS, release_date=DAY)

    assert release.name == "2025-01-31"
    assert release.path == releases / "2025-01-31"
    assert [file.path for file in release.files] == RELEASE_FILES
    assert listed(release.path) == RELEASE_FILES
    assert sorted(p.name for p in releases.iterdir()) == [
        ".publish.lock",
        "2025-01-31",
        "LATEST",
        "latest",
    ]


def test_sha256sums_is_in_sha256sum_format_and_verifies(warehouse: Path, releases: Path) -> None:
    release = publish_release(warehouse, releases, DATASETS, release_date=DAY)

    for line, file in zip(
        (release.path / "SHA256SUMS").read_text().splitlines(), release.files, strict=True
    ):
        content = (release.path / file.path).read_bytes()
        assert line == f"{hashlib.sha256(content).hexdigest()}  {file.path}"
        assert file.byte_size == len(content)
    assert verify_release(release.path) == []
    if shutil.which("sha256sum"):
        check = subprocess.run(
            ["sha256sum", "--check", "--strict", "SHA256SUMS"],
            cwd=release.path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_latest_is_a_relative_symlink_and_latest_file_names_the_release(
    warehouse: Path, releases: Path
) -> None:
    publish_release(warehouse, releases, DATASETS, release_date=DAY)

    assert os.readlink(releases / "latest") == "2025-01-31"
    assert (releases / "LATEST").read_text() == "2025-01-31\n"
    assert latest_release(releases) == releases / "2025-01-31"


def test_the_first_changelog_says_every_row_is_added(warehouse: Path, releases: Path) -> None:
    release = publish_release(warehouse, releases, DATASETS, release_date=DAY)

    document = json.loads((release.path / "CHANGELOG.json").read_text())
    assert document["release"] == "2025-01-31"
    assert document["previous_release"] is None
    assert [
        (d["slug"], d["status"], d["rows"], d["added"], d["removed"], d["changed"])
        for d in document["datasets"]
    ] == [(slug, "new", rows, rows, 0, 0) for slug, rows in ROWS.items()]
    assert "Prima release" in (release.path / "CHANGELOG.md").read_text()


def test_data_files_are_sorted_by_key(warehouse: Path, releases: Path) -> None:
    release = publish_release(warehouse, releases, DATASETS, release_date=DAY)

    values = pl.read_csv(release.path / "data" / "fct_indicator_value.csv", infer_schema=False)
    assert values.select("indicator_id", "territory_level", "territory_code").rows() == [
        ("D01_01", "cm", "215"),
        ("D01_01", "comune", "015002"),
        ("D01_01", "comune", "015146"),
        ("D01_02", "comune", "015146"),
        ("D02_01", "comune", "015146"),
    ]
    parsed = json.loads((release.path / "data" / "fct_indicator_value.json").read_text())
    assert parsed[3] == {
        "indicator_id": "D01_02",
        "territory_level": "comune",
        "territory_code": "015146",
        "year": 2022,
        "value": 12.0,
        "numerator": 12.0,
        "denominator": None,
        "unit": "count",
    }


def test_the_analysts_database_holds_every_published_table_with_its_titles(
    warehouse: Path, releases: Path
) -> None:
    release = publish_release(warehouse, releases, DATASETS, release_date=DAY)

    assert not (release.path / "osservatorio.duckdb.wal").exists()
    con = duckdb.connect(str(release.path / "osservatorio.duckdb"), read_only=True)
    try:
        for slug, rows in ROWS.items():
            assert con.execute(f"select count(*) from marts.{slug}").fetchall() == [(rows,)]
        comment = con.execute(
            "select comment from duckdb_tables() where table_name = 'dim_comune'"
        ).fetchall()[0][0]
        first_codes = con.execute(
            "select indicator_id, territory_code from marts.fct_indicator_value limit 2"
        ).fetchall()
    finally:
        con.close()
    assert comment == (
        "Titolo dim_comune. Descrizione di dim_comune.\n\nTitle dim_comune. "
        "Description of dim_comune."
    )
    assert first_codes == [("D01_01", "215"), ("D01_01", "015002")]


def bundle(release: Path, driver_id: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO((release / "bundles" / f"{driver_id}.zip").read_bytes()))


def test_a_driver_bundle_holds_its_mart_and_the_shared_rows_that_concern_it(
    warehouse: Path, releases: Path
) -> None:
    release = publish_release(warehouse, releases, DATASETS, release_date=DAY)

    archive = bundle(release.path, "D01")
    assert archive.namelist() == [
        "README.txt",
        "dim_comune.csv",
        "dim_indicator.csv",
        "fct_indicator_value.csv",
        "mart_driver_01_campus_smart.csv",
    ]
    # Its mart exactly as published in data/.
    mart = release.path / "data" / "mart_driver_01_campus_smart.csv"
    assert archive.read("mart_driver_01_campus_smart.csv") == mart.read_bytes()
    # Its two indicators, and their four values (not D02_01's).
    indicators = pl.read_csv(archive.read("dim_indicator.csv"))
    assert indicators["indicator_id"].to_list() == ["D01_01", "D01_02"]
    values = pl.read_csv(archive.read("fct_indicator_value.csv"), infer_schema=False)
    assert values.height == 4
    assert set(values["indicator_id"]) == {"D01_01", "D01_02"}
    # Territories whole.
    assert pl.read_csv(archive.read("dim_comune.csv")).height == 3
    readme = archive.read("README.txt").decode("utf-8")
    assert "ITALIANO" in readme and "ENGLISH" in readme
    assert "CC BY 4.0" in readme
    assert "fct_indicator_value.csv (4 righe, solo quelle del Driver)" in readme
    assert "fct_indicator_value.csv (4 rows, only the Driver's)" in readme


def test_bundles_are_deterministic_zips(warehouse: Path, releases: Path) -> None:
    first = publish_release(warehouse, releases, DATASETS, release_date=DAY)
    second = publish_release(warehouse, releases, DATASETS, release_date=DAY)

    zip_path = "bundles/D01.zip"
    assert (first.path / zip_path).read_bytes() == (second.path / zip_path).read_bytes()
    for info in bundle(first.path, "D01").infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.compress_type == zipfile.ZIP_DEFLATED
    assert zip_bytes({"b.csv": b"2", "a.csv": b"1"}) == zip_bytes({"a.csv": b"1", "b.csv": b"2"})


def test_every_file_is_read_only_and_every_folder_too(warehouse: Path, releases: Path) -> None:
    release = publish_release(warehouse, releases, DATASETS, release_date=DAY)

    modes = {path: mode for path, (_, mode) in tree(release.path).items()}
    assert modes["data"] == modes["bundles"] == 0o555
    assert stat.S_IMODE(release.path.stat().st_mode) == 0o555
    files = [path for path, (kind, _) in tree(release.path).items() if kind != "dir"]
    assert files and {modes[path] for path in files} == {0o444}


# --- the next release ---------------------------------------------------------------------

CHANGES = """
update marts.fct_indicator_value set value = 55.0
    where indicator_id = 'D01_01' and territory_level = 'cm' and year = 2022;
delete from marts.fct_indicator_value where indicator_id = 'D02_01';
insert into marts.fct_indicator_value values
    ('D01_01', 'comune', '015146', 2023, 100.0, 1.0, 1.0, '%'),
    ('D01_01', 'comune', '015002', 2023, 100.0, 1.0, 1.0, '%');
"""


def test_the_changelog_counts_rows_added_removed_and_changed_on_the_key(
    warehouse: Path, releases: Path
) -> None:
    publish_release(warehouse, releases, DATASETS, release_date=DAY)
    run_sql(warehouse, CHANGES)

    second = publish_release(warehouse, releases, DATASETS, release_date=date(2025, 2, 1))

    values = second.changelog.dataset("fct_indicator_value")
    # 5 rows - D02_01 + two comuni in 2023 = 6; the cm value 50 -> 55 changed.
    assert (values.status, values.previous_rows, values.rows) == ("kept", 5, 6)
    assert (values.added, values.removed, values.changed) == (2, 1, 1)
    assert dict(values.changed_columns) == {"value": 1}
    untouched = second.changelog.dataset("dim_comune")
    assert (untouched.added, untouched.removed, untouched.changed) == (0, 0, 0)
    document = json.loads((second.path / "CHANGELOG.json").read_text())
    assert document["previous_release"] == "2025-01-31"
    assert document["datasets"][2]["changed_columns"] == {"value": 1}
    markdown = (second.path / "CHANGELOG.md").read_text()
    assert "| `fct_indicator_value` Titolo fct_indicator_value / Title fct_indicator_value " in (
        markdown
    )
    assert "| 6 | 2 | 1 | 1 | colonne modificate / changed columns: `value` 1 |" in markdown


def test_latest_moves_to_the_new_release_and_the_old_one_is_untouched(
    warehouse: Path, releases: Path
) -> None:
    first = publish_release(warehouse, releases, DATASETS, release_date=DAY)
    before = tree(first.path)
    run_sql(warehouse, CHANGES)

    second = publish_release(warehouse, releases, DATASETS, release_date=date(2025, 2, 1))

    assert os.readlink(releases / "latest") == "2025-02-01"
    assert (releases / "LATEST").read_text() == "2025-02-01\n"
    assert tree(first.path) == before
    assert verify_release(first.path) == verify_release(second.path) == []


def test_a_dataset_no_longer_published_is_reported_removed(warehouse: Path, releases: Path) -> None:
    publish_release(warehouse, releases, DATASETS, release_date=DAY)

    without_comuni = tuple(d for d in DATASETS if d.slug != "dim_comune")
    second = publish_release(warehouse, releases, without_comuni, release_date=date(2025, 2, 1))

    gone = second.changelog.dataset("dim_comune")
    assert (gone.status, gone.rows, gone.previous_rows, gone.removed) == ("removed", 0, 3, 3)


def test_columns_added_or_removed_are_named_and_rows_compared_on_common_columns(
    tmp_path: Path,
) -> None:
    old, new = tmp_path / "old.parquet", tmp_path / "new.parquet"
    pl.DataFrame({"id": [1, 2, 3], "a": [1.0, 2.0, 3.0], "gone": ["x", "y", "z"]}).write_parquet(
        old
    )
    pl.DataFrame(
        {"id": [2, 3, 4, 5], "a": [2.0, 30.0, 4.0, 5.0], "fresh": [True, False, True, True]}
    ).write_parquet(new)

    changes = compare_tables(new, old, ("id",), "t")

    # 1 gone; 4 and 5 new; 3 has a different "a" (2 is the same on the common columns).
    assert (changes.added, changes.removed, changes.changed) == (2, 1, 1)
    assert (changes.previous_rows, changes.rows) == (3, 4)
    assert changes.columns_added == ("fresh",)
    assert changes.columns_removed == ("gone",)


# --- publications that fail ---------------------------------------------------------------


def releases_state(releases: Path) -> dict[str, tuple[str, int]]:
    """Every release byte by byte, where ``latest`` points, and any staging folder."""
    state = tree(releases)
    state["latest -> "] = (os.readlink(releases / "latest"), 0)
    return state


def test_an_extra_writer_that_fails_leaves_the_previous_release_as_it_was(
    warehouse: Path, releases: Path
) -> None:
    publish_release(warehouse, releases, DATASETS, release_date=DAY)
    before = releases_state(releases)
    run_sql(warehouse, CHANGES)
    seen: list[Path] = []

    def failing_catalogue(staging: Path, _name: str) -> None:
        seen.append(staging)
        (staging / "catalogue.ttl").write_text("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n")
        raise RuntimeError("the catalogue does not validate")

    with pytest.raises(RuntimeError, match="does not validate"):
        publish_release(
            warehouse, releases, DATASETS, release_date=date(2025, 2, 1), extra=failing_catalogue
        )

    assert seen[0].name.startswith(".staging-") and not seen[0].exists()
    assert releases_state(releases) == before


def test_a_dataset_whose_table_is_missing_leaves_the_previous_release_as_it_was(
    warehouse: Path, releases: Path
) -> None:
    publish_release(warehouse, releases, DATASETS, release_date=DAY)
    before = releases_state(releases)

    missing = (*DATASETS, dataset("fct_target_progress", ("indicator_id",)))
    with pytest.raises(ReleaseError, match="fct_target_progress"):
        publish_release(warehouse, releases, missing, release_date=date(2025, 2, 1))

    assert releases_state(releases) == before
    assert not (releases / "2025-02-01").exists()


def test_a_failed_first_publication_publishes_nothing(warehouse: Path, releases: Path) -> None:
    def failing(staging: Path, _name: str) -> None:
        raise RuntimeError("blocking check failed")

    with pytest.raises(RuntimeError):
        publish_release(warehouse, releases, DATASETS, release_date=DAY, extra=failing)

    assert sorted(p.name for p in releases.iterdir()) == [".publish.lock"]
    assert latest_release(releases) is None


def test_a_key_that_does_not_identify_rows_blocks_the_publication(
    warehouse: Path, releases: Path
) -> None:
    too_coarse = (*DATASETS[:2], dataset("fct_indicator_value", ("indicator_id",)))

    with pytest.raises(ValueError, match="does not identify rows"):
        publish_release(warehouse, releases, too_coarse, release_date=DAY)

    assert latest_release(releases) is None


def test_a_staging_folder_left_by_a_killed_publication_is_cleared(
    warehouse: Path, releases: Path
) -> None:
    leftover = releases / ".staging-killed" / "data"
    leftover.mkdir(parents=True)
    (leftover / "half.csv").write_text("indicator_id\n")
    leftover.chmod(0o555)

    publish_release(warehouse, releases, DATASETS, release_date=DAY)

    assert not (releases / ".staging-killed").exists()


# --- names, extras, verification -----------------------------------------------------------


def test_publications_on_the_same_day_never_overwrite_each_other(
    warehouse: Path, releases: Path
) -> None:
    names = [publish_release(warehouse, releases, DATASETS, release_date=DAY).name for _ in "123"]

    assert names == ["2025-01-31", "2025-01-31.2", "2025-01-31.3"]
    assert os.readlink(releases / "latest") == "2025-01-31.3"
    second = json.loads((releases / "2025-01-31.2" / "CHANGELOG.json").read_text())
    assert second["previous_release"] == "2025-01-31"


def test_extra_sees_the_data_and_changelog_and_its_files_are_checksummed(
    warehouse: Path, releases: Path
) -> None:
    seen: dict[str, bool] = {}

    def catalogue(staging: Path, _name: str) -> None:
        seen["data"] = (staging / "data" / "dim_comune.csv").is_file()
        seen["changelog"] = (staging / "CHANGELOG.json").is_file()
        (staging / "catalogue").mkdir()
        (staging / "catalogue" / "catalog.ttl").write_text("# catalogue\n")

    release = publish_release(warehouse, releases, DATASETS, release_date=DAY, extra=catalogue)

    assert seen == {"data": True, "changelog": True}
    assert "catalogue/catalog.ttl" in listed(release.path)
    assert verify_release(release.path) == []


def test_an_extra_that_writes_a_symlink_is_refused(warehouse: Path, releases: Path) -> None:
    def linking(staging: Path, _name: str) -> None:
        (staging / "elsewhere").symlink_to("/etc/hostname")

    with pytest.raises(ReleaseError, match="symlink"):
        publish_release(warehouse, releases, DATASETS, release_date=DAY, extra=linking)

    assert latest_release(releases) is None


def writable_copy(release: Path, target: Path) -> Path:
    shutil.copytree(release, target)
    for directory, _, files in os.walk(target):
        os.chmod(directory, 0o755)
        for name in files:
            os.chmod(Path(directory) / name, 0o644)
    return target


def test_verify_release_reports_changed_missing_and_unlisted_files(
    warehouse: Path, releases: Path, tmp_path: Path
) -> None:
    release = publish_release(warehouse, releases, DATASETS, release_date=DAY)
    copy = writable_copy(release.path, tmp_path / "copy")

    (copy / "data" / "dim_comune.csv").write_text("comune_code\n015146\n")
    (copy / "data" / "dim_comune.json").unlink()
    (copy / "data" / "extra.csv").write_text("x\n")

    assert verify_release(copy) == [
        "data/dim_comune.csv: checksum differs",
        "data/dim_comune.json: missing",
        "data/extra.csv: not listed in SHA256SUMS",
    ]
    (copy / "SHA256SUMS").unlink()
    assert verify_release(copy) == ["SHA256SUMS is missing"]


# --- readers during publications ----------------------------------------------------------


def test_a_reader_of_latest_always_sees_a_complete_release(warehouse: Path, releases: Path) -> None:
    publish_release(warehouse, releases, DATASETS, release_date=DAY)
    stop = threading.Event()
    problems: list[str] = []
    reads: list[str] = []

    def read_once() -> None:
        sums = (releases / "latest" / "SHA256SUMS").read_text()
        if [line.split("  ", 1)[1] for line in sums.splitlines()] != RELEASE_FILES:
            problems.append(f"incomplete SHA256SUMS: {sums!r}")
        for name in (os.readlink(releases / "latest"), (releases / "LATEST").read_text()):
            found = verify_release(releases / name.strip())
            problems.extend(f"{name.strip()}: {problem}" for problem in found)
            reads.append(name.strip())

    def reader() -> None:
        while not stop.is_set():
            try:
                read_once()
            except Exception as error:  # a missing file is a problem to report, not a crash
                problems.append(repr(error))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for step in range(5):
            run_sql(warehouse, f"update marts.dim_comune set zona_code = 'ZO0{step}'")
            publish_release(warehouse, releases, DATASETS, release_date=DAY)
    finally:
        stop.set()
        thread.join()

    assert problems == []
    assert len(set(reads)) >= 2  # the reader saw latest move
    assert os.readlink(releases / "latest") == "2025-01-31.6"
