"""The SODA wire format as the client reads it: strings everywhere, omitted keys, geo
objects, count(*), view metadata and the schema check, on payloads shaped like the real ones."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import polars as pl
import pytest

from ingestion.common.archive import RawArchive
from ingestion.common.errors import SourceError
from ingestion.common.http import HttpClient
from ingestion.common.schema import Field, TableSchema
from ingestion.lombardia import air, soda
from ingestion.lombardia.synthetic import VIEWS, soda_json
from tests.replicas.socrata import archive_answers

FIXTURES = Path(__file__).parents[2] / "fixtures" / "lombardia"
STATIONS_PAGE = (FIXTURES / "ib47-atvt.page.json").read_bytes()


# -- rows ------------------------------------------------------------------------------------


def test_every_value_is_a_string_and_missing_values_are_omitted_keys() -> None:
    rows = soda.parse_rows(STATIONS_PAGE)
    assert len(rows) == 6
    senato = rows[0]
    assert senato["quota"] == "120" and senato["lat"] == "45.470499"
    assert "datastop" not in senato  # an active sensor: the key is absent, not null
    assert rows[2]["datastop"] == "2016-06-30T00:00:00.000"


def test_a_geo_object_is_kept_as_its_json_text() -> None:
    location = json.loads(soda.parse_rows(STATIONS_PAGE)[0]["location"])
    assert location["latitude"] == "45.470499" and location["longitude"] == "9.19746"


def test_keys_outside_the_selected_columns_are_schema_drift() -> None:
    select = [f.header for f in air.STATIONS_SCHEMA.fields]  # no "location"
    with pytest.raises(soda.PayloadError, match=r"schema drift.*\['location'\]") as info:
        soda.parse_rows(STATIONS_PAGE, select)
    assert info.value.retry is False  # fetching again would not change the columns


@pytest.mark.parametrize(
    ("body", "message", "retry"),
    [
        (STATIONS_PAGE[: len(STATIONS_PAGE) // 2], r"not valid JSON \(cut short\?\)", True),
        (STATIONS_PAGE.decode().encode("latin-1"), "not UTF-8", True),
        (b"<!DOCTYPE html><html><body>Manutenzione</body></html>", "an HTML page", True),
        (
            b'{"code":"query.soql.no-such-column","error":true,"message":"No such column: x"}',
            "answered an object, not rows: No such column: x",
            False,
        ),
        (b'["a","b"]', "row 0 is str", False),
    ],
    ids=["cut", "latin-1", "html", "error-object", "not-objects"],
)
def test_bodies_that_are_not_rows_are_refused(body: bytes, message: str, retry: bool) -> None:
    with pytest.raises(soda.PayloadError, match=message) as info:
        soda.parse_rows(body)
    assert info.value.retry is retry


def test_count_star_is_a_string_in_a_one_row_answer() -> None:
    assert soda.parse_count(b'[{"rows":"212"}]\n') == 212
    with pytest.raises(soda.PayloadError, match="unexpected count"):
        soda.parse_count(b'[{"count":"212"}]')


def test_the_wire_format_has_one_row_per_line_with_leading_commas() -> None:
    body = soda_json([{"a": "1"}, {"a": "2", "b": "é"}])
    assert body == '[{"a":"1"}\n,{"a":"2","b":"é"}]\n'.encode()
    assert soda.parse_rows(body) == [{"a": "1"}, {"a": "2", "b": "é"}]


# -- SoQL ------------------------------------------------------------------------------------


def test_string_literals_double_their_quotes() -> None:
    assert soda.quote("Cassano d'Adda") == "'Cassano d''Adda'"
    assert soda.in_list("idsensore", ["1", "22"]) == "idsensore in ('1','22')"
    with pytest.raises(ValueError, match="selects nothing"):
        soda.in_list("idsensore", [])


def test_a_year_is_a_half_open_window_on_a_floating_timestamp() -> None:
    assert soda.year_window("data", 2024) == (
        "data >= '2024-01-01T00:00:00' and data < '2025-01-01T00:00:00'"
    )
    assert soda.all_of("a=1", None, "b=2") == "a=1 and b=2"
    assert soda.all_of(None) is None


def test_pages_are_always_ordered_by_row_id() -> None:
    params = soda.query_params(["a", "b"], "a > 1", limit=50_000, offset=100_000)
    assert params == {
        "$select": "a,b",
        "$where": "a > 1",
        "$order": ":id",
        "$limit": "50000",
        "$offset": "100000",
    }
    assert soda.count_params("a > 1") == {"$select": "count(*) as rows", "$where": "a > 1"}
    assert soda.selected_columns({"$select": "count(*) as rows"}) == ["rows"]
    assert soda.selected_columns(params) == ["a", "b"]


def test_the_page_size_is_bounded_by_the_2_0_endpoint_limit() -> None:
    http = HttpClient(soda.SOURCE)
    assert soda.SodaClient(http).page_size == 50_000
    assert soda.SodaClient(http, page_size=10).page_size == 10
    with pytest.raises(ValueError, match=r"1\.\.50000"):
        soda.SodaClient(http, page_size=50_001)


def test_an_empty_token_variable_means_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(soda.APP_TOKEN_ENV, "  ")
    assert soda.app_token() is None
    monkeypatch.setenv(soda.APP_TOKEN_ENV, "abc123")
    assert soda.app_token() == "abc123"
    monkeypatch.delenv(soda.APP_TOKEN_ENV)
    assert soda.app_token() is None


# -- the view and the schema check ---------------------------------------------------------


def view_bytes(view_id: str = "ib47-atvt") -> bytes:
    return json.dumps(VIEWS[view_id].document()).encode()


def test_the_view_gives_columns_and_the_version_marker() -> None:
    view = soda.parse_view(view_bytes())
    columns = soda.view_columns(view)
    assert columns["datastart"] == "calendar_date" and columns["location"] == "location"
    assert soda.rows_updated_at(view) == VIEWS["ib47-atvt"].rows_updated_at
    with pytest.raises(soda.PayloadError, match="rowsUpdatedAt"):
        soda.rows_updated_at({"columns": []})
    with pytest.raises(soda.PayloadError, match="'columns'"):
        soda.parse_view(b'{"id":"ib47-atvt"}')


def test_declared_columns_are_selected_in_schema_order_and_ignored_ones_are_not() -> None:
    select = soda.check_schema(soda.parse_view(view_bytes()), air.STATIONS_SCHEMA, dataset="s")
    assert select == [f.header for f in air.STATIONS_SCHEMA.fields]  # location is ignored


def test_a_missing_required_column_is_schema_drift_naming_both_sides() -> None:
    view = soda.parse_view(view_bytes("g2hp-ar79"))
    (valore,) = [c for c in view["columns"] if c["fieldName"] == "valore"]
    valore["fieldName"] = "valore_misurato"  # the publisher renamed the column
    with pytest.raises(SourceError) as info:
        soda.check_schema(view, air.MEASUREMENTS_SCHEMA, dataset="air_measurements")
    message = str(info.value)
    assert message.startswith("lombardia/air_measurements: schema drift: dataset g2hp-ar79")
    assert "['valore']" in message and "'valore_misurato'" in message


def test_optional_columns_absent_from_the_view_are_not_selected(caplog) -> None:
    schema = TableSchema(
        fields=(
            Field("idsensore", pl.String, "id"),
            Field("colore", pl.String, "not published", required=False),
        )
    )
    with caplog.at_level(logging.WARNING):
        select = soda.check_schema(soda.parse_view(view_bytes()), schema, dataset="s")
    assert select == ["idsensore"]
    assert "also publishes column(s)" in caplog.text and "'nomestazione'" in caplog.text


# -- reading an archived retrieval ---------------------------------------------------------


@pytest.fixture
def archive(tmp_path: Path) -> RawArchive:
    return RawArchive(tmp_path / "raw")


SELECT = [f.header for f in air.STATIONS_SCHEMA.fields]


def test_an_archived_page_becomes_typed_rows(archive: RawArchive) -> None:
    page = soda_json(r for r in json.loads(STATIONS_PAGE) if r.pop("location"))
    retrieval = archive_answers(archive, "air_stations", [page], select=SELECT, count=6)
    frame = soda.read_retrieval(retrieval, air.STATIONS_SCHEMA, dataset="air_stations")
    table = air.STATIONS_SCHEMA.conform(frame, source="lombardia", dataset="air_stations")
    assert table.height == 6 and table.columns == air.STATIONS_SCHEMA.names
    magenta = table.filter(pl.col("idsensore") == "5732").row(0, named=True)
    assert magenta["quota"] == 140 and magenta["storico"] == "S"
    assert str(magenta["datastop"]) == "2016-06-30 00:00:00"
    assert table["datastop"].null_count() == 4  # 6 sensors, 2 of them closed


def test_a_column_absent_from_every_row_is_still_a_column(archive: RawArchive) -> None:
    page = soda_json([{"idsensore": "1", "nometiposensore": "Ozono"}])
    retrieval = archive_answers(archive, "air_stations", [page], select=SELECT, count=1)
    frame = soda.read_retrieval(retrieval, air.STATIONS_SCHEMA, dataset="air_stations")
    assert frame.columns == SELECT and frame["datastop"].to_list() == [None]


def test_rows_are_read_across_pages_and_checked_against_the_count(archive: RawArchive) -> None:
    pages = [soda_json([{"idsensore": str(i)} for i in range(3)]), soda_json([{"idsensore": "9"}])]
    retrieval = archive_answers(archive, "air_stations", pages, select=SELECT, count=4)
    frame = soda.read_retrieval(retrieval, air.STATIONS_SCHEMA, dataset="air_stations")
    assert frame["idsensore"].to_list() == ["0", "1", "2", "9"]

    wrong = archive_answers(archive, "air_stations", pages, select=SELECT, count=5)
    with pytest.raises(SourceError, match=r"holds 4 rows, count\(\*\) says 5"):
        soda.read_retrieval(wrong, air.STATIONS_SCHEMA, dataset="air_stations")


def test_a_date_that_is_not_a_floating_timestamp_names_the_column(archive: RawArchive) -> None:
    # The display CSV writes dd/mm/yyyy: if the JSON endpoint did, this is what we would see.
    page = soda_json([{"idsensore": "1", "datastart": "01/03/2024"}])
    retrieval = archive_answers(archive, "air_stations", [page], select=SELECT, count=1)
    with pytest.raises(SourceError, match=r"column 'datastart': value\(s\) \['01/03/2024'\]"):
        soda.read_retrieval(retrieval, air.STATIONS_SCHEMA, dataset="air_stations")
