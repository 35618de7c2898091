"""A local replica of a Socrata SODA 2.x domain (dati.lombardia.it), after docs/sources.md
section 2, serving on 127.0.0.1 and an OS-chosen port from a background thread:

* ``GET /resource/<4x4>.json``: rows as a JSON array of flat objects, every scalar a string,
  a missing value an omitted key, geo values as objects, one row per line (``\\n,`` between
  rows). Parameters:

  - ``$select``: a column list (``col``, ``col as alias``, ``:id``, ``:updated_at``),
    ``date_extract_y(<timestamp column>) [as alias]`` (the year, a string) or
    ``count(*) [as alias]`` (the count is a string, like every number);
  - ``$group``: aliases or columns; every selected non-aggregate must be grouped, and
    ``count(*)`` then counts each group; ``$order`` on a grouped answer names its aliases;
  - ``$where``: SoQL comparisons ``= != <> > >= < <=``, ``in (...)``, ``is [not] null``,
    ``and``/``or``/``not`` and parentheses; string literals in single quotes (``''``
    inside), numbers. Comparisons follow the column's type, as Socrata does: ``number``
    columns compare numerically (a quoted number is accepted), ``calendar_date`` columns and
    the system field ``:updated_at`` as timestamps (a literal without zone is UTC), ``text``
    columns as strings (a bare number there is a type mismatch);
  - ``$order`` (``col [asc|desc]``, ``:id``), ``$limit`` (default 1,000, at most 50,000:
    more is a 400), ``$offset``; ``<column>=<value>`` equality filters; ``$$app_token``;
  - unknown columns or ``$`` parameters, bad SoQL: HTTP 400 with Socrata's JSON error body
    (``{"code": "query.soql.no-such-column", "error": true, "message": ...}``); an unknown
    dataset: 404;
  - headers ``X-SODA2-Fields``/``X-SODA2-Types`` (JSON lists), ``X-SODA2-Truth-Last-Modified``,
    ``Last-Modified``, ``X-Socrata-RequestId``; bodies chunked and, when the client accepts
    it, gzip-encoded, so no ``Content-Length`` (as the real service answers big queries).

* Every row carries the system field ``:updated_at``, a fixed timestamp
  (``2024-05-02T10:11:12.000Z``): by default the view's ``rowsUpdatedAt`` when the row was
  set; ``set_rows`` re-stamps every row (a full replace), ``update_rows`` only the rows it
  upserts or deletes. It is not among the default columns, as on Socrata.

* ``GET /api/views/<4x4>.json``: the dataset's metadata (``id``, ``name``, ``licenseId``,
  ``rowsUpdatedAt`` in epoch seconds, ``columns`` with ``fieldName``/``dataTypeName``).

* App tokens: a token in ``X-App-Token`` (or ``$$app_token``) exempts from throttling; when
  ``valid_tokens`` is given, any other token is a 403 (``Invalid app_token specified``).
  Requests without a token count against ``anonymous_budget`` per ``window_s`` and client
  IP (a sliding window counted on arrival); over it the answer is 429 with ``Retry-After``.

Faults (one FIFO queue; each request takes the first fault whose target matches it, after
the throttle, which comes first like the real one): ``fail_next`` (any status, optional
``Retry-After``), ``stall_next``, ``cut_next`` (connection closed mid-body), ``truncate_next``
(``Content-Length`` larger than what is sent), ``truncate_json_next`` (a complete answer whose
JSON array is cut), ``malformed_next`` (a 200 with another body, e.g. a maintenance page),
``latin1_next`` (Latin-1 bytes where UTF-8 is due), ``duplicate_row_next``, ``drop_row_next``,
``rename_column_next`` (one answer). Persistent changes: ``rename_column`` (the view and the
rows), ``set_rows`` (new rows and a newer ``rowsUpdatedAt``), ``update_rows`` (some rows
upserted or deleted, and a newer ``rowsUpdatedAt``). Targets: ``any``, ``view``,
``resource``, ``page`` (a row query), ``count`` (a ``count(*)`` query) and ``group`` (a
``$group`` query); the row faults take
``skip=n`` to hit the n+1-th matching request (e.g. the second page). Every request is recorded
in ``requests`` with the status and headers it was answered with.

[A] Assumed rather than documented: the exact error texts and codes, the row-id format of
``:id``, that ``$limit`` over 50,000 is refused rather than capped, null ordering, that
``:updated_at`` can be filtered and ``$group`` used on SODA 2.0 endpoints, the default name
of an unaliased ``date_extract_y(col)`` (``date_extract_y_col``), that a deleted row leaves
no trace a query can see, and that ``:id`` is a row's position (so it shifts after a delete).
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ingestion.lombardia.synthetic import SODA2_TYPES, Column, View, soda_json
from tests.replicas.istat import Headers
from tests.replicas.server import LocalReplica, ReplicaHandler

JSON_TYPE = "application/json;charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
DEFAULT_LIMIT = 1000
MAX_LIMIT = 50_000
CHUNK = 16 * 1024
KNOWN_PARAMS = {
    "$select",
    "$where",
    "$order",
    "$group",
    "$limit",
    "$offset",
    "$$app_token",
    "$$bom",
}
TARGETS = {"any", "view", "resource", "page", "count", "group"}
UPDATED_AT = ":updated_at"
FUNCTIONS = {"date_extract_y"}  # the SoQL functions the replica evaluates


@dataclass
class ReplicaDataset:
    """One dataset of the domain: its metadata and its rows (dicts of strings, geo dicts)."""

    view: View
    rows: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Rows given without ``:updated_at`` were set at the view's current version.
        self.rows = stamped(self.rows, self.view.rows_updated_at, keep=True)

    @property
    def view_id(self) -> str:
        return self.view.view_id

    def column(self, name: str) -> Column | None:
        return next((c for c in self.view.columns if c.field_name == name), None)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    client: str
    received_at: float
    status: int | None = None
    response_headers: Headers = field(default_factory=Headers)

    @property
    def kind(self) -> str:
        if self.path.startswith("/api/views/"):
            return "view"
        if self.query.get("$group", "").strip():
            return "group"
        if "count(" in self.query.get("$select", "").lower():
            return "count"
        return "page"


@dataclass(frozen=True)
class _Fault:
    kind: str
    on: str = "any"
    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    retry_after: str | None = None
    seconds: float = 0.0
    names: tuple[str, str] = ("", "")
    skip: int = 0  # matching requests to let through untouched first


@dataclass
class _Answer:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, Any]] | None = None  # a row answer, serialised after row faults
    fields: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _error(status: int, code: str, message: str) -> _Answer:
    body = {"code": code, "error": True, "message": message, "data": {}}
    return _Answer(status, json.dumps(body, indent=2).encode())


# -- SoQL -----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<op>>=|<=|!=|<>|=|>|<|\(|\)|,)|(?P<word>[A-Za-z_:@][A-Za-z0-9_:@]*))"
)
Predicate = Callable[[dict[str, Any], int], bool]


def _tokens(text: str) -> list[tuple[str, str]]:
    out, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise SoqlError("query.soql.invalid", f"could not parse SoQL at {text[position:]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def _timestamp(text: str) -> datetime:
    text = text.rstrip("Z")
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        with contextlib.suppress(ValueError):
            return datetime.strptime(text, pattern)
    raise ValueError(f"not a timestamp: {text!r}")


class _Where:
    """A recursive-descent compiler of the SoQL subset into a row predicate."""

    def __init__(self, dataset: ReplicaDataset, text: str) -> None:
        self.dataset = dataset
        self.tokens = _tokens(text)
        self.position = 0

    def compile(self) -> Predicate:
        predicate = self._or()
        if self.position != len(self.tokens):
            raise SoqlError("query.soql.invalid", f"unexpected {self.tokens[self.position][1]!r}")
        return predicate

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("", "")

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if not token[0]:
            raise SoqlError("query.soql.invalid", "unexpected end of $where")
        self.position += 1
        return token

    def _keyword(self, word: str) -> bool:
        kind, value = self._peek()
        if kind == "word" and value.lower() == word:
            self.position += 1
            return True
        return False

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._keyword("or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else lambda r, i: any(p(r, i) for p in parts)

    def _and(self) -> Predicate:
        parts = [self._not()]
        while self._keyword("and"):
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else lambda r, i: all(p(r, i) for p in parts)

    def _not(self) -> Predicate:
        if self._keyword("not"):
            inner = self._not()
            return lambda r, i: not inner(r, i)
        if self._peek() == ("op", "("):
            self._take()
            inner = self._or()
            if self._take() != ("op", ")"):
                raise SoqlError("query.soql.invalid", "missing ')'")
            return inner
        return self._comparison()

    def _comparison(self) -> Predicate:
        kind, name = self._take()
        if kind != "word":
            raise SoqlError("query.soql.invalid", f"expected a column, got {name!r}")
        value_of, convert = self._column(name)
        if self._keyword("is"):
            negate = self._keyword("not")
            if not self._keyword("null"):
                raise SoqlError("query.soql.invalid", "expected NULL after IS")
            return lambda r, i: (value_of(r, i) is None) != negate
        negate = self._keyword("not")
        if self._keyword("in"):
            if self._take() != ("op", "("):
                raise SoqlError("query.soql.invalid", "expected '(' after IN")
            values = set()
            while True:
                values.add(convert(self._take()))
                separator = self._take()
                if separator == ("op", ")"):
                    break
                if separator != ("op", ","):
                    raise SoqlError("query.soql.invalid", "expected ',' or ')' in IN list")

            def member(r: dict[str, Any], i: int) -> bool:
                raw = value_of(r, i)
                return raw is not None and (convert(("row", raw)) in values) != negate

            return member
        if negate:
            raise SoqlError("query.soql.invalid", "expected IN after NOT")
        op_kind, op = self._take()
        if op_kind != "op" or op not in ("=", "!=", "<>", ">", ">=", "<", "<="):
            raise SoqlError("query.soql.invalid", f"expected an operator, got {op!r}")
        literal = convert(self._take())
        compare = {
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<>": lambda a, b: a != b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
        }[op]

        def test(r: dict[str, Any], i: int) -> bool:
            raw = value_of(r, i)
            return raw is not None and compare(convert(("row", raw)), literal)

        return test

    def _column(
        self, name: str
    ) -> tuple[Callable[[dict[str, Any], int], Any], Callable[[tuple[str, Any]], Any]]:
        if name == ":id":
            return (lambda r, i: _row_id(i)), (lambda t: _text_literal(t, name))
        if name == UPDATED_AT:
            return _updated_at(self.dataset), _time_literal(name)
        column = self.dataset.column(name)
        if column is None:
            raise SoqlError("query.soql.no-such-column", f"No such column: {name}")

        def value_of(r: dict[str, Any], i: int) -> Any:
            return r.get(name)

        kind = column.data_type
        if kind == "number":

            def to_number(token: tuple[str, Any]) -> float:
                source, value = token
                if source == "str":
                    value = value[1:-1].replace("''", "'")
                elif source not in ("num", "row"):
                    raise SoqlError("query.soql.type-mismatch", f"{name} is a number column")
                try:
                    return float(value)
                except ValueError as exc:
                    raise SoqlError(
                        "query.soql.type-mismatch", f"{value!r} is not a number for {name}"
                    ) from exc

            return value_of, to_number
        if kind == "calendar_date":
            return value_of, _time_literal(name)
        return value_of, lambda t: _text_literal(t, name)


def _time_literal(name: str) -> Callable[[tuple[str, Any]], datetime]:
    """Read a quoted literal or a row value of timestamp column ``name``."""

    def to_time(token: tuple[str, Any]) -> datetime:
        source, value = token
        if source == "str":
            value = value[1:-1]
        elif source != "row":
            raise SoqlError("query.soql.type-mismatch", f"{name} is a timestamp column")
        try:
            return _timestamp(value)
        except ValueError as exc:
            raise SoqlError("query.soql.type-mismatch", str(exc)) from exc

    return to_time


def fixed_timestamp(epoch: int) -> str:
    """A Socrata fixed timestamp (UTC, ``Z``), as ``:updated_at`` is sent."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def stamped(rows: Iterable[dict[str, Any]], epoch: int, *, keep: bool) -> list[dict[str, Any]]:
    """Copies of ``rows`` with ``:updated_at`` at ``epoch`` (``keep``: only where missing)."""
    stamp = fixed_timestamp(epoch)
    return [r if keep and UPDATED_AT in r else {**r, UPDATED_AT: stamp} for r in rows]


def _updated_at(dataset: ReplicaDataset) -> Callable[[dict[str, Any], int], str]:
    """A row's ``:updated_at`` (rows put in ``dataset.rows`` by hand: the view's version)."""
    fallback = fixed_timestamp(dataset.view.rows_updated_at)
    return lambda r, i: r.get(UPDATED_AT, fallback)


def _text_literal(token: tuple[str, Any], name: str) -> str:
    source, value = token
    if source == "row":
        return value if isinstance(value, str) else json.dumps(value)
    if source != "str":
        raise SoqlError("query.soql.type-mismatch", f"{name} is a text column, got {value!r}")
    return value[1:-1].replace("''", "'")


def _row_id(index: int) -> str:
    return f"row-{index >> 12:04x}.{index & 0xFFF:03x}"


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


# -- the server -----------------------------------------------------------------------------


class SocrataReplica(LocalReplica):
    """A Socrata domain with the given datasets, for integration tests."""

    name = "SocrataReplica"

    def __init__(
        self,
        datasets: Iterable[ReplicaDataset] = (),
        *,
        anonymous_budget: int | None = None,
        window_s: float = 60.0,
        valid_tokens: Iterable[str] | None = None,
        compress: bool = True,
    ) -> None:
        self.datasets = {d.view_id: d for d in datasets}
        self.anonymous_budget = anonymous_budget
        self.window_s = window_s
        self.valid_tokens = set(valid_tokens) if valid_tokens is not None else None
        self.compress = compress
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._hits: dict[str, deque[float]] = {}
        self._faults: list[_Fault] = []
        self._request_ids = 0

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    # -- the data --------------------------------------------------------------------------

    def set_rows(
        self, view_id: str, rows: list[dict[str, Any]], rows_updated_at: int | None = None
    ) -> None:
        """Replace a dataset's rows, as a publication does (``rowsUpdatedAt`` moves on).

        A full replace re-stamps every row's ``:updated_at`` with the new version, as the
        Socrata docs say of replaces through the Publisher API.
        """
        with self._lock:
            dataset = self.datasets[view_id]
            updated = rows_updated_at or dataset.view.rows_updated_at + 3600
            dataset.rows = stamped(rows, updated, keep=False)
            dataset.view = replace(dataset.view, rows_updated_at=updated)

    def update_rows(
        self,
        view_id: str,
        rows: Sequence[dict[str, Any]],
        rows_updated_at: int | None = None,
        *,
        key: Sequence[str],
    ) -> None:
        """Upsert some rows, as an incremental publication does (``rowsUpdatedAt`` moves on).

        A row whose ``key`` values match an existing row replaces it in place (its ``:id``
        stays), any other is appended; a row with ``":deleted": True`` removes its match.
        Only the upserted rows get the new ``:updated_at``; the others keep theirs.
        """
        with self._lock:
            dataset = self.datasets[view_id]
            updated = rows_updated_at or dataset.view.rows_updated_at + 3600
            current = stamped(dataset.rows, dataset.view.rows_updated_at, keep=True)
            position = {tuple(r.get(k) for k in key): i for i, r in enumerate(current)}
            deleted: set[int] = set()
            for row in rows:
                value = tuple(row.get(k) for k in key)
                if row.get(":deleted"):
                    if value not in position:
                        raise KeyError(
                            f"no row of {view_id} with {dict(zip(key, value, strict=True))}"
                        )
                    deleted.add(position[value])
                    continue
                kept = {k: v for k, v in row.items() if k != ":deleted"}
                (new,) = stamped([kept], updated, keep=False)
                if value in position:
                    current[position[value]] = new
                else:
                    position[value] = len(current)
                    current.append(new)
            dataset.rows = [r for i, r in enumerate(current) if i not in deleted]
            dataset.view = replace(dataset.view, rows_updated_at=updated)

    def rename_column(self, view_id: str, old: str, new: str) -> None:
        """The publisher renames a column: metadata and rows change together."""
        with self._lock:
            dataset = self.datasets[view_id]
            columns = tuple(
                replace(c, field_name=new, name=new.upper()) if c.field_name == old else c
                for c in dataset.view.columns
            )
            dataset.view = replace(dataset.view, columns=columns)
            dataset.rows = [
                {(new if k == old else k): v for k, v in r.items()} for r in dataset.rows
            ]

    # -- fault injection -------------------------------------------------------------------

    def _queue(self, times: int, fault: _Fault) -> None:
        if fault.on not in TARGETS:
            raise ValueError(f"unknown fault target {fault.on!r}; one of {sorted(TARGETS)}")
        with self._lock:
            self._faults.extend([fault] * times)

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        body: str | bytes | None = None,
        content_type: str = JSON_TYPE,
        on: str = "any",
    ) -> None:
        """Answer ``status`` (with ``Retry-After`` when given) to the next matching requests."""
        if body is None:
            body = json.dumps({"code": f"http_{status}", "error": True, "message": "injected"})
        raw = body.encode("utf-8") if isinstance(body, str) else body
        header = None
        if retry_after is not None:
            header = retry_after if isinstance(retry_after, str) else str(math.ceil(retry_after))
        self._queue(
            times,
            _Fault(
                "status",
                on=on,
                status=status,
                body=raw,
                content_type=content_type,
                retry_after=header,
            ),
        )

    def stall_next(self, seconds: float, *, times: int = 1, on: str = "any") -> None:
        """Sleep before answering (normally): for client timeouts."""
        self._queue(times, _Fault("stall", on=on, seconds=seconds))

    def cut_next(self, *, times: int = 1, on: str = "any") -> None:
        """Send part of a chunked body, then close the connection without ending it."""
        self._queue(times, _Fault("cut", on=on))

    def truncate_next(self, *, times: int = 1, on: str = "any") -> None:
        """Declare the full ``Content-Length`` but send half of the body, then close."""
        self._queue(times, _Fault("truncate", on=on))

    def truncate_json_next(self, *, times: int = 1, on: str = "any") -> None:
        """A complete HTTP answer whose JSON array stops half-way (no closing bracket)."""
        self._queue(times, _Fault("truncate_json", on=on))

    def malformed_next(
        self,
        body: str | bytes = "<!DOCTYPE html><html><body>Manutenzione in corso</body></html>",
        *,
        content_type: str = HTML_TYPE,
        times: int = 1,
        on: str = "any",
    ) -> None:
        """Answer 200 with another body (a maintenance page by default)."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        self._queue(times, _Fault("malformed", on=on, body=raw, content_type=content_type))

    def latin1_next(self, *, times: int = 1, on: str = "any") -> None:
        """Encode the next answers in Latin-1 while still announcing UTF-8."""
        self._queue(times, _Fault("latin1", on=on))

    def duplicate_row_next(self, *, times: int = 1, on: str = "page", skip: int = 0) -> None:
        """Repeat the first row of the next row answers at their end."""
        self._queue(times, _Fault("duplicate", on=on, skip=skip))

    def drop_row_next(self, *, times: int = 1, on: str = "page", skip: int = 0) -> None:
        """Leave one row (the middle one) out of the next row answers."""
        self._queue(times, _Fault("drop", on=on, skip=skip))

    def rename_column_next(
        self, old: str, new: str, *, times: int = 1, on: str = "page", skip: int = 0
    ) -> None:
        """The next row answers call column ``old`` ``new`` (rows and headers)."""
        self._queue(times, _Fault("rename", on=on, names=(old, new), skip=skip))

    def _take_fault(self, kind: str) -> _Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if (
                    fault.on == "any"
                    or fault.on == kind
                    or (fault.on == "resource" and kind in ("page", "count", "group"))
                ):
                    if fault.skip:
                        self._faults[index] = replace(fault, skip=fault.skip - 1)
                        return None
                    return self._faults.pop(index)
        return None

    # -- request handling ------------------------------------------------------------------

    def _handle(self, handler: ReplicaHandler, *, send_body: bool) -> None:
        try:
            self._serve(handler, send_body=send_body)
        except (ConnectionError, TimeoutError):
            handler.close_connection = True
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            handler.close_connection = True
            with contextlib.suppress(OSError):
                self._send(handler, _error(500, "internal", "replica error"), send_body=send_body)

    def _serve(self, handler: ReplicaHandler, *, send_body: bool) -> None:
        split = urlsplit(handler.path)
        path = unquote(split.path)
        record = RecordedRequest(
            method=handler.command,
            path=path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=Headers(handler.headers.items()),
            client=handler.client_address[0],
            received_at=time.monotonic(),
        )
        with self._lock:
            self._requests.append(record)
            self._request_ids += 1
            request_id = f"{self._request_ids:032x}"

        token = record.headers.get("X-App-Token") or record.query.get("$$app_token")
        fault = None
        if token and self.valid_tokens is not None and token not in self.valid_tokens:
            answer = _error(403, "invalid_app_token", "Invalid app_token specified")
        elif not token and (retry_after := self._admit(record.client, record.received_at)):
            answer = _error(429, "throttled", "Too many requests: use an app token")
            answer.headers["Retry-After"] = str(retry_after)
        else:
            fault = self._take_fault(record.kind)
            if fault is not None and fault.kind == "status":
                answer = _Answer(fault.status, fault.body, fault.content_type)
                if fault.retry_after is not None:
                    answer.headers["Retry-After"] = fault.retry_after
            elif fault is not None and fault.kind == "malformed":
                answer = _Answer(200, fault.body, fault.content_type)
            else:
                if fault is not None and fault.kind == "stall":
                    time.sleep(fault.seconds)
                answer = self._route(path, record.query)
                if answer.rows is not None:
                    self._finish_rows(answer, fault)
        answer.headers.setdefault("X-Socrata-RequestId", request_id)
        kind = fault.kind if fault is not None else ""
        if kind == "latin1":
            answer.body = answer.body.decode("utf-8").encode("latin-1", errors="replace")
        if kind == "truncate_json":
            answer.body = answer.body[: max(1, len(answer.body) // 2)]
        streamed = path.startswith("/resource/") and answer.status == 200
        self._send(
            handler,
            answer,
            send_body=send_body,
            record=record,
            streamed=streamed,
            cut=kind == "cut",
            truncate=kind == "truncate",
        )

    def _admit(self, client: str, now: float) -> int | None:
        if self.anonymous_budget is None:
            return None
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.anonymous_budget:
                return max(1, math.ceil(hits[0] + self.window_s - now))
            hits.append(now)
            return None

    def _finish_rows(self, answer: _Answer, fault: _Fault | None) -> None:
        rows = answer.rows or []
        kind = fault.kind if fault else ""
        if kind == "duplicate" and rows:
            rows = [*rows, dict(rows[0])]
        elif kind == "drop" and rows:
            rows = rows[: len(rows) // 2] + rows[len(rows) // 2 + 1 :]
        elif kind == "rename" and fault is not None:
            old, new = fault.names
            rows = [{(new if k == old else k): v for k, v in r.items()} for r in rows]
            answer.fields = [new if f == old else f for f in answer.fields]
        answer.body = soda_json(rows)
        answer.headers["X-SODA2-Fields"] = json.dumps(answer.fields, separators=(",", ":"))
        answer.headers["X-SODA2-Types"] = json.dumps(answer.types, separators=(",", ":"))

    def _send(
        self,
        handler: ReplicaHandler,
        answer: _Answer,
        *,
        send_body: bool,
        record: RecordedRequest | None = None,
        streamed: bool = False,
        cut: bool = False,
        truncate: bool = False,
    ) -> None:
        body = answer.body
        headers = {"Content-Type": answer.content_type, **answer.headers}
        accepts_gzip = record is not None and "gzip" in record.headers.get("Accept-Encoding", "")
        if streamed and self.compress and accepts_gzip:
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
        chunked = (streamed or cut) and not truncate
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        else:
            headers["Content-Length"] = str(len(body))
        if cut or truncate:
            headers["Connection"] = "close"
        if record is not None:
            record.response_headers = Headers(headers.items())
            record.status = answer.status
        handler.send_response(answer.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if send_body:
            if truncate:
                handler.wfile.write(body[: len(body) // 2])
            elif chunked:
                payload = body[: len(body) // 2] if cut else body
                for start in range(0, len(payload), CHUNK):
                    piece = payload[start : start + CHUNK]
                    handler.wfile.write(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
                if not cut:
                    handler.wfile.write(b"0\r\n\r\n")
            else:
                handler.wfile.write(body)
        handler.wfile.flush()
        if cut or truncate:
            handler.close_connection = True

    # -- routes ----------------------------------------------------------------------------

    def _route(self, path: str, query: dict[str, str]) -> _Answer:
        views = re.fullmatch(r"/api/views/([a-z0-9]{4}-[a-z0-9]{4})\.json", path)
        if views:
            dataset = self.datasets.get(views.group(1))
            if dataset is None:
                return _error(404, "not_found", f"Cannot find view with id {views.group(1)}")
            document = dataset.view.document()
            return _Answer(
                200,
                json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
                headers={"Last-Modified": _http_date(dataset.view.rows_updated_at)},
            )
        resource = re.fullmatch(r"/resource/([a-z0-9]{4}-[a-z0-9]{4})\.json", path)
        if resource:
            dataset = self.datasets.get(resource.group(1))
            if dataset is None:
                return _error(404, "not_found", f"Cannot find dataset {resource.group(1)}")
            try:
                answer = self._query(dataset, query)
            except SoqlError as exc:
                return _error(400, exc.code, str(exc))
            stamp = _http_date(dataset.view.rows_updated_at)
            answer.headers["Last-Modified"] = stamp
            answer.headers["X-SODA2-Truth-Last-Modified"] = stamp
            return answer
        return _Answer(404, b"<!DOCTYPE html><title>Page not found</title>", HTML_TYPE)

    def _query(self, dataset: ReplicaDataset, query: dict[str, str]) -> _Answer:
        unknown = sorted(k for k in query if k.startswith("$") and k not in KNOWN_PARAMS)
        if unknown:
            raise SoqlError("query.soql.invalid", f"Unrecognized arguments {unknown}")
        conditions = []
        for name, value in query.items():
            if name.startswith("$"):
                continue
            literal = "'" + value.replace("'", "''") + "'"
            conditions.append(_Where(dataset, f"{name} = {literal}").compile())
        if query.get("$where", "").strip():
            conditions.append(_Where(dataset, query["$where"]).compile())
        try:
            limit = int(query.get("$limit", DEFAULT_LIMIT))
            offset = int(query.get("$offset", 0))
        except ValueError as exc:
            raise SoqlError("query.soql.invalid", f"bad $limit or $offset: {exc}") from exc
        if limit < 0 or offset < 0:
            raise SoqlError("query.soql.invalid", "$limit and $offset must not be negative")
        if limit > MAX_LIMIT:
            raise SoqlError(
                "query.execution.limit-too-high",
                f"$limit must be at most {MAX_LIMIT} on a SODA 2.0 endpoint, got {limit}",
            )
        with self._lock:
            rows = list(enumerate(dataset.rows))
        matching = [(i, r) for i, r in rows if all(c(r, i) for c in conditions)]
        items = _split_top(query.get("$select", "")) or [
            c.field_name for c in dataset.view.columns if not c.field_name.startswith(":")
        ]
        selections = [_selection(item) for item in items]
        groups = _split_top(query.get("$group", ""))
        if groups:
            grouped, fields, types = _group(dataset, matching, selections, groups)
            if query.get("$order", "").strip():
                _order_groups(grouped, query["$order"], dict(zip(fields, types, strict=True)))
            return _Answer(200, rows=grouped[offset : offset + limit], fields=fields, types=types)
        aggregates = [s for s in selections if s[0] == "count(*)"]
        if aggregates:
            if len(aggregates) != len(selections):
                raise SoqlError("query.soql.invalid", "count(*) needs $group to mix with columns")
            result = [{alias: str(len(matching)) for _, alias in selections}]
            return _Answer(
                200,
                rows=result,
                fields=[a for _, a in selections],
                types=["number"] * len(selections),
            )
        getters = [_getter(dataset, source) for source, _ in selections]
        if query.get("$order", "").strip():
            for item in reversed(_split_top(query["$order"])):
                words = item.split()
                name = words[0]
                descending = len(words) > 1 and words[1].lower() == "desc"
                key = _sort_key(dataset, name)
                matching.sort(key=lambda pair, key=key: key(pair), reverse=descending)
        page = matching[offset : offset + limit]
        projected = []
        for index, row in page:
            out = {}
            for (_, alias), (value_of, _) in zip(selections, getters, strict=True):
                value = value_of(row, index)
                if value is not None:
                    out[alias] = value
            projected.append(out)
        types = [kind for _, kind in getters]
        return _Answer(200, rows=projected, fields=[a for _, a in selections], types=types)


_NAME = r"[A-Za-z_:@][A-Za-z0-9_:@]*"
_CALL = re.compile(rf"(?P<function>[A-Za-z_]+)\s*\(\s*(?P<argument>{_NAME})\s*\)")
RowValue = Callable[[dict[str, Any], int], Any]


def _selection(item: str) -> tuple[str, str]:
    parts = re.split(r"\s+as\s+", item, flags=re.IGNORECASE)
    source = parts[0].strip()
    alias = parts[1].strip() if len(parts) > 1 else source
    if source.replace(" ", "").lower() == "count(*)":
        return "count(*)", alias if len(parts) > 1 else "count"
    call = _CALL.fullmatch(source)
    if call is not None:
        function, argument = call["function"].lower(), call["argument"]
        if function not in FUNCTIONS:
            raise SoqlError("query.soql.no-such-function", f"No such function: {function}")
        source = f"{function}({argument})"
        return source, alias if len(parts) > 1 else f"{function}_{argument}"
    if not re.fullmatch(_NAME, source):
        raise SoqlError("query.soql.invalid", f"unsupported $select item {item!r}")
    return source, alias


def _getter(dataset: ReplicaDataset, source: str) -> tuple[RowValue, str]:
    """How to read a selected column or expression from a row, and its SODA2 type."""
    if source == ":id":
        return (lambda r, i: _row_id(i)), "row_identifier"
    if source == UPDATED_AT:
        return _updated_at(dataset), "fixed_timestamp"  # [A] the X-SODA2-Types name
    call = _CALL.fullmatch(source)
    if call is not None:  # date_extract_y, the only function (checked by _selection)
        value_of, kind = _getter(dataset, call["argument"])
        if kind not in ("floating_timestamp", "fixed_timestamp"):
            raise SoqlError(
                "query.soql.type-mismatch",
                f"date_extract_y is not defined for {call['argument']}, a {kind} column",
            )

        def year(r: dict[str, Any], i: int) -> str | None:
            value = value_of(r, i)
            return None if value is None else str(_timestamp(value).year)

        return year, "number"
    column = dataset.column(source)
    if column is None:
        raise SoqlError("query.soql.no-such-column", f"No such column: {source}")
    return (lambda r, i: r.get(source)), SODA2_TYPES.get(column.data_type, column.data_type)


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _group(
    dataset: ReplicaDataset,
    matching: list[tuple[int, dict[str, Any]]],
    selections: list[tuple[str, str]],
    groups: list[str],
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """One output row per distinct ``$group`` key; ``count(*)`` counts each group's rows."""
    getters = {a: _getter(dataset, s) for s, a in selections if s != "count(*)"}
    keys: list[RowValue] = []
    grouped: set[str] = set()
    for item in groups:
        alias = next((a for s, a in selections if s != "count(*)" and item in (a, s)), None)
        if alias is not None:
            grouped.add(alias)
            keys.append(getters[alias][0])
        else:  # a column that is grouped on without being selected
            keys.append(_getter(dataset, _selection(item)[0])[0])
    loose = [s for s, a in selections if s != "count(*)" and a not in grouped]
    if loose:
        raise SoqlError("query.soql.invalid", f"{loose} must appear in $group or be aggregated")
    counts: dict[tuple[Any, ...], int] = {}
    first: dict[tuple[Any, ...], tuple[int, dict[str, Any]]] = {}
    for index, row in matching:
        key = tuple(_hashable(value_of(row, index)) for value_of in keys)
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, (index, row))
    out = []
    for key, count in counts.items():
        index, row = first[key]
        item_out = {}
        for source, alias in selections:
            value = str(count) if source == "count(*)" else getters[alias][0](row, index)
            if value is not None:
                item_out[alias] = value
        out.append(item_out)
    fields = [a for _, a in selections]
    types = ["number" if s == "count(*)" else getters[a][1] for s, a in selections]
    return out, fields, types


def _order_groups(rows: list[dict[str, Any]], order: str, types: dict[str, str]) -> None:
    """Sort a grouped answer by its output names (``alias [asc|desc]``), nulls last [A]."""
    for item in reversed(_split_top(order)):
        words = item.split()
        name = words[0]
        if name not in types:
            raise SoqlError("query.soql.no-such-column", f"No such column: {name}")
        numeric = types[name] == "number"

        def key(row: dict[str, Any], name: str = name, numeric: bool = numeric) -> tuple:
            value = row.get(name)
            if value is None:
                return (1, 0)
            return (0, float(value) if numeric else str(value))

        rows.sort(key=key, reverse=len(words) > 1 and words[1].lower() == "desc")


def _sort_key(dataset: ReplicaDataset, name: str) -> Callable[[tuple[int, dict[str, Any]]], Any]:
    if name == ":id":
        return lambda pair: pair[0]
    column = dataset.column(name)
    if column is None:
        raise SoqlError("query.soql.no-such-column", f"No such column: {name}")

    def key(pair: tuple[int, dict[str, Any]]) -> tuple[int, Any]:
        value = pair[1].get(name)
        if value is None:
            return (1, 0)  # nulls last [A]
        if column.data_type == "number":
            return (0, float(value))
        return (0, str(value))

    return key


def _http_date(epoch: int) -> str:
    return email.utils.formatdate(epoch, usegmt=True)


def dataset(
    view_id: str,
    columns: Sequence[str | Column],
    rows: Iterable[dict[str, Any]] = (),
    *,
    name: str = "Dataset",
    rows_updated_at: int = 1_732_000_000,
    license_id: str = "CC0_10",
) -> ReplicaDataset:
    """A dataset from ``"field:type"`` column specs (type defaults to text) and rows."""
    parsed = []
    for column in columns:
        if isinstance(column, str):
            field_name, _, kind = column.rpartition(":")
            if kind not in SODA2_TYPES:
                field_name, kind = column, "text"
            column = Column(field_name, kind, field_name.upper().lstrip(":"))
        parsed.append(column)
    view = View(
        view_id,
        name,
        tuple(parsed),
        attribution="Regione Lombardia",
        license_id=license_id,
        rows_updated_at=rows_updated_at,
    )
    return ReplicaDataset(view, list(rows))


def archive_answers(
    archive: Any,
    dataset_name: str,
    pages: Sequence[bytes],
    *,
    select: Sequence[str],
    count: int | None = None,
    where: str | None = None,
    view_id: str = "abcd-1234",
    partition: str | None = None,
) -> Any:
    """An archived retrieval holding ``pages`` as the client records them (for unit tests)."""
    from ingestion.lombardia import soda

    url = soda.resource_url(soda.DEFAULT_BASE_URL, view_id)
    with archive.retrieve(
        soda.SOURCE, dataset_name, source_mode="live", partition=partition
    ) as staged:
        for number, body in enumerate(pages, start=1):
            name = soda.page_name(number)
            staged.path_for(name).write_bytes(body)
            offset = (number - 1) * soda.PAGE_SIZE
            params = soda.query_params(select, where, limit=soda.PAGE_SIZE, offset=offset)
            staged.record(name, url=url, params=params, status=200)
        if count is not None:
            staged.path_for(soda.COUNT_FILE).write_bytes(soda_json([{"rows": str(count)}]))
            staged.record(soda.COUNT_FILE, url=url, params=soda.count_params(where), status=200)
    return staged.result
