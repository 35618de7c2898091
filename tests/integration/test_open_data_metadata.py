"""The open-data metadata against the real published warehouse built from the snapshot.

The column dictionary must list every column of every published table with the warehouse's
own type; the data package of the real tables must pass Frictionless (types, required keys,
unique primary keys on the real rows); the catalogue with the real years must pass the
DCAT-AP 3.0.1 shapes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import frictionless
import polars as pl
import pytest
from pyshacl import validate
from rdflib import Graph

from exports.catalogue import DATASETS
from exports.columns import columns
from exports.datapackage import write_datapackage
from exports.dcat import (
    DistributionFile,
    ReleaseInfo,
    build_catalogue,
    coverage_from_warehouse,
    mandatory_problems,
)

pytestmark = pytest.mark.integration

SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "shacl"


def test_every_published_column_is_in_the_dictionary_with_its_type(published_warehouse: Path):
    con = duckdb.connect(str(published_warehouse), read_only=True)
    try:
        for declared in DATASETS:
            schema, table = declared.table.split(".")
            actual = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            assert actual, declared.table
            assert [(d.name, d.duckdb_type) for d in columns(declared.table)] == actual
    finally:
        con.close()


def test_the_real_tables_make_a_valid_data_package(published_warehouse: Path, tmp_path: Path):
    con = duckdb.connect(str(published_warehouse), read_only=True)
    files = {}
    try:
        for declared in DATASETS:
            arrow = con.sql(f"select * from {declared.table}").to_arrow_table()
            frame = pl.from_arrow(arrow).sort(list(declared.key))
            path = tmp_path / "data" / f"{declared.slug}.csv"
            path.parent.mkdir(exist_ok=True)
            frame.write_csv(path, null_value="")
            files[declared.slug] = path
    finally:
        con.close()
    report = frictionless.validate(str(write_datapackage(tmp_path, DATASETS, files)))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "type", "note"])[:20]


def test_the_catalogue_of_the_real_years_conforms_to_dcat_ap_3(published_warehouse: Path):
    coverage = coverage_from_warehouse(published_warehouse, DATASETS)
    first, last = coverage["fct_indicator_value"]
    assert 2015 <= first <= last <= date.today().year + 1
    release = ReleaseInfo(
        release_date=date(2026, 11, 25),
        distributions={
            d.slug: (DistributionFile("csv", f"data/{d.slug}.csv", 1, "00" * 32),) for d in DATASETS
        },
        coverage=coverage,
    )
    graph = build_catalogue(DATASETS, release)
    assert mandatory_problems(graph) == []
    shapes = Graph().parse(SHAPES / "dcat-ap_3.0.1_shacl_constraints.ttl")
    conforms, _, text = validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text
