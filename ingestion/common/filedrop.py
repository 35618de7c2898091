"""File drops: sources with no API send files, checked against a contract we publish.

ATS, AFOL, the Città metropolitana's own registries, GSE-style energy tables and ISPRA's soil
spreadsheet reach us as files, not APIs. Each is declared once as a ``FileContract`` (file name
pattern, formats, encoding, columns with type, unit, rules and bilingual descriptions, key) and
turned into an ordinary ``Dataset``, so archive, provenance, parsing and loading are exactly those
of the API sources.

Live mode: the newest file (by the date in its name) in ``<data_dir>/inbox/<source>/<dataset>/``,
or the file at ``OSSERVATORIO_<SOURCE>_<DATASET>_URL`` when that is set, is copied into the raw
archive with its provenance. A file that breaks the contract is archived as received (what was
sent, when, with its sha256) but never loaded: parsing raises ``SourceError`` naming file, column,
rule and rows, the raw table keeps its previous rows, and a bilingual report is written to
``<inbox>/rejected/<file>.rejection.md`` for the office that sent it.

Run ``python -m ingestion.common.filedrop --docs docs/file-contracts.md`` to regenerate the
published contracts.
"""

from __future__ import annotations

import argparse
import csv
import email.utils
import functools
import gzip
import hashlib
import importlib
import io
import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import numpy as np
import polars as pl

from ingestion.common.archive import Retrieval, StagedRetrieval, safe_name
from ingestion.common.dataset import Dataset, FetchContext, SnapshotFile
from ingestion.common.errors import SourceError
from ingestion.common.http import HttpClient
from ingestion.common.schema import Field, TableSchema, normalise_header

log = logging.getLogger(__name__)

Kind = Literal["string", "integer", "decimal", "date", "month"]
Format = Literal["csv", "xlsx"]

INBOX = "inbox"
REJECTED = "rejected"
ENCODING = "utf-8"
FALLBACK_ENCODING = "cp1252"  # what Italian Excel writes for "CSV (delimitato da ;)"
MAX_LISTED_ROWS = 10
REFERENCE_COLUMN = "data_riferimento"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DTYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "integer": pl.Int64(),
    "decimal": pl.Float64(),
    "date": pl.Date(),
    "month": pl.Date(),
}
KIND_TEXT = {  # (Italian, English) as shown in the docs and the rejection reports
    "string": ("testo", "text"),
    "integer": ("intero", "integer"),
    "decimal": ("decimale", "decimal"),
    "date": ("data", "date"),
    "month": ("mese", "month"),
}
# The modules whose CONTRACTS are published in docs/file-contracts.md, in this order.
CONTRACT_MODULES = (
    "ingestion.ats",
    "ingestion.afol",
    "ingestion.cittametropolitana",
    "ingestion.energy",
    "ingestion.ispra.soil_consumption",
)
DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "file-contracts.md"

_INTEGER = r"^[+-]?\d+$"
_DECIMAL = r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}( 00:00:00)?$"  # an XLSX date cell reads as "... 00:00:00"
_IT_DATE = r"^\d{1,2}/\d{1,2}/\d{4}$"


# -- the contract ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a file: how it is named, typed and checked, in Italian and English."""

    name: str
    kind: Kind
    description_it: str
    description_en: str
    unit: str | None = None
    required: bool = True  # present in the file, and a value on every row
    allowed: tuple[str, ...] = ()  # accepted values (compared case-insensitively)
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None  # a regular expression the whole value must match
    comune: bool = False  # the ISTAT code of one of the 133 comuni of the Città metropolitana
    not_future: bool = False  # a date, month or year not after the day of the check
    example: str = ""

    @property
    def dtype(self) -> pl.DataType:
        return DTYPES[self.kind]

    def rules(self) -> tuple[list[str], list[str]]:
        """The column's rules in words, (Italian, English), for docs and reports."""
        it: list[str] = []
        en: list[str] = []
        if self.allowed:
            values = ", ".join(f"`{v}`" for v in self.allowed)
            it.append(f"uno tra {values}")
            en.append(f"one of {values}")
        if self.minimum is not None:
            it.append(f"≥ {_number(self.minimum)}")
            en.append(f"≥ {_number(self.minimum)}")
        if self.maximum is not None:
            it.append(f"≤ {_number(self.maximum)}")
            en.append(f"≤ {_number(self.maximum)}")
        if self.pattern:
            it.append(f"formato `{self.pattern}`")
            en.append(f"format `{self.pattern}`")
        if self.comune:
            it.append("codice ISTAT di uno dei 133 comuni della Città metropolitana (6 cifre)")
            en.append("ISTAT code of one of the 133 comuni of the Città metropolitana (6 digits)")
        if self.not_future:
            it.append("non nel futuro")
            en.append("not in the future")
        return it, en


@dataclass(frozen=True)
class RowRule:
    """A rule across columns, true on every valid row; ``valid(today)`` builds the expression.

    Rows where the expression is null pass, and rows holding a value already rejected by a
    column rule are not judged, so one bad value is reported once, by its own column.
    """

    name: str
    columns: tuple[str, ...]
    description_it: str
    description_en: str
    valid: Callable[[date], pl.Expr] = field(compare=False)


@dataclass(frozen=True)
class Coverage:
    """Every one of the 133 comuni appears in ``column`` (within each group of ``per``)."""

    column: str
    per: tuple[str, ...] = ()


@dataclass(frozen=True)
class Consistency:
    """Rows sharing ``key`` carry the same ``columns`` (a denormalised list, e.g. CPI details)."""

    key: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class FileContract:
    """What one office sends us for one dataset, declared once: checks, docs and schema."""

    source: str
    dataset: str
    stem: str  # file name: <stem>_YYYY-MM-DD.<csv|xlsx>
    title_it: str
    title_en: str
    description_it: str
    description_en: str
    sender: str
    landing_url: str
    licence: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    formats: tuple[Format, ...] = ("csv", "xlsx")
    separator: str = ";"
    sheet: str | None = None  # XLSX sheet to read; None = the first sheet
    row_rules: tuple[RowRule, ...] = ()
    coverage: tuple[Coverage, ...] = ()
    consistency: tuple[Consistency, ...] = ()

    def __post_init__(self) -> None:
        safe_name("source", self.source)
        safe_name("dataset", self.dataset)
        if not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", self.stem):
            raise ValueError(f"{self.key}: stem {self.stem!r} must be lower-case snake_case")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names) or REFERENCE_COLUMN in names:
            raise ValueError(f"{self.key}: duplicate or reserved column names in {names}")
        by_name = {c.name: c for c in self.columns}
        for key in self.primary_key:
            if key not in by_name or not by_name[key].required:
                raise ValueError(f"{self.key}: key column {key!r} must be a required column")
        referenced = [
            *(c for r in self.row_rules for c in r.columns),
            *(c for cov in self.coverage for c in (cov.column, *cov.per)),
            *(c for con in self.consistency for c in (con.key, *con.columns)),
        ]
        if unknown := [c for c in referenced if c not in by_name]:
            raise ValueError(f"{self.key}: rules name unknown columns {unknown}")
        if not set(self.formats) <= {"csv", "xlsx"} or not self.formats:
            raise ValueError(f"{self.key}: formats must be csv and/or xlsx")
        for c in self.columns:
            numeric = c.kind in ("integer", "decimal")
            if (c.minimum is not None or c.maximum is not None) and not numeric:
                raise ValueError(f"{self.key}: {c.name}: ranges apply to numbers only")
            if (c.allowed or c.pattern or c.comune) and c.kind != "string":
                raise ValueError(f"{self.key}: {c.name}: values and formats apply to text only")
            if c.not_future and c.kind not in ("date", "month", "integer"):
                raise ValueError(f"{self.key}: {c.name}: not_future applies to dates and years")

    @property
    def key(self) -> str:
        return f"{self.source}/{self.dataset}"

    @property
    def table(self) -> str:
        return f"{self.source}__{self.dataset}"

    @property
    def name_regex(self) -> re.Pattern[str]:
        """File names this contract accepts; only safe characters, so no path can escape."""
        extensions = "|".join(self.formats)
        return re.compile(
            rf"^{self.stem}_(?P<date>\d{{4}}-\d{{2}}-\d{{2}})\.(?P<ext>(?i:{extensions}))$"
        )

    @property
    def name_pattern(self) -> str:
        """The file name as people read it, e.g. ``case_comunita_AAAA-MM-GG.csv``."""
        return f"{self.stem}_AAAA-MM-GG.{'|'.join(self.formats)}"

    @property
    def url_setting(self) -> str:
        """The settings key (and ``OSSERVATORIO_<KEY>_URL`` variable) of an optional download."""
        return f"{self.source}_{self.dataset}"

    @property
    def schema(self) -> TableSchema:
        """The raw table: the contract's columns, typed, plus the reference date of the file."""
        fields = [
            Field(
                c.name,
                c.dtype,
                f"{c.description_en}" + (f" ({c.unit})" if c.unit else ""),
                required=c.required,
            )
            for c in self.columns
        ]
        fields.append(
            Field(REFERENCE_COLUMN, pl.Date(), "Reference date of the file (from its name)")
        )
        return TableSchema(fields=tuple(fields), primary_key=self.primary_key)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def inbox(self, data_dir: Path) -> Path:
        return data_dir / INBOX / self.source / self.dataset

    def inbox_relative(self, name: str = "") -> str:
        """A path under the data directory, as recorded in manifests and messages."""
        return "/".join(p for p in (INBOX, self.source, self.dataset, name) if p)

    def report_relative(self, name: str) -> str:
        return self.inbox_relative(f"{REJECTED}/{name}.rejection.md")

    def to_dataset(self, snapshot_dir: Path) -> Dataset:
        """The ``Dataset`` every file drop is: inbox fetch, contract parse, bundled snapshot."""
        return Dataset(
            source=self.source,
            name=self.dataset,
            title=self.title_it,
            description=self.description_en,
            schema=self.schema,
            landing_url=self.landing_url,
            licence=self.licence,
            fetch=functools.partial(fetch, self),
            parse=functools.partial(parse, self),
            snapshot=functools.partial(snapshot, self, snapshot_dir),
            synthetic_snapshot=True,
        )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def comune_column(
    name: str = "codice_comune",
    description_it: str = "Codice ISTAT del comune",
    description_en: str = "ISTAT code of the comune",
    *,
    required: bool = True,
) -> Column:
    """The column every per-comune file carries: a 6-digit code among the 133."""
    return Column(
        name,
        "string",
        description_it,
        description_en,
        required=required,
        comune=True,
        example="015146",
    )


def year_column(
    name: str = "anno",
    description_it: str = "Anno di riferimento",
    description_en: str = "Reference year",
    *,
    example: str = "2024",
) -> Column:
    """A reference year: from 2000, never after the current year."""
    return Column(
        name,
        "integer",
        description_it,
        description_en,
        minimum=2000,
        not_future=True,
        example=example,
    )


# -- problems and their reports ---------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (column, rows as the office sees them), what, and which values."""

    rule: str
    it: str
    en: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()
    count: int = 0  # offending rows (or values) in all; only the first ten are listed

    def summary(self) -> str:
        where = f"column {self.column!r} " if self.column else ""
        text = f"{where}[{self.rule}] {self.en}"
        if self.rows:
            text += f" at row(s) {', '.join(map(str, self.rows))}"
        if self.values:
            text += f" (values {', '.join(repr(v) for v in self.values)})"
        if self.count > len(self.rows or self.values):
            text += f", {self.count} in all"
        return text


class ContractError(Exception):
    """A file that breaks its contract; ``violations`` says every way it does."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(v.summary() for v in violations))
        self.violations = violations


def _offending(frame: pl.DataFrame, mask: pl.Series, column: str | None) -> dict[str, object]:
    bad = frame.filter(mask)
    rows = tuple(bad["__row"].head(MAX_LISTED_ROWS).to_list())
    values: tuple[str, ...] = ()
    if column is not None and column in bad.columns:
        values = tuple(str(v) for v in bad[column].head(MAX_LISTED_ROWS).to_list())
    return {"rows": rows, "values": values, "count": bad.height}


# -- reading: bytes to a frame of strings, with the row numbers the office sees ------------------


def decode_csv(raw: bytes) -> tuple[str, str]:
    """Text and encoding of a CSV drop: UTF-8 (BOM or not) as the contract says, or cp1252.

    A file that is not valid UTF-8 is what Excel writes as "CSV (delimitato dal separatore di
    elenco)" in Italy: Windows-1252, a superset of Latin-1's printable characters. Text with
    accents in cp1252 is practically never valid UTF-8, so the test is safe and the file is
    read correctly instead of bouncing; the encoding used goes into the provenance. UTF-16
    (Excel's "Testo Unicode") and bytes undefined in cp1252 are rejected with the fix to apply.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ContractError(
            [
                Violation(
                    "encoding",
                    "il file è in UTF-16 (Excel 'Testo Unicode'): salvarlo come 'CSV UTF-8'",
                    "the file is UTF-16 (Excel 'Unicode Text'): save it as 'CSV UTF-8'",
                )
            ]
        )
    try:
        return raw.decode("utf-8-sig"), ENCODING
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError as exc:
        byte = raw[exc.start : exc.start + 1].hex()
        raise ContractError(
            [
                Violation(
                    "encoding",
                    f"il file non è né UTF-8 né Windows-1252 (byte 0x{byte} alla posizione "
                    f"{exc.start}): salvarlo come 'CSV UTF-8'",
                    f"the file is neither UTF-8 nor Windows-1252 (byte 0x{byte} at offset "
                    f"{exc.start}): save it as 'CSV UTF-8'",
                )
            ]
        ) from exc
    return text, FALLBACK_ENCODING


def _read_csv(contract: FileContract, raw: bytes) -> tuple[list[str], list[list[str | None]]]:
    text, _ = decode_csv(raw)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ContractError([Violation("empty", "il file è vuoto", "the file is empty")])
    sep = contract.separator
    if sep not in lines[0]:
        found = next((c for c in (",", ";", "\t", "|") if c in lines[0]), None)
        raise ContractError(
            [
                Violation(
                    "separator",
                    f"il separatore deve essere {sep!r}"
                    + (f", il file usa {found!r}" if found else ""),
                    f"the separator must be {sep!r}"
                    + (f", the file uses {found!r}" if found else ""),
                )
            ]
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', strict=True)
    try:
        records = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ContractError(
            [
                Violation(
                    "csv",
                    f"CSV malformato alla riga {reader.line_num}: {exc}",
                    f"malformed CSV at line {reader.line_num}: {exc}",
                )
            ]
        ) from exc
    (_, header), body = records[0], records[1:]
    ragged = [(line, len(row)) for line, row in body if len(row) != len(header) and any(row)]
    if ragged:
        raise ContractError(
            [
                Violation(
                    "csv",
                    f"righe con un numero di campi diverso dall'intestazione ({len(header)})",
                    f"rows whose number of fields differs from the header's ({len(header)})",
                    rows=tuple(line for line, _ in ragged[:MAX_LISTED_ROWS]),
                    values=tuple(str(n) for _, n in ragged[:MAX_LISTED_ROWS]),
                    count=len(ragged),
                )
            ]
        )
    rows = [[str(line), *row] for line, row in body if any(v.strip() for v in row)]
    return header, rows  # type: ignore[return-value]


def _read_xlsx(contract: FileContract, raw: bytes) -> tuple[list[str], list[list[str | None]]]:
    try:
        frame = pl.read_excel(
            io.BytesIO(raw),
            engine="calamine",
            has_header=False,
            infer_schema_length=0,  # every cell as text, exactly as CSV values arrive
            **({"sheet_name": contract.sheet} if contract.sheet else {"sheet_id": 1}),
        )
    except Exception as exc:  # calamine: not a workbook, no such sheet, corrupt zip
        message = str(exc).splitlines()[0]
        raise ContractError(
            [
                Violation(
                    "xlsx",
                    "il file non è un foglio XLSX leggibile"
                    + (f" con il foglio '{contract.sheet}'" if contract.sheet else "")
                    + f": {message}",
                    "the file is not a readable XLSX workbook"
                    + (f" with sheet '{contract.sheet}'" if contract.sheet else "")
                    + f": {message}",
                )
            ]
        ) from exc
    if frame.height == 0:
        raise ContractError([Violation("empty", "il foglio è vuoto", "the sheet is empty")])
    cells = frame.rows()
    header = ["" if v is None else str(v) for v in cells[0]]
    rows = [
        [str(i + 2), *row]  # spreadsheet row numbers: the header is row 1
        for i, row in enumerate(cells[1:])
        if any(v is not None and str(v).strip() for v in row)
    ]
    return header, rows


def read_strings(contract: FileContract, path: Path) -> pl.DataFrame:
    """The file as a frame of stripped strings named by the contract, plus ``__row``.

    Structural problems (encoding, separator, unknown or missing columns) raise
    ``ContractError`` before any value is looked at.
    """
    match = contract.name_regex.match(path.name)
    fmt = match.group("ext").lower() if match else path.suffix.lstrip(".").lower()
    if fmt not in contract.formats:
        raise ContractError(
            [
                Violation(
                    "format",
                    f"formato '{fmt}' non accettato (accettati: {', '.join(contract.formats)})",
                    f"format '{fmt}' not accepted (accepted: {', '.join(contract.formats)})",
                )
            ]
        )
    raw = path.read_bytes()
    header, rows = _read_csv(contract, raw) if fmt == "csv" else _read_xlsx(contract, raw)
    known = {c.name for c in contract.columns}
    normalised = [normalise_header(h) for h in header]
    problems: list[Violation] = []
    duplicated = sorted({h for h in normalised if h and normalised.count(h) > 1})
    if duplicated:
        problems.append(
            Violation(
                "header",
                "colonne ripetute nell'intestazione",
                "columns repeated in the header",
                values=tuple(duplicated),
                count=len(duplicated),
            )
        )
    unknown = [h for h, n in zip(header, normalised, strict=True) if n and n not in known]
    if unknown:
        problems.append(
            Violation(
                "header",
                "colonne non previste dal contratto (nomi ammessi: "
                + ", ".join(c.name for c in contract.columns)
                + ")",
                "columns the contract does not define (accepted names: "
                + ", ".join(c.name for c in contract.columns)
                + ")",
                values=tuple(unknown[:MAX_LISTED_ROWS]),
                count=len(unknown),
            )
        )
    missing = [c.name for c in contract.columns if c.required and c.name not in normalised]
    if missing:
        problems.append(
            Violation(
                "header",
                "colonne obbligatorie mancanti",
                "required columns missing",
                values=tuple(missing),
                count=len(missing),
            )
        )
    blank = [
        i
        for i, n in enumerate(normalised)
        if not n and any(len(r) > i + 1 and (r[i + 1] or "").strip() for r in rows)
    ]
    if blank:
        problems.append(
            Violation(
                "header",
                "colonne con valori ma senza intestazione",
                "columns with values but no header",
                values=tuple(str(i + 1) for i in blank),
                count=len(blank),
            )
        )
    if problems:
        raise ContractError(problems)
    if not rows:
        raise ContractError(
            [
                Violation(
                    "empty", "il file non contiene righe di dati", "the file holds no data rows"
                )
            ]
        )
    data: dict[str, list[str | None]] = {"__row": [r[0] for r in rows]}
    for i, name in enumerate(normalised):
        if name in known:
            data[name] = [
                (v.strip() or None) if (v := (r[i + 1] if len(r) > i + 1 else None)) else None
                for r in rows
            ]
    frame = pl.DataFrame(data, schema={k: pl.String for k in data})
    absent = [c.name for c in contract.columns if c.name not in frame.columns]
    return frame.with_columns(
        pl.col("__row").cast(pl.Int64), *(pl.lit(None, pl.String).alias(c) for c in absent)
    ).select("__row", *(c.name for c in contract.columns))


# -- checking: types, column rules, key, coverage, consistency, row rules -----------------------


@functools.cache
def metropolitan_comuni() -> dict[str, str]:
    """ISTAT code -> name of the 133 comuni, from the ISTAT list bundled with the project.

    The list moves only when comuni merge; taking it from the package keeps a file check
    independent of whether ISTAT's list was fetched first.
    """
    from ingestion.istat import comuni

    frame = comuni.SCHEMA.conform(
        comuni.parse_file(comuni.snapshot()[0].path), source="istat", dataset="comuni"
    )
    metro = frame.filter(pl.col("codice_uts") == "215").sort("codice_comune")
    return dict(metro.select("codice_comune", "denominazione_it").iter_rows())


def _typed(column: Column, values: pl.Expr) -> pl.Expr:
    """Parse strings into the column's type; what does not parse becomes null."""
    if column.kind == "string":
        return values
    if column.kind == "integer":
        return pl.when(values.str.contains(_INTEGER)).then(values.cast(pl.Int64, strict=False))
    if column.kind == "decimal":
        return pl.when(values.str.contains(_DECIMAL)).then(
            values.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
        )
    iso = values.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    italian = values.str.to_date("%d/%m/%Y", strict=False)
    if column.kind == "date":
        return (
            pl.when(values.str.contains(_ISO_DATE))
            .then(iso)
            .when(values.str.contains(_IT_DATE))
            .then(italian)
        )
    # month: YYYY-MM, MM/YYYY or a date on the first day (an XLSX date cell)
    month = pl.concat_str(values, pl.lit("-01")).str.to_date("%Y-%m-%d", strict=False)
    slashed = pl.concat_str(pl.lit("01/"), values).str.to_date("%d/%m/%Y", strict=False)
    return (
        pl.when(values.str.contains(r"^\d{4}-\d{2}$"))
        .then(month)
        .when(values.str.contains(r"^\d{1,2}/\d{4}$"))
        .then(slashed)
        .when(values.str.contains(_ISO_DATE) & (iso.dt.day() == 1))
        .then(iso)
    )


TYPE_TEXT = {
    "integer": ("non è un numero intero (senza separatori delle migliaia)", "not an integer"),
    "decimal": (
        "non è un numero (virgola o punto decimale, senza separatori delle migliaia)",
        "not a number (decimal comma or point, no thousands separator)",
    ),
    "date": ("non è una data AAAA-MM-GG o GG/MM/AAAA", "not a date YYYY-MM-DD or DD/MM/YYYY"),
    "month": ("non è un mese AAAA-MM", "not a month YYYY-MM"),
}


def _column_violations(
    column: Column, strings: pl.DataFrame, typed: pl.Series, today: date
) -> tuple[list[Violation], pl.Series]:
    """Violations of one column's rules, and the mask of its valid, typed values."""
    found: list[Violation] = []
    raw = strings[column.name]
    name = column.name

    def add(rule: str, it: str, en: str, mask: pl.Series) -> None:
        if mask.any():
            shown = None if rule == "required" else name  # missing values have nothing to show
            found.append(Violation(rule, it, en, name, **_offending(strings, mask, shown)))  # type: ignore[arg-type]

    if column.required:
        add("required", "valore mancante", "missing value", raw.is_null())
    if column.kind != "string":
        it, en = TYPE_TEXT[column.kind]
        add("type", it, en, raw.is_not_null() & typed.is_null())
    valid = typed.is_not_null()
    if column.allowed:
        listed = ", ".join(column.allowed)
        mask = valid & ~typed.str.to_lowercase().is_in([a.lower() for a in column.allowed])
        add(
            "allowed",
            f"valore non ammesso (ammessi: {listed})",
            f"value not allowed (allowed: {listed})",
            mask,
        )
        valid = valid & ~mask
    if column.minimum is not None:
        mask = valid & (typed < column.minimum)
        add(
            "minimum",
            f"valore minore di {_number(column.minimum)}",
            f"value below {_number(column.minimum)}",
            mask,
        )
        valid = valid & ~mask
    if column.maximum is not None:
        mask = valid & (typed > column.maximum)
        add(
            "maximum",
            f"valore maggiore di {_number(column.maximum)}",
            f"value above {_number(column.maximum)}",
            mask,
        )
        valid = valid & ~mask
    if column.pattern:
        mask = valid & ~typed.str.contains(f"^(?:{column.pattern})$")
        add(
            "pattern",
            f"non rispetta il formato {column.pattern}",
            f"does not match the format {column.pattern}",
            mask,
        )
        valid = valid & ~mask
    if column.comune:
        mask = valid & ~typed.is_in(list(metropolitan_comuni()))
        hint_it = hint_en = ""
        if (mask & typed.str.contains(r"^\d{5}$")).any():
            hint_it = " (lo zero iniziale è stato perso? formattare la colonna come testo)"
            hint_en = " (leading zero lost? format the column as text)"
        add(
            "comune",
            "non è il codice ISTAT di uno dei 133 comuni della Città metropolitana" + hint_it,
            "not the ISTAT code of one of the 133 comuni of the Città metropolitana" + hint_en,
            mask,
        )
        valid = valid & ~mask
    if column.not_future:
        if column.kind == "integer":
            limit: object = today.year
        elif column.kind == "month":
            limit = today.replace(day=1)
        else:
            limit = today
        mask = valid & (typed > limit)
        add(
            "future",
            f"nel futuro (dopo il {today.isoformat()})",
            f"in the future (after {today.isoformat()})",
            mask,
        )
        valid = valid & ~mask
    return found, valid


def check(
    contract: FileContract,
    strings: pl.DataFrame,
    *,
    today: date | None = None,
    coverage: bool = True,
) -> tuple[pl.DataFrame, list[Violation]]:
    """Type the string frame and check every rule; returns the typed frame and the violations.

    Values that break a column rule are set to null in the typed frame, and rules across
    columns skip the rows holding them, so each problem is reported once, where it is.
    """
    today = today or date.today()
    violations: list[Violation] = []
    typed_columns: dict[str, pl.Series] = {}
    rejected: dict[str, pl.Series] = {}  # a value was sent but broke a column rule
    for column in contract.columns:
        typed = strings.select(_typed(column, pl.col(column.name)).alias(column.name)).to_series()
        if column.allowed:  # canonical spelling of the accepted values
            lookup = {a.lower(): a for a in column.allowed}
            typed = typed.str.to_lowercase().replace(lookup)
        found, valid = _column_violations(column, strings, typed, today)
        violations.extend(found)
        rejected[column.name] = strings[column.name].is_not_null() & ~valid
        typed_columns[column.name] = typed.set(~valid, None) if (~valid).any() else typed
    typed_frame = pl.DataFrame(typed_columns).with_columns(strings["__row"])

    if contract.primary_key:
        key = list(contract.primary_key)
        complete = typed_frame.select(pl.all_horizontal(pl.col(key).is_not_null())).to_series()
        duplicated = complete & typed_frame.select(pl.struct(key).is_duplicated()).to_series()
        if duplicated.any():
            bad = typed_frame.filter(duplicated)
            violations.append(
                Violation(
                    "primary_key",
                    f"chiave ripetuta ({', '.join(key)}): ogni combinazione deve comparire una "
                    "sola volta",
                    f"repeated key ({', '.join(key)}): each combination must appear once",
                    column=", ".join(key),
                    rows=tuple(bad["__row"].head(MAX_LISTED_ROWS).to_list()),
                    values=tuple(
                        "/".join(str(v) for v in r) for r in bad.select(key).head(10).rows()
                    ),
                    count=bad.height,
                )
            )

    if coverage:
        codes = set(metropolitan_comuni())
        for rule in contract.coverage:
            groups = (
                typed_frame.group_by(list(rule.per), maintain_order=True)
                .agg(pl.col(rule.column).drop_nulls().unique())
                .rows(named=True)
                if rule.per
                else [{rule.column: typed_frame[rule.column].drop_nulls().unique().to_list()}]
            )
            for group in groups:
                if any(group[p] is None for p in rule.per):
                    continue  # rows whose group value was already rejected
                missing = sorted(codes - set(group[rule.column]))
                if not missing:
                    continue
                where = ", ".join(f"{p}={group[p]}" for p in rule.per)
                suffix_it = f" per {where}" if where else ""
                suffix_en = f" for {where}" if where else ""
                violations.append(
                    Violation(
                        "coverage",
                        f"mancano {len(missing)} dei 133 comuni{suffix_it}",
                        f"{len(missing)} of the 133 comuni are missing{suffix_en}",
                        column=rule.column,
                        values=tuple(missing[:MAX_LISTED_ROWS]),
                        count=len(missing),
                    )
                )

    for rule in contract.consistency:
        for dependent in rule.columns:
            conflicting = (
                typed_frame.select(
                    pl.col(dependent).drop_nulls().n_unique().over(rule.key) > 1
                ).to_series()
                & typed_frame[rule.key].is_not_null()
            )
            if conflicting.any():
                violations.append(
                    Violation(
                        "consistency",
                        f"righe con lo stesso {rule.key} hanno valori diversi di {dependent}",
                        f"rows with the same {rule.key} differ in {dependent}",
                        column=dependent,
                        **_offending(typed_frame, conflicting, dependent),  # type: ignore[arg-type]
                    )
                )

    for rule in contract.row_rules:
        outcome = typed_frame.select(rule.valid(today).alias("ok")).to_series()
        judged = (
            ~pl.DataFrame({c: rejected[c] for c in rule.columns})
            .select(pl.any_horizontal(pl.all()))
            .to_series()
        )
        broken = outcome.fill_null(True).not_() & judged
        if broken.any():
            bad = typed_frame.filter(broken)
            violations.append(
                Violation(
                    rule.name,
                    rule.description_it,
                    rule.description_en,
                    column=", ".join(rule.columns),
                    rows=tuple(bad["__row"].head(MAX_LISTED_ROWS).to_list()),
                    values=tuple(
                        "/".join("" if v is None else str(v) for v in r)
                        for r in bad.select(rule.columns).head(MAX_LISTED_ROWS).rows()
                    ),
                    count=bad.height,
                )
            )
    return typed_frame.select(c.name for c in contract.columns), violations


def read_file(contract: FileContract, path: Path, *, today: date | None = None) -> pl.DataFrame:
    """Read and check one dropped file; the typed frame, or ``ContractError`` with every problem."""
    frame, violations = check(contract, read_strings(contract, path), today=today)
    if violations:
        raise ContractError(violations)
    return frame


def reference_date(contract: FileContract, name: str) -> date:
    """The date in a file name that matches the contract (``ValueError`` if it is no date)."""
    match = contract.name_regex.match(name)
    if match is None:
        raise ValueError(f"{name!r} does not match {contract.name_pattern}")
    return date.fromisoformat(match.group("date"))


# -- the rejection report ---------------------------------------------------------------------


def rejection_report(
    contract: FileContract,
    name: str,
    violations: Sequence[Violation],
    *,
    sha256: str | None = None,
    byte_size: int | None = None,
    checked_at: datetime | None = None,
) -> str:
    """A Markdown report, in Italian and English, for the office that sent a rejected file."""
    checked = (checked_at or datetime.now(UTC)).isoformat(timespec="seconds")
    lines = [
        f"# File rifiutato / Rejected file: `{name}`",
        "",
        f"- Dataset: `{contract.key}` — {contract.title_it} / {contract.title_en}",
        f"- Mittente / Sender: {contract.sender}",
        f"- Controllato il / Checked at: {checked}",
    ]
    if sha256:
        lines.append(f"- Dimensione / Size: {byte_size} byte — sha256 `{sha256}`")
    lines += [
        f"- Esito / Outcome: **rifiutato, {len(violations)} problemi / rejected, "
        f"{len(violations)} problem(s)**. Il file non è stato caricato: i dati precedenti restano "
        "in uso. / The file was not loaded: the previous data stay in use.",
        "",
        "## Problemi / Problems",
        "",
        "Righe numerate come nel foglio di calcolo (intestazione = riga 1); al più "
        f"{MAX_LISTED_ROWS} per problema. / Rows numbered as in the spreadsheet (header = "
        f"row 1); at most {MAX_LISTED_ROWS} per problem.",
        "",
        "| # | colonna / column | regola / rule | problema / problem | righe / rows "
        "| valori / values | totale / total |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, v in enumerate(violations, 1):
        values = ", ".join(f"`{_cell(x)}`" for x in v.values)
        lines.append(
            f"| {i} | {_cell(v.column or '—')} | {v.rule} | {_cell(v.it)} / {_cell(v.en)} | "
            f"{', '.join(map(str, v.rows)) or '—'} | {values or '—'} | {v.count or 1} |"
        )
    lines += [
        "",
        "## Cosa fare / What to do",
        "",
        f"Correggere il file e depositarlo di nuovo in `{contract.inbox_relative()}/`, con lo "
        "stesso nome o con una data più recente nel nome: viene sempre letto il file con la "
        "data più recente.",
        "",
        f"Fix the file and drop it again in `{contract.inbox_relative()}/`, under the same name "
        "or with a newer date in its name: the file with the newest date is always the one read.",
        "",
        "## Il contratto / The contract",
        "",
        render_contract(contract, level=3),
    ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_report(
    contract: FileContract, data_dir: Path, name: str, violations: Sequence[Violation], **kw
) -> Path:
    path = data_dir / contract.report_relative(safe_name("file", name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rejection_report(contract, name, violations, **kw), "utf-8")
    return path


# -- the Dataset's three functions -------------------------------------------------------------


def _error(contract: FileContract, cause: str) -> SourceError:
    return SourceError(contract.source, contract.dataset, cause)


def newest_file(contract: FileContract, inbox: Path) -> Path:
    """The file to load: the newest by the date in its name, among names the contract accepts.

    Only names matching the contract's pattern are considered (no ``..`` or ``/`` can match),
    and a match that is a link leaving the inbox, or no regular file, is refused.
    """
    if not inbox.is_dir():
        raise _error(
            contract,
            f"no inbox folder {contract.inbox_relative()}/ in the data directory: create it and "
            f"drop files named {contract.name_pattern}",
        )
    candidates: dict[date, list[Path]] = {}
    ignored = []
    for entry in sorted(inbox.iterdir()):
        if entry.name == REJECTED or entry.name.startswith("."):
            continue
        match = contract.name_regex.match(entry.name)
        if match is None:
            ignored.append(entry.name)
            continue
        try:
            when = date.fromisoformat(match.group("date"))
        except ValueError:
            raise _error(
                contract, f"file {entry.name}: {match.group('date')} in its name is no date"
            ) from None
        candidates.setdefault(when, []).append(entry)
    if ignored:
        log.warning(
            "%s: ignoring files not named %s: %s", contract.key, contract.name_pattern, ignored
        )
    if not candidates:
        raise _error(
            contract,
            f"no file named {contract.name_pattern} in {contract.inbox_relative()}/",
        )
    when = max(candidates)
    if len(candidates[when]) > 1:
        names = sorted(p.name for p in candidates[when])
        raise _error(contract, f"ambiguous drop: {names} share the newest date; keep one")
    path = candidates[when][0]
    if when > date.today():
        raise _error(contract, f"file {path.name}: the date in its name is in the future")
    resolved = path.resolve()
    if not resolved.is_relative_to(inbox.resolve()) or not resolved.is_file():
        raise _error(
            contract,
            f"file {path.name} is a link out of the inbox or not a regular file; refused",
        )
    return path


def _copy_hashing(src: Path, dest: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with src.open("rb") as reader, dest.open("wb") as writer:
        for chunk in iter(lambda: reader.read(1 << 20), b""):
            writer.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def fetch(contract: FileContract, ctx: FetchContext, staged: StagedRetrieval) -> None:
    """Stage the current drop with its provenance, and tell the office at once if it is bad.

    The file is archived even when it breaks the contract: the archive records what was
    received (name, bytes, sha256, time) and the rejection replays offline; ``parse`` then
    refuses it, so the raw table keeps its previous rows.
    """
    data_dir = ctx.settings.data_dir
    url = ctx.settings.base_urls.get(contract.url_setting)
    if url:
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        if not contract.name_regex.match(name):
            raise _error(
                contract,
                f"the URL {url} does not end in a file named {contract.name_pattern}",
            )
        try:
            when = reference_date(contract, name)
        except ValueError:
            raise _error(contract, f"file {name}: the date in its name is no date") from None
        if when > date.today():
            raise _error(contract, f"file {name}: the date in its name is in the future")
        http = HttpClient(
            contract.source, min_interval=ctx.settings.min_interval(contract.url_setting, 1.0)
        )
        result = http.download(url, staged.path_for(name), dataset=contract.dataset)
        params = {"reference_date": when.isoformat()}
        staged.record(
            name,
            url=result.url,
            params=params,
            status=result.status,
            headers=result.headers,
            sha256=result.sha256,
            byte_size=result.byte_size,
        )
        sha256, size = result.sha256, result.byte_size
    else:
        source = newest_file(contract, contract.inbox(data_dir))
        name = source.name
        sha256, size = _copy_hashing(source, staged.path_for(name))
        mtime = datetime.fromtimestamp(os.stat(source).st_mtime, UTC)
        fmt = contract.name_regex.match(name).group("ext").lower()  # type: ignore[union-attr]
        params = {
            "reference_date": str(reference_date(contract, name)),
            "mtime": mtime.isoformat(timespec="seconds"),
        }
        if fmt == "csv":
            try:
                params["encoding"] = decode_csv(staged.path_for(name).read_bytes())[1]
            except ContractError:
                params["encoding"] = "unreadable"
        staged.record(
            name,
            url=f"file://{contract.inbox_relative(name)}",
            params=params,
            headers={
                "content-type": CONTENT_TYPES[fmt],
                "content-length": str(size),
                "last-modified": email.utils.format_datetime(mtime, usegmt=True),
            },
            sha256=sha256,
            byte_size=size,
        )
    report = data_dir / contract.report_relative(name)
    try:
        read_file(contract, staged.path_for(name))
    except ContractError as exc:
        path = write_report(contract, data_dir, name, exc.violations, sha256=sha256, byte_size=size)
        log.error("%s: %s breaks its contract; report at %s", contract.key, name, path)
    else:
        report.unlink(missing_ok=True)  # a corrected file under the same name


def parse(contract: FileContract, retrieval: Retrieval) -> pl.DataFrame:
    """The archived file, checked against the contract, typed, with its reference date."""
    name = retrieval.files[0]["name"]
    try:
        frame = read_file(contract, retrieval.file(name))
    except ContractError as exc:
        listed = "; ".join(v.summary() for v in exc.violations[:MAX_LISTED_ROWS])
        more = len(exc.violations) - MAX_LISTED_ROWS
        raise _error(
            contract,
            f"file {name} breaks the contract ({len(exc.violations)} problem(s)): {listed}"
            + (f"; and {more} more" if more > 0 else "")
            + f"; report: {contract.report_relative(name)} in the data directory",
        ) from exc
    return frame.with_columns(pl.lit(reference_date(contract, name)).alias(REFERENCE_COLUMN))


def snapshot(
    contract: FileContract, snapshot_dir: Path, partition: str | None = None
) -> list[SnapshotFile]:
    """The bundled drop: ``<dataset>.<ext>.gz`` and ``<dataset>.request.json`` beside it."""
    request = json.loads((snapshot_dir / f"{contract.dataset}.request.json").read_text("utf-8"))
    fmt = contract.name_regex.match(request["name"]).group("ext").lower()  # type: ignore[union-attr]
    return [SnapshotFile(path=snapshot_dir / f"{contract.dataset}.{fmt}.gz", **request)]


# -- writing drops: synthetic snapshots and test fixtures, in the contract's own format ----------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return _number(round(value, 6))
    return str(value)


def to_csv(contract: FileContract, frame: pl.DataFrame, *, encoding: str = ENCODING) -> bytes:
    """The frame as the office would send it: contract header order, ``;``, ISO dates."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=contract.separator, lineterminator="\r\n")
    names = [c.name for c in contract.columns if c.name in frame.columns]
    writer.writerow(names)
    for row in frame.select(names).iter_rows():
        writer.writerow([_cell_text(v) for v in row])
    return buffer.getvalue().encode(encoding)


def to_xlsx(contract: FileContract, frame: pl.DataFrame) -> bytes:
    """The frame as an XLSX workbook: numbers as numbers, dates as date cells, codes as text.

    Written with a fixed creation date so the same frame always gives the same bytes.
    """
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    workbook.set_properties({"created": datetime(2026, 1, 1), "author": contract.sender})
    sheet = workbook.add_worksheet(contract.sheet or "dati")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    bold = workbook.add_format({"bold": True})
    names = [c.name for c in contract.columns if c.name in frame.columns]
    sheet.write_row(0, 0, names, bold)
    for r, row in enumerate(frame.select(names).iter_rows(), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date):
                sheet.write_datetime(
                    r, c, datetime(value.year, value.month, value.day), date_format
                )
            elif isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    workbook.close()
    return buffer.getvalue()


def write_snapshot(
    contract: FileContract,
    snapshot_dir: Path,
    frame: pl.DataFrame,
    *,
    reference: date,
    fmt: Format,
) -> Path:
    """Bundle ``frame`` as the drop ``<stem>_<reference>.<fmt>``: gzip (mtime 0) + request."""
    payload = to_csv(contract, frame) if fmt == "csv" else to_xlsx(contract, frame)
    name = f"{contract.stem}_{reference.isoformat()}.{fmt}"
    # The payload must pass its own contract (on the day it claims to be from).
    try:
        check_bytes(contract, name, payload)
    except ContractError as exc:
        raise ValueError(f"{contract.key}: synthetic drop breaks its contract: {exc}") from exc
    snapshot_dir.mkdir(parents=True, exist_ok=True)
    path = snapshot_dir / f"{contract.dataset}.{fmt}.gz"
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(payload)
    request = {
        "name": name,
        "url": f"file://{contract.inbox_relative(name)}",
        "params": {"reference_date": reference.isoformat()},
        "headers": {"content-type": CONTENT_TYPES[fmt]},
    }
    (snapshot_dir / f"{contract.dataset}.request.json").write_text(
        json.dumps(request, indent=2, ensure_ascii=False) + "\n", "utf-8"
    )
    return path


def check_bytes(
    contract: FileContract, name: str, payload: bytes, *, today: date | None = None
) -> pl.DataFrame:
    """Check a payload held in memory (via a temporary file named as the drop)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(payload)
        return read_file(contract, path, today=today)


def synthetic_territory() -> pl.DataFrame:
    """The 133 comuni with name, zona omogenea and residents by year, for the generators.

    Residents come from the bundled (synthetic) ISTAT population snapshot, so every
    generated count is in proportion with the population the warehouse holds.
    """
    from ingestion.istat import population

    zones = pl.read_csv(
        Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "zone_omogenee.csv",
        schema_overrides={"istat_code": pl.String},
    ).select(pl.col("istat_code").alias("codice_comune"), "zona_omogenea")
    residents = (
        pl.read_csv(population.SNAPSHOT_DIR / "population.csv.gz", infer_schema=False)
        .filter(pl.col("AGE") == "TOTAL")
        .group_by(pl.col("REF_AREA").alias("codice_comune"), pl.col("TIME_PERIOD").cast(pl.Int64))
        .agg(pl.col("OBS_VALUE").cast(pl.Int64).sum().alias("residenti"))
        .pivot("TIME_PERIOD", index="codice_comune", values="residenti", sort_columns=True)
    )
    residents = residents.rename({c: f"residenti_{c}" for c in residents.columns[1:]})
    names = pl.DataFrame(
        list(metropolitan_comuni().items()), schema=["codice_comune", "comune"], orient="row"
    )
    return names.join(zones, on="codice_comune", how="left").join(
        residents, on="codice_comune", how="left"
    )


STREETS = (
    "Via Roma",
    "Via Garibaldi",
    "Via Mazzini",
    "Via Manzoni",
    "Via Matteotti",
    "Via Verdi",
    "Via Dante Alighieri",
    "Via XXV Aprile",
    "Piazza della Repubblica",
    "Viale Lombardia",
    "Via Cavour",
    "Via Marconi",
    "Via San Martino",
    "Via Volta",
    "Corso Italia",
)


def synthetic_address(rng: np.random.Generator) -> str:
    """An invented but ordinary Italian address."""
    return f"{STREETS[int(rng.integers(len(STREETS)))]} {int(rng.integers(1, 160))}"


# -- the published contracts -------------------------------------------------------------------


def render_contract(contract: FileContract, level: int = 2) -> str:
    """One contract in Markdown, in Italian and English: name, formats, columns, rules, example."""
    h = "#" * level
    formats = []
    if "csv" in contract.formats:
        formats.append(
            f"CSV — UTF-8 (anche con BOM; un file Windows-1252/Latin-1 salvato da Excel è "
            f"riconosciuto e letto correttamente / with or without BOM; a Windows-1252/Latin-1 "
            f"file saved by Excel is recognised and read correctly), separatore / separator "
            f'`{contract.separator}`, virgolette / quote `"`'
        )
    if "xlsx" in contract.formats:
        sheet = f"`{contract.sheet}`" if contract.sheet else "il primo / the first"
        formats.append(
            f"XLSX — foglio / sheet {sheet}, intestazione nella riga 1 / header in row 1"
        )
    lines = [
        f"{h} `{contract.key}` — {contract.title_it} / {contract.title_en}",
        "",
        f"{contract.description_it}",
        "",
        f"{contract.description_en}",
        "",
        f"- Mittente / Sender: {contract.sender}",
        f"- Nome del file / File name: `{contract.name_pattern}` "
        f"(regex `{contract.name_regex.pattern}`)",
        f"- Cartella / Inbox: `{contract.inbox_relative()}/` nella cartella dati / in the data "
        f"directory; oppure / or a URL in `OSSERVATORIO_{contract.url_setting.upper()}_URL`",
        "- Formati / Formats:",
        *(f"  - {f}" for f in formats),
        f"- Tabella / Raw table: `raw.{contract.table}` (+ `{REFERENCE_COLUMN}`, la data nel "
        "nome del file / the date in the file name)",
        f"- Chiave / Primary key: {', '.join(f'`{k}`' for k in contract.primary_key)}",
        f"- Licenza / Licence: {contract.licence} — {contract.landing_url}",
        "",
        "| colonna / column | tipo / type | unità / unit | obbligatoria / required | "
        "regole / rules | descrizione | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in contract.columns:
        it, en = c.rules()
        rules = "; ".join(it)
        if en != it:
            rules += " / " + "; ".join(en)
        kind_it, kind_en = KIND_TEXT[c.kind]
        kind = kind_it if kind_it == kind_en else f"{kind_it} / {kind_en}"
        lines.append(
            f"| `{c.name}` | {kind} | {_cell(c.unit or '—')} | "
            f"{'sì / yes' if c.required else 'no'} | {_cell(rules) or '—'} | "
            f"{_cell(c.description_it)} | {_cell(c.description_en)} |"
        )
    table_rules: list[str] = []
    for cov in contract.coverage:
        per = ", ".join(f"`{p}`" for p in cov.per)
        table_rules.append(
            f"Copertura / Coverage: tutti i 133 comuni in `{cov.column}`"
            + (f", per ogni {per}" if per else "")
            + f" / all 133 comuni in `{cov.column}`"
            + (f", for each {per}" if per else "")
        )
    for con in contract.consistency:
        table_rules.append(
            f"Coerenza / Consistency: righe con lo stesso `{con.key}` hanno gli stessi "
            f"{', '.join(f'`{c}`' for c in con.columns)} / rows sharing `{con.key}` agree on them"
        )
    for rule in contract.row_rules:
        table_rules.append(f"`{rule.name}`: {rule.description_it} / {rule.description_en}")
    if table_rules:
        lines += ["", "Regole tra colonne e righe / Rules across columns and rows:", ""]
        lines += [f"- {r}" for r in table_rules]
    fmt = contract.formats[0]
    example = [[c.name for c in contract.columns], [c.example for c in contract.columns]]
    if fmt == "csv":
        text = "\n".join(contract.separator.join(row) for row in example)
        lines += ["", "Esempio / Example (CSV):", "", "```csv", text, "```"]
    else:
        lines += [
            "",
            "Esempio / Example (XLSX, riga 1 e 2 / rows 1 and 2):",
            "",
            "| " + " | ".join(example[0]) + " |",
            "|" + "---|" * len(example[0]),
            "| " + " | ".join(_cell(v) for v in example[1]) + " |",
        ]
    return "\n".join(lines)


DOCS_PREAMBLE = """# Contratti dei file / File contracts

<!-- Generato da / generated by `python -m ingestion.common.filedrop --docs docs/file-contracts.md`:
non modificare a mano / do not edit by hand. -->

Le fonti senza API pubblica (ATS, AFOL, i registri della Città metropolitana, le tabelle
dell'energia, il consumo di suolo ISPRA) consegnano file. Ogni file deve rispettare il suo
contratto: un file che non lo rispetta non viene caricato (restano in uso i dati precedenti) e
accanto alla cartella di consegna viene scritto un rapporto che dice cosa correggere.

Sources with no public API (ATS, AFOL, the Città metropolitana's registries, the energy tables,
ISPRA soil consumption) deliver files. Each file must keep its contract: a file that breaks it is
not loaded (the previous data stay in use) and a report saying what to fix is written beside the
inbox.

## Regole comuni / Common rules

- Consegna / Delivery: depositare il file in `inbox/<fonte>/<dataset>/` nella cartella dati
  della piattaforma; viene letto il file con la data più recente nel nome (due file con la
  stessa data, es. CSV e XLSX, sono un errore). / Drop the file in `inbox/<source>/<dataset>/`
  under the platform's data directory; the file with the newest date in its name is read (two
  files sharing that date, e.g. CSV and XLSX, are an error).
- Ogni file è completo: sostituisce interamente il precedente (un registro allo stato della data
  nel nome, una serie con tutti gli anni). / Each file is complete: it replaces the previous one
  whole (a registry as of the date in its name, a series with all its years).
- Intestazione / Header: nella prima riga, con i nomi delle colonne esattamente come sotto
  (maiuscole e spazi ai bordi non contano); colonne non previste o ripetute sono un errore; le
  colonne facoltative possono mancare. / In the first row, with the column names exactly as
  below (case and surrounding blanks do not matter); unknown or repeated columns are an error;
  optional columns may be left out.
- Numeri / Numbers: virgola o punto decimale, senza separatori delle migliaia (`1234,5` o
  `1234.5`, non `1.234,5`). / Decimal comma or point, no thousands separator.
- Date / Dates: `AAAA-MM-GG` oppure / or `GG/MM/AAAA` (in XLSX anche celle data / also date
  cells); mesi / months `AAAA-MM`.
- Codici dei comuni / Comune codes: codice ISTAT a 6 cifre come testo (`015146` Milano: lo zero
  iniziale è necessario) / 6-digit ISTAT code as text (the leading zero is needed).
- Celle vuote / Empty cells: valore mancante, ammesso solo nelle colonne non obbligatorie /
  missing value, allowed only in optional columns. Righe interamente vuote sono ignorate / Fully
  empty rows are ignored.
- File rifiutato / Rejected file: il rapporto è in
  `inbox/<fonte>/<dataset>/rejected/<file>.rejection.md` con colonna, regola e righe (al più
  10 per problema) / the report gives column, rule and rows (at most 10 per problem).
"""


def contracts() -> list[FileContract]:
    """Every published contract, from the modules in ``CONTRACT_MODULES``."""
    found: list[FileContract] = []
    for module in CONTRACT_MODULES:
        found.extend(importlib.import_module(module).CONTRACTS)
    return found


def render_docs(items: Sequence[FileContract] | None = None) -> str:
    """docs/file-contracts.md: the preamble, then one section per contract."""
    sections = [render_contract(c) for c in (items if items is not None else contracts())]
    return DOCS_PREAMBLE + "\n" + "\n\n".join(sections) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the published file contracts.")
    parser.add_argument("--docs", type=Path, default=DOCS_PATH, help="where to write them")
    args = parser.parse_args(argv)
    from ingestion.common import filedrop  # the imported module, whose classes sources use

    args.docs.parent.mkdir(parents=True, exist_ok=True)
    args.docs.write_text(filedrop.render_docs(), "utf-8")
    print(f"wrote {args.docs}")


if __name__ == "__main__":
    main()
