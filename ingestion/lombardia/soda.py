"""Client for Socrata's SODA 2.x API as served by dati.lombardia.it (docs/sources.md, section 2).

What the real service does and how the client copes:

- ``/resource/<4x4>.json`` answers a JSON array of flat objects in which every scalar is a
  string and a missing value is an omitted key; geo columns are objects. Rows are read by
  the ``$select`` list we sent (recorded in the archive with each page), so a column that
  is missing from every row of a page still becomes a column of nulls.
- At most 50,000 rows per request on 2.0 endpoints (default 1,000): the client pages with
  ``$limit``/``$offset``, always ordered by ``:id`` (the only order stable while paging),
  stops at the first page shorter than the limit, archives each page as its own file
  (``page-00001.json``, ...), and finally asks ``count(*)`` for the same ``$where``: a
  mismatch means rows were lost or duplicated while paging, and nothing is archived.
- Bodies usually arrive chunked and gzip-encoded, without a ``Content-Length``: a JSON array
  cut short is only visible by parsing it. Every page is parsed as it arrives; a page that
  is not UTF-8 JSON (cut, or a maintenance page) is fetched again a few times, then the
  retrieval fails whole. HTTP 202 ("still processing") is retried the same way.
- Without an app token requests share an IP pool and are throttled with HTTP 429, which
  ``HttpClient`` retries honouring ``Retry-After``. The token comes from the environment
  (``OSSERVATORIO_SOCRATA_APP_TOKEN``) and travels only in the ``X-App-Token`` header, never
  in a URL, so it never reaches the archive, the logs or an error message.
- ``/api/views/<4x4>.json`` describes the dataset (columns with ``fieldName`` and
  ``dataTypeName``, ``licenseId``, ``rowsUpdatedAt`` in epoch seconds). It is archived with
  every retrieval (``view.json``), compared with the declared schema before any row is
  fetched (schema drift names the columns), and its ``rowsUpdatedAt`` is the cheap version
  marker for incremental loads.
- Every row carries the system field ``:updated_at``, the fixed (UTC) timestamp of its last
  change (dev.socrata.com/docs/system-fields). ``updated_years`` asks which years hold rows
  changed after a previous ``rowsUpdatedAt``, so a sensor re-fetches only those partitions.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import requests

from ingestion.common.archive import Retrieval, StagedRetrieval
from ingestion.common.errors import SourceError
from ingestion.common.http import Download, HttpClient
from ingestion.common.schema import TableSchema

log = logging.getLogger(__name__)

SOURCE = "lombardia"
DEFAULT_BASE_URL = "https://www.dati.lombardia.it"
APP_TOKEN_ENV = "OSSERVATORIO_SOCRATA_APP_TOKEN"
TOKEN_HEADER = "X-App-Token"
PAGE_SIZE = 50_000
MAX_PAGE_SIZE = 50_000  # SODA 2.0 endpoints refuse larger pages
# Without a token Socrata throttles per IP pool; a small spacing keeps us polite either way.
MIN_INTERVAL_S = 0.2
PAYLOAD_ATTEMPTS = 3  # a page that does not parse is fetched again this many times in all
VIEW_FILE = "view.json"
COUNT_FILE = "count.json"
COUNT_ALIAS = "rows"
ORDER = ":id"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%.f"  # floating_timestamp, e.g. 2024-01-01T00:00:00.000
UPDATED_AT = ":updated_at"  # system field: when a row last changed (a fixed timestamp, UTC)
YEAR_ALIAS = "year"
UPDATES_FILE = "updated-years.json"


def page_name(number: int) -> str:
    return f"page-{number:05d}.json"


def resource_url(base_url: str, view_id: str) -> str:
    return f"{base_url.rstrip('/')}/resource/{view_id}.json"


def view_url(base_url: str, view_id: str) -> str:
    return f"{base_url.rstrip('/')}/api/views/{view_id}.json"


def landing_url(view_id: str) -> str:
    return f"{DEFAULT_BASE_URL}/d/{view_id}"


def app_token() -> str | None:
    """The optional Socrata app token; an empty variable counts as no token."""
    token = os.environ.get(APP_TOKEN_ENV, "").strip()
    return token or None


def current_year() -> int:
    """The year whose data are still being published (a function so tests can pin it)."""
    return date.today().year


# -- SoQL -----------------------------------------------------------------------------------


def quote(value: str) -> str:
    """A SoQL string literal (single quotes, doubled inside)."""
    return "'" + value.replace("'", "''") + "'"


def in_list(field: str, values: Sequence[str]) -> str:
    if not values:
        raise ValueError(f"an empty list of values for {field!r} selects nothing")
    return f"{field} in ({','.join(quote(v) for v in values)})"


def year_window(field: str, year: int) -> str:
    """Rows whose floating timestamp ``field`` falls in ``year`` (half-open interval)."""
    return f"{field} >= '{year}-01-01T00:00:00' and {field} < '{year + 1}-01-01T00:00:00'"


def all_of(*conditions: str | None) -> str | None:
    parts = [c for c in conditions if c]
    return " and ".join(parts) if parts else None


def query_params(
    select: Sequence[str], where: str | None, *, limit: int | None = None, offset: int = 0
) -> dict[str, str]:
    params = {"$select": ",".join(select)}
    if where:
        params["$where"] = where
    if limit is not None:
        params["$order"] = ORDER
        params["$limit"] = str(limit)
        params["$offset"] = str(offset)
    return params


def count_params(where: str | None) -> dict[str, str]:
    params = {"$select": f"count(*) as {COUNT_ALIAS}"}
    if where:
        params["$where"] = where
    return params


def floating_utc(epoch: int) -> str:
    """Epoch seconds as a zone-less timestamp literal in UTC, e.g. 2024-05-01T00:00:00.000."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000")


def updated_years_params(year_field: str, since: int, where: str | None) -> dict[str, str]:
    """SoQL counting, per year of ``year_field``, the rows matching ``where`` changed after
    ``since`` (epoch seconds, e.g. a previous ``rowsUpdatedAt``).

    ``:updated_at`` is a fixed timestamp; the literal is written without a zone and means
    UTC [A: Socrata reads a zone-less literal compared with a fixed timestamp as UTC; its
    docs compare ``:updated_at > '2014-10-20'``]. ``where`` is parenthesised so an ``or``
    in it cannot escape the ``and``. [A] dati.lombardia.it's endpoints accept
    ``date_extract_y`` and ``$group`` on an alias (public code does both on SODA endpoints;
    Socrata documents ``date_extract_m`` for 2.1 only, ``date_trunc_y`` also for 2.0).
    No ``$limit``: the default 1,000 groups is far more years than a dataset holds.
    """
    changed = f"{UPDATED_AT} > '{floating_utc(since)}'"
    return {
        "$select": f"date_extract_y({year_field}) as {YEAR_ALIAS}, count(*) as {COUNT_ALIAS}",
        "$where": all_of(changed, f"({where})" if where else None) or changed,
        "$group": YEAR_ALIAS,
        "$order": YEAR_ALIAS,
    }


def selected_columns(params: dict[str, str]) -> list[str]:
    """Output names of a recorded ``$select`` (the alias when there is one)."""
    columns = []
    for item in params.get("$select", "").split(","):
        item = item.strip()
        if item:
            columns.append(item.split(" as ")[-1].strip() if " as " in item else item)
    return columns


def full_url(url: str, params: dict[str, str]) -> str:
    """The request URL with its query string, as it would appear in an error message."""
    return requests.Request("GET", url, params=params).prepare().url or url


# -- payloads -------------------------------------------------------------------------------


class PayloadError(Exception):
    """A body that is not what Socrata sends; ``retry`` when fetching again may help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


def _decode_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8 ({exc})", retry=True) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        head = text[:80].strip()
        what = (
            "body is an HTML page, not JSON"
            if head.lower().startswith(("<!doctype", "<html"))
            else "body is not valid JSON (cut short?)"
        )
        raise PayloadError(
            f"{what}: {exc.msg} at char {exc.pos} of {len(text)}, starting {head!r}",
            retry=True,
        ) from exc


def _scalar(value: Any) -> str | None:
    """Socrata sends scalars as strings; geo objects are kept as their JSON text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return json.dumps(value)  # a number or boolean where a string was expected


def parse_rows(raw: bytes, columns: Sequence[str] | None = None) -> list[dict[str, str | None]]:
    """The rows of one ``/resource`` answer; keys outside ``columns`` are schema drift."""
    payload = _decode_json(raw)
    if isinstance(payload, dict):
        message = payload.get("message") or payload.get("error") or str(payload)[:200]
        raise PayloadError(f"the service answered an object, not rows: {message}", retry=False)
    if not isinstance(payload, list):
        raise PayloadError(f"expected a JSON array, got {type(payload).__name__}", retry=False)
    allowed = set(columns) if columns is not None else None
    rows = []
    unknown: set[str] = set()
    for index, item in enumerate(payload):
        if not isinstance(item, dict):
            raise PayloadError(f"row {index} is {type(item).__name__}, not an object", retry=False)
        if allowed is not None:
            unknown.update(k for k in item if k not in allowed)
        rows.append({k: _scalar(v) for k, v in item.items()})
    if unknown:
        raise PayloadError(
            f"schema drift: rows carry column(s) {sorted(unknown)} that were not selected "
            f"(selected {list(columns or [])})",
            retry=False,
        )
    return rows


def parse_count(raw: bytes) -> int:
    """``[{"rows": "212"}]`` -> 212."""
    rows = parse_rows(raw)
    try:
        (row,) = rows
        return int(row[COUNT_ALIAS] or "")
    except (ValueError, KeyError, TypeError) as exc:
        raise PayloadError(f"unexpected count(*) answer {rows[:2]!r}", retry=False) from exc


def parse_updated_years(raw: bytes) -> dict[int | None, int]:
    """``[{"year": "2024", "rows": "12"}]`` -> ``{2024: 12}`` (the answer of
    ``updated_years_params``).

    A group without ``year`` (key ``None``) holds changed rows whose year field is null:
    they belong to no yearly partition. Anything else that is not a whole year with a whole,
    non-negative count is an answer we do not understand.
    """
    rows = parse_rows(raw, (YEAR_ALIAS, COUNT_ALIAS))
    years: dict[int | None, int] = {}
    for row in rows:
        year_text, count_text = row.get(YEAR_ALIAS), row.get(COUNT_ALIAS)
        try:
            count = int(count_text or "")
            if count < 0:
                raise ValueError("negative count")
            if year_text is None:
                if None in years:
                    raise ValueError("two groups without a year")
                years[None] = count
                continue
            number = float(year_text)  # [A] date_extract_y is a number: "2024", maybe "2024.0"
            year = int(number)
            if year != number or not 1 <= year <= 9999 or year in years:
                raise ValueError("not a distinct whole year")
        except (TypeError, ValueError, OverflowError) as exc:
            raise PayloadError(
                f"unexpected answer to the changed-years query: row {row!r} ({exc})", retry=False
            ) from exc
        if count:
            years[year] = count
    return years


def parse_view(raw: bytes) -> dict[str, Any]:
    view = _decode_json(raw)
    if not isinstance(view, dict) or not isinstance(view.get("columns"), list):
        raise PayloadError("dataset metadata without a 'columns' list", retry=True)
    return view


def view_columns(view: dict[str, Any]) -> dict[str, str]:
    """Published columns, ``fieldName -> dataTypeName`` (hidden ``:@computed_region`` too)."""
    return {
        str(c.get("fieldName")): str(c.get("dataTypeName", ""))
        for c in view["columns"]
        if isinstance(c, dict) and c.get("fieldName")
    }


def rows_updated_at(view: dict[str, Any]) -> int:
    try:
        return int(view["rowsUpdatedAt"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PayloadError(
            "dataset metadata without an integer 'rowsUpdatedAt'", retry=False
        ) from exc


def check_schema(view: dict[str, Any], schema: TableSchema, *, dataset: str) -> list[str]:
    """The declared columns the view publishes; missing required ones are schema drift.

    Undeclared published columns are logged (not fetched): the column list in the archived
    ``view.json`` shows what else the source offers.
    """
    published = view_columns(view)
    view_id = view.get("id", "?")
    missing = [f.header for f in schema.fields if f.required and f.header not in published]
    known = {f.header for f in schema.fields} | set(schema.ignored)
    extra = sorted(c for c in published if c not in known and not c.startswith(":"))
    if missing:
        raise SourceError(
            SOURCE,
            dataset,
            f"schema drift: dataset {view_id} no longer publishes column(s) {missing}; "
            f"columns it publishes that we do not declare: {extra}",
        )
    if extra:
        log.warning("%s/%s: %s also publishes column(s) %s", SOURCE, dataset, view_id, extra)
    return [f.header for f in schema.fields if f.header in published]


# -- the client -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    """What one retrieval holds: the number of rows and of pages."""

    rows: int
    pages: int


class SodaClient:
    """Reads one Socrata domain through the project's ``HttpClient``."""

    def __init__(
        self,
        http: HttpClient,
        base_url: str = DEFAULT_BASE_URL,
        *,
        token: str | None = None,
        page_size: int = PAGE_SIZE,
        payload_attempts: int = PAYLOAD_ATTEMPTS,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.payload_attempts = payload_attempts
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers[TOKEN_HEADER] = token
        if token:
            log.info("%s: Socrata requests carry an app token", SOURCE)
        else:
            log.info("%s: no Socrata app token: requests share the throttled IP pool", SOURCE)

    def _get(
        self, url: str, dest: Path, *, dataset: str, params: dict[str, str], parse: Any
    ) -> tuple[Download, Any]:
        """Download and parse, fetching again when the body is cut or not JSON."""
        for attempt in range(1, self.payload_attempts + 1):
            result = self.http.download(
                url, dest, dataset=dataset, params=params, headers=self._headers
            )
            try:
                if result.status == 202:
                    raise PayloadError("HTTP 202: the query is still being processed", retry=True)
                return result, parse(dest.read_bytes(), result)
            except PayloadError as exc:
                where = full_url(url, params)
                if exc.retry and attempt < self.payload_attempts:
                    log.warning(
                        "%s/%s: %s from %s (attempt %d); fetching it again",
                        SOURCE,
                        dataset,
                        exc,
                        where,
                        attempt,
                    )
                    continue
                dest.unlink(missing_ok=True)
                suffix = f" after {attempt} attempts" if exc.retry else ""
                raise SourceError(SOURCE, dataset, f"{exc} from {where}{suffix}") from exc
        raise AssertionError("unreachable")

    @staticmethod
    def _record(staged: StagedRetrieval, name: str, result: Download) -> None:
        staged.record(
            name,
            url=result.url,
            params=result.params,
            status=result.status,
            headers=result.headers,
            sha256=result.sha256,
            byte_size=result.byte_size,
        )

    def view(self, view_id: str, dest: Path, *, dataset: str) -> tuple[Download, dict[str, Any]]:
        """The dataset's metadata, downloaded to ``dest``."""
        return self._get(
            view_url(self.base_url, view_id),
            dest,
            dataset=dataset,
            params={},
            parse=lambda raw, _: parse_view(raw),
        )

    def version(self, view_id: str, *, dataset: str) -> dict[str, Any]:
        """The cheap version marker of a dataset: ``{"rowsUpdatedAt": <epoch seconds>}``."""
        with tempfile.TemporaryDirectory(prefix="soda-view-") as tmp:
            _, view = self.view(view_id, Path(tmp) / VIEW_FILE, dataset=dataset)
        try:
            return {"rowsUpdatedAt": rows_updated_at(view)}
        except PayloadError as exc:
            url = view_url(self.base_url, view_id)
            raise SourceError(SOURCE, dataset, f"{exc} from {url}") from exc

    def updated_years(
        self,
        view_id: str,
        *,
        dataset: str,
        year_field: str,
        since: int,
        where: str | None = None,
    ) -> list[int]:
        """The years (of ``year_field``) holding rows matching ``where`` changed after
        ``since``, the epoch seconds of a previous ``rowsUpdatedAt``: the yearly partitions
        to fetch again. One grouped request; nothing is archived.

        Only changed and added rows are seen: a deleted row leaves no ``:updated_at``
        behind [A], so ``rowsUpdatedAt`` may move while this answers ``[]``. A full replace
        by the publisher re-stamps every row, and then every year is reported.
        """
        url = resource_url(self.base_url, view_id)
        params = updated_years_params(year_field, since, where)
        with tempfile.TemporaryDirectory(prefix="soda-updates-") as tmp:
            _, counts = self._get(
                url,
                Path(tmp) / UPDATES_FILE,
                dataset=dataset,
                params=params,
                parse=lambda raw, _: parse_updated_years(raw),
            )
        undated = counts.pop(None, 0)
        if undated:
            log.warning(
                "%s/%s: %d changed row(s) of %s have no %s: no partition to refresh for them",
                SOURCE,
                dataset,
                undated,
                view_id,
                year_field,
            )
        log.info(
            "%s/%s: rows of %s changed after %s, by year: %s",
            SOURCE,
            dataset,
            view_id,
            floating_utc(since),
            counts or "none",
        )
        return sorted(year for year in counts if year is not None)

    def retrieve(
        self,
        staged: StagedRetrieval,
        *,
        dataset: str,
        view_id: str,
        schema: TableSchema,
        where: str | None,
    ) -> Fetched:
        """Archive the view, every page of the rows matching ``where``, and their count."""
        result, view = self.view(view_id, staged.path_for(VIEW_FILE), dataset=dataset)
        self._record(staged, VIEW_FILE, result)
        select = check_schema(view, schema, dataset=dataset)
        key = [f.header for f in schema.fields if f.name in schema.primary_key]
        return self.fetch_rows(
            staged, dataset=dataset, view_id=view_id, select=select, where=where, key=key
        )

    def fetch_rows(
        self,
        staged: StagedRetrieval,
        *,
        dataset: str,
        view_id: str,
        select: Sequence[str],
        where: str | None,
        key: Sequence[str] = (),
    ) -> Fetched:
        """Page through the rows (``$order=:id``), then check them against ``count(*)``."""
        url = resource_url(self.base_url, view_id)
        seen: set[tuple[str | None, ...]] = set()
        total = 0
        number = 0
        while True:
            number += 1
            params = query_params(
                select, where, limit=self.page_size, offset=(number - 1) * self.page_size
            )
            name = page_name(number)

            def check_page(raw: bytes, result: Download) -> int:
                fields = result.headers.get("x-soda2-fields")
                if fields is not None:
                    try:
                        announced = json.loads(fields)
                    except json.JSONDecodeError:
                        announced = None
                    if isinstance(announced, list) and set(announced) != set(select):
                        raise PayloadError(
                            f"schema drift: the answer has fields {announced}, "
                            f"we selected {list(select)}",
                            retry=False,
                        )
                rows = parse_rows(raw, select)
                if len(rows) > self.page_size:
                    raise PayloadError(
                        f"{len(rows)} rows in a page limited to {self.page_size}", retry=False
                    )
                for row in rows if key else ():
                    value = tuple(row.get(k) for k in key)
                    if value in seen:
                        raise PayloadError(
                            f"row with key {dict(zip(key, value, strict=True))} "
                            "answered twice while paging",
                            retry=False,
                        )
                    seen.add(value)
                return len(rows)

            result, rows = self._get(
                url, staged.path_for(name), dataset=dataset, params=params, parse=check_page
            )
            self._record(staged, name, result)
            total += rows
            log.info("%s/%s: %s holds %d rows", SOURCE, dataset, name, rows)
            if rows < self.page_size:
                break
        expected = self.count(staged, url=url, dataset=dataset, where=where)
        if expected != total:
            raise SourceError(
                SOURCE,
                dataset,
                f"paging {full_url(url, query_params(select, where))} returned {total} rows "
                f"but count(*) is {expected}: rows were lost or repeated while paging",
            )
        return Fetched(rows=total, pages=number)

    def count(self, staged: StagedRetrieval, *, url: str, dataset: str, where: str | None) -> int:
        result, value = self._get(
            url,
            staged.path_for(COUNT_FILE),
            dataset=dataset,
            params=count_params(where),
            parse=lambda raw, _: parse_count(raw),
        )
        self._record(staged, COUNT_FILE, result)
        return value


# -- reading an archived retrieval ----------------------------------------------------------


def read_retrieval(retrieval: Retrieval, schema: TableSchema, *, dataset: str) -> pl.DataFrame:
    """The rows of every archived page as strings keyed by field name, timestamps parsed.

    Columns come from the ``$select`` recorded with each page, so a column null in every
    row is still there; the archived ``count(*)`` must match the rows (it always does for a
    retrieval the client committed, so this guards bundled or hand-made archives).
    """
    pages = sorted(
        (f for f in retrieval.files if f["name"].startswith("page-")), key=lambda f: f["name"]
    )
    if not pages:
        raise SourceError(SOURCE, dataset, f"retrieval {retrieval.retrieval_id} has no pages")
    columns: list[str] | None = None
    rows: list[dict[str, str | None]] = []
    for entry in pages:
        page_columns = selected_columns(entry["params"]) or None
        if columns is None:
            columns = page_columns
        elif page_columns is not None and page_columns != columns:
            raise SourceError(
                SOURCE, dataset, f"{entry['name']} selects {page_columns}, not {columns}"
            )
        try:
            rows.extend(parse_rows(retrieval.file(entry["name"]).read_bytes(), columns))
        except PayloadError as exc:
            raise SourceError(SOURCE, dataset, f"{entry['name']}: {exc}") from exc
    names = {f["name"] for f in retrieval.files}
    if COUNT_FILE in names:
        try:
            expected = parse_count(retrieval.file(COUNT_FILE).read_bytes())
        except PayloadError as exc:
            raise SourceError(SOURCE, dataset, f"{COUNT_FILE}: {exc}") from exc
        if expected != len(rows):
            raise SourceError(
                SOURCE,
                dataset,
                f"retrieval {retrieval.retrieval_id} holds {len(rows)} rows, "
                f"count(*) says {expected}",
            )
    if columns is None:
        columns = sorted({k for row in rows for k in row})
    frame = pl.from_dicts(rows, schema=dict.fromkeys(columns, pl.String))
    return parse_timestamps(frame, schema, dataset=dataset)


def parse_timestamps(frame: pl.DataFrame, schema: TableSchema, *, dataset: str) -> pl.DataFrame:
    """Turn floating timestamps into datetimes (dates) where the schema declares them."""
    for f in schema.fields:
        if f.header not in frame.columns or not isinstance(f.dtype, pl.Datetime | pl.Date):
            continue
        text = frame[f.header]
        parsed = text.str.to_datetime(TIMESTAMP_FORMAT, strict=False)
        bad = text.filter(parsed.is_null() & text.is_not_null()).head(3).to_list()
        if bad:
            raise SourceError(
                SOURCE,
                dataset,
                f"column {f.header!r}: value(s) {bad} are not floating timestamps "
                f"like 2024-01-01T00:00:00.000",
            )
        if isinstance(f.dtype, pl.Date):
            parsed = parsed.dt.date()
        frame = frame.with_columns(parsed.alias(f.header))
    return frame
