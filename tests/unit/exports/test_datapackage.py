"""The Frictionless data package of a release, checked with Frictionless itself.

Three published tables with their real shapes (the column dictionary's columns, in order) and
a few hand-written rows each stand in for a release's CSV files; ``frictionless.validate``
must accept the package, and reject it when a file breaks its table schema.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import frictionless
import pytest

from exports.catalogue import dataset
from exports.datapackage import (
    DATAPACKAGE,
    datapackage_descriptor,
    table_schema_type,
    write_datapackage,
)

ZONE = (
    "zona_code,zona_name,comuni_count,sort_order\n"
    "adda_martesana,Adda Martesana,29,1\n"
    "alto_milanese,Alto Milanese,22,2\n"
    "milano,Milano,1,8\n"
)
MISSIONS = (
    "mission_id,mission_number,name_it,name_en,driver_ids,drivers_count\n"
    'M1,1,"Digitalizzazione, innovazione, competitività, cultura e turismo",'
    '"Digitalisation, innovation, competitiveness, culture and tourism","D01, D06",2\n'
    "M6,6,Salute,Health,D10,1\n"
)
LAVORO = (
    "territory_code,year,d08_01_employment_rate_20_64_pct,d08_02a_unemployment_rate_15_74_pct,"
    "d08_02b_youth_unemployment_rate_15_24_pct,d08_03a_contracts_activated,"
    "d08_03b_contracts_ceased,d08_03c_contracts_net_balance,d08_04_open_ended_share_pct,"
    "d08_05a_people_taken_in_charge,d08_05b_gol_beneficiaries\n"
    "215,2023,74.6,4.9,14.2,1023456.0,998765.0,24691.0,17.3,,\n"
    "215,2024,75.1,4.6,,1010000.0,990000.0,20000.0,17.9,41234.0,18765.0\n"
)
TABLES = {"dim_zona_omogenea": ZONE, "dim_pnrr_mission": MISSIONS, "mart_driver_08_lavoro": LAVORO}
DATASETS = [dataset(slug) for slug in TABLES]


def _package(root: Path, tables: dict[str, str] = TABLES) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    files = {}
    for slug, text in tables.items():
        path = root / "data" / f"{slug}.csv"
        path.write_text(text, encoding="utf-8")
        files[slug] = path
    return write_datapackage(root, DATASETS, files, release_date=date(2026, 11, 25))


def _errors(path: Path) -> list[tuple[str, str]]:
    report = frictionless.validate(str(path))
    errors = [(task.name, error.type) for task in report.tasks for error in task.errors]
    assert report.valid == (not errors and not report.errors), report.flatten(["type", "note"])
    return errors


def test_the_package_of_well_formed_files_is_valid(tmp_path: Path):
    path = _package(tmp_path)
    assert path == tmp_path / DATAPACKAGE
    report = frictionless.validate(str(path))
    assert report.valid, report.flatten(["type", "note"])
    assert [task.name for task in report.tasks] == list(TABLES)
    assert [task.stats["rows"] for task in report.tasks] == [3, 2, 2]


def test_each_resource_is_described_from_the_catalogue_and_the_column_dictionary(tmp_path):
    descriptor = json.loads(_package(tmp_path).read_text(encoding="utf-8"))
    assert descriptor["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Attribution 4.0 International",
        }
    ]
    assert descriptor["created"] == "2026-11-25T00:00:00Z"
    assert {"title": "ISTAT - Istituto nazionale di statistica"} in descriptor["sources"]
    zone = descriptor["resources"][0]
    assert zone["name"] == "dim_zona_omogenea"
    assert zone["path"] == "data/dim_zona_omogenea.csv"
    assert zone["title"] == dataset("dim_zona_omogenea").title_en
    assert zone["title_it"] == "Zone omogenee della Città metropolitana di Milano"
    assert zone["bytes"] == len(ZONE.encode("utf-8"))
    assert zone["hash"] == "sha256:" + hashlib.sha256(ZONE.encode("utf-8")).hexdigest()
    fields = zone["schema"]["fields"]
    assert [(f["name"], f["type"]) for f in fields] == [
        ("zona_code", "string"),
        ("zona_name", "string"),
        ("comuni_count", "integer"),
        ("sort_order", "integer"),
    ]
    assert fields[0]["constraints"] == {"required": True}  # the key
    assert "constraints" not in fields[1]
    assert fields[2]["title"] == "Number of comuni"
    assert fields[2]["title_it"] == "Numero di comuni"
    assert fields[2]["description_it"] == "Numero di comuni del territorio."
    assert zone["schema"]["primaryKey"] == ["zona_code"]
    lavoro = descriptor["resources"][2]["schema"]
    assert lavoro["primaryKey"] == ["year"]
    assert lavoro["fields"][2]["name"] == "d08_01_employment_rate_20_64_pct"
    assert lavoro["fields"][2]["type"] == "number"
    assert lavoro["fields"][2]["title"] == "D08_01 Employment rate, aged 20-64"


def test_a_wrong_type_in_a_column_makes_the_package_invalid(tmp_path: Path):
    broken = ZONE.replace(
        "alto_milanese,Alto Milanese,22,2", "alto_milanese,Alto Milanese,ventidue,2"
    )
    path = _package(tmp_path, {**TABLES, "dim_zona_omogenea": broken})
    assert _errors(path) == [("dim_zona_omogenea", "type-error")]


def test_a_repeated_key_makes_the_package_invalid(tmp_path: Path):
    broken = LAVORO + "215,2024,75.0,4.6,,1.0,1.0,0.0,17.9,,\n"
    path = _package(tmp_path, {**TABLES, "mart_driver_08_lavoro": broken})
    assert _errors(path) == [("mart_driver_08_lavoro", "primary-key")]


def test_a_missing_key_value_makes_the_package_invalid(tmp_path: Path):
    broken = MISSIONS.replace("M6,6,", ",6,")
    path = _package(tmp_path, {**TABLES, "dim_pnrr_mission": broken})
    assert ("dim_pnrr_mission", "constraint-error") in _errors(path)


def test_a_file_whose_header_drifts_from_the_dictionary_is_invalid(tmp_path: Path):
    broken = ZONE.replace("comuni_count", "n_comuni")
    path = _package(tmp_path, {**TABLES, "dim_zona_omogenea": broken})
    assert _errors(path) == [("dim_zona_omogenea", "incorrect-label")]


def test_a_file_changed_after_the_package_was_written_is_invalid(tmp_path: Path):
    path = _package(tmp_path)
    csv = tmp_path / "data" / "dim_zona_omogenea.csv"
    csv.write_text(ZONE.replace("Milano,1,8", "Milano,1,9"), encoding="utf-8")
    assert _errors(path) == [("dim_zona_omogenea", "hash-count")]


def test_the_same_files_give_the_same_descriptor_bytes(tmp_path: Path):
    first = _package(tmp_path / "a").read_bytes()
    second = _package(tmp_path / "b").read_bytes()
    assert first == second
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]


def test_every_dataset_needs_exactly_its_csv_inside_the_package_folder(tmp_path: Path):
    (tmp_path / "data").mkdir()
    files = {slug: tmp_path / "data" / f"{slug}.csv" for slug in TABLES}
    for slug, path in files.items():
        path.write_text(TABLES[slug], encoding="utf-8")
    with pytest.raises(ValueError, match=r"no CSV file for \['mart_driver_08_lavoro'\]"):
        datapackage_descriptor(tmp_path, DATASETS, {k: files[k] for k in list(TABLES)[:2]})
    with pytest.raises(ValueError, match="not published"):
        datapackage_descriptor(
            tmp_path, DATASETS, {**files, "fct_unknown": files["dim_pnrr_mission"]}
        )
    outside = tmp_path.parent / "elsewhere.csv"
    outside.write_text(ZONE, encoding="utf-8")
    with pytest.raises(ValueError, match="is not inside the package folder"):
        datapackage_descriptor(tmp_path, DATASETS, {**files, "dim_zona_omogenea": outside})


@pytest.mark.parametrize(
    ("duckdb_type", "expected"),
    [
        ("VARCHAR", "string"),
        ("INTEGER", "integer"),
        ("BIGINT", "integer"),
        ("DOUBLE", "number"),
        ("DECIMAL(18,3)", "number"),
        ("BOOLEAN", "boolean"),
        ("DATE", "date"),
        ("TIMESTAMP WITH TIME ZONE", "datetime"),
    ],
)
def test_duckdb_types_map_to_table_schema_types(duckdb_type: str, expected: str):
    assert table_schema_type(duckdb_type) == expected


def test_a_nested_duckdb_type_has_no_table_schema_type():
    with pytest.raises(ValueError, match="STRUCT"):
        table_schema_type("STRUCT(a INTEGER)")
