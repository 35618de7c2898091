"""A local replica of ISTAT's services, faithful to what docs/sources.md (section 1) records.

It serves, on 127.0.0.1 and an OS-chosen port, from a background thread:

* the SDMX 2.1 REST web service of esploradati (``/SDMXWS/rest``) for dataflow ``22_289``
  (resident population on 1 January, DSD ``DCIS_POPRES1``):

  - ``GET data/{flowRef}[/{key}[/{providerRef}]]`` with ``flowRef`` ``22_289``,
    ``IT1,22_289`` or ``IT1,22_289,1.0``; the key is dot-separated in DSD order, an empty
    segment is a wildcard, ``+`` is OR, ``all`` (or no key) is everything, a wrong number of
    segments is HTTP 400; ``startPeriod``/``endPeriod``/``firstNObservations``/
    ``lastNObservations`` (names case-insensitive), with the confirmed ``endPeriod`` bug
    (``endPeriod=N`` answers up to N+1) unless ``end_period_bug=False``;
  - the format is chosen by ``Accept`` only: SDMX-CSV for
    ``application/vnd.sdmx.data+csv`` or ``text/csv``, SDMX-ML GenericData for
    ``application/vnd.sdmx.genericdata+xml``, ``*/*`` or no ``Accept``; anything else is 406;
  - "no data" is HTTP 404, ``text/plain``, body ``NoRecordsFound``; an unknown dataflow is a
    404 too, with a different text;
  - ``GET dataflow/IT1/22_289[/latest][?references=...]`` and
    ``GET datastructure/IT1/DCIS_POPRES1`` answer SDMX-ML 2.1 structure messages; the data
    structure (with its ``DimensionList``, positions and ``TimeDimension``) is included when
    ``references`` asks for children (``children``, ``descendants``, ``all``,
    ``datastructure``), the codelists with ``descendants``/``all``/``codelist``;
  - at most ``rate_limit`` requests per ``window_s`` seconds per client IP (a sliding
    window counted on arrival, before anything is served: every admitted request counts,
    whatever it asks and whatever the answer, injected faults included); over the limit the
    answer is 429 with ``Retry-After`` (whole seconds until a slot frees, at least 1), and
    the refused request takes no slot, so waiting ``Retry-After`` is enough. The real
    service blocks the IP for one to two days instead, so a client that ever meets this
    429 in a test would be blocked in production;

* the comuni list of www.istat.it at ``/storage/codici-unita-amministrative/
  Elenco-comuni-italiani.csv`` (the bytes given as ``comuni_csv``; a 404 HTML page without
  them). www.istat.it is another host in reality, so it is not rate limited.

Tests inject faults that take precedence over normal answers (after the rate limit, which
like the real one comes first): ``fail_next`` (any status, optional ``Retry-After``),
``truncate_next`` (a ``Content-Length`` larger than the body, then the connection closes)
and ``stall_next`` (sleep before answering). Faults form one FIFO queue, whatever the
path: each admitted request takes at most one. Every request is recorded in ``requests``
(a 429 or a stalled one included), with the status and headers it was answered with.

What is [A]ssumed rather than documented: the exact texts of error bodies other than
``NoRecordsFound``, codelist ids and names, and that the limiter answers 429.
"""

from __future__ import annotations

import contextlib
import math
import re
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import polars as pl

from ingestion.istat.synthetic import sdmx_csv

AGENCY = "IT1"
FLOW = "22_289"
FLOW_VERSION = "1.0"
DSD = "DCIS_POPRES1"
# The real key order of DCIS_POPRES1 on esploradati (sources.md 1.4). Deliberately not
# imported from the client: the replica is the reference the client is checked against.
DIMENSIONS = ("FREQ", "REF_AREA", "DATA_TYPE", "SEX", "AGE", "MARITAL_STATUS")
DEFAULTS = {"FREQ": "A", "DATA_TYPE": "JAN", "MARITAL_STATUS": "99"}
ATTRIBUTES = ("OBS_STATUS",)
CODELISTS = {  # [A] ids as in the legacy DSD family
    "FREQ": "CL_FREQ",
    "REF_AREA": "CL_ITTER107",
    "DATA_TYPE": "CL_TIPO_DATO15",
    "SEX": "CL_SEXISTAT1",
    "AGE": "CL_ETA1",
    "MARITAL_STATUS": "CL_STATCIV2",
    "ITTER107": "CL_ITTER107",
}

SDMX_PREFIX = "/SDMXWS/rest"
COMUNI_PATH = "/storage/codici-unita-amministrative/Elenco-comuni-italiani.csv"

CSV_TYPE = "application/vnd.sdmx.data+csv; version=1.0.0; charset=utf-8"
GENERIC_TYPE = "application/vnd.sdmx.genericdata+xml; version=2.1; charset=utf-8"
STRUCTURE_TYPE = "application/vnd.sdmx.structure+xml; version=2.1; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

NO_RECORDS = "NoRecordsFound"
UNKNOWN_FLOW = "Could not find Dataflow and/or DSD related with this data request"  # [A]
NO_STRUCTURE = "No Results Found"  # [A]

NS = {
    "message": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "structure": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "common": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
    "generic": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_PERIOD = re.compile(r"^(\d{4})(-(\d{2}(-\d{2})?|Q[1-4]|S[12]|W\d{2}|A1|M\d{2}))?$")
_CHILD_REFERENCES = {"children", "descendants", "all", "datastructure"}
_CODELIST_REFERENCES = {"descendants", "all", "codelist"}
_REFERENCES = (
    _CHILD_REFERENCES
    | _CODELIST_REFERENCES
    | {
        "none",
        "parents",
        "parentsandsiblings",
        "dataflow",
        "conceptscheme",
    }
)


def _q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


def default_observations() -> pl.DataFrame:
    """A small deterministic data set: three comuni, both sexes and total, 2019-2024."""
    rows = []
    for code, base in (("015146", 1_370_000), ("015002", 32_500), ("015005", 4_900)):
        for year in range(2019, 2025):
            male = base * 48 // 100 + (year - 2019) * 7
            female = base - base * 48 // 100 + (year - 2019) * 5
            for sex, value in (("1", male), ("2", female), ("9", male + female)):
                rows.append((code, sex, "TOTAL", str(year), str(value)))
    return pl.DataFrame(
        rows, schema=["REF_AREA", "SEX", "AGE", "TIME_PERIOD", "OBS_VALUE"], orient="row"
    )


class Headers(dict[str, str]):
    """Header names lower-cased, looked up case-insensitively (``h["Accept"]`` works)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name.lower() if isinstance(name, str) else name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


@dataclass
class RecordedRequest:
    """One request as the replica saw it, and what it answered."""

    method: str
    path: str  # decoded, without the query string
    query: dict[str, str]  # names as sent (case kept); the last value of a repeated name
    headers: Headers  # request headers (names lower-cased, looked up in any case)
    client: str
    received_at: float  # time.monotonic() on arrival, before any stall
    status: int | None = None  # None until answered (e.g. while stalling)
    response_headers: Headers = field(default_factory=Headers)


@dataclass(frozen=True)
class _Fault:
    kind: str  # "status" | "truncate" | "stall"
    status: int = 200
    body: bytes = b""
    content_type: str = TEXT_TYPE
    retry_after: str | None = None
    seconds: float = 0.0


@dataclass
class _Answer:
    status: int
    body: bytes = b""
    content_type: str = TEXT_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def _text(status: int, message: str) -> _Answer:
    return _Answer(status, message.encode("utf-8"), TEXT_TYPE)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    replica: IstatReplica

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: clients that hang up are normal here; anything else is kept for tests."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            self.replica.errors.append(repr(exc))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "IstatReplica/1.0"
    timeout = 10  # idle keep-alive connections end on their own
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self.server.replica._handle(self, send_body=True)

    def do_HEAD(self) -> None:
        self.server.replica._handle(self, send_body=False)


class IstatReplica:
    """ISTAT's SDMX web service and comuni file, locally, for integration tests.

    ``observations`` are rows of flow 22_289 with columns ``REF_AREA, SEX, AGE,
    TIME_PERIOD, OBS_VALUE`` and optionally ``OBS_STATUS``; ``FREQ``, ``DATA_TYPE`` and
    ``MARITAL_STATUS`` default to ``A``, ``JAN`` and ``99`` (default: ``default_observations``).
    ``dimensions`` is the DSD key order the replica publishes and expects in keys; change it
    to emulate a schema change on ISTAT's side. ``rate_limit=None`` disables the limiter.
    """

    def __init__(
        self,
        *,
        observations: pl.DataFrame | None = None,
        comuni_csv: bytes | None = None,
        rate_limit: int | None = 5,
        window_s: float = 60.0,
        end_period_bug: bool = True,
        dimensions: Sequence[str] = DIMENSIONS,
    ) -> None:
        if rate_limit is not None and rate_limit < 1:
            raise ValueError("rate_limit must be at least 1 (or None for no limit)")
        self.dimensions = tuple(dimensions)
        self.comuni_csv = comuni_csv
        self.rate_limit = rate_limit
        self.window_s = window_s
        self.end_period_bug = end_period_bug
        self.errors: list[str] = []  # unexpected exceptions inside the replica
        self._rows = self._load(default_observations() if observations is None else observations)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._hits: dict[str, deque[float]] = {}
        self._faults: deque[_Fault] = deque()
        self._ids = count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> IstatReplica:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.replica = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="istat-replica",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> IstatReplica:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the replica is not running (use it as a context manager)")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def sdmx_url(self) -> str:
        return self.base_url + SDMX_PREFIX

    @property
    def comuni_url(self) -> str:
        return self.base_url + COMUNI_PATH

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    # -- fault injection -------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        body: str | bytes | None = None,
        content_type: str = TEXT_TYPE,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (and ``Retry-After`` if given:
        a number is sent as whole seconds rounded up, a string verbatim, e.g. an HTTP date)."""
        if body is None:
            body = f"{status} {HTTPStatus(status).phrase}"
        raw = body.encode("utf-8") if isinstance(body, str) else body
        header = None
        if retry_after is not None:
            header = retry_after if isinstance(retry_after, str) else str(math.ceil(retry_after))
        self._queue(
            times,
            _Fault(
                "status", status=status, body=raw, content_type=content_type, retry_after=header
            ),
        )

    def truncate_next(self, times: int = 1) -> None:
        """Send the next answers' headers with their full Content-Length but only half the
        body, then close the connection (a transfer cut short)."""
        self._queue(times, _Fault("truncate"))

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """Sleep ``seconds`` before answering the next requests (normally) — for timeouts."""
        self._queue(times, _Fault("stall", seconds=seconds))

    def _queue(self, times: int, fault: _Fault) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    # -- request handling ------------------------------------------------------------------

    def _handle(self, handler: _Handler, *, send_body: bool) -> None:
        try:
            self._serve(handler, send_body=send_body)
        except (ConnectionError, TimeoutError):
            handler.close_connection = True  # the client hung up (e.g. after its timeout)
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            handler.close_connection = True
            with contextlib.suppress(OSError):
                self._send(handler, _text(500, "replica error"), send_body=send_body)

    def _serve(self, handler: _Handler, *, send_body: bool) -> None:
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

        limited = path == SDMX_PREFIX or path.startswith(SDMX_PREFIX + "/")
        retry_after = self._admit(record.client, record.received_at) if limited else None
        fault = None
        if retry_after is None:
            with self._lock:
                fault = self._faults.popleft() if self._faults else None

        if retry_after is not None:
            answer = _text(429, "Too Many Requests")
            answer.headers["Retry-After"] = str(retry_after)
        elif fault is not None and fault.kind == "status":
            answer = _Answer(fault.status, fault.body, fault.content_type)
            if fault.retry_after is not None:
                answer.headers["Retry-After"] = fault.retry_after
        else:
            if fault is not None and fault.kind == "stall":
                time.sleep(fault.seconds)
            answer = self._route(path, record.query, record.headers.get("accept"))

        truncate = fault is not None and fault.kind == "truncate"
        self._send(handler, answer, send_body=send_body, truncate=truncate, record=record)

    def _admit(self, client: str, now: float) -> int | None:
        """Count the request against the client's window; seconds to wait if over the limit."""
        if self.rate_limit is None:
            return None
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.rate_limit:
                return max(1, math.ceil(hits[0] + self.window_s - now))
            hits.append(now)
            return None

    def _send(
        self,
        handler: _Handler,
        answer: _Answer,
        *,
        send_body: bool,
        truncate: bool = False,
        record: RecordedRequest | None = None,
    ) -> None:
        headers = {
            "Content-Type": answer.content_type,
            "Content-Length": str(len(answer.body)),
            **answer.headers,
        }
        if record is not None:
            record.response_headers = Headers(headers.items())
            record.status = answer.status
        handler.send_response(answer.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if truncate:
            handler.send_header("Connection", "close")
        handler.end_headers()
        if send_body:
            body = answer.body[: len(answer.body) // 2] if truncate else answer.body
            handler.wfile.write(body)
        handler.wfile.flush()
        if truncate:
            handler.close_connection = True

    def _route(self, path: str, query: dict[str, str], accept: str | None) -> _Answer:
        if path == COMUNI_PATH:
            if self.comuni_csv is None:
                return _Answer(
                    404,
                    b"<!doctype html><title>Pagina non trovata</title>",
                    "text/html; charset=utf-8",
                )
            return _Answer(200, self.comuni_csv, "text/csv")
        if not (path == SDMX_PREFIX or path.startswith(SDMX_PREFIX + "/")):
            return _Answer(
                404, b"<!doctype html><title>Not Found</title>", "text/html; charset=utf-8"
            )
        segments = [s for s in path[len(SDMX_PREFIX) :].split("/")]
        segments = segments[1:] if segments and segments[0] == "" else segments
        if segments and segments[-1] == "":
            segments = segments[:-1]  # a trailing "/" is tolerated
        params = {k.lower(): v for k, v in query.items()}
        resource = segments[0] if segments else ""
        if resource == "data":
            return self._data(segments[1:], params, accept)
        if resource in ("dataflow", "datastructure"):
            return self._structure(resource, segments[1:], params, accept)
        if resource:
            return _text(501, f"Resource {resource!r} is not emulated by the replica")
        return _text(404, NO_STRUCTURE)

    # -- data ------------------------------------------------------------------------------

    def _data(self, segments: list[str], params: dict[str, str], accept: str | None) -> _Answer:
        if not segments or len(segments) > 3:
            return _text(400, "Syntax error: expected data/{flowRef}/{key}/{providerRef}")
        if not _is_flow_ref(segments[0]):
            return _text(404, UNKNOWN_FLOW)
        kind = _negotiate(accept, _data_format)
        if kind is None:
            return _text(406, f"Not Acceptable: {accept}")
        key = segments[1] if len(segments) > 1 else "all"
        if key.lower() == "all":
            filters: list[set[str] | None] = [None] * len(self.dimensions)
        else:
            parts = key.split(".")
            if len(parts) != len(self.dimensions):
                return _text(
                    400,
                    f"Semantic Error - the key {key!r} has {len(parts)} "
                    f"dimension(s); {DSD} has {len(self.dimensions)}: "
                    f"{'.'.join(self.dimensions)}",
                )
            filters = [set(p.split("+")) if p else None for p in parts]

        try:
            start = _period_year(params.get("startperiod"), "startPeriod")
            end = _period_year(params.get("endperiod"), "endPeriod")
            first_n = _positive_int(params.get("firstnobservations"), "firstNObservations")
            last_n = _positive_int(params.get("lastnobservations"), "lastNObservations")
        except ValueError as exc:
            return _text(400, f"Semantic Error - {exc}")
        if end is not None and self.end_period_bug:
            end += 1  # esploradati: endPeriod=N answers up to N+1 (confirmed by ISTAT)

        rows = [
            row
            for row in self._rows
            if all(f is None or row[d] in f for d, f in zip(self.dimensions, filters, strict=True))
            and (start is None or int(row["TIME_PERIOD"][:4]) >= start)
            and (end is None or int(row["TIME_PERIOD"][:4]) <= end)
        ]
        rows = self._first_last(rows, first_n, last_n)
        if not rows:
            return _text(404, NO_RECORDS)
        if kind == "csv":
            return _Answer(
                200,
                sdmx_csv(rows, flow=FLOW, dimensions=self.dimensions, version=FLOW_VERSION),
                CSV_TYPE,
            )
        return _Answer(200, self._generic_data(rows), GENERIC_TYPE)

    def _series(self, row: dict[str, str]) -> tuple[str, ...]:
        return tuple(row[d] for d in self.dimensions)

    def _first_last(
        self, rows: list[dict[str, str]], first_n: int | None, last_n: int | None
    ) -> list[dict[str, str]]:
        if first_n is None and last_n is None:
            return rows
        by_series: dict[tuple[str, ...], list[dict[str, str]]] = {}
        for row in rows:
            by_series.setdefault(self._series(row), []).append(row)
        kept = []
        for series in by_series.values():
            chosen = series[:first_n] if first_n is not None else []
            if last_n is not None:
                chosen += [r for r in series[-last_n:] if r not in chosen]
            kept.extend(sorted(chosen, key=lambda r: r["TIME_PERIOD"]))
        return kept

    def _load(self, observations: pl.DataFrame) -> list[dict[str, str]]:
        frame = observations
        for name, value in DEFAULTS.items():
            if name not in frame.columns:
                frame = frame.with_columns(pl.lit(value).alias(name))
        needed = [*self.dimensions, "TIME_PERIOD", "OBS_VALUE"]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"observations lack column(s) {missing}")
        keep = needed + [a for a in ATTRIBUTES if a in frame.columns]
        frame = frame.select([pl.col(c).cast(pl.String).fill_null("") for c in keep])
        rows = frame.to_dicts()
        bad = [r["TIME_PERIOD"] for r in rows if not _PERIOD.match(r["TIME_PERIOD"])]
        if bad:
            raise ValueError(f"unsupported TIME_PERIOD value(s) {bad[:3]}")
        return sorted(rows, key=lambda r: (self._series(r), r["TIME_PERIOD"]))

    def _header(self, root: ET.Element, *, structure: ET.Element | None = None) -> None:
        header = ET.SubElement(root, _q("message", "Header"))
        ET.SubElement(header, _q("message", "ID")).text = f"IREF{next(self._ids):06d}"
        ET.SubElement(header, _q("message", "Test")).text = "false"
        ET.SubElement(header, _q("message", "Prepared")).text = datetime.now(UTC).strftime(
            "%Y-%m-%dT%H:%M:%S"
        )
        ET.SubElement(header, _q("message", "Sender"), id=AGENCY)
        if structure is not None:
            header.append(structure)

    def _generic_data(self, rows: list[dict[str, str]]) -> bytes:
        root = ET.Element(_q("message", "GenericData"))
        structure_id = f"{AGENCY}_{DSD}_{FLOW_VERSION.replace('.', '_')}"
        structure = ET.Element(
            _q("message", "Structure"),
            structureID=structure_id,
            dimensionAtObservation="TIME_PERIOD",
        )
        common = ET.SubElement(structure, _q("common", "Structure"))
        ET.SubElement(common, "Ref", agencyID=AGENCY, id=DSD, version=FLOW_VERSION)
        self._header(root, structure=structure)
        dataset = ET.SubElement(root, _q("message", "DataSet"), structureRef=structure_id)
        current: tuple[str, ...] | None = None
        series: ET.Element | None = None
        for row in rows:
            key = self._series(row)
            if key != current or series is None:
                current = key
                series = ET.SubElement(dataset, _q("generic", "Series"))
                series_key = ET.SubElement(series, _q("generic", "SeriesKey"))
                for dim, value in zip(self.dimensions, key, strict=True):
                    ET.SubElement(series_key, _q("generic", "Value"), id=dim, value=value)
            obs = ET.SubElement(series, _q("generic", "Obs"))
            ET.SubElement(obs, _q("generic", "ObsDimension"), value=row["TIME_PERIOD"])
            ET.SubElement(obs, _q("generic", "ObsValue"), value=row["OBS_VALUE"])
            attributes = [(a, row[a]) for a in ATTRIBUTES if row.get(a)]
            if attributes:
                holder = ET.SubElement(obs, _q("generic", "Attributes"))
                for name, value in attributes:
                    ET.SubElement(holder, _q("generic", "Value"), id=name, value=value)
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)

    # -- structures ------------------------------------------------------------------------

    def _structure(
        self, resource: str, segments: list[str], params: dict[str, str], accept: str | None
    ) -> _Answer:
        if len(segments) > 3:
            return _text(400, f"Syntax error: expected {resource}/{{agency}}/{{id}}/{{version}}")
        if _negotiate(accept, _structure_format) is None:
            return _text(406, f"Not Acceptable: {accept}")
        references = params.get("references", "none").lower()
        if references not in _REFERENCES:
            return _text(400, f"Semantic Error - invalid references {references!r}")
        agency, ident, version = (segments + ["all"] * 3)[:3]
        wanted_id = FLOW if resource == "dataflow" else DSD
        if (
            agency not in (AGENCY, "all")
            or ident not in (wanted_id, "all")
            or version not in (FLOW_VERSION, "latest", "all")
        ):
            return _text(404, NO_STRUCTURE)

        if resource == "dataflow":
            with_flow = True
            with_dsd = references in _CHILD_REFERENCES
        else:
            with_flow = references in {"parents", "parentsandsiblings", "dataflow", "all"}
            with_dsd = True
        with_codelists = references in _CODELIST_REFERENCES
        root = ET.Element(_q("message", "Structure"))
        self._header(root)
        structures = ET.SubElement(root, _q("message", "Structures"))
        if with_codelists:
            structures.append(self._codelists())
        if with_flow:
            structures.append(self._dataflows())
        if with_dsd:
            structures.append(self._data_structures())
        return _Answer(
            200, ET.tostring(root, encoding="utf-8", xml_declaration=True), STRUCTURE_TYPE
        )

    def _dataflows(self) -> ET.Element:
        flows = ET.Element(_q("structure", "Dataflows"))
        flow = ET.SubElement(
            flows,
            _q("structure", "Dataflow"),
            id=FLOW,
            agencyID=AGENCY,
            version=FLOW_VERSION,
            isFinal="false",
            urn=f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={AGENCY}:{FLOW}"
            f"({FLOW_VERSION})",
        )
        _names(
            flow, it="Popolazione residente al 1° gennaio", en="Resident population on 1st January"
        )
        ref = ET.SubElement(flow, _q("structure", "Structure"))
        ET.SubElement(
            ref,
            "Ref",
            id=DSD,
            version=FLOW_VERSION,
            agencyID=AGENCY,
            package="datastructure",
            attrib={"class": "DataStructure"},
        )
        return flows

    def _data_structures(self) -> ET.Element:
        holder = ET.Element(_q("structure", "DataStructures"))
        urn = (
            f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:{DSD}"
            f"({FLOW_VERSION})"
        )
        dsd = ET.SubElement(
            holder,
            _q("structure", "DataStructure"),
            id=DSD,
            urn=urn,
            agencyID=AGENCY,
            version=FLOW_VERSION,
            isFinal="false",
        )
        _names(
            dsd, it="Popolazione residente al 1° gennaio", en="Resident population on 1st January"
        )
        components = ET.SubElement(dsd, _q("structure", "DataStructureComponents"))
        dims = ET.SubElement(
            components,
            _q("structure", "DimensionList"),
            id="DimensionDescriptor",
            urn=urn + ".DimensionDescriptor",
        )
        for position, dim in enumerate(self.dimensions, start=1):
            node = ET.SubElement(
                dims,
                _q("structure", "Dimension"),
                id=dim,
                urn=f"{urn}.{dim}",
                position=str(position),
            )
            _concept(node, dim)
            rep = ET.SubElement(node, _q("structure", "LocalRepresentation"))
            enum = ET.SubElement(rep, _q("structure", "Enumeration"))
            ET.SubElement(
                enum,
                "Ref",
                id=CODELISTS.get(dim, f"CL_{dim}"),
                version="1.0",
                agencyID=AGENCY,
                package="codelist",
                attrib={"class": "Codelist"},
            )
        time_dim = ET.SubElement(
            dims,
            _q("structure", "TimeDimension"),
            id="TIME_PERIOD",
            urn=f"{urn}.TIME_PERIOD",
            position=str(len(self.dimensions) + 1),
        )
        _concept(time_dim, "TIME_PERIOD")
        rep = ET.SubElement(time_dim, _q("structure", "LocalRepresentation"))
        ET.SubElement(rep, _q("structure", "TextFormat"), textType="ObservationalTimePeriod")
        attrs = ET.SubElement(
            components, _q("structure", "AttributeList"), id="AttributeDescriptor"
        )
        for name in ATTRIBUTES:
            attr = ET.SubElement(
                attrs, _q("structure", "Attribute"), id=name, assignmentStatus="Conditional"
            )
            _concept(attr, name)
            relation = ET.SubElement(attr, _q("structure", "AttributeRelationship"))
            ET.SubElement(relation, _q("structure", "PrimaryMeasure"))
        measures = ET.SubElement(components, _q("structure", "MeasureList"), id="MeasureDescriptor")
        measure = ET.SubElement(measures, _q("structure", "PrimaryMeasure"), id="OBS_VALUE")
        _concept(measure, "OBS_VALUE")
        return holder

    def _codelists(self) -> ET.Element:
        holder = ET.Element(_q("structure", "Codelists"))
        for dim in self.dimensions:
            ident = CODELISTS.get(dim, f"CL_{dim}")
            codelist = ET.SubElement(
                holder,
                _q("structure", "Codelist"),
                id=ident,
                agencyID=AGENCY,
                version="1.0",
                isFinal="false",
            )
            _names(codelist, it=dim, en=dim)
            for code in sorted({row[dim] for row in self._rows}):
                node = ET.SubElement(codelist, _q("structure", "Code"), id=code)
                _names(node, it=code, en=code)
        return holder


def _names(parent: ET.Element, **by_lang: str) -> None:
    for lang, text in by_lang.items():
        ET.SubElement(parent, _q("common", "Name"), {XML_LANG: lang}).text = text


def _concept(parent: ET.Element, concept: str) -> None:
    identity = ET.SubElement(parent, _q("structure", "ConceptIdentity"))
    ET.SubElement(
        identity,
        "Ref",
        id=concept,
        maintainableParentID="CROSS_DOMAIN_CONCEPTS",
        maintainableParentVersion="1.0",
        agencyID=AGENCY,
        package="conceptscheme",
        attrib={"class": "Concept"},
    )


def _is_flow_ref(flow_ref: str) -> bool:
    parts = flow_ref.split(",")
    if len(parts) == 1:
        return parts[0] == FLOW
    if len(parts) == 2:
        return parts[0] in (AGENCY, "all") and parts[1] == FLOW
    if len(parts) == 3:
        return (
            parts[0] in (AGENCY, "all")
            and parts[1] == FLOW
            and parts[2] in (FLOW_VERSION, "latest")
        )
    return False


def _period_year(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    match = _PERIOD.match(value)
    if not match:
        raise ValueError(f"invalid {name} {value!r}")
    return int(match.group(1))


def _positive_int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"invalid {name} {value!r}")
    return int(value)


def _media_ranges(accept: str) -> Iterable[tuple[str, dict[str, str]]]:
    """Media ranges of an Accept header, best first (by q, then as written); q=0 dropped."""
    ranges = []
    for index, item in enumerate(accept.split(",")):
        kind, *raw_params = (p.strip() for p in item.split(";"))
        if not kind:
            continue
        params = {}
        for raw in raw_params:
            name, _, value = raw.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 0.0
        if q > 0:
            ranges.append((-q, index, kind.lower(), params))
    return [(kind, params) for _, _, kind, params in sorted(ranges)]


def _data_format(kind: str, params: dict[str, str]) -> str | None:
    version = params.get("version")
    if kind == "application/vnd.sdmx.data+csv" and version in (None, "1.0.0", "1.0"):
        return "csv"
    if kind == "text/csv":
        return "csv"
    if kind == "application/vnd.sdmx.genericdata+xml" and version in (None, "2.1"):
        return "xml"
    if kind in ("*/*", "application/*", "application/xml", "text/xml"):
        return "xml"  # the default format of the service
    return None


def _structure_format(kind: str, params: dict[str, str]) -> str | None:
    version = params.get("version")
    if kind == "application/vnd.sdmx.structure+xml" and version in (None, "2.1"):
        return "xml"
    if kind in ("*/*", "application/*", "application/xml", "text/xml"):
        return "xml"
    return None


def _negotiate(accept: str | None, offer: Any) -> str | None:
    """The format to answer in, or None for 406; no (or an empty) Accept means the default."""
    if accept is None or not accept.strip():
        return "xml"
    for kind, params in _media_ranges(accept):
        found = offer(kind, params)
        if found is not None:
            return found
    return None
