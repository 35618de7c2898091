"""The DCAT-AP_IT catalogue of a release, read back as a harvester would.

A release of all 17 published datasets with hand-made files (sizes and SHA-256 chosen here)
is catalogued; the Turtle and the JSON-LD are parsed with rdflib and checked property by
property against the mandatory properties of DCAT-AP_IT (sources.md 7.1), then validated
with pyshacl against the EU DCAT-AP shapes vendored in ``tests/fixtures/shacl``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns
from rdflib.compare import isomorphic

from exports.catalogue import DATASETS, dataset
from exports.dcat import (
    DCATAPIT,
    SPDX,
    VCARD,
    DistributionFile,
    Organisation,
    ReleaseInfo,
    build_catalogue,
    coverage_from_warehouse,
    distributions_in,
    mandatory_problems,
    write_catalogue,
)

SHAPES = Path(__file__).resolve().parents[2] / "fixtures" / "shacl"
BASE = "https://opendata.example.org/osservatorio"
EU = "http://publications.europa.eu/resource/authority/"
CC_BY = URIRef("https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40")
ATTRIBUTION = URIRef("http://purl.org/adms/licencetype/Attribution")
AGENT = URIRef(f"{BASE}/organization/cmmi")
FORMATS = {"csv": "CSV", "parquet": "PARQUET", "json": "JSON"}
MEDIA_TYPES = {
    "csv": "https://www.iana.org/assignments/media-types/text/csv",
    "parquet": "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet",
    "json": "https://www.iana.org/assignments/media-types/application/json",
}


def _file(slug: str, fmt: str, size: int) -> DistributionFile:
    return DistributionFile(
        fmt, f"data/{slug}.{fmt}", size, hashlib.sha256(f"{slug}.{fmt}".encode()).hexdigest()
    )


def _release(**changes) -> ReleaseInfo:
    values = {
        "release_date": date(2026, 11, 25),
        "release_name": "2026-11-25.2",
        "distributions": {
            d.slug: tuple(_file(d.slug, fmt, 1000 + i) for i, fmt in enumerate(FORMATS))
            for d in DATASETS
        },
        "coverage": {"fct_indicator_value": (2017, 2026), "mart_driver_08_lavoro": (2018, 2025)},
        "base_url": BASE,
        "first_issued": date(2026, 1, 15),
        "modified": {"dim_comune": date(2026, 3, 1)},
    }
    values.update(changes)
    return ReleaseInfo(**values)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_catalogue(tmp_path_factory.mktemp("catalogue"), DATASETS, _release())


@pytest.fixture(scope="module")
def graph(written: list[Path]) -> Graph:
    return Graph().parse(written[0], format="turtle")


def _dataset_uri(slug: str) -> URIRef:
    return URIRef(f"{BASE}/dataset/{slug}")


def _only(graph: Graph, subject: URIRef, predicate: URIRef):
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


def _texts(graph: Graph, subject: URIRef, predicate: URIRef) -> dict[str, str]:
    values = list(graph.objects(subject, predicate))
    assert all(isinstance(v, Literal) for v in values), (subject, predicate)
    return {v.language: str(v) for v in values}


# --- files ---------------------------------------------------------------------------------


def test_turtle_and_json_ld_are_written_and_hold_the_same_graph(written: list[Path]):
    assert [path.name for path in written] == ["catalog.ttl", "catalog.jsonld"]
    turtle = Graph().parse(written[0], format="turtle")
    jsonld = Graph().parse(written[1], format="json-ld")
    assert len(turtle) > 1000
    assert isomorphic(turtle, jsonld)
    assert [p.name for p in written[0].parent.iterdir() if p.name.startswith(".")] == []


def test_the_same_release_gives_the_same_bytes_in_any_process(tmp_path: Path, written):
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, '.');"
        "from tests.unit.exports.test_dcat import _release;"
        "from exports.catalogue import DATASETS; from exports.dcat import write_catalogue;"
        "write_catalogue(Path(sys.argv[1]), DATASETS, _release())"
    )
    for seed in ("1", "2"):
        out = tmp_path / seed
        subprocess.run(
            [sys.executable, "-c", script, str(out)],
            check=True,
            cwd=Path(__file__).resolve().parents[3],
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        for path in written:
            assert (out / path.name).read_bytes() == path.read_bytes(), (seed, path.name)


def test_a_catalogue_lacking_a_mandatory_property_is_not_written(tmp_path: Path):
    themeless = [replace(d, themes=()) if d.slug == "dim_driver" else d for d in DATASETS]
    with pytest.raises(ValueError, match="dim_driver has no dcat:theme"):
        write_catalogue(tmp_path / "out", themeless, _release())
    assert not (tmp_path / "out").exists()


# --- mandatory properties (sources.md 7.1) --------------------------------------------------


def test_catalogue_has_its_mandatory_properties(graph: Graph):
    catalogue = URIRef(f"{BASE}/catalog")
    assert (catalogue, ns.RDF.type, DCATAPIT.Catalog) in graph
    assert (catalogue, ns.RDF.type, ns.DCAT.Catalog) in graph
    assert set(_texts(graph, catalogue, ns.DCTERMS.title)) == {"it", "en"}
    assert set(_texts(graph, catalogue, ns.DCTERMS.description)) == {"it", "en"}
    assert _only(graph, catalogue, ns.DCTERMS.publisher) == AGENT
    assert _only(graph, catalogue, ns.DCTERMS.modified) == Literal(
        "2026-11-25", datatype=ns.XSD.date
    )
    assert _only(graph, catalogue, ns.DCTERMS.issued) == Literal("2026-01-15", datatype=ns.XSD.date)
    assert set(graph.objects(catalogue, ns.DCAT.dataset)) == {
        _dataset_uri(d.slug) for d in DATASETS
    }


def test_every_dataset_has_its_mandatory_properties_with_the_declared_values(graph: Graph):
    for declared in DATASETS:
        node = _dataset_uri(declared.slug)
        assert (node, ns.RDF.type, DCATAPIT.Dataset) in graph
        assert (node, ns.RDF.type, ns.DCAT.Dataset) in graph
        assert _only(graph, node, ns.DCTERMS.identifier) == Literal(f"cmmi:{declared.slug}")
        assert _texts(graph, node, ns.DCTERMS.title) == {
            "it": declared.title_it,
            "en": declared.title_en,
        }
        assert _texts(graph, node, ns.DCTERMS.description) == {
            "it": declared.description_it,
            "en": declared.description_en,
        }
        assert _only(graph, node, ns.DCTERMS.modified).datatype == ns.XSD.date
        assert set(graph.objects(node, ns.DCAT.theme)) == {
            URIRef(f"{EU}data-theme/{code}") for code in declared.themes
        }
        assert _only(graph, node, ns.DCTERMS.rightsHolder) == AGENT
        assert _only(graph, node, ns.DCTERMS.accrualPeriodicity) == URIRef(
            f"{EU}frequency/{declared.periodicity}"
        )
        assert len(list(graph.objects(node, ns.DCAT.distribution))) == 3
        # recommended
        assert _only(graph, node, ns.DCTERMS.publisher) == AGENT
        assert _only(graph, node, ns.DCAT.contactPoint) == URIRef(f"{BASE}/contact")
        keywords = set(graph.objects(node, ns.DCAT.keyword))
        assert {Literal(k, lang="it") for k in declared.keywords_it} <= keywords
        assert {Literal(k, lang="en") for k in declared.keywords_en} <= keywords


def test_every_distribution_has_its_mandatory_properties(graph: Graph):
    for declared in DATASETS:
        for i, (fmt, file_type) in enumerate(FORMATS.items()):
            node = URIRef(f"{BASE}/dataset/{declared.slug}/{fmt}")
            assert (_dataset_uri(declared.slug), ns.DCAT.distribution, node) in graph
            assert (node, ns.RDF.type, DCATAPIT.Distribution) in graph
            assert _only(graph, node, ns.DCTERMS["format"]) == URIRef(f"{EU}file-type/{file_type}")
            assert _only(graph, node, ns.DCAT.accessURL) == URIRef(
                f"{BASE}/datasets/{declared.slug}.html"
            )
            assert _only(graph, node, ns.DCTERMS.license) == CC_BY
            # recommended: the file itself, in the release's own folder
            assert _only(graph, node, ns.DCAT.downloadURL) == URIRef(
                f"{BASE}/releases/2026-11-25.2/data/{declared.slug}.{fmt}"
            )
            assert _only(graph, node, ns.DCAT.mediaType) == URIRef(MEDIA_TYPES[fmt])
            size = _only(graph, node, ns.DCAT.byteSize)
            assert size == Literal(str(1000 + i), datatype=ns.XSD.nonNegativeInteger)
            checksum = _only(graph, node, SPDX.checksum)
            assert _only(graph, checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
            expected = hashlib.sha256(f"{declared.slug}.{fmt}".encode()).hexdigest()
            assert str(_only(graph, checksum, SPDX.checksumValue)) == expected
            assert set(_texts(graph, node, ns.DCTERMS.title)) == {"it", "en"}


def test_the_licence_is_cc_by_4_0_of_the_agid_vocabulary_with_its_type(graph: Graph):
    assert (CC_BY, ns.RDF.type, DCATAPIT.LicenseDocument) in graph
    assert (CC_BY, ns.RDF.type, ns.DCTERMS.LicenseDocument) in graph
    assert _only(graph, CC_BY, ns.DCTERMS.type) == ATTRIBUTION
    assert "CC BY 4.0" in _texts(graph, CC_BY, ns.FOAF.name)["it"]


def test_publisher_and_rights_holder_are_the_citta_metropolitana_with_its_ipa_code(graph):
    assert (AGENT, ns.RDF.type, DCATAPIT.Agent) in graph
    assert (AGENT, ns.RDF.type, ns.FOAF.Agent) in graph
    assert _only(graph, AGENT, ns.DCTERMS.identifier) == Literal("cmmi")
    assert _only(graph, AGENT, ns.FOAF.name) == Literal("Città metropolitana di Milano", lang="it")


def test_the_contact_point_is_a_vcard_organisation_with_name_and_email(graph: Graph):
    contact = URIRef(f"{BASE}/contact")
    assert (contact, ns.RDF.type, VCARD.Organization) in graph
    assert (contact, ns.RDF.type, VCARD.Kind) in graph
    assert isinstance(_only(graph, contact, VCARD.fn), Literal)
    assert _only(graph, contact, VCARD.hasEmail) == URIRef(
        "mailto:opendata@cittametropolitana.mi.it"
    )


def test_themes_and_frequencies_are_uris_of_the_eu_vocabularies_with_labels(graph: Graph):
    themes = set(graph.objects(None, ns.DCAT.theme))
    assert URIRef(f"{EU}data-theme/GOVE") in themes
    for theme in themes:
        assert str(theme).startswith(f"{EU}data-theme/")
        assert (theme, ns.RDF.type, ns.SKOS.Concept) in graph
        assert set(_texts(graph, theme, ns.SKOS.prefLabel)) == {"it", "en"}
    assert _texts(graph, URIRef(f"{EU}data-theme/ENVI"), ns.SKOS.prefLabel)["it"] == "Ambiente"
    frequencies = set(graph.objects(None, ns.DCTERMS.accrualPeriodicity))
    assert frequencies == {URIRef(f"{EU}frequency/ANNUAL"), URIRef(f"{EU}frequency/IRREG")}


def test_temporal_coverage_runs_from_first_january_to_the_last_thirty_first_december(graph):
    period = _only(graph, _dataset_uri("fct_indicator_value"), ns.DCTERMS.temporal)
    assert (period, ns.RDF.type, DCATAPIT.PeriodOfTime) in graph
    assert _only(graph, period, ns.DCAT.startDate) == Literal("2017-01-01", datatype=ns.XSD.date)
    assert _only(graph, period, ns.DCAT.endDate) == Literal("2026-12-31", datatype=ns.XSD.date)
    lavoro = _only(graph, _dataset_uri("mart_driver_08_lavoro"), ns.DCTERMS.temporal)
    assert _only(graph, lavoro, ns.DCAT.startDate) == Literal("2018-01-01", datatype=ns.XSD.date)
    # A table without years has no temporal coverage.
    assert list(graph.objects(_dataset_uri("dim_comune"), ns.DCTERMS.temporal)) == []


def test_spatial_coverage_is_the_citta_metropolitana(graph: Graph):
    territory = URIRef(
        "https://w3id.org/italia/controlled-vocabulary/territorial-classifications/provinces/015"
    )
    for declared in DATASETS:
        assert _only(graph, _dataset_uri(declared.slug), ns.DCTERMS.spatial) == territory
    assert (territory, ns.RDF.type, ns.DCTERMS.Location) in graph


def test_issued_is_the_first_release_and_modified_the_last_change(graph: Graph):
    comune = _dataset_uri("dim_comune")
    assert _only(graph, comune, ns.DCTERMS.issued) == Literal("2026-01-15", datatype=ns.XSD.date)
    assert _only(graph, comune, ns.DCTERMS.modified) == Literal("2026-03-01", datatype=ns.XSD.date)
    driver = _dataset_uri("dim_driver")
    assert _only(graph, driver, ns.DCTERMS.modified) == Literal("2026-11-25", datatype=ns.XSD.date)


def test_the_base_url_and_the_organisation_are_configurable():
    comune = dataset("dim_comune")
    release = _release(
        base_url="https://data.example.it/od/",
        release_name=None,
        distributions={"dim_comune": _release().distributions["dim_comune"]},
        organisation=Organisation(ipa_code="c_x000", contact_email="dati@example.it"),
    )
    graph = build_catalogue([comune], release)
    node = URIRef("https://data.example.it/od/dataset/dim_comune")
    assert _only(graph, node, ns.DCTERMS.identifier) == Literal("c_x000:dim_comune")
    # Without a release name the folder is the release date.
    assert set(graph.objects(None, ns.DCAT.downloadURL)) == {
        URIRef(f"https://data.example.it/od/releases/2026-11-25/data/dim_comune.{fmt}")
        for fmt in FORMATS
    }
    assert (None, VCARD.hasEmail, URIRef("mailto:dati@example.it")) in graph


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"distributions": {}}, "fct_indicator_value: the release has no file for it"),
        (
            {
                "distributions": {
                    **_release().distributions,
                    "dim_comune": (DistributionFile("xlsx", "a.xlsx", 1, "00"),),
                }
            },
            "dim_comune: unknown format 'xlsx'",
        ),
        ({"coverage": {"fct_indicator_value": (2026, 2017)}}, "runs backwards"),
    ],
)
def test_a_release_that_cannot_be_described_is_refused(changes, message):
    release = _release(**changes)
    with pytest.raises(ValueError, match=message):
        build_catalogue(DATASETS, release)


def test_files_of_an_undeclared_dataset_are_refused():
    release = _release()
    with pytest.raises(ValueError, match="not catalogued"):
        build_catalogue([dataset("dim_comune")], release)


def test_mandatory_problems_names_each_missing_property(graph: Graph):
    assert mandatory_problems(graph) == []
    damaged = Graph()
    for triple in graph:
        damaged.add(triple)
    driver = _dataset_uri("dim_driver")
    damaged.remove((driver, ns.DCTERMS.rightsHolder, None))
    damaged.remove((AGENT, ns.DCTERMS.identifier, None))
    csv_node = URIRef(f"{BASE}/dataset/dim_driver/csv")
    damaged.remove((csv_node, ns.DCTERMS.license, None))
    assert mandatory_problems(damaged) == [
        f"dcat:Dataset {driver} has no dct:rightsHolder",
        f"dcat:Distribution {csv_node} has no dct:license",
        f"agent {AGENT} has no dct:identifier",
    ]


# --- EU SHACL shapes --------------------------------------------------------------------------


def _shapes(*names: str) -> Graph:
    shapes = Graph()
    for name in names:
        shapes.parse(SHAPES / name, format="turtle")
    # The 2.1.1 range file's PeriodOfTime shape has an empty `sh:property [ ]`, which pyshacl
    # rejects as malformed; it constrains nothing, so it is dropped here (the file is as issued).
    for shape, prop in list(shapes.subject_objects(ns.SH.property)):
        if not list(shapes.predicate_objects(prop)):
            shapes.remove((shape, ns.SH.property, prop))
    return shapes


def _violations(data: Graph, shapes: Graph) -> Counter:
    conforms, report, _ = validate(data, shacl_graph=shapes, inference="none")
    found = Counter()
    for result in report.subjects(ns.RDF.type, ns.SH.ValidationResult):
        component = str(report.value(result, ns.SH.sourceConstraintComponent)).rsplit("#", 1)[1]
        path = report.value(result, ns.SH.resultPath)
        found[(component, data.qname(path) if path is not None else None)] += 1
    assert conforms == (not found)
    return found


DCAT_AP_3 = ("dcat-ap_3.0.1_shacl_constraints.ttl",)
DCAT_AP_2 = ("dcat-ap_2.1.1_shacl_shapes.ttl", "dcat-ap_2.1.1_shacl_range.ttl")


def test_the_catalogue_conforms_to_dcat_ap_3(graph: Graph):
    assert _violations(graph, _shapes(*DCAT_AP_3)) == Counter()


def test_against_dcat_ap_2_only_the_rules_that_3_changed_are_violated(graph: Graph):
    # 17 datasets x 3 distributions: byteSize must be xsd:decimal and checksums SHA-1 in 2.1.1.
    assert _violations(graph, _shapes(*DCAT_AP_2)) == Counter(
        {
            ("DatatypeConstraintComponent", "dcat:byteSize"): 51,
            ("HasValueConstraintComponent", "spdx:algorithm"): 51,
        }
    )


def test_the_dcat_ap_3_shapes_catch_a_missing_access_url_and_an_untyped_theme(graph: Graph):
    damaged = Graph()
    for triple in graph:
        damaged.add(triple)
    damaged.remove((URIRef(f"{BASE}/dataset/dim_driver/csv"), ns.DCAT.accessURL, None))
    damaged.remove((URIRef(f"{EU}data-theme/HEAL"), ns.RDF.type, ns.SKOS.Concept))
    assert _violations(damaged, _shapes(*DCAT_AP_3)) == Counter(
        {
            ("MinCountConstraintComponent", "dcat:accessURL"): 1,
            # HEAL is the theme of one dataset only, mart_driver_10_salute.
            ("ClassConstraintComponent", "dcat:theme"): 1,
        }
    )


# --- inputs from a release and a warehouse ------------------------------------------------------


def test_distributions_are_read_from_the_release_folder(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dim_comune.csv").write_bytes(b"comune_code\n015146\n")
    (tmp_path / "data" / "dim_comune.json").write_bytes(b"[]\n")
    found = distributions_in(tmp_path, [dataset("dim_comune"), dataset("dim_driver")])
    csv_digest = hashlib.sha256(b"comune_code\n015146\n").hexdigest()
    json_digest = hashlib.sha256(b"[]\n").hexdigest()
    # 19 and 3 bytes; dim_driver has no file in the folder and is left out.
    assert found == {
        "dim_comune": (
            DistributionFile("csv", "data/dim_comune.csv", 19, csv_digest),
            DistributionFile("json", "data/dim_comune.json", 3, json_digest),
        )
    }


def test_coverage_is_the_first_and_last_year_of_each_table(tmp_path: Path):
    path = tmp_path / "published.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts").fetchall()
    con.execute(
        "create table marts.fct_indicator_value as "
        "select * from (values (2019), (2024), (2021)) as t(year)"
    ).fetchall()
    con.execute(
        "create table marts.fct_target_progress as select * from (values "
        "(2022, 2024), (2018, null), (2020, 2025)) as t(reference_year, latest_year)"
    ).fetchall()
    con.execute("create table marts.dim_comune (comune_code varchar)").fetchall()
    con.execute("create table marts.mart_driver_08_lavoro (territory_code varchar, year integer)")
    con.close()
    datasets = [dataset(slug) for slug in
                ("fct_indicator_value", "fct_target_progress", "dim_comune",
                 "mart_driver_08_lavoro")]  # fmt: skip
    # years 2019..2024; references from 2018, latest up to 2025; no years; an empty table.
    assert coverage_from_warehouse(path, datasets) == {
        "fct_indicator_value": (2019, 2024),
        "fct_target_progress": (2018, 2025),
    }
