"""ISPRA Catasto rifiuti: municipal waste and separate collection per comune, one file a year.

The service publishes one ``;``-separated file per year for every Italian comune at
``/get/getDettaglioComunale.csv.php?&aa=<YYYY>`` (docs/sources.md, section 3). We request the
whole of Italy (the only form the service offers) and keep the comuni of province ``015``,
which are exactly the 133 comuni of the Città metropolitana di Milano.

What the file looks like, and how each quirk is handled here:

- UTF-8, possibly with a BOM: the BOM is dropped; bytes that are not UTF-8 (e.g. Latin-1)
  are an error, never silently re-decoded, so names never reach the warehouse garbled;
- line 0 is a title (``... Anno 2024``), line 1 the header: the header is found by its
  first cell ``IstatComune``; a year in the title must match the requested one;
- data lines start with leading TABs and end with a trailing ``;``: both are stripped;
- the last line may be a footnote: trailing lines that are not rows are dropped; a line
  that is not a row *between* rows, or a row cut short, is an error;
- decimal ``,`` and thousands ``.`` (``657.674,492``), ``-`` or empty for NULL, ``%`` after
  the collection rate (``  64,79%``): converted exactly (no float ever) and typed as
  decimals with the file's 3 (tonnes) or 2 (percent) decimals; more decimals are an error,
  not a silent truncation;
- ``IstatComune`` is 8 digits, the 2-digit region then the 6-digit ISTAT code: the join
  key is the right 6 (``03015146`` -> ``015146``);
- ``Dato riferito a`` is ``Comune``, ``Aggregazione: ...`` or ``Vedi aggregazione: ...``:
  only ``Comune`` rows are kept. A comune that reports jointly with others has no row of
  its own data: the aggregation's row (the group's total, under one member's code [A])
  and the members' ``Vedi aggregazione`` rows (no values) are left out, so such a comune is
  absent from that year and reported by the completeness check below;
- a year not yet published answers a file with title and header only (about 535 bytes):
  that is ``NoRecordsFound`` for the partition, and nothing is archived;
- an HTML page (the landing page ``index.php?pg=downloadComune``) is a ``SourceError``.

Completeness: when one of the 133 metropolitan comuni has no ``Comune`` row in a year, the
parser logs a WARNING naming year, codes and names (and one for province-015 codes outside
the current list, e.g. comuni that later merged). It is a warning, not an error, because
the gap is a fact of the source that a reload cannot fix (joint reporting, mergers such as
Vermezzo con Zelo in 2019) and failing would throw away the other 132 comuni and block
every year before a merger; the data-quality suites check completeness per year against
the comuni reference in the warehouse and decide there what blocks publication.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import polars as pl

from ingestion.common.archive import Retrieval, StagedRetrieval
from ingestion.common.dataset import Dataset, FetchContext, SnapshotFile, Yearly
from ingestion.common.errors import NoRecordsFound, SourceError
from ingestion.common.http import HttpClient
from ingestion.common.schema import Field, TableSchema, normalise_header
from osservatorio.settings import Settings

log = logging.getLogger(__name__)

SOURCE = "ispra"
NAME = "waste"
DEFAULT_BASE_URL = "https://www.catasto-rifiuti.isprambiente.it"
FILE_PATH = "/get/getDettaglioComunale.csv.php"
LANDING_URL = DEFAULT_BASE_URL + "/index.php?pg=downloadComune"
# Settings key for the base URL and the pacing (``OSSERVATORIO_ISPRA_CATASTO_URL``).
ENDPOINT = "ispra_catasto"
# No documented limit [A]: one request a second is polite for a whole-Italy file.
MIN_INTERVAL_S = 1.0
PAYLOAD = "dettaglio-comunale.csv"
FIRST_YEAR = 2010
PROVINCE = "015"  # Città metropolitana di Milano = the former province of Milano
METROPOLITAN_UTS = "215"
SNAPSHOT_DIR = Path(__file__).parent / "snapshot"
# The title may be missing or longer than one line [A]: the header is looked for this far.
MAX_TITLE_LINES = 3

CODE_HEADER = "IstatComune"
KIND_HEADER = "Dato riferito a"
COMUNE_KIND = "Comune"

TONNES = pl.Decimal(18, 3)
PERCENT = pl.Decimal(5, 2)
S = pl.String

# (source header, raw column, description) of the 19 quantities in tonnes, in file order.
_TONNES_COLUMNS = (
    (
        "Frazione umida(1) (t)",
        "frazione_umida_t",
        "Organic kitchen and canteen waste collected separately (footnote 1 of the file)",
    ),
    ("Verde (t)", "verde_t", "Garden and park waste collected separately"),
    ("Carta e cartone (t)", "carta_e_cartone_t", "Paper and cardboard collected separately"),
    ("Vetro (t)", "vetro_t", "Glass collected separately"),
    ("Legno (t)", "legno_t", "Wood collected separately"),
    ("Metallo (t)", "metallo_t", "Metals collected separately"),
    ("Plastica (t)", "plastica_t", "Plastics collected separately"),
    ("RAEE (t)", "raee_t", "Waste electrical and electronic equipment collected separately"),
    ("Tessili (t)", "tessili_t", "Textiles collected separately"),
    (
        "Selettiva (t)",
        "selettiva_t",
        "Selective collection (medicines, batteries, hazardous household products)",
    ),
    (
        "Rifiuti da C e D (t)",
        "rifiuti_da_c_e_d_t",
        "Construction and demolition waste from households, collected separately",
    ),
    (
        "Pulizia stradale a recupero (t)",
        "pulizia_stradale_a_recupero_t",
        "Street sweepings sent to recovery",
    ),
    (
        "Ingombranti misti a recupero (t)",
        "ingombranti_misti_a_recupero_t",
        "Mixed bulky waste sent to recovery",
    ),
    ("Altro (t)", "altro_t", "Other separately collected fractions"),
    (
        "Totale RD (t)",
        "totale_rd_t",
        "Total separate collection: the sum of the fractions above",
    ),
    (
        "Ingombranti a smaltimento (t)",
        "ingombranti_a_smaltimento_t",
        "Bulky waste sent to disposal",
    ),
    ("Indifferenziato (t)", "indifferenziato_t", "Unsorted residual waste"),
    (
        "Totale RU (t)",
        "totale_ru_t",
        "Total municipal waste: Totale RD + Ingombranti a smaltimento + Indifferenziato",
    ),
)
PERCENT_HEADER = "Percentuale RD (%)"
POPULATION_HEADER = "Popolazione"

SCHEMA = TableSchema(
    fields=(
        Field(
            "anno",
            pl.Int32,
            "Reference year of the data (the aa parameter of the request; the file has no "
            "year column)",
        ),
        Field(
            "istat_comune",
            S,
            "2-digit region code followed by the 6-digit ISTAT comune code (03015146); "
            "join on the right 6 digits",
            CODE_HEADER,
        ),
        Field("regione", S, "Region name as ISPRA writes it", "Regione"),
        Field("provincia", S, "Province name as ISPRA writes it", "Provincia"),
        Field("comune", S, "Comune name as ISPRA writes it", "Comune"),
        Field(
            "popolazione",
            pl.Int64,
            "Resident population ISPRA uses for the year (per-capita figures divide by it)",
            POPULATION_HEADER,
        ),
        Field(
            "dato_riferito_a",
            S,
            "What the row reports on; always 'Comune' here (aggregations are left out)",
            KIND_HEADER,
        ),
        *(Field(name, TONNES, f"{text}, tonnes", header) for header, name, text in _TONNES_COLUMNS),
        Field(
            "percentuale_rd",
            PERCENT,
            "Separate collection rate, percent: Totale RD / Totale RU x 100",
            PERCENT_HEADER,
        ),
    ),
    primary_key=("anno", "istat_comune"),
)

HEADERS: tuple[str, ...] = tuple(
    f.source_name for f in SCHEMA.fields if f.source_name is not None
)  # the 25 columns of the file, in file order

# How each column's text is turned into a value: decimals allowed, or None for text.
_NUMBERS: dict[str, tuple[str, int]] = {
    normalise_header(POPULATION_HEADER): ("integer", 0),
    normalise_header(PERCENT_HEADER): ("percent", 2),
    **{normalise_header(header): ("tonnes", 3) for header, _, _ in _TONNES_COLUMNS},
}
_NULLS = frozenset({"", "-"})
_ITALIAN = re.compile(r"^(?P<sign>-?)(?P<whole>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<frac>\d+))?$")
_TITLE_YEAR = re.compile(r"\banno\s+(\d{4})\b", re.IGNORECASE)
_CODE = re.compile(r"^\d{8}$")
_DATA_LINE = re.compile(r"^[ \t]*\d{8};")
_ROW_SEPARATORS = 10


# -- Italian numbers ------------------------------------------------------------------------


def italian_number(text: str, decimals: int, *, percent: bool = False) -> str | None:
    """``657.674,492`` -> ``657674.492``; ``-`` or blank -> None; ``  64,79%`` -> ``64.79``.

    Returns the canonical decimal text (exact: no float is involved); raises ValueError for
    anything else, including more decimals than the column has (a silent truncation
    otherwise).
    """
    value = text.strip()
    if percent and value.endswith("%"):
        value = value[:-1].rstrip()
    if value in _NULLS:
        return None
    match = _ITALIAN.match(value)
    if match is None:
        raise ValueError(value)
    frac = match["frac"] or ""
    if len(frac) > decimals:
        raise ValueError(value)
    whole = match["whole"].replace(".", "")
    return f"{match['sign']}{whole}.{frac}" if frac else f"{match['sign']}{whole}"


def italian_decimal(text: str, decimals: int = 3, *, percent: bool = False) -> Decimal | None:
    """The exact value of an Italian-formatted number (see ``italian_number``)."""
    canonical = italian_number(text, decimals, percent=percent)
    return None if canonical is None else Decimal(canonical)


# -- reading the file -----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """The file split into its parts; rows carry their 1-based line numbers."""

    title: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    footnotes: list[str]


def _error(cause: str) -> SourceError:
    return SourceError(SOURCE, NAME, cause)


def decode(raw: bytes) -> str:
    """UTF-8 with or without BOM; anything else (Latin-1, cp1252) is refused, not guessed."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(
            f"file is not UTF-8 as published (Latin-1 or cp1252?): {exc}; "
            f"near {raw[max(0, exc.start - 20) : exc.end + 20]!r}"
        ) from exc


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body")) or "<html" in head


def _fields(line: str, expected: int | None = None) -> list[str]:
    """Split a line on ``;`` without its leading TABs and its trailing ``;``."""
    fields = line.lstrip(" \t").rstrip("\r\n").split(";")
    if (
        len(fields) > 1
        and fields[-1].strip() == ""
        and (expected is None or len(fields) > expected)
    ):
        fields = fields[:-1]  # the trailing separator
    return fields


def read_table(raw: bytes, *, year: int | None) -> Table:
    """Decode and split the file; every structural problem is a ``SourceError``."""
    text = decode(raw)
    if not text.strip():
        raise _error("empty answer: no title, no header, no rows")
    if _looks_like_html(text):
        raise _error(
            "got an HTML page instead of the CSV file (the landing page "
            f"index.php?pg=downloadComune?): {text.strip()[:80]!r}"
        )
    lines = text.replace("\r\n", "\n").split("\n")  # not splitlines(): \x0c, \x1c... are data
    header_at = next(
        (
            i
            for i, line in enumerate(lines[: MAX_TITLE_LINES + 1])
            if CODE_HEADER.lower() in {normalise_header(cell) for cell in _fields(line)}
        ),
        None,
    )
    if header_at is None:
        raise _error(
            f"no header line with a column {CODE_HEADER!r} in the first "
            f"{MAX_TITLE_LINES + 1} lines; the file starts with {lines[0][:80]!r}"
        )
    title = " ".join(line.strip() for line in lines[:header_at] if line.strip())
    found = _TITLE_YEAR.search(title)
    if year is not None and found and int(found.group(1)) != year:
        raise _error(f"asked for {year}, the file's title says {title!r}")
    header = [h.strip() for h in _fields(lines[header_at])]
    normalised = [normalise_header(h) for h in header]
    repeated = sorted({h for h in normalised if normalised.count(h) > 1})
    if repeated or "" in normalised:
        raise _error(f"malformed header: repeated or empty column names in {header}")

    rows: list[tuple[int, list[str]]] = []
    trailing: list[tuple[int, str]] = []
    for number, line in enumerate(lines[header_at + 1 :], start=header_at + 2):
        if not line.strip():
            continue
        fields = _fields(line, len(header))
        if len(fields) == len(header):
            if trailing:
                first, text_line = trailing[0]
                raise _error(
                    f"line {first} is not a row of {len(header)} fields but rows follow it: "
                    f"{text_line.strip()[:80]!r}"
                )
            rows.append((number, fields))
        elif _DATA_LINE.match(line):
            raise _error(
                f"line {number} has {len(fields)} fields, the header {len(header)}: "
                f"a row cut short or malformed: {line.strip()[:80]!r}"
            )
        else:
            trailing.append((number, line))
    return Table(title, header, rows, [line.strip() for _, line in trailing])


def ensure_rows(path: Path, year: int) -> None:
    """Refuse an answer with no data rows before it reaches the archive.

    An unpublished year (title and header only) is ``NoRecordsFound``; an HTML page or any
    other answer without rows is a ``SourceError``. Answers that carry rows are archived
    whatever else is wrong with them: the parser judges them, from the archive.
    """
    raw = path.read_bytes()
    # The header and each row have 24 separators; a title or a footnote hardly any.
    if sum(1 for line in raw.splitlines() if line.count(b";") >= _ROW_SEPARATORS) > 1:
        return
    text = raw.decode("utf-8-sig", errors="replace")
    if _looks_like_html(text):
        read_table(raw, year=year)  # raises the HTML error
    if normalise_header(CODE_HEADER) in text.lower():
        raise NoRecordsFound(
            SOURCE,
            NAME,
            f"the {year} file holds a header but no rows ({len(raw)} bytes): "
            "ISPRA has not published that year yet",
        )
    raise _error(f"the {year} answer holds no rows ({len(raw)} bytes): {text.strip()[:80]!r}")


# -- parsing --------------------------------------------------------------------------------


def _column_values(header: str, values: list[str]) -> list[str | None]:
    """Strip text; convert numbers exactly to canonical decimal text."""
    rule = _NUMBERS.get(normalise_header(header))
    if rule is None:
        return [v.strip() or None for v in values]
    kind, decimals = rule
    out: list[str | None] = []
    bad: list[str] = []
    for value in values:
        try:
            out.append(italian_number(value, decimals, percent=kind == "percent"))
        except ValueError:
            bad.append(value)
            out.append(None)
    if bad:
        raise _error(
            f"column {header!r}: value(s) {bad[:3]} are not Italian-format {kind} "
            f"(thousands '.', decimal ',', at most {decimals} decimals)"
        )
    return out


@dataclass(frozen=True)
class Completeness:
    missing: list[str]  # expected codes with no Comune row
    unexpected: list[str]  # province codes outside the expected list


def completeness(codes: Iterable[str], expected: Iterable[str]) -> Completeness:
    """Compare the 6-digit codes found with the comuni expected (the Città metropolitana)."""
    found, wanted = set(codes), set(expected)
    return Completeness(sorted(wanted - found), sorted(found - wanted))


@lru_cache(maxsize=1)
def metropolitan_comuni() -> dict[str, str]:
    """The 133 comuni of the Città metropolitana (code -> name), from ISTAT's list.

    Read from the list bundled with the ISTAT source (the current territory), so parsing
    needs no network and no other dataset in the archive.
    """
    from ingestion.istat import comuni

    table = comuni.SCHEMA.conform(
        comuni.parse_file(comuni.snapshot()[0].path), source=comuni.SOURCE, dataset=comuni.NAME
    )
    rows = table.filter(pl.col("codice_uts") == METROPOLITAN_UTS)
    return dict(zip(rows["codice_comune"], rows["denominazione_it"], strict=True))


def _report(year: int, codes: Sequence[str], expected: Mapping[str, str]) -> Completeness:
    result = completeness(codes, expected)
    if result.missing:
        log.warning(
            "%s/%s %d: %d of the %d comuni of the Città metropolitana have no 'Comune' row "
            "(reported only inside an aggregation, not yet constituted, or missing): %s",
            SOURCE,
            NAME,
            year,
            len(result.missing),
            len(expected),
            ", ".join(f"{c} {expected[c]}" for c in result.missing),
        )
    if result.unexpected:
        log.warning(
            "%s/%s %d: province %s code(s) not in the current list of comuni (former comuni "
            "before a merger?), kept: %s",
            SOURCE,
            NAME,
            year,
            PROVINCE,
            ", ".join(result.unexpected),
        )
    return result


def parse_bytes(
    raw: bytes, *, year: int, expected: Mapping[str, str] | None = None
) -> pl.DataFrame:
    """The ``Comune`` rows of province 015, as strings keyed by the file's headers, plus
    ``anno``; numbers already in canonical decimal text for an exact cast."""
    table = read_table(raw, year=year)
    if not table.rows:
        raise NoRecordsFound(
            SOURCE,
            NAME,
            f"the {year} file holds a header but no rows: ISPRA has not published that year",
        )
    position = {normalise_header(h): i for i, h in enumerate(table.header)}
    missing = [h for h in (CODE_HEADER, KIND_HEADER) if normalise_header(h) not in position]
    if missing:
        raise _error(f"schema drift: missing column(s) {missing}; found {table.header}")
    code_at, kind_at = (
        position[normalise_header(CODE_HEADER)],
        position[normalise_header(KIND_HEADER)],
    )

    kept: list[list[str]] = []
    comune_rows = 0
    for number, row in table.rows:
        if row[kind_at].strip().lower() != COMUNE_KIND.lower():
            continue  # Aggregazione / Vedi aggregazione: no data of the comune's own
        comune_rows += 1
        code = row[code_at].strip()
        if not _CODE.match(code):
            raise _error(f"line {number}: {CODE_HEADER} {code!r} is not 8 digits")
        if code[2:5] == PROVINCE:
            kept.append(row)
    if not kept:
        raise _error(f"none of the {comune_rows} 'Comune' rows of {year} is in province {PROVINCE}")
    columns = {
        header: _column_values(header, [row[i] for row in kept])
        for i, header in enumerate(table.header)
    }
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String)).with_columns(
        pl.lit(year, dtype=pl.Int32).alias("anno")
    )
    codes = [row[code_at].strip()[2:] for row in kept]
    _report(year, codes, metropolitan_comuni() if expected is None else expected)
    return frame


def parse_file(path: Path, *, year: int, expected: Mapping[str, str] | None = None) -> pl.DataFrame:
    return parse_bytes(path.read_bytes(), year=year, expected=expected)


def retrieval_year(retrieval: Retrieval) -> int:
    """The year asked for (``aa`` of the recorded request), which must match the partition."""
    asked = retrieval.files[0]["params"].get("aa") if retrieval.files else None
    year = asked or retrieval.partition
    if year is None or not str(year).isdigit():
        raise _error(f"retrieval {retrieval.retrieval_id} records no year (aa) in its request")
    if retrieval.partition is not None and retrieval.partition != str(year):
        raise _error(
            f"retrieval {retrieval.retrieval_id} asked for aa={year} "
            f"but is filed under partition {retrieval.partition}"
        )
    return int(year)


def parse(retrieval: Retrieval) -> pl.DataFrame:
    return parse_file(retrieval.file(PAYLOAD), year=retrieval_year(retrieval))


# -- fetching -------------------------------------------------------------------------------


def file_url(base_url: str) -> str:
    return base_url.rstrip("/") + FILE_PATH


def download_year(http: HttpClient, base_url: str, year: int, staged: StagedRetrieval) -> None:
    """Fetch the whole-Italy file of ``year`` into ``staged``.

    The request is sent as ``...csv.php?&aa=<YYYY>``, the form seen in use; the manifest
    records the URL without query and ``{"aa": "<YYYY>"}`` apart, as for every source (the
    empty ``&`` pair carries nothing).
    """
    url = file_url(base_url)
    dest = staged.path_for(PAYLOAD)
    result = http.download(f"{url}?&aa={year}", dest, dataset=NAME)
    ensure_rows(dest, year)
    staged.record(
        PAYLOAD,
        url=url,
        params={"aa": str(year)},
        status=result.status,
        headers=result.headers,
        sha256=result.sha256,
        byte_size=result.byte_size,
    )


def fetch(ctx: FetchContext, staged: StagedRetrieval) -> None:
    if ctx.partition is None:
        raise ValueError(f"{SOURCE}/{NAME} is published by year: a partition is needed")
    http = HttpClient(SOURCE, min_interval=ctx.settings.min_interval(ENDPOINT, MIN_INTERVAL_S))
    download_year(
        http, ctx.settings.base_url(ENDPOINT, DEFAULT_BASE_URL), int(ctx.partition), staged
    )


# -- snapshot and partitions ----------------------------------------------------------------


def snapshot_years() -> list[int]:
    return sorted(
        int(p.name.split("-")[1].split(".")[0]) for p in SNAPSHOT_DIR.glob("waste-*.csv.gz")
    )


def snapshot(partition: str | None) -> list[SnapshotFile]:
    if partition is None:
        raise ValueError(f"{SOURCE}/{NAME} is published by year: a partition is needed")
    data = SNAPSHOT_DIR / f"waste-{partition}.csv.gz"
    if not data.is_file():
        raise _error(f"no bundled snapshot for {partition}; bundled years: {snapshot_years()}")
    request = json.loads((SNAPSHOT_DIR / f"waste-{partition}.request.json").read_text("utf-8"))
    return [SnapshotFile(PAYLOAD, data, **request)]


def partitions(settings: Settings) -> list[str]:
    """Snapshot: the bundled years. Live: 2010 to last year (the newest may be unpublished:
    its partition then ends in ``NoRecordsFound``)."""
    if settings.mode_for(SOURCE) == "snapshot":
        return [str(y) for y in snapshot_years()]
    return [str(y) for y in range(FIRST_YEAR, date.today().year)]


DATASET = Dataset(
    source=SOURCE,
    name=NAME,
    title="Produzione e raccolta differenziata dei rifiuti urbani per comune",
    description="Municipal waste by fraction, separate collection (tonnes) and separate "
    "collection rate per comune and year (ISPRA Catasto rifiuti, dettaglio comunale), for "
    "the comuni of the Città metropolitana di Milano.",
    schema=SCHEMA,
    landing_url=LANDING_URL,
    licence="CC BY 4.0",  # [A] as in ISPRA's catalogue (sources.md 3)
    fetch=fetch,
    parse=parse,
    snapshot=snapshot,
    synthetic_snapshot=True,
    partitions=partitions,
    # ISPRA publishes a year once it is closed, in the following December.
    yearly=Yearly(FIRST_YEAR, current_year=False),
)
