"""The DCAT-AP_IT catalogue of a release, in Turtle and JSON-LD.

dati.gov.it harvests a PA's catalogue as RDF (DCAT-AP_IT); the EU portal reads DCAT-AP. The
catalogue is built from ``DATASETS`` and a ``ReleaseInfo`` (what the release wrote: dates,
files, sizes, checksums, the years the data cover), so it always describes the files that are
really there. It carries every property sources.md 7.1 marks mandatory, and passes the EU
DCAT-AP 3.0.1 SHACL shapes; against DCAT-AP 2.1.1 it differs only where 3.0 changed the rule
(``dcat:byteSize`` is ``xsd:nonNegativeInteger``, 2.1.1 wanted ``xsd:decimal``; the checksum is
SHA-256, 2.1.1 allowed only SHA-1).

External resources the catalogue points to (themes, frequencies, file types, media types,
languages, the licence, the territory) are typed and labelled in the catalogue itself, so the
graph validates on its own, without downloading the EU and AgID vocabularies.

Facts not confirmed from this project's machines (they have no internet):
- [A] ``DEFAULT_BASE_URL``: no portal of the Città metropolitana exists at that address yet
  (sources.md 8.1); pass the real one as ``ReleaseInfo.base_url``.
- [P] IPA code ``cmmi``: seen in public code as the IPA code of "Citta' Metropolitana di
  Milano", following the ``cm<xx>`` pattern of the other metropolitan cities (``cmto``
  Torino, ``cmbo`` Bologna); not checked on indicepa.gov.it.
- [A] the contact e-mail: replace with the office that answers for the open data.
- [P] spatial coverage: the AgID controlled vocabulary of provinces, ISTAT code ``015``
  (Milano, whose territory the Città metropolitana took over); the URI pattern is seen in
  public code, this exact resource was not fetched.
- [P] ``application/vnd.apache.parquet``: the IANA media type registered for Parquet in 2024.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, SKOS, XSD

from exports.catalogue import PublishedDataset
from warehouse.duck import connect_read

DEFAULT_BASE_URL = "https://dati.cittametropolitana.mi.it/osservatorio"  # [A]

CATALOGUE_TURTLE = "catalog.ttl"
CATALOGUE_JSONLD = "catalog.jsonld"

DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SCHEMA = Namespace("http://schema.org/")

EU = "http://publications.europa.eu/resource/authority/"
THEME = Namespace(EU + "data-theme/")
FREQUENCY = Namespace(EU + "frequency/")
FILE_TYPE = Namespace(EU + "file-type/")
LANGUAGE = Namespace(EU + "language/")
THEME_SCHEME = URIRef(EU + "data-theme")
IANA = Namespace("https://www.iana.org/assignments/media-types/")

LICENCE = URIRef("https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40")
LICENCE_TYPE = URIRef("http://purl.org/adms/licencetype/Attribution")
TERRITORY = URIRef(  # [P]
    "https://w3id.org/italia/controlled-vocabulary/territorial-classifications/provinces/015"
)

# The EU data themes (labels as in the EU vocabulary) and the frequencies we use.
THEMES = {
    "AGRI": ("Agricoltura, pesca, silvicoltura e prodotti alimentari",
             "Agriculture, fisheries, forestry and food"),
    "ECON": ("Economia e finanze", "Economy and finance"),
    "EDUC": ("Istruzione, cultura e sport", "Education, culture and sport"),
    "ENER": ("Energia", "Energy"),
    "ENVI": ("Ambiente", "Environment"),
    "GOVE": ("Governo e settore pubblico", "Government and public sector"),
    "HEAL": ("Salute", "Health"),
    "INTR": ("Tematiche internazionali", "International issues"),
    "JUST": ("Giustizia, sistema giuridico e sicurezza pubblica",
             "Justice, legal system and public safety"),
    "REGI": ("Regioni e città", "Regions and cities"),
    "SOCI": ("Popolazione e società", "Population and society"),
    "TECH": ("Scienza e tecnologia", "Science and technology"),
    "TRAN": ("Trasporti", "Transport"),
}  # fmt: skip
FREQUENCIES = {
    "ANNUAL": ("annuale", "annual"),
    "IRREG": ("irregolare", "irregular"),
    "MONTHLY": ("mensile", "monthly"),
    "QUARTERLY": ("trimestrale", "quarterly"),
}

# file format -> (EU file type, IANA media type, description it, description en)
FORMATS = {
    "csv": (
        "CSV",
        "text/csv",
        "File CSV: UTF-8, separatore virgola, riga di intestazione, date ISO 8601, decimali "
        "con il punto.",
        "CSV file: UTF-8, comma-separated, header row, ISO 8601 dates, '.' as decimal mark.",
    ),
    "parquet": (
        "PARQUET",
        "application/vnd.apache.parquet",  # [P]
        "File Apache Parquet compresso con zstd, con i tipi delle colonne.",
        "Apache Parquet file, zstd-compressed, with the column types.",
    ),
    "json": (
        "JSON",
        "application/json",
        "File JSON UTF-8: un array di oggetti, uno per riga della tabella.",
        "UTF-8 JSON file: an array of objects, one per table row.",
    ),
}

CATALOGUE_TITLE = (
    "Osservatorio del Piano strategico metropolitano: catalogo dei dati aperti",
    "Metropolitan Strategic Plan observatory: open data catalogue",
)
CATALOGUE_DESCRIPTION = (
    "I dati aperti con cui la Città metropolitana di Milano misura il suo Piano strategico "
    "triennale del territorio metropolitano 2022-2024: i valori degli indicatori per comune, "
    "zona omogenea e Città metropolitana, l'avanzamento verso gli obiettivi, una tabella per "
    "ciascuno dei dieci Driver del Piano e le tabelle di riferimento. Ogni rilascio è datato e "
    "immutabile.",
    "The open data with which the Città metropolitana di Milano measures its Strategic Plan "
    "of the metropolitan territory 2022-2024: the indicator values by comune, zona omogenea "
    "and Città metropolitana, the progress towards the targets, one table for each of the "
    "plan's ten Drivers and the reference tables. Every release is dated and immutable.",
)

JSONLD_CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "dcatapit": str(DCATAPIT),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "spdx": str(SPDX),
    "locn": str(LOCN),
    "schema": str(SCHEMA),
    "skos": str(SKOS),
    "owl": str(OWL),
    "xsd": str(XSD),
}


@dataclass(frozen=True)
class Organisation:
    """Publisher and rights holder of the data (the same body), and whom to write to."""

    ipa_code: str = "cmmi"  # [P] Indice dei domicili digitali della PA (IPA)
    name: str = "Città metropolitana di Milano"
    contact_name: str = "Città metropolitana di Milano - Dati aperti"  # [A]
    contact_email: str = "opendata@cittametropolitana.mi.it"  # [A]


@dataclass(frozen=True)
class DistributionFile:
    """One file of a dataset in the release, as the release wrote it."""

    format: str  # a key of FORMATS: "csv", "parquet" or "json"
    path: str  # POSIX path under the release folder, e.g. "data/dim_comune.csv"
    byte_size: int
    sha256: str  # lower-case hex digest


@dataclass(frozen=True)
class ReleaseInfo:
    """What the catalogue needs to know about one release."""

    release_date: date
    # slug -> the dataset's files in this release; every catalogued dataset needs at least one.
    distributions: Mapping[str, Sequence[DistributionFile]]
    # slug -> (first year, last year) the data cover; datasets without years are left out.
    coverage: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    base_url: str = DEFAULT_BASE_URL
    # The release's folder under ``releases/`` (e.g. "2026-11-25.2" for a second release on a
    # day); defaults to the release date.
    release_name: str | None = None
    # The first release's date (dct:issued); defaults to this release's.
    first_issued: date | None = None
    # slug -> the release in which the dataset's rows last changed (dct:modified); defaults to
    # this release's date.
    modified: Mapping[str, date] = field(default_factory=dict)
    organisation: Organisation = field(default_factory=Organisation)


class _Uris:
    """Stable identifiers (dataset, distribution) and release-specific download locations."""

    def __init__(self, release: ReleaseInfo) -> None:
        self.base = release.base_url.rstrip("/")
        name = release.release_name or release.release_date.isoformat()
        self.release_root = f"{self.base}/releases/{name}"
        self.catalogue = URIRef(f"{self.base}/catalog")
        self.organisation = URIRef(f"{self.base}/organization/{release.organisation.ipa_code}")
        self.contact = URIRef(f"{self.base}/contact")

    def dataset(self, slug: str) -> URIRef:
        return URIRef(f"{self.base}/dataset/{slug}")

    def page(self, slug: str) -> URIRef:
        """The dataset's page on the portal: a distribution's access URL."""
        return URIRef(f"{self.base}/datasets/{slug}.html")

    def distribution(self, slug: str, fmt: str) -> URIRef:
        return URIRef(f"{self.base}/dataset/{slug}/{fmt}")

    def download(self, path: str) -> URIRef:
        return URIRef(f"{self.release_root}/{path}")


def _it_en(graph: Graph, subject: URIRef, predicate: URIRef, it: str, en: str) -> None:
    graph.add((subject, predicate, Literal(it, lang="it")))
    graph.add((subject, predicate, Literal(en, lang="en")))


def _xsd_date(value: date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


def _add_vocabulary(graph: Graph, datasets: Sequence[PublishedDataset]) -> None:
    """Type and label the external terms, so the graph validates without the vocabularies."""
    graph.add((THEME_SCHEME, RDF.type, SKOS.ConceptScheme))
    _it_en(graph, THEME_SCHEME, DCTERMS.title, "Temi dei dati", "Data themes")
    for code in sorted({theme for d in datasets for theme in d.themes}):
        theme = THEME[code]
        graph.add((theme, RDF.type, SKOS.Concept))
        graph.add((theme, SKOS.inScheme, THEME_SCHEME))
        _it_en(graph, theme, SKOS.prefLabel, *THEMES[code])
    for code in sorted({d.periodicity for d in datasets}):
        graph.add((FREQUENCY[code], RDF.type, DCTERMS.Frequency))
        _it_en(graph, FREQUENCY[code], SKOS.prefLabel, *FREQUENCIES[code])
    for code in ("ITA", "ENG"):
        graph.add((LANGUAGE[code], RDF.type, DCTERMS.LinguisticSystem))
    graph.add((LICENCE, RDF.type, DCATAPIT.LicenseDocument))
    graph.add((LICENCE, RDF.type, DCTERMS.LicenseDocument))
    graph.add((LICENCE, DCTERMS.type, LICENCE_TYPE))
    graph.add((LICENCE, OWL.versionInfo, Literal("4.0")))
    _it_en(
        graph,
        LICENCE,
        FOAF.name,
        "Creative Commons Attribuzione 4.0 Internazionale (CC BY 4.0)",
        "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    )
    graph.add((LICENCE_TYPE, RDF.type, SKOS.Concept))
    _it_en(graph, LICENCE_TYPE, SKOS.prefLabel, "Attribuzione", "Attribution")
    graph.add((TERRITORY, RDF.type, DCTERMS.Location))
    graph.add((TERRITORY, RDF.type, DCATAPIT.Location))
    graph.add(
        (TERRITORY, LOCN.geographicalName, Literal("Città metropolitana di Milano", lang="it"))
    )
    graph.add((TERRITORY, SKOS.notation, Literal("015")))


def _add_agents(graph: Graph, uris: _Uris, organisation: Organisation) -> None:
    agent = uris.organisation
    graph.add((agent, RDF.type, DCATAPIT.Agent))
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.add((agent, DCTERMS.identifier, Literal(organisation.ipa_code)))
    graph.add((agent, FOAF.name, Literal(organisation.name, lang="it")))
    contact = uris.contact
    graph.add((contact, RDF.type, DCATAPIT.Organization))
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, VCARD.fn, Literal(organisation.contact_name)))
    graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{organisation.contact_email}")))
    graph.add((contact, VCARD.hasURL, URIRef(uris.base)))


def _add_distribution(
    graph: Graph,
    uris: _Uris,
    dataset: PublishedDataset,
    file: DistributionFile,
    release: ReleaseInfo,
) -> URIRef:
    if file.format not in FORMATS:
        raise ValueError(f"{dataset.slug}: unknown format {file.format!r} ({sorted(FORMATS)})")
    if file.byte_size < 0:
        raise ValueError(f"{dataset.slug}: negative size for {file.path}")
    file_type, media_type, description_it, description_en = FORMATS[file.format]
    node = uris.distribution(dataset.slug, file.format)
    graph.add((node, RDF.type, DCATAPIT.Distribution))
    graph.add((node, RDF.type, DCAT.Distribution))
    label = file_type if file.format != "parquet" else "Parquet"
    _it_en(
        graph, node, DCTERMS.title, f"{dataset.title_it} ({label})", f"{dataset.title_en} ({label})"
    )
    _it_en(graph, node, DCTERMS.description, description_it, description_en)
    graph.add((node, DCTERMS["format"], FILE_TYPE[file_type]))
    graph.add((FILE_TYPE[file_type], RDF.type, DCTERMS.MediaTypeOrExtent))
    graph.add((node, DCAT.mediaType, IANA[media_type]))
    graph.add((IANA[media_type], RDF.type, DCTERMS.MediaType))
    graph.add((node, DCAT.accessURL, uris.page(dataset.slug)))
    graph.add((node, DCAT.downloadURL, uris.download(file.path)))
    graph.add((node, DCTERMS.license, LICENCE))
    graph.add((node, DCAT.byteSize, Literal(str(file.byte_size), datatype=XSD.nonNegativeInteger)))
    graph.add((node, DCTERMS.issued, _xsd_date(release.release_date)))
    graph.add((node, DCTERMS.modified, _xsd_date(release.release_date)))
    checksum = URIRef(f"{node}/checksum")
    graph.add((node, SPDX.checksum, checksum))
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    graph.add((checksum, SPDX.checksumValue, Literal(file.sha256.lower(), datatype=XSD.hexBinary)))
    return node


def _add_dataset(
    graph: Graph, uris: _Uris, dataset: PublishedDataset, release: ReleaseInfo
) -> URIRef:
    files = release.distributions.get(dataset.slug, ())
    if not files:
        raise ValueError(f"{dataset.slug}: the release has no file for it")
    node = uris.dataset(dataset.slug)
    issued = release.first_issued or release.release_date
    graph.add((node, RDF.type, DCATAPIT.Dataset))
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add(
        (node, DCTERMS.identifier, Literal(f"{release.organisation.ipa_code}:{dataset.slug}"))
    )
    _it_en(graph, node, DCTERMS.title, dataset.title_it, dataset.title_en)
    _it_en(graph, node, DCTERMS.description, dataset.description_it, dataset.description_en)
    graph.add((node, DCTERMS.issued, _xsd_date(issued)))
    graph.add(
        (
            node,
            DCTERMS.modified,
            _xsd_date(release.modified.get(dataset.slug, release.release_date)),
        )
    )
    for code in dataset.themes:
        graph.add((node, DCAT.theme, THEME[code]))
    graph.add((node, DCTERMS.accrualPeriodicity, FREQUENCY[dataset.periodicity]))
    graph.add((node, DCTERMS.publisher, uris.organisation))
    graph.add((node, DCTERMS.rightsHolder, uris.organisation))
    graph.add((node, DCAT.contactPoint, uris.contact))
    graph.add((node, DCTERMS.language, LANGUAGE.ITA))
    graph.add((node, DCTERMS.spatial, TERRITORY))
    for keyword in dataset.keywords_it:
        graph.add((node, DCAT.keyword, Literal(keyword, lang="it")))
    for keyword in dataset.keywords_en:
        graph.add((node, DCAT.keyword, Literal(keyword, lang="en")))
    if dataset.slug in release.coverage:
        first, last = release.coverage[dataset.slug]
        if first > last:
            raise ValueError(f"{dataset.slug}: coverage {first}..{last} runs backwards")
        period = URIRef(f"{node}/temporal")
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCATAPIT.PeriodOfTime))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        for predicate, value in (
            (DCAT.startDate, date(first, 1, 1)),
            (DCAT.endDate, date(last, 12, 31)),
            # DCAT-AP_IT 1.x readers (ckanext-dcatapit) look for schema.org's properties.
            (SCHEMA.startDate, date(first, 1, 1)),
            (SCHEMA.endDate, date(last, 12, 31)),
        ):
            graph.add((period, predicate, _xsd_date(value)))
    for file in sorted(files, key=lambda f: f.format):
        graph.add((node, DCAT.distribution, _add_distribution(graph, uris, dataset, file, release)))
    return node


def build_catalogue(datasets: Sequence[PublishedDataset], release: ReleaseInfo) -> Graph:
    """The DCAT-AP_IT catalogue of the release as an rdflib graph."""
    unknown = set(release.distributions) - {d.slug for d in datasets}
    if unknown:
        raise ValueError(f"files for datasets that are not catalogued: {sorted(unknown)}")
    graph = Graph()
    for prefix, namespace in JSONLD_CONTEXT.items():
        graph.bind(prefix, Namespace(namespace), replace=True)
    uris = _Uris(release)
    catalogue = uris.catalogue
    graph.add((catalogue, RDF.type, DCATAPIT.Catalog))
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    _it_en(graph, catalogue, DCTERMS.title, *CATALOGUE_TITLE)
    _it_en(graph, catalogue, DCTERMS.description, *CATALOGUE_DESCRIPTION)
    graph.add((catalogue, DCTERMS.publisher, uris.organisation))
    graph.add((catalogue, DCTERMS.issued, _xsd_date(release.first_issued or release.release_date)))
    graph.add((catalogue, DCTERMS.modified, _xsd_date(release.release_date)))
    graph.add((catalogue, DCTERMS.language, LANGUAGE.ITA))
    graph.add((catalogue, DCTERMS.language, LANGUAGE.ENG))
    graph.add((catalogue, FOAF.homepage, URIRef(uris.base)))
    graph.add((URIRef(uris.base), RDF.type, FOAF.Document))
    graph.add((catalogue, DCAT.themeTaxonomy, THEME_SCHEME))
    _add_vocabulary(graph, datasets)
    _add_agents(graph, uris, release.organisation)
    for dataset in datasets:
        graph.add((catalogue, DCAT.dataset, _add_dataset(graph, uris, dataset, release)))
    if any(isinstance(node, BNode) for triple in graph for node in triple):
        raise AssertionError("the catalogue must name every node, for stable output")
    return graph


# Mandatory properties of DCAT-AP_IT (sources.md 7.1), by the class that must carry them.
MANDATORY = {
    DCAT.Catalog: (DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCTERMS.modified,
                   DCAT.dataset),
    DCAT.Dataset: (DCTERMS.identifier, DCTERMS.title, DCTERMS.description, DCTERMS.modified,
                   DCAT.theme, DCTERMS.rightsHolder, DCTERMS.accrualPeriodicity,
                   DCAT.distribution),
    DCAT.Distribution: (DCTERMS["format"], DCAT.accessURL, DCTERMS.license),
}  # fmt: skip
MANDATORY_AGENT = (DCTERMS.identifier, FOAF.name)
MANDATORY_CONTACT = (VCARD.fn, VCARD.hasEmail)


def _short(uri: URIRef) -> str:
    """``dct:license`` for DCTERMS.license, whatever prefixes a parsed graph has bound."""
    for prefix, namespace in JSONLD_CONTEXT.items():
        if str(uri).startswith(namespace):
            return f"{prefix}:{str(uri)[len(namespace) :]}"
    return str(uri)


def mandatory_problems(graph: Graph) -> list[str]:
    """Every mandatory DCAT-AP_IT property missing from the graph, as readable lines.

    An empty list is a blocking check of the publication: a catalogue that dati.gov.it would
    reject is not published.
    """
    problems = []

    def require(subject: URIRef, what: str, properties: Sequence[URIRef]) -> None:
        for prop in properties:
            if graph.value(subject, prop) is None:
                problems.append(f"{what} {subject} has no {_short(prop)}")

    catalogues = sorted(graph.subjects(RDF.type, DCAT.Catalog))
    if not catalogues:
        problems.append("no dcat:Catalog in the graph")
    for cls, properties in MANDATORY.items():
        for subject in sorted(graph.subjects(RDF.type, cls)):
            require(subject, _short(cls), properties)
    agents = set(graph.objects(None, DCTERMS.publisher)) | set(
        graph.objects(None, DCTERMS.rightsHolder)
    )
    for agent in sorted(agents):
        require(agent, "agent", MANDATORY_AGENT)
    for contact in sorted(set(graph.objects(None, DCAT.contactPoint))):
        require(contact, "contact point", MANDATORY_CONTACT)
    return problems


def _sorted_jsonld(text: str) -> str:
    """JSON-LD with nodes and values in a fixed order, so identical graphs give equal bytes."""
    document = json.loads(text)
    nodes = document.get("@graph", [])

    def sort_values(node: dict) -> dict:
        return {
            key: sorted(value, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
            if isinstance(value, list)
            else value
            for key, value in node.items()
        }

    document["@graph"] = sorted((sort_values(n) for n in nodes), key=lambda n: n["@id"])
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_catalogue(
    out_dir: Path, datasets: Sequence[PublishedDataset], release: ReleaseInfo
) -> list[Path]:
    """Write ``catalog.ttl`` and ``catalog.jsonld`` for the release; returns their paths.

    Refuses (ValueError) to write a catalogue that lacks a mandatory property.
    """
    graph = build_catalogue(datasets, release)
    problems = mandatory_problems(graph)
    if problems:
        raise ValueError("catalogue lacks mandatory DCAT-AP_IT properties:\n" + "\n".join(problems))
    turtle = graph.serialize(format="turtle").encode("utf-8")
    jsonld = _sorted_jsonld(graph.serialize(format="json-ld", context=JSONLD_CONTEXT))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in ((CATALOGUE_TURTLE, turtle), (CATALOGUE_JSONLD, jsonld.encode("utf-8"))):
        path = out_dir / name
        _write_atomic(path, data)
        written.append(path)
    return written


def distributions_in(
    release_dir: Path, datasets: Sequence[PublishedDataset], data_dir: str = "data"
) -> dict[str, tuple[DistributionFile, ...]]:
    """The files ``<data_dir>/<slug>.<format>`` of each dataset in a release folder, with their
    sizes and SHA-256 (what ``ReleaseInfo.distributions`` wants)."""
    found: dict[str, tuple[DistributionFile, ...]] = {}
    for dataset in datasets:
        files = []
        for fmt in sorted(FORMATS):
            path = release_dir / data_dir / f"{dataset.slug}.{fmt}"
            if path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                relative = path.relative_to(release_dir).as_posix()
                files.append(DistributionFile(fmt, relative, path.stat().st_size, digest))
        if files:
            found[dataset.slug] = tuple(files)
    return found


def coverage_from_warehouse(
    published: Path, datasets: Sequence[PublishedDataset]
) -> dict[str, tuple[int, int]]:
    """First and last year each dataset covers, from its ``year`` column (or, for the target
    progress, from its reference and latest years); tables without years are left out."""
    coverage: dict[str, tuple[int, int]] = {}
    with connect_read(published) as con:
        for dataset in datasets:
            schema, table = dataset.table.split(".", 1)
            names = {
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ?",
                    [schema, table],
                ).fetchall()
            }
            if "year" in names:
                query = f"select min(year), max(year) from {dataset.table}"
            elif {"reference_year", "latest_year"} <= names:
                query = (
                    "select min(reference_year), "
                    f"max(coalesce(latest_year, reference_year)) from {dataset.table}"
                )
            else:
                continue
            first, last = con.execute(query).fetchall()[0]
            if first is not None and last is not None:
                coverage[dataset.slug] = (int(first), int(last))
    return coverage
