"""One published table as CSV, Parquet and JSON: the bytes the public downloads."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from exports.formats import csv_bytes, json_bytes, prepare, write_formats
from exports.writers import write_table

KEY = ("indicator_id", "year")


def values(order: list[int] | None = None) -> pl.DataFrame:
    """Four indicator values, deliberately not in key order."""
    rows = [
        ("D02_01", 2023, 31.5, dt.date(2024, 3, 1), "ISPRA, 2024", True),
        ("D01_01", 2022, 100.0, None, "", False),
        ("D01_01", 2021, float("nan"), dt.date(2022, 12, 31), 'rete "fibra"', None),
        ("D01_02", 2022, 0.1, dt.date(2023, 1, 15), "riga\nnuova", True),
    ]
    if order is not None:
        rows = [rows[i] for i in order]
    return pl.DataFrame(
        rows,
        schema={
            "indicator_id": pl.String,
            "year": pl.Int32,
            "value": pl.Float64,
            "reference_date": pl.Date,
            "source": pl.String,
            "is_final": pl.Boolean,
        },
        orient="row",
    )


def test_csv_is_utf8_comma_header_iso_dates_point_decimals_sorted_by_key() -> None:
    text = csv_bytes(prepare(values(), KEY))

    assert text == (
        b"indicator_id,year,value,reference_date,source,is_final\n"
        # NaN is no value: an empty field, like null.
        b'D01_01,2021,,2022-12-31,"rete ""fibra""",\n'
        # An empty string stays distinguishable from null.
        b'D01_01,2022,100.0,,"",false\n'
        b'D01_02,2022,0.1,2023-01-15,"riga\nnuova",true\n'
        b'D02_01,2023,31.5,2024-03-01,"ISPRA, 2024",true\n'
    )
    assert not text.startswith(b"\xef\xbb\xbf")


def test_json_is_an_array_of_objects_in_column_order_with_numbers_and_nulls() -> None:
    text = json_bytes(prepare(values(), KEY))

    assert text.decode("utf-8").splitlines() == [
        "[",
        '{"indicator_id":"D01_01","year":2021,"value":null,"reference_date":"2022-12-31",'
        '"source":"rete \\"fibra\\"","is_final":null},',
        '{"indicator_id":"D01_01","year":2022,"value":100.0,"reference_date":null,'
        '"source":"","is_final":false},',
        '{"indicator_id":"D01_02","year":2022,"value":0.1,"reference_date":"2023-01-15",'
        '"source":"riga\\nnuova","is_final":true},',
        '{"indicator_id":"D02_01","year":2023,"value":31.5,"reference_date":"2024-03-01",'
        '"source":"ISPRA, 2024","is_final":true}',
        "]",
    ]
    parsed = json.loads(text)
    assert list(parsed[1]) == list(values().columns)
    assert parsed[1]["value"] == 100.0
    assert parsed[3]["year"] == 2023


def test_json_writes_accented_letters_as_utf8_and_decimals_as_numbers() -> None:
    frame = pl.DataFrame(
        {"comune": ["Cesano Maderno", "Città"], "amount": [decimal.Decimal("1.50"), None]},
        schema={"comune": pl.String, "amount": pl.Decimal(10, 2)},
    )

    text = json_bytes(prepare(frame, ("comune",)))

    assert text.decode("utf-8") == (
        '[\n{"comune":"Cesano Maderno","amount":1.50},\n{"comune":"Città","amount":null}\n]\n'
    )
    assert json.loads(text, parse_float=decimal.Decimal)[0]["amount"] == decimal.Decimal("1.50")


def test_datetimes_are_iso_8601_with_fraction_only_when_present_and_offset_when_zoned() -> None:
    frame = pl.DataFrame(
        {
            "id": [1, 2],
            "at": [dt.datetime(2025, 1, 31, 2, 0, 0), dt.datetime(2025, 1, 31, 2, 0, 0, 250000)],
        }
    ).with_columns(at_rome=pl.col("at").dt.replace_time_zone("Europe/Rome"))

    published = prepare(frame, ("id",))

    assert csv_bytes(published).decode().splitlines()[1:] == [
        "1,2025-01-31T02:00:00,2025-01-31T02:00:00+01:00",
        "2,2025-01-31T02:00:00.250,2025-01-31T02:00:00.250+01:00",
    ]
    assert json.loads(json_bytes(published))[1]["at_rome"] == "2025-01-31T02:00:00.250+01:00"


def test_an_empty_table_is_a_header_and_an_empty_array() -> None:
    empty = prepare(values().head(0), KEY)

    assert csv_bytes(empty) == b"indicator_id,year,value,reference_date,source,is_final\n"
    assert json_bytes(empty) == b"[]\n"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_identical_data_gives_identical_bytes_in_every_format_whatever_the_row_order(
    tmp_path: Path,
) -> None:
    first = write_formats(values([0, 1, 2, 3]), tmp_path / "a", "fct", KEY)
    second = write_formats(values([3, 1, 0, 2]), tmp_path / "b", "fct", KEY)

    assert [written.path.name for written in first] == ["fct.csv", "fct.parquet", "fct.json"]
    for a, b in zip(first, second, strict=True):
        assert a.sha256 == b.sha256 == sha256(a.path) == sha256(b.path)
        assert a.byte_size == a.path.stat().st_size


def test_parquet_is_zstd_with_native_types_and_the_same_rows(tmp_path: Path) -> None:
    (_, parquet, _) = write_formats(values(), tmp_path, "fct", KEY)

    metadata = pq.ParquetFile(parquet.path).metadata
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    back = pl.read_parquet(parquet.path)
    assert back.schema["reference_date"] == pl.Date
    assert back["indicator_id"].to_list() == ["D01_01", "D01_01", "D01_02", "D02_01"]
    assert back["value"].to_list() == [None, 100.0, 0.1, 31.5]  # NaN published as null


def test_files_are_renamed_into_place_leaving_no_temporary(tmp_path: Path) -> None:
    write_formats(values(), tmp_path, "fct", KEY)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["fct.csv", "fct.json", "fct.parquet"]


def test_a_key_that_does_not_identify_rows_is_refused() -> None:
    with pytest.raises(ValueError, match="does not identify rows"):
        prepare(values(), ("indicator_id",))


def test_a_key_column_missing_from_the_table_is_refused() -> None:
    with pytest.raises(ValueError, match=r"key columns \['territory_code'\]"):
        prepare(values(), ("indicator_id", "territory_code"))


def test_a_nested_column_is_refused_because_csv_cannot_carry_it() -> None:
    with pytest.raises(TypeError, match="'codes'"):
        prepare(pl.DataFrame({"id": [1], "codes": [[1, 2]]}), ("id",))


def test_write_table_keeps_the_callers_order_as_csv_and_parquet(tmp_path: Path) -> None:
    frame = values([3, 0, 1, 2])

    written = write_table(frame, tmp_path / "indicators", "d01_x")

    assert [w.path.name for w in written] == ["d01_x.csv", "d01_x.parquet"]
    expected = [("D01_02", 2022), ("D02_01", 2023), ("D01_01", 2022), ("D01_01", 2021)]
    for path in (written[0].path, written[1].path):
        back = pl.read_csv(path) if path.suffix == ".csv" else pl.read_parquet(path)
        assert back.select("indicator_id", "year").rows() == expected
