"""The Frictionless data package of a release: ``datapackage.json`` beside the CSV files.

A Frictionless tool (``frictionless validate datapackage.json``) can check every CSV of the
release against its table schema: column names and order, types, required key columns and
unique primary keys, file size and SHA-256. The schema comes from the column dictionary
(``exports.columns``), not from the files, so a file that drifts from its declaration fails
validation instead of redefining it. Titles and descriptions are English in the standard
properties (``title``, ``description``) and Italian in ``title_it`` / ``description_it``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from exports.catalogue import PublishedDataset
from exports.columns import ColumnDoc, columns

DATAPACKAGE = "datapackage.json"
PACKAGE_NAME = "osservatorio-piano-strategico-cm-milano"

LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}
SOURCES = (
    "ISTAT - Istituto nazionale di statistica",
    "ISPRA - Istituto superiore per la protezione e la ricerca ambientale",
    "Regione Lombardia",
    "GSE - Gestore dei servizi energetici",
    "Piattaforma Unica Nazionale dei punti di ricarica (PUN)",
    "ATS della Città Metropolitana di Milano",
    "AFOL Metropolitana",
    "Città metropolitana di Milano",
)

_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT"}  # fmt: skip
_NUMBER = {"FLOAT", "REAL", "DOUBLE"}


def table_schema_type(duckdb_type: str) -> str:
    """The Table Schema type of a DuckDB column type (ValueError for one we do not publish)."""
    name = duckdb_type.upper()
    if name == "VARCHAR":
        return "string"
    if name in _INTEGER:
        return "integer"
    if name in _NUMBER or re.fullmatch(r"DECIMAL\(\d+,\s*\d+\)", name):
        return "number"
    if name == "BOOLEAN":
        return "boolean"
    if name == "DATE":
        return "date"
    if name.startswith("TIMESTAMP"):
        return "datetime"
    raise ValueError(f"no Table Schema type for DuckDB type {duckdb_type!r}")


def _field(doc: ColumnDoc, required: bool) -> dict[str, Any]:
    field: dict[str, Any] = {
        "name": doc.name,
        "type": table_schema_type(doc.duckdb_type),
        "title": doc.label_en,
        "description": doc.description_en,
        "title_it": doc.label_it,
        "description_it": doc.description_it,
    }
    if required:
        field["constraints"] = {"required": True}
    return field


def _relative(out_dir: Path, path: Path) -> str:
    absolute = path if path.is_absolute() else out_dir / path
    try:
        return absolute.resolve().relative_to(out_dir.resolve()).as_posix()
    except ValueError:
        raise ValueError(f"{path} is not inside the package folder {out_dir}") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _resource(out_dir: Path, dataset: PublishedDataset, csv_path: Path) -> dict[str, Any]:
    absolute = csv_path if csv_path.is_absolute() else out_dir / csv_path
    docs = columns(dataset.table)
    names = [doc.name for doc in docs]
    missing_key = [column for column in dataset.key if column not in names]
    if missing_key:
        raise ValueError(f"{dataset.slug}: key columns {missing_key} are not in its columns")
    return {
        "name": dataset.slug,
        "path": _relative(out_dir, csv_path),
        "profile": "tabular-data-resource",
        "title": dataset.title_en,
        "description": dataset.description_en,
        "title_it": dataset.title_it,
        "description_it": dataset.description_it,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": absolute.stat().st_size,
        "hash": f"sha256:{_sha256(absolute)}",
        "schema": {
            "fields": [_field(doc, doc.name in dataset.key) for doc in docs],
            "primaryKey": list(dataset.key),
            "missingValues": [""],
        },
    }


def datapackage_descriptor(
    out_dir: Path,
    datasets: Sequence[PublishedDataset],
    files: Mapping[str, Path],
    release_date: date | None = None,
    homepage: str | None = None,
) -> dict[str, Any]:
    """The ``datapackage.json`` content for the datasets' CSV files (see write_datapackage)."""
    unknown = set(files) - {d.slug for d in datasets}
    if unknown:
        raise ValueError(f"CSV files for datasets that are not published: {sorted(unknown)}")
    without = [d.slug for d in datasets if d.slug not in files]
    if without:
        raise ValueError(f"no CSV file for {without}")
    descriptor: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": "Metropolitan Strategic Plan observatory - Città metropolitana di Milano",
        "title_it": (
            "Osservatorio del Piano strategico metropolitano - Città metropolitana di Milano"
        ),
        "description": (
            "The open data with which the Città metropolitana di Milano measures its Strategic "
            "Plan of the metropolitan territory 2022-2024: indicator values by comune, zona "
            "omogenea and Città metropolitana, progress towards the targets, one table per "
            "Driver of the plan and the reference tables."
        ),
        "description_it": (
            "I dati aperti con cui la Città metropolitana di Milano misura il Piano strategico "
            "triennale del territorio metropolitano 2022-2024: valori degli indicatori per "
            "comune, zona omogenea e Città metropolitana, avanzamento verso gli obiettivi, una "
            "tabella per Driver del Piano e le tabelle di riferimento."
        ),
        "licenses": [LICENCE],
        "sources": [{"title": title} for title in SOURCES],
        "contributors": [{"title": "Città metropolitana di Milano", "role": "publisher"}],
        "keywords": ["Piano strategico metropolitano", "Città metropolitana di Milano",
                     "indicatori", "metropolitan strategic plan", "indicators"],
    }  # fmt: skip
    if release_date is not None:
        descriptor["version"] = release_date.isoformat()
        descriptor["created"] = f"{release_date.isoformat()}T00:00:00Z"
    if homepage is not None:
        descriptor["homepage"] = homepage
    descriptor["resources"] = [_resource(out_dir, d, Path(files[d.slug])) for d in datasets]
    return descriptor


def write_datapackage(
    out_dir: Path,
    datasets: Sequence[PublishedDataset],
    files: Mapping[str, Path],
    release_date: date | None = None,
    homepage: str | None = None,
) -> Path:
    """Write ``out_dir/datapackage.json`` describing each dataset's CSV file; returns its path.

    ``files`` maps each dataset's slug to its CSV, absolute or relative to ``out_dir`` and
    inside it (Frictionless refuses paths that leave the package folder). The CSVs must be
    written first: their size and SHA-256 go into the descriptor.
    """
    descriptor = datapackage_descriptor(out_dir, datasets, files, release_date, homepage)
    text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    path = out_dir / DATAPACKAGE
    temporary = out_dir / f".{DATAPACKAGE}.{uuid.uuid4().hex}.tmp"
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
