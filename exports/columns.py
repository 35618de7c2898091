"""The column dictionary of the published tables, in Italian and English.

Every published file, the data package, the DuckDB bundle and the portal describe their
columns from here, so a reader of any of them gets the same words. ``columns.csv`` beside this
module lists every column of every published table in warehouse order with its DuckDB type;
the indicator columns of the Driver marts (``d05_01_...``) leave their text empty there and
take it from the indicator catalogue (``dbt_project/seeds/indicator_catalogue.csv``), so an
indicator's name is written once.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from osservatorio.settings import DBT_PROJECT_DIR

COLUMNS_CSV = Path(__file__).with_name("columns.csv")
INDICATOR_CATALOGUE_CSV = DBT_PROJECT_DIR / "seeds" / "indicator_catalogue.csv"

# A Driver mart's indicator column: d<driver>_<nn>[letter]_<slug> (e.g. d08_02a_...).
INDICATOR_COLUMN = re.compile(r"^d(?P<driver>\d{2})_(?P<number>\d{2}[a-z]?)_[a-z0-9_]+$")

# The units of the indicator catalogue (a closed list, tested in dbt) in Italian.
UNITS_IT = {
    "count": "numero",
    "%": "%",
    "per 100": "per 100",
    "per 1,000 residents": "per 1.000 abitanti",
    "per 1,000 residents aged 14+": "per 1.000 abitanti di 14 anni e più",
    "per 10,000 residents": "per 10.000 abitanti",
    "per 50,000 residents": "per 50.000 abitanti",
    "per 100,000 residents": "per 100.000 abitanti",
    "kg per resident": "kg per abitante",
    "kW per 1,000 residents": "kW per 1.000 abitanti",
    "kWh/m² year": "kWh/m² anno",
    "µg/m³": "µg/m³",
    "days": "giorni",
    "ha": "ettari",
    "ha per year": "ettari per anno",
    "beds": "posti letto",
}


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    duckdb_type: str  # as information_schema.columns.data_type reports it, e.g. "VARCHAR"
    label_it: str
    label_en: str
    description_it: str
    description_en: str
    indicator_id: str | None = None  # set for a Driver mart's indicator column


@dataclass(frozen=True)
class _Indicator:
    name_it: str
    name_en: str
    unit: str


@cache
def _dictionary(path: Path) -> dict[str, list[dict[str, str]]]:
    tables: dict[str, list[dict[str, str]]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            tables.setdefault(row["table"], []).append(row)
    return tables


@cache
def _indicators(path: Path) -> dict[str, _Indicator]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["indicator_id"]: _Indicator(row["name_it"], row["name_en"], row["unit"])
            for row in csv.DictReader(handle)
        }


def indicator_id_of(column: str) -> str | None:
    """``d08_02a_unemployment_rate_15_74_pct`` -> ``D08_02a``; None for other columns."""
    match = INDICATOR_COLUMN.match(column)
    if match is None:
        return None
    return f"D{match['driver']}_{match['number']}"


def _indicator_doc(
    row: dict[str, str], indicator: _Indicator, indicator_id: str, metropolitan: bool
) -> ColumnDoc:
    unit_it = UNITS_IT.get(indicator.unit)
    if unit_it is None:
        raise ValueError(f"{indicator_id}: unit {indicator.unit!r} has no Italian name")
    where_it = "per la Città metropolitana" if metropolitan else "per il comune"
    where_en = "for the Città metropolitana" if metropolitan else "for the comune"
    return ColumnDoc(
        name=row["column"],
        duckdb_type=row["duckdb_type"],
        label_it=f"{indicator_id} {indicator.name_it}",
        label_en=f"{indicator_id} {indicator.name_en}",
        description_it=(
            f"Valore dell'indicatore {indicator_id} «{indicator.name_it}» {where_it} e "
            f"l'anno (unità di misura: {unit_it}); vuoto negli anni che l'indicatore non copre. "
            "Definizione, formula, fonte e obiettivo in dim_indicator."
        ),
        description_en=(
            f"Value of indicator {indicator_id} “{indicator.name_en}” {where_en} and the "
            f"year (unit: {indicator.unit}); empty in the years the indicator does not cover. "
            "Definition, formula, source and target in dim_indicator."
        ),
        indicator_id=indicator_id,
    )


def columns(
    table: str,
    dictionary: Path = COLUMNS_CSV,
    indicator_catalogue: Path = INDICATOR_CATALOGUE_CSV,
) -> list[ColumnDoc]:
    """The documented columns of a published table (``marts.<name>``), in warehouse order."""
    rows = _dictionary(dictionary).get(table)
    if rows is None:
        raise KeyError(f"{table!r} is not in the column dictionary {dictionary}")
    metropolitan = not any(row["column"] == "comune_code" for row in rows)
    docs = []
    for row in rows:
        if row["label_it"]:
            docs.append(
                ColumnDoc(
                    name=row["column"],
                    duckdb_type=row["duckdb_type"],
                    label_it=row["label_it"],
                    label_en=row["label_en"],
                    description_it=row["description_it"],
                    description_en=row["description_en"],
                )
            )
            continue
        indicator_id = indicator_id_of(row["column"])
        indicators = _indicators(indicator_catalogue)
        if indicator_id is None or indicator_id not in indicators:
            raise ValueError(
                f"{table}.{row['column']} has no text in {dictionary.name} and is not the "
                "column of an indicator of the catalogue"
            )
        docs.append(_indicator_doc(row, indicators[indicator_id], indicator_id, metropolitan))
    return docs


def documented_tables(dictionary: Path = COLUMNS_CSV) -> list[str]:
    """The tables the dictionary documents, sorted."""
    return sorted(_dictionary(dictionary))
