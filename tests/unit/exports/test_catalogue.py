"""The declaration of the published datasets and their column dictionary.

What the open data promises (issue 8): every driver mart, the two facts and the five
dimensions, each described in Italian and English with EU themes, a frequency and the key the
changelog compares rows on; every column of every published table labelled and described in
both languages. The expected keys below are the unique tests of the dbt models, copied by
hand; the expected columns are the dbt YAML declarations (the driver marts' contracts).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from exports.catalogue import DATASETS, dataset
from exports.columns import UNITS_IT, ColumnDoc, columns, documented_tables, indicator_id_of
from osservatorio.settings import DBT_PROJECT_DIR

SEEDS = DBT_PROJECT_DIR / "seeds"
MARTS_YAML = (
    DBT_PROJECT_DIR / "models" / "marts" / "_marts__models.yml",
    DBT_PROJECT_DIR / "models" / "marts" / "drivers" / "_drivers__models.yml",
)
EU_THEMES = {"AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI",
             "SOCI", "TECH", "TRAN"}  # fmt: skip

# The tables issue 8 publishes.
PUBLISHED_TABLES = {
    "marts.fct_indicator_value",
    "marts.fct_target_progress",
    "marts.dim_comune",
    "marts.dim_zona_omogenea",
    "marts.dim_driver",
    "marts.dim_pnrr_mission",
    "marts.dim_indicator",
    "marts.mart_driver_01_campus_smart",
    "marts.mart_driver_02_verde_blu",
    "marts.mart_driver_03_sustain_ability",
    "marts.mart_driver_04_metabolismo_circolare",
    "marts.mart_driver_05_mobilita",
    "marts.mart_driver_06_produzione_logistica",
    "marts.mart_driver_07_scuole",
    "marts.mart_driver_08_lavoro",
    "marts.mart_driver_09_housing",
    "marts.mart_driver_10_salute",
}

# The row identity of each table, as its dbt model's unique tests state it.
EXPECTED_KEYS = {
    "fct_indicator_value": ("indicator_id", "territory_level", "territory_code", "year"),
    "fct_target_progress": ("indicator_id",),
    "dim_comune": ("comune_code",),
    "dim_zona_omogenea": ("zona_code",),
    "dim_driver": ("driver_id",),
    "dim_pnrr_mission": ("mission_id",),
    "dim_indicator": ("indicator_id",),
    "mart_driver_08_lavoro": ("year",),  # one row per year for the Città metropolitana
    **{
        f"mart_driver_{n}": ("comune_code", "year")
        for n in (
            "01_campus_smart",
            "02_verde_blu",
            "03_sustain_ability",
            "04_metabolismo_circolare",
            "05_mobilita",
            "06_produzione_logistica",
            "07_scuole",
            "09_housing",
            "10_salute",
        )
    },
}


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _dbt_models() -> dict[str, dict]:
    models = {}
    for path in MARTS_YAML:
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            models[f"marts.{model['name']}"] = model
    return models


# --- the datasets -----------------------------------------------------------------------------


def test_every_published_table_is_declared_once_under_its_own_name():
    tables = [d.table for d in DATASETS]
    assert sorted(tables) == sorted(PUBLISHED_TABLES)
    assert len({d.slug for d in DATASETS}) == len(DATASETS) == 17
    for declared in DATASETS:
        assert declared.table == f"marts.{declared.slug}"


def test_keys_are_the_unique_tests_of_the_dbt_models():
    assert {d.slug: d.key for d in DATASETS} == EXPECTED_KEYS
    models = _dbt_models()
    for declared in DATASETS:
        model = models[declared.table]
        unique_sets = [
            tuple(test["unique_combination"]["arguments"]["combination_of_columns"])
            for test in model.get("data_tests", [])
            if isinstance(test, dict) and "unique_combination" in test
        ] + [
            (column["name"],)
            for column in model["columns"]
            if "unique" in column.get("data_tests", [])
        ]
        assert declared.key in unique_sets, (declared.slug, unique_sets)


def test_titles_descriptions_and_keywords_are_written_in_italian_and_in_english():
    for declared in DATASETS:
        for text in (declared.title_it, declared.title_en):
            assert 10 <= len(text) <= 120, (declared.slug, text)
        assert declared.title_it != declared.title_en
        assert len(declared.description_it) >= 150, declared.slug
        assert len(declared.description_en) >= 150, declared.slug
        assert declared.description_it != declared.description_en
        assert declared.keywords_it and declared.keywords_en, declared.slug
        assert len(set(declared.keywords_it)) == len(declared.keywords_it)
        assert len(set(declared.keywords_en)) == len(declared.keywords_en)


def test_themes_and_frequencies_are_codes_of_the_eu_vocabularies():
    for declared in DATASETS:
        assert declared.themes, declared.slug
        assert set(declared.themes) <= EU_THEMES, declared.slug
        assert declared.periodicity in {"ANNUAL", "IRREG"}, declared.slug
    # The indicator facts are about government and territory; a few themes as the plan reads.
    assert dataset("fct_indicator_value").themes == ("GOVE", "REGI")
    assert dataset("mart_driver_04_metabolismo_circolare").themes == ("ENVI",)
    assert dataset("mart_driver_10_salute").themes == ("HEAL", "SOCI")
    assert dataset("mart_driver_05_mobilita").themes == ("TRAN",)


def test_each_driver_mart_belongs_to_its_driver_and_quotes_the_plan():
    drivers = {row["driver_id"]: row for row in _seed("driver.csv")}
    marts = [d for d in DATASETS if d.driver_id is not None]
    assert sorted(d.driver_id for d in marts) == sorted(drivers)
    for mart in marts:
        driver = drivers[mart.driver_id]
        assert mart.slug == driver["mart_name"]
        assert f"Driver {driver['number']} {driver['title_it']}" in mart.title_it
        assert f"Driver {driver['number']} {driver['title_en']}" in mart.title_en
        # The plan's own lead sentence, verbatim, and its translation.
        assert driver["description_it"] in mart.description_it
        assert driver["description_en"] in mart.description_en


def test_driver_marts_name_the_pnrr_missions_of_their_driver():
    missions: dict[str, list[str]] = {}
    for row in _seed("driver_mission.csv"):
        missions.setdefault(row["driver_id"], []).append(row["mission_id"])
    for mart in (d for d in DATASETS if d.driver_id is not None):
        expected = ", ".join(sorted(missions[mart.driver_id]))
        assert f"missioni PNRR {expected}:" in mart.description_it
        assert f"PNRR missions {expected}:" in mart.description_en


def test_driver_marts_list_each_of_their_indicator_columns_by_id():
    for mart in (d for d in DATASETS if d.driver_id is not None):
        ids = [doc.indicator_id for doc in columns(mart.table) if doc.indicator_id]
        assert ids, mart.slug
        for indicator_id in ids:
            assert f"({indicator_id})" in mart.description_it, (mart.slug, indicator_id)
            assert f"({indicator_id})" in mart.description_en, (mart.slug, indicator_id)


def test_only_driver_marts_have_a_driver():
    others = [d.slug for d in DATASETS if d.driver_id is None]
    assert sorted(others) == sorted(
        ["fct_indicator_value", "fct_target_progress", "dim_comune", "dim_zona_omogenea",
         "dim_driver", "dim_pnrr_mission", "dim_indicator"]
    )  # fmt: skip


def test_a_dataset_is_found_by_slug_and_an_unknown_slug_is_named_in_the_error():
    assert dataset("dim_comune").table == "marts.dim_comune"
    with pytest.raises(KeyError, match="dim_comuni"):
        dataset("dim_comuni")


# --- the column dictionary ---------------------------------------------------------------------


def test_the_dictionary_documents_exactly_the_published_tables():
    assert set(documented_tables()) == PUBLISHED_TABLES


def test_dictionary_columns_are_the_dbt_declared_columns_in_order_with_their_types():
    models = _dbt_models()
    for table in sorted(PUBLISHED_TABLES):
        declared = [(c["name"], c["data_type"].upper()) for c in models[table]["columns"]]
        documented = [(doc.name, doc.duckdb_type) for doc in columns(table)]
        assert documented == declared, table


def test_every_column_of_every_published_table_is_documented_in_both_languages():
    count = 0
    for table in sorted(PUBLISHED_TABLES):
        for doc in columns(table):
            count += 1
            for text in (doc.label_it, doc.label_en, doc.description_it, doc.description_en):
                assert text.strip(), (table, doc.name)
            assert doc.description_it != doc.description_en, (table, doc.name)
    # 8 + 4 + 12 + 6 + 18 columns of the dimensions, 9 + 17 of the facts, 74 of the marts.
    assert count == 148


def test_an_indicator_column_is_described_from_the_indicator_catalogue():
    docs = {doc.name: doc for doc in columns("marts.mart_driver_10_salute")}
    assert docs["d10_01_community_house_hubs_per_50k"] == ColumnDoc(
        name="d10_01_community_house_hubs_per_50k",
        duckdb_type="DOUBLE",
        label_it="D10_01 Case della Comunità hub attive per 50.000 abitanti",
        label_en="D10_01 Operating Community House hubs per 50,000 residents",
        description_it=(
            "Valore dell'indicatore D10_01 «Case della Comunità hub attive per 50.000 "
            "abitanti» per il comune e l'anno (unità di misura: per 50.000 abitanti); vuoto "
            "negli anni che l'indicatore non copre. Definizione, formula, fonte e obiettivo in "
            "dim_indicator."
        ),
        description_en=(
            "Value of indicator D10_01 “Operating Community House hubs per 50,000 residents” "
            "for the comune and the year (unit: per 50,000 residents); empty in the years the "
            "indicator does not cover. Definition, formula, source and target in dim_indicator."
        ),
        indicator_id="D10_01",
    )
    # Columns that are not indicators keep the dictionary's own text.
    assert docs["comune_code"].indicator_id is None
    assert docs["comune_code"].label_en == "ISTAT code of the comune"


def test_the_metropolitan_mart_says_its_values_are_for_the_citta_metropolitana():
    docs = {doc.name: doc for doc in columns("marts.mart_driver_08_lavoro")}
    unemployment = docs["d08_02a_unemployment_rate_15_74_pct"]
    assert unemployment.indicator_id == "D08_02a"
    assert unemployment.label_it == "D08_02a Tasso di disoccupazione 15-74 anni"
    assert "per la Città metropolitana e l'anno (unità di misura: %)" in unemployment.description_it
    assert "for the Città metropolitana and the year (unit: %)" in unemployment.description_en


def test_every_indicator_column_of_a_mart_measures_the_marts_driver():
    for mart in (d for d in DATASETS if d.driver_id is not None):
        for doc in columns(mart.table):
            if doc.indicator_id is not None:
                assert doc.indicator_id.startswith(mart.driver_id + "_"), (mart.slug, doc.name)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("d08_02a_unemployment_rate_15_74_pct", "D08_02a"),
        ("d05_01_road_accidents_per_10000_residents", "D05_01"),
        ("comune_code", None),
        ("d5_01_short_driver", None),
    ],
)
def test_indicator_id_of_a_column_name(column: str, expected: str | None):
    assert indicator_id_of(column) == expected


def test_every_unit_of_the_indicator_catalogue_has_an_italian_name():
    units = {row["unit"] for row in _seed("indicator_catalogue.csv")}
    assert units <= set(UNITS_IT)


def _dictionary(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "columns.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["table", "column", "duckdb_type", "label_it", "label_en",
                         "description_it", "description_en"])  # fmt: skip
        writer.writerows(rows)
    return path


def test_a_column_without_text_that_is_not_an_indicator_is_refused(tmp_path: Path):
    dictionary = _dictionary(tmp_path, [["marts.t", "comune_code", "VARCHAR", "", "", "", ""]])
    with pytest.raises(ValueError, match=r"marts\.t\.comune_code has no text"):
        columns("marts.t", dictionary=dictionary)


def test_an_indicator_unit_without_an_italian_name_is_refused(tmp_path: Path):
    dictionary = _dictionary(tmp_path, [["marts.t", "d99_01_made_up", "DOUBLE", "", "", "", ""]])
    catalogue = tmp_path / "indicators.csv"
    catalogue.write_text(
        "indicator_id,name_it,name_en,unit\nD99_01,Prova,Test,furlongs\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="D99_01: unit 'furlongs' has no Italian name"):
        columns("marts.t", dictionary=dictionary, indicator_catalogue=catalogue)


def test_an_undocumented_table_is_refused():
    with pytest.raises(KeyError, match=r"marts\.fct_unknown"):
        columns("marts.fct_unknown")
