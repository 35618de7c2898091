"""Raw tables: whole-table and per-partition replacement, lineage, state lookups."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ingestion.common.archive import RawArchive, Retrieval
from warehouse.loading import load_raw_table, raw_table_state


def retrieval(tmp_path: Path, payload: bytes, partition: str | None = None) -> Retrieval:
    archive = RawArchive(tmp_path / "raw")
    with archive.retrieve("src", "things", source_mode="snapshot", partition=partition) as staged:
        staged.path_for("data.csv").write_bytes(payload)
        staged.record("data.csv", url="https://example.org/things")
    return staged.result


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_unpartitioned_load_replaces_the_table_with_lineage(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    first = retrieval(tmp_path, b"1")
    load_raw_table(
        db,
        "src__things",
        pl.DataFrame({"a": [1, 2, 3]}),
        source="src",
        dataset="things",
        retrieval=first,
    )
    second = retrieval(tmp_path, b"2")
    previous = load_raw_table(
        db,
        "src__things",
        pl.DataFrame({"a": [9]}),
        source="src",
        dataset="things",
        retrieval=second,
    )
    assert previous.row_count == 3 and previous.retrieval_id == first.retrieval_id
    assert rows(
        db, "select a, _source, _dataset, _retrieval_id, _sha256, _partition from raw.src__things"
    ) == [(9, "src", "things", second.retrieval_id, second.sha256, None)]


def test_a_partition_load_leaves_other_partitions_alone(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    y2023 = retrieval(tmp_path, b"2023", "2023")
    y2024 = retrieval(tmp_path, b"2024", "2024")
    for r, values in ((y2023, [1, 2]), (y2024, [3, 4, 5])):
        load_raw_table(
            db,
            "src__things",
            pl.DataFrame({"a": values}),
            source="src",
            dataset="things",
            retrieval=r,
        )
    y2024_again = retrieval(tmp_path, b"2024 revised", "2024")
    previous = load_raw_table(
        db,
        "src__things",
        pl.DataFrame({"a": [30]}),
        source="src",
        dataset="things",
        retrieval=y2024_again,
    )
    assert previous.row_count == 3
    assert rows(
        db, "select _partition, list(a order by a) from raw.src__things group by 1 order by 1"
    ) == [("2023", [1, 2]), ("2024", [30])]
    assert raw_table_state(db, "src__things", "2023").retrieval_id == y2023.retrieval_id
    assert raw_table_state(db, "src__things", "2024").row_count == 1
    assert raw_table_state(db, "src__things", "2019").retrieval_id is None


def test_a_failed_load_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    y2023 = retrieval(tmp_path, b"2023", "2023")
    load_raw_table(
        db,
        "src__things",
        pl.DataFrame({"a": [1, 2]}),
        source="src",
        dataset="things",
        retrieval=y2023,
    )
    y2023_bad = retrieval(tmp_path, b"2023 bad", "2023")
    try:  # a column whose type cannot go into the existing table
        load_raw_table(
            db,
            "src__things",
            pl.DataFrame({"a": ["not a number"]}),
            source="src",
            dataset="things",
            retrieval=y2023_bad,
        )
    except duckdb.Error:
        pass
    else:
        raise AssertionError("the load should have failed")
    assert rows(db, "select list(a order by a) from raw.src__things") == [([1, 2],)]
