"""Client for ISTAT's SDMX 2.1 REST API (esploradati), in SDMX-CSV.

What the real service needs (see docs/sources.md, section 1):
- the format is chosen by the ``Accept`` header only;
- at most 5 requests a minute per IP, or the IP is blocked for one to two days, so
  requests to the host are spaced ``MIN_INTERVAL_S`` apart;
- ``endPeriod=N`` returns data up to N+1 (a confirmed bug): we send the caller's bounds and
  the parser drops periods outside them, which is right whether or not the bug is fixed;
- "no data" is HTTP 404 with a plain-text ``NoRecordsFound`` body;
- structures (dataflows, data structure definitions) change rarely and cost a request
  each: they are cached on disk.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestion.common.archive import StagedRetrieval
from ingestion.common.errors import SourceError
from ingestion.common.http import HttpClient

SOURCE = "istat"
DEFAULT_BASE_URL = "https://esploradati.istat.it/SDMXWS/rest"
AGENCY = "IT1"
CSV_ACCEPT = "application/vnd.sdmx.data+csv;version=1.0.0"
STRUCTURE_ACCEPT = "application/vnd.sdmx.structure+xml;version=2.1"
# 5 requests a minute, with a margin: at exactly 12 s, jitter puts 6 in some 60 s window
# and ISTAT blocks the IP for one to two days.
MIN_INTERVAL_S = 13.0
STRUCTURE_CACHE_TTL_S = 30 * 24 * 3600

_NS = {
    "m": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "s": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
}


def series_key(*dimensions: str | Sequence[str] | None) -> str:
    """Dot-separated key in DSD order; a list means OR (``+``), None or ``""`` a wildcard."""
    parts = []
    for value in dimensions:
        if value is None:
            parts.append("")
        elif isinstance(value, str):
            parts.append(value)
        else:
            parts.append("+".join(value))
    return ".".join(parts)


def data_url(base_url: str, flow: str, key: str) -> str:
    return f"{base_url.rstrip('/')}/data/{AGENCY},{flow}/{key}"


@dataclass(frozen=True)
class PeriodBounds:
    start: int | None = None
    end: int | None = None

    def params(self) -> dict[str, str]:
        params = {}
        if self.start is not None:
            params["startPeriod"] = str(self.start)
        if self.end is not None:
            params["endPeriod"] = str(self.end)
        return params


class SdmxClient:
    def __init__(
        self, http: HttpClient, base_url: str = DEFAULT_BASE_URL, cache_dir: Path | None = None
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.cache_dir = cache_dir

    def data_url(self, flow: str, key: str) -> str:
        return data_url(self.base_url, flow, key)

    def fetch_csv(
        self,
        staged: StagedRetrieval,
        name: str,
        *,
        dataset: str,
        flow: str,
        key: str,
        period: PeriodBounds = PeriodBounds(),
    ) -> None:
        """Download one SDMX-CSV data answer into the staged retrieval."""
        headers = {"Accept": CSV_ACCEPT}
        result = self.http.download(
            self.data_url(flow, key),
            staged.path_for(name),
            dataset=dataset,
            params=period.params(),
            headers=headers,
        )
        staged.record(
            name,
            url=result.url,
            params=result.params,
            status=result.status,
            headers=result.headers,
            sha256=result.sha256,
            byte_size=result.byte_size,
        )

    def dimensions(self, flow: str, *, dataset: str) -> list[str]:
        """Dimension ids of ``flow`` in key order, from its (cached) data structure."""
        path = self._structure(flow, dataset=dataset)
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            path.unlink(missing_ok=True)
            raise SourceError(SOURCE, dataset, f"structure of {flow} is not XML: {exc}") from exc
        found = [
            (int(d.get("position") or index), d.get("id", ""))  # position is optional
            for index, d in enumerate(root.iterfind(".//s:DimensionList/s:Dimension", _NS), 1)
        ]
        if not found:
            path.unlink(missing_ok=True)  # do not keep a useless answer cached
            raise SourceError(SOURCE, dataset, f"structure of {flow} lists no dimensions")
        return [dim for _, dim in sorted(found)]

    def check_dimensions(self, flow: str, expected: Sequence[str], *, dataset: str) -> None:
        """Fail clearly if ISTAT reordered or renamed the key dimensions we build keys for."""
        actual = self.dimensions(flow, dataset=dataset)
        if list(actual) != list(expected):
            raise SourceError(
                SOURCE,
                dataset,
                f"schema drift: {flow} key dimensions are {actual}, expected {list(expected)}",
            )

    def _structure(self, flow: str, *, dataset: str) -> Path:
        if self.cache_dir is None:
            raise ValueError("structure lookups need a cache directory")
        path = self.cache_dir / f"dataflow-{flow}.xml"
        fresh = path.exists() and time.time() - path.stat().st_mtime < STRUCTURE_CACHE_TTL_S
        if not fresh:
            partial = path.with_suffix(".part")
            self.http.download(
                f"{self.base_url}/dataflow/{AGENCY}/{flow}/latest",
                partial,
                dataset=dataset,
                params={"references": "datastructure"},
                headers={"Accept": STRUCTURE_ACCEPT},
            )
            partial.replace(path)
        return path


SDMX_CSV_REQUIRED = ("DATAFLOW", "TIME_PERIOD", "OBS_VALUE")
# Attribute columns ISTAT's SDMX-CSV carries after OBS_VALUE (the exact tail is [P]).
SDMX_ATTRIBUTES = (
    "BREAK",
    "CONF_STATUS",
    "OBS_PRE_BREAK",
    "OBS_STATUS",
    "BASE_PER",
    "UNIT_MEAS",
    "UNIT_MULT",
)


def read_sdmx_csv(path: Path, *, dataset: str, period: PeriodBounds) -> pl.DataFrame:
    """Read an SDMX-CSV answer by column name (extra attribute columns are tolerated).

    Keeps only periods inside the requested bounds, which undoes ISTAT's ``endPeriod`` +1.
    """
    raw = path.read_bytes()
    if raw.lstrip().startswith(b"<"):
        raise SourceError(SOURCE, dataset, "expected SDMX-CSV, got XML (Accept ignored?)")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(SOURCE, dataset, f"SDMX-CSV is not UTF-8: {exc}") from exc
    try:
        frame = pl.read_csv(raw, infer_schema=False, encoding="utf8")
    except pl.exceptions.PolarsError as exc:  # malformed, ragged or empty
        raise SourceError(SOURCE, dataset, f"malformed SDMX-CSV: {exc}") from exc
    missing = [c for c in SDMX_CSV_REQUIRED if c not in frame.columns]
    if missing:
        raise SourceError(SOURCE, dataset, f"SDMX-CSV lacks column(s) {missing}")
    year = pl.col("TIME_PERIOD").str.slice(0, 4).cast(pl.Int32, strict=False)
    if period.start is not None:
        frame = frame.filter(year >= period.start)
    if period.end is not None:
        frame = frame.filter(year <= period.end)
    return frame


def period_of(params: dict[str, str]) -> PeriodBounds:
    """The bounds a recorded request asked for (parameter names are case-insensitive)."""
    lowered = {k.lower(): v for k, v in params.items()}
    start = lowered.get("startperiod")
    end = lowered.get("endperiod")
    return PeriodBounds(int(start[:4]) if start else None, int(end[:4]) if end else None)


def key_for(dimensions: Sequence[str], selection: Mapping[str, str | Sequence[str] | None]) -> str:
    """The key for ``selection`` (codes by dimension name) in the DSD order ``dimensions``.

    Naming the dimensions instead of writing positional keys by hand means a reordered DSD
    is fixed by changing the declared order only; a name the DSD lacks is a programming
    error, not a wildcard.
    """
    unknown = sorted(set(selection) - set(dimensions))
    if unknown:
        raise ValueError(f"dimension(s) {unknown} are not in the key order {list(dimensions)}")
    return series_key(*(selection.get(d) for d in dimensions))


def chunked(codes: Sequence[str], size: int | None) -> list[list[str]]:
    """``codes`` in groups of at most ``size`` (all in one group when ``size`` is None)."""
    if size is not None and size < 1:
        raise ValueError("a chunk holds at least one code")
    if size is None or len(codes) <= size:
        return [list(codes)]
    return [list(codes[i : i + size]) for i in range(0, len(codes), size)]


def require_complete(frame: pl.DataFrame, columns: Sequence[str], *, dataset: str) -> None:
    """Fail if a row lacks a key value or its period: a row cut short, not an observation.

    (The CSV reader pads a short row with nulls instead of refusing it.)
    """
    present = [c for c in columns if c in frame.columns]
    if not present:
        return
    incomplete = frame.filter(pl.any_horizontal(pl.col(present).is_null()))
    if incomplete.height:
        sample = incomplete.select(present).head(2).rows()
        raise SourceError(
            SOURCE,
            dataset,
            f"malformed SDMX-CSV: {incomplete.height} row(s) lack a value of {present}, "
            f"e.g. {sample} (cut short?)",
        )


def keep_period(frame: pl.DataFrame, period: PeriodBounds) -> pl.DataFrame:
    """Rows whose ``TIME_PERIOD`` year lies within ``period`` (as ``read_sdmx_csv`` keeps)."""
    year = pl.col("TIME_PERIOD").str.slice(0, 4).cast(pl.Int32, strict=False)
    if period.start is not None:
        frame = frame.filter(year >= period.start)
    if period.end is not None:
        frame = frame.filter(year <= period.end)
    return frame
