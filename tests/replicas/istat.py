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

* the same service for the other dataflows the pipeline reads (``FLOWS``), each with its
  own data structure (DSD id, dimensions with positions) and observations: ``22_315``
  demographic balance (``DCIS_POPORESBIL1``), ``29_7`` foreign residents
  (``DCIS_POPSTRRES1``), ``150_915`` employment rate (``DCCV_TAXOCCU1``), ``151_914``
  unemployment rate (``DCCV_TAXDISOCCU1``, one more dimension), ``41_983`` road accidents
  (``DCIS_INCIDMORFER_COM``) and ``183_1163_DF_DICA_ASIAULP_TERRIFDATA_7`` local units (DSD
  ``DICA_ASIAULP``), which also answers 400 to a key with more than 35 codes in a segment
  (reported of esploradati for that flow). ``dataflow/IT1/all`` and ``datastructure/IT1/all``
  list them all. The labour-force flows carry the province as ``ITC45`` by default;

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
``NoRecordsFound``, codelist ids and names, that the limiter answers 429, and whatever the
ingestion modules mark [A]/[P] about the other dataflows (key orders of 22_315, 150_915 and
151_914, the local-units flow id, DSD id and key limit).
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import polars as pl

from ingestion.istat.synthetic import sdmx_csv
from tests.replicas.server import LocalReplica, ReplicaHandler

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


@dataclass(frozen=True)
class FlowSpec:
    """One dataflow the replica serves: its DSD, key order, default codes and names.

    ``max_key_values``: more codes than this in one key segment is answered HTTP 400
    (esploradati refuses long keys on some flows).
    """

    flow: str
    dsd: str
    dimensions: tuple[str, ...]
    defaults: dict[str, str]
    name_it: str
    name_en: str
    version: str = FLOW_VERSION
    max_key_values: int | None = None


# The dataflows served, as docs/sources.md (1.4) and public code describe them. Orders and
# codes marked [P]/[A] in the ingestion modules are the same assumptions here; the replica
# keeps its own copy so the client is checked against it, not against itself.
POPULATION = FlowSpec(
    FLOW,
    DSD,
    DIMENSIONS,
    DEFAULTS,
    "Popolazione residente al 1° gennaio",
    "Resident population on 1st January",
)
BALANCE = FlowSpec(  # key order [A]
    "22_315",
    "DCIS_POPORESBIL1",
    ("FREQ", "REF_AREA", "DATA_TYPE", "SEX"),
    {"FREQ": "A", "SEX": "9"},
    "Bilancio demografico",
    "Demographic balance",
)
FOREIGN_RESIDENTS = FlowSpec(
    "29_7",
    "DCIS_POPSTRRES1",
    ("FREQ", "REF_AREA", "DATA_TYPE", "SEX", "AGE"),
    {"FREQ": "A", "DATA_TYPE": "JAN", "AGE": "TOTAL"},
    "Stranieri residenti al 1° gennaio",
    "Foreign residents on 1st January",
)
EMPLOYMENT_RATE = FlowSpec(  # key order [P]
    "150_915",
    "DCCV_TAXOCCU1",
    ("FREQ", "REF_AREA", "DATA_TYPE", "SEX", "AGE", "EDU_LEV_HIGHEST", "CITIZENSHIP"),
    {"FREQ": "A", "DATA_TYPE": "EMP_R", "EDU_LEV_HIGHEST": "99", "CITIZENSHIP": "TOTAL"},
    "Tasso di occupazione",
    "Employment rate",
)
UNEMPLOYMENT_RATE = FlowSpec(  # key order [P]
    "151_914",
    "DCCV_TAXDISOCCU1",
    (*EMPLOYMENT_RATE.dimensions, "DURATION_UNEMPLOYMENT"),
    {
        "FREQ": "A",
        "DATA_TYPE": "UNEM_R",
        "EDU_LEV_HIGHEST": "99",
        "CITIZENSHIP": "TOTAL",
        "DURATION_UNEMPLOYMENT": "TOTAL",
    },
    "Tasso di disoccupazione",
    "Unemployment rate",
)
ROAD_ACCIDENTS = FlowSpec(
    "41_983",
    "DCIS_INCIDMORFER_COM",
    ("FREQ", "REF_AREA", "DATA_TYPE", "RESULT"),
    {"FREQ": "A"},
    "Incidenti, morti e feriti - comuni",
    "Road accidents, killed and injured - municipalities",
)
LOCAL_UNITS = FlowSpec(  # flow id, key order and limit [P], DSD id [A]
    "183_1163_DF_DICA_ASIAULP_TERRIFDATA_7",
    "DICA_ASIAULP",
    ("FREQ", "REF_AREA", "DATA_TYPE", "ECON_ACTIVITY_NACE_2007", "PERS_EMPL_SIZE_CLASS"),
    {"FREQ": "A", "PERS_EMPL_SIZE_CLASS": "TOTAL"},
    "Unità locali e addetti - comuni, Ateco 2 cifre",
    "Local units and persons employed - municipalities, Nace 2 digits",
    max_key_values=35,
)
FLOWS = {
    spec.flow: spec
    for spec in (
        POPULATION,
        BALANCE,
        FOREIGN_RESIDENTS,
        EMPLOYMENT_RATE,
        UNEMPLOYMENT_RATE,
        ROAD_ACCIDENTS,
        LOCAL_UNITS,
    )
}
INVALID_URL = "Bad Request - Invalid URL"  # [A] wording; the 400 itself is [P]

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


def default_flow_observations(flow: str) -> pl.DataFrame:
    """A small deterministic data set for each dataflow other than 22_289 (2019-2024)."""
    comuni = (("015146", 1_370_000), ("015002", 32_500), ("015005", 4_900))
    years = range(2019, 2025)
    if flow == BALANCE.flow:
        kinds = ("LBIRTH", "DEATH", "REGM", "DEREGM", "REGOTHC", "DEREGOTHC")
        rows = [
            (code, kind, str(y), str(size // (100 + 10 * k) + y - 2019))
            for code, size in comuni
            for k, kind in enumerate(kinds)
            for y in years
        ]
        return pl.DataFrame(
            rows, schema=["REF_AREA", "DATA_TYPE", "TIME_PERIOD", "OBS_VALUE"], orient="row"
        )
    if flow == FOREIGN_RESIDENTS.flow:
        rows = []
        for code, size in comuni:
            for y in years:
                male, female = size // 20 + y - 2019, size // 19 + y - 2019
                for sex, value in (("1", male), ("2", female), ("9", male + female)):
                    rows.append((code, sex, str(y), str(value)))
        return pl.DataFrame(
            rows, schema=["REF_AREA", "SEX", "TIME_PERIOD", "OBS_VALUE"], orient="row"
        )
    if flow == ROAD_ACCIDENTS.flow:
        rows = []
        for code, size in comuni:
            for y in years:
                accidents = size // 2000 + y - 2019
                for data_type, result, value in (
                    ("ROADACC", "9", accidents),
                    ("KILLINJ", "M", accidents // 50),
                    ("KILLINJ", "F", accidents + accidents // 3),
                ):
                    rows.append((code, data_type, result, str(y), str(value)))
        return pl.DataFrame(
            rows,
            schema=["REF_AREA", "DATA_TYPE", "RESULT", "TIME_PERIOD", "OBS_VALUE"],
            orient="row",
        )
    if flow == LOCAL_UNITS.flow:
        rows = []
        for code, size in comuni:
            for y in years:
                for activity, share in (("0010", 1.0), ("49", 0.03), ("52", 0.02)):
                    employees = size * 0.4 * share + (y - 2019)
                    rows.append((code, "LU", activity, str(y), str(max(1, int(employees // 4)))))
                    rows.append((code, "LUEMPDAA", activity, str(y), f"{employees:.2f}"))
        return pl.DataFrame(
            rows,
            schema=["REF_AREA", "DATA_TYPE", "ECON_ACTIVITY_NACE_2007", "TIME_PERIOD", "OBS_VALUE"],
            orient="row",
        )
    if flow in (EMPLOYMENT_RATE.flow, UNEMPLOYMENT_RATE.flow):
        employment = flow == EMPLOYMENT_RATE.flow
        ages = ("Y20-64", "Y15-64") if employment else ("Y15-74", "Y15-24")
        rows = []
        for a, age in enumerate(ages):
            for s, sex in enumerate(("1", "2", "9")):
                for y in range(2018, 2025):
                    base = (75.0 - 6 * a) if employment else (5.0 + 12 * a)
                    value = base + (3, -3, 0)[s] + (y - 2018) / 10
                    rows.append(("ITC45", sex, age, str(y), f"{value:.1f}"))
        return pl.DataFrame(
            rows, schema=["REF_AREA", "SEX", "AGE", "TIME_PERIOD", "OBS_VALUE"], orient="row"
        )
    raise KeyError(f"no default observations for dataflow {flow!r}")


@dataclass
class _Flow:
    """A served dataflow: its spec, the key order published now, its observations."""

    spec: FlowSpec
    dimensions: tuple[str, ...]
    rows: list[dict[str, str]]

    def series(self, row: dict[str, str]) -> tuple[str, ...]:
        return tuple(row[d] for d in self.dimensions)


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


class IstatReplica(LocalReplica):
    """ISTAT's SDMX web service and comuni file, locally, for integration tests.

    ``observations`` are rows of flow 22_289 with columns ``REF_AREA, SEX, AGE,
    TIME_PERIOD, OBS_VALUE`` and optionally ``OBS_STATUS``; ``FREQ``, ``DATA_TYPE`` and
    ``MARITAL_STATUS`` default to ``A``, ``JAN`` and ``99`` (default: ``default_observations``).
    ``dimensions`` is the DSD key order the replica publishes and expects in keys; change it
    to emulate a schema change on ISTAT's side. ``rate_limit=None`` disables the limiter.

    The other dataflows of ``FLOWS`` are served too: ``flows`` gives their observations by
    dataflow id (columns named like their dimensions; dimensions left out take the flow's
    defaults; default: ``default_flow_observations``), ``flow_dimensions`` the key order a
    flow's DSD publishes, to emulate a change of one of them.
    """

    name = "IstatReplica"

    def __init__(
        self,
        *,
        observations: pl.DataFrame | None = None,
        comuni_csv: bytes | None = None,
        rate_limit: int | None = 5,
        window_s: float = 60.0,
        end_period_bug: bool = True,
        dimensions: Sequence[str] = DIMENSIONS,
        flows: Mapping[str, pl.DataFrame] | None = None,
        flow_dimensions: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        if rate_limit is not None and rate_limit < 1:
            raise ValueError("rate_limit must be at least 1 (or None for no limit)")
        unknown = sorted((set(flows or {}) | set(flow_dimensions or {})) - set(FLOWS))
        if unknown:
            raise ValueError(f"the replica does not serve dataflow(s) {unknown}")
        self.dimensions = tuple(dimensions)
        self.comuni_csv = comuni_csv
        self.rate_limit = rate_limit
        self.window_s = window_s
        self.end_period_bug = end_period_bug
        self.errors: list[str] = []  # unexpected exceptions inside the replica
        self._flows: dict[str, _Flow] = {}
        for flow, spec in FLOWS.items():
            if flow == FLOW:
                published, data = self.dimensions, observations
                data = default_observations() if data is None else data
            else:
                published = tuple((flow_dimensions or {}).get(flow, spec.dimensions))
                data = (flows or {}).get(flow)
                data = default_flow_observations(flow) if data is None else data
            self._flows[flow] = _Flow(spec, published, _load(data, spec, published))
        self._rows = self._flows[FLOW].rows
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._hits: dict[str, deque[float]] = {}
        self._faults: deque[_Fault] = deque()
        self._ids = count(1)

    # -- lifecycle -------------------------------------------------------------------------

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

    def _handle(self, handler: ReplicaHandler, *, send_body: bool) -> None:
        try:
            self._serve(handler, send_body=send_body)
        except (ConnectionError, TimeoutError):
            handler.close_connection = True  # the client hung up (e.g. after its timeout)
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            handler.close_connection = True
            with contextlib.suppress(OSError):
                self._send(handler, _text(500, "replica error"), send_body=send_body)

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
        handler: ReplicaHandler,
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
        served = self._flows.get(_flow_id(segments[0]) or "")
        if served is None:
            return _text(404, UNKNOWN_FLOW)
        spec, dimensions = served.spec, served.dimensions
        kind = _negotiate(accept, _data_format)
        if kind is None:
            return _text(406, f"Not Acceptable: {accept}")
        key = segments[1] if len(segments) > 1 else "all"
        if key.lower() == "all":
            filters: list[set[str] | None] = [None] * len(dimensions)
        else:
            parts = key.split(".")
            if len(parts) != len(dimensions):
                return _text(
                    400,
                    f"Semantic Error - the key {key!r} has {len(parts)} "
                    f"dimension(s); {spec.dsd} has {len(dimensions)}: "
                    f"{'.'.join(dimensions)}",
                )
            filters = [set(p.split("+")) if p else None for p in parts]
            if spec.max_key_values is not None and any(
                len(f) > spec.max_key_values for f in filters if f
            ):
                return _text(400, INVALID_URL)

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
            for row in served.rows
            if all(f is None or row[d] in f for d, f in zip(dimensions, filters, strict=True))
            and (start is None or int(row["TIME_PERIOD"][:4]) >= start)
            and (end is None or int(row["TIME_PERIOD"][:4]) <= end)
        ]
        rows = self._first_last(served, rows, first_n, last_n)
        if not rows:
            return _text(404, NO_RECORDS)
        if kind == "csv":
            return _Answer(
                200,
                sdmx_csv(rows, flow=spec.flow, dimensions=dimensions, version=spec.version),
                CSV_TYPE,
            )
        return _Answer(200, self._generic_data(served, rows), GENERIC_TYPE)

    def _first_last(
        self,
        served: _Flow,
        rows: list[dict[str, str]],
        first_n: int | None,
        last_n: int | None,
    ) -> list[dict[str, str]]:
        if first_n is None and last_n is None:
            return rows
        by_series: dict[tuple[str, ...], list[dict[str, str]]] = {}
        for row in rows:
            by_series.setdefault(served.series(row), []).append(row)
        kept = []
        for series in by_series.values():
            chosen = series[:first_n] if first_n is not None else []
            if last_n is not None:
                chosen += [r for r in series[-last_n:] if r not in chosen]
            kept.extend(sorted(chosen, key=lambda r: r["TIME_PERIOD"]))
        return kept

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

    def _generic_data(self, served: _Flow, rows: list[dict[str, str]]) -> bytes:
        spec = served.spec
        root = ET.Element(_q("message", "GenericData"))
        structure_id = f"{AGENCY}_{spec.dsd}_{spec.version.replace('.', '_')}"
        structure = ET.Element(
            _q("message", "Structure"),
            structureID=structure_id,
            dimensionAtObservation="TIME_PERIOD",
        )
        common = ET.SubElement(structure, _q("common", "Structure"))
        ET.SubElement(common, "Ref", agencyID=AGENCY, id=spec.dsd, version=spec.version)
        self._header(root, structure=structure)
        dataset = ET.SubElement(root, _q("message", "DataSet"), structureRef=structure_id)
        current: tuple[str, ...] | None = None
        series: ET.Element | None = None
        for row in rows:
            key = served.series(row)
            if key != current or series is None:
                current = key
                series = ET.SubElement(dataset, _q("generic", "Series"))
                series_key = ET.SubElement(series, _q("generic", "SeriesKey"))
                for dim, value in zip(served.dimensions, key, strict=True):
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
        selected = [
            served
            for served in self._flows.values()
            if ident in ("all", served.spec.flow if resource == "dataflow" else served.spec.dsd)
            and version in (served.spec.version, "latest", "all")
        ]
        if agency not in (AGENCY, "all") or not selected:
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
            structures.append(_codelists(selected))
        if with_flow:
            structures.append(_dataflows(selected))
        if with_dsd:
            structures.append(_data_structures(selected))
        return _Answer(
            200, ET.tostring(root, encoding="utf-8", xml_declaration=True), STRUCTURE_TYPE
        )


def _load(
    observations: pl.DataFrame, spec: FlowSpec, dimensions: Sequence[str]
) -> list[dict[str, str]]:
    """Observations as rows of strings, missing dimensions filled with the flow's defaults,
    sorted by series and period like the service's answers."""
    frame = observations
    for name, value in spec.defaults.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(value).alias(name))
    needed = [*dimensions, "TIME_PERIOD", "OBS_VALUE"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"observations of {spec.flow} lack column(s) {missing}")
    keep = needed + [a for a in ATTRIBUTES if a in frame.columns]
    frame = frame.select([pl.col(c).cast(pl.String).fill_null("") for c in keep])
    rows = frame.to_dicts()
    bad = [r["TIME_PERIOD"] for r in rows if not _PERIOD.match(r["TIME_PERIOD"])]
    if bad:
        raise ValueError(f"unsupported TIME_PERIOD value(s) {bad[:3]}")
    return sorted(rows, key=lambda r: (tuple(r[d] for d in dimensions), r["TIME_PERIOD"]))


def _urn(kind: str, ident: str, version: str) -> str:
    return f"urn:sdmx:org.sdmx.infomodel.datastructure.{kind}={AGENCY}:{ident}({version})"


def _dataflows(selected: Sequence[_Flow]) -> ET.Element:
    flows = ET.Element(_q("structure", "Dataflows"))
    for served in selected:
        spec = served.spec
        flow = ET.SubElement(
            flows,
            _q("structure", "Dataflow"),
            id=spec.flow,
            agencyID=AGENCY,
            version=spec.version,
            isFinal="false",
            urn=_urn("Dataflow", spec.flow, spec.version),
        )
        _names(flow, it=spec.name_it, en=spec.name_en)
        ref = ET.SubElement(flow, _q("structure", "Structure"))
        ET.SubElement(
            ref,
            "Ref",
            id=spec.dsd,
            version=spec.version,
            agencyID=AGENCY,
            package="datastructure",
            attrib={"class": "DataStructure"},
        )
    return flows


def _data_structures(selected: Sequence[_Flow]) -> ET.Element:
    holder = ET.Element(_q("structure", "DataStructures"))
    for served in selected:
        _data_structure(holder, served)
    return holder


def _data_structure(holder: ET.Element, served: _Flow) -> None:
    spec = served.spec
    urn = _urn("DataStructure", spec.dsd, spec.version)
    dsd = ET.SubElement(
        holder,
        _q("structure", "DataStructure"),
        id=spec.dsd,
        urn=urn,
        agencyID=AGENCY,
        version=spec.version,
        isFinal="false",
    )
    _names(dsd, it=spec.name_it, en=spec.name_en)
    components = ET.SubElement(dsd, _q("structure", "DataStructureComponents"))
    dims = ET.SubElement(
        components,
        _q("structure", "DimensionList"),
        id="DimensionDescriptor",
        urn=urn + ".DimensionDescriptor",
    )
    for position, dim in enumerate(served.dimensions, start=1):
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
        position=str(len(served.dimensions) + 1),
    )
    _concept(time_dim, "TIME_PERIOD")
    rep = ET.SubElement(time_dim, _q("structure", "LocalRepresentation"))
    ET.SubElement(rep, _q("structure", "TextFormat"), textType="ObservationalTimePeriod")
    attrs = ET.SubElement(components, _q("structure", "AttributeList"), id="AttributeDescriptor")
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


def _codelists(selected: Sequence[_Flow]) -> ET.Element:
    """The codelists of the selected flows' dimensions, with the codes their data use."""
    codes: dict[str, set[str]] = {}
    for served in selected:
        for dim in served.dimensions:
            ident = CODELISTS.get(dim, f"CL_{dim}")
            codes.setdefault(ident, set()).update(row[dim] for row in served.rows)
    holder = ET.Element(_q("structure", "Codelists"))
    for ident, values in codes.items():
        codelist = ET.SubElement(
            holder,
            _q("structure", "Codelist"),
            id=ident,
            agencyID=AGENCY,
            version="1.0",
            isFinal="false",
        )
        _names(codelist, it=ident, en=ident)
        for code in sorted(values):
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


def _flow_id(flow_ref: str) -> str | None:
    """The dataflow id of ``22_289``, ``IT1,22_289`` or ``IT1,22_289,1.0`` (None if malformed)."""
    parts = flow_ref.split(",")
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2 and parts[0] in (AGENCY, "all"):
        return parts[1]
    if len(parts) == 3 and parts[0] in (AGENCY, "all"):
        spec = FLOWS.get(parts[1])
        if spec is not None and parts[2] in (spec.version, "latest"):
            return parts[1]
    return None


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
