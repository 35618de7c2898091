"""The changed-years query of the Socrata client: the SoQL it sends and how it reads the
answer (``[{"year": "2024", "rows": "12"}]``, numbers as strings, as Socrata sends them)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ingestion.lombardia import soda

T0 = int(datetime(2025, 3, 1, 6, 0, tzinfo=UTC).timestamp())


@pytest.fixture
def rome_local_time() -> Iterator[None]:
    """The process's local zone is Europe/Rome (as on a server in Milan), then restored."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Rome"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


# -- the query --------------------------------------------------------------------------------


def test_the_query_counts_changed_rows_by_year_of_the_partition_field() -> None:
    assert soda.updated_years_params("data", T0, "provinciaimpresa='MILANO'") == {
        "$select": "date_extract_y(data) as year, count(*) as rows",
        "$where": ":updated_at > '2025-03-01T06:00:00.000' and (provinciaimpresa='MILANO')",
        "$group": "year",
        "$order": "year",
    }


def test_without_a_filter_only_the_change_time_is_asked() -> None:
    params = soda.updated_years_params("data_ins", T0, None)
    assert params["$where"] == ":updated_at > '2025-03-01T06:00:00.000'"
    assert params["$select"] == "date_extract_y(data_ins) as year, count(*) as rows"


def test_an_or_in_the_filter_cannot_escape_the_change_time() -> None:
    where = soda.updated_years_params("data", T0, "stato='VA' or stato='NA'")["$where"]
    assert where == ":updated_at > '2025-03-01T06:00:00.000' and (stato='VA' or stato='NA')"


def test_the_version_is_written_in_utc_whatever_the_local_zone(rome_local_time) -> None:
    assert time.localtime(T0).tm_hour == 7  # 06:00 UTC is 07:00 in Milan in March
    assert soda.floating_utc(T0) == "2025-03-01T06:00:00.000"
    assert soda.floating_utc(T0 + 1) == "2025-03-01T06:00:01.000"


# -- the answer -------------------------------------------------------------------------------


def test_the_answer_gives_the_changed_rows_of_each_year() -> None:
    raw = b'[{"year":"2024","rows":"12"}\n,{"year":"2025","rows":"1"}]\n'
    assert soda.parse_updated_years(raw) == {2024: 12, 2025: 1}


def test_an_empty_answer_means_no_year_changed() -> None:
    assert soda.parse_updated_years(b"[]\n") == {}


def test_rows_without_a_year_are_counted_apart() -> None:
    raw = b'[{"rows":"3"}\n,{"year":"2024","rows":"1"}]'
    assert soda.parse_updated_years(raw) == {None: 3, 2024: 1}


def test_numbers_sent_as_numbers_are_read_too() -> None:
    # [A] Socrata sends strings; a number, or "2024.0", still means the year 2024.
    assert soda.parse_updated_years(b'[{"year":2024,"rows":2},{"year":"2025.0","rows":"1"}]') == {
        2024: 2,
        2025: 1,
    }


MALFORMED = {
    "error-object": (b'{"code":"query.soql.invalid","error":true,"message":"bad"}', "object"),
    "year-not-a-number": (b'[{"year":"MMXXIV","rows":"2"}]', "MMXXIV"),
    "year-with-a-fraction": (b'[{"year":"2024.5","rows":"2"}]', "2024.5"),
    "year-infinite": (b'[{"year":"1e400","rows":"2"}]', "1e400"),
    "year-twice": (b'[{"year":"2024","rows":"2"},{"year":"2024","rows":"1"}]', "distinct"),
    "rows-missing": (b'[{"year":"2024"}]', "invalid literal"),
    "rows-negative": (b'[{"year":"2024","rows":"-1"}]', "negative"),
    "another-column": (b'[{"year":"2024","rows":"2","anno":"2024"}]', "schema drift"),
    "not-an-array-of-objects": (b'["2024"]', "not an object"),
}


@pytest.mark.parametrize(("raw", "cause"), MALFORMED.values(), ids=list(MALFORMED.keys()))
def test_an_answer_we_do_not_understand_is_refused_for_good(raw: bytes, cause: str) -> None:
    with pytest.raises(soda.PayloadError, match=cause) as info:
        soda.parse_updated_years(raw)
    assert info.value.retry is False


def test_a_body_cut_short_may_be_fetched_again() -> None:
    with pytest.raises(soda.PayloadError, match="cut short") as info:
        soda.parse_updated_years(b'[{"year":"2024","ro')
    assert info.value.retry is True
