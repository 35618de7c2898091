"""CENED+2: energy performance certificates (APE) of buildings, province of Milan.

Dataset ``bbky-sde5`` (over a million certificates for Lombardy), one row per certificate,
fetched for the province and published by year of issue.

THE COLUMN LIST IS ASSUMED [A]. sources.md confirms only ``COD_APE``; the other names are
the display headers of the CENED download seen in public code that uses it
(``DATA_INS``, ``COMUNE``, ``CLASSIFICAZIONE_DPR``, ``CLASSE_ENERGETICA``, ``EP_GL_NREN``,
``EP_GL_REN``, ``ANNO_COSTRUZIONE``, ``SUPERF_UTILE_RISCALDATA``, ``ZONA_CLIMATICA``),
lower-cased as SODA field names; ``provincia`` (the filter, value ``MI``) and the use of
``data_ins`` (date the certificate was filed) as the issue date are assumptions. In live
mode the client compares this schema with ``/api/views/bbky-sde5.json`` before fetching any
row: a missing required column stops the retrieval with a schema-drift error naming the
columns we expected and the ones the dataset publishes instead. Optional fields
(``required=False``) are simply not selected when absent. Check the field dictionary
(descrizione_campi_cened.pdf, linked from the dataset page) when the first live run reports.

Energy classes (DM 26/06/2015) are relative to the EP of the reference building:
A4 <= 0.40, A3 <= 0.60, A2 <= 0.80, A1 <= 1.00, B <= 1.20, C <= 1.50, D <= 2.00,
E <= 2.60, F <= 3.50 times the reference, G above. ``classificazione_dpr`` is the use
category of DPR 412/1993: E.1(1) dwellings, E.2 offices, E.7 schools, ...
"""

from __future__ import annotations

import polars as pl

from ingestion.common.schema import Field, TableSchema
from ingestion.lombardia import soda
from ingestion.lombardia.spec import SodaSpec, build

S = pl.String
F = pl.Float64
VIEW = "bbky-sde5"
PROVINCE = "MI"
LICENCE = "CC0 1.0 (assumed; the archived view.json records the licenseId)"
ENERGY_CLASSES = ("A4", "A3", "A2", "A1", "B", "C", "D", "E", "F", "G")
# Upper bound of each class as a multiple of the reference building's EP (G: unbounded).
CLASS_LIMITS = (0.40, 0.60, 0.80, 1.00, 1.20, 1.50, 2.00, 2.60, 3.50)
USE_CATEGORIES = {
    "E.1(1)": "dwellings used all year",
    "E.1(2)": "dwellings used occasionally",
    "E.1(3)": "hotels, boarding houses",
    "E.2": "offices",
    "E.3": "hospitals and clinics",
    "E.4": "leisure, worship",
    "E.5": "commerce",
    "E.6": "sport",
    "E.7": "schools",
    "E.8": "industry and crafts",
}

SCHEMA = TableSchema(
    fields=(
        Field("cod_ape", S, "Certificate (APE) identifier in the CENED register"),
        Field("data_ins", pl.Datetime("us"), "Date the certificate was filed (issue date) [A]"),
        Field("provincia", S, "Province abbreviation (MI) [A]"),
        Field("comune", S, "Comune of the building, upper case as CENED writes it [A]"),
        Field(
            "classificazione_dpr",
            S,
            "Use category (DPR 412/1993): E.1(1) dwellings, E.2 offices, E.7 schools ...",
        ),
        Field("classe_energetica", S, "Energy class, A4 (best) .. G (worst)"),
        Field("ep_gl_nren", F, "Global non-renewable primary energy performance, kWh/m² year"),
        Field(
            "ep_gl_ren",
            F,
            "Global renewable primary energy performance, kWh/m² year",
            required=False,
        ),
        Field("anno_costruzione", pl.Int64, "Year of construction", required=False),
        Field("superf_utile_riscaldata", F, "Heated useful floor area, m²", required=False),
        Field(
            "zona_climatica", S, "Climate zone of the comune (E in the province)", required=False
        ),
    ),
    primary_key=("cod_ape",),
)

SPEC = SodaSpec(
    name="energy_certificates",
    view_id=VIEW,
    title="Database CENED+2 - Certificazione energetica degli edifici, provincia di Milano",
    description="Energy performance certificates (APE) issued for buildings of the province "
    "of Milan: use category, energy class, EP gl,nren, year of construction, floor area; one "
    "partition per year of issue. Column list assumed, see the module documentation.",
    schema=SCHEMA,
    licence=LICENCE,
    where=f"provincia={soda.quote(PROVINCE)}",
    year_field="data_ins",
)
CERTIFICATES = build(SPEC)


def energy_class(ep: float, reference: float) -> str:
    """The class of a certificate from its EP and its reference building's EP."""
    ratio = ep / reference
    for name, limit in zip(ENERGY_CLASSES, CLASS_LIMITS, strict=False):
        if ratio <= limit:
            return name
    return ENERGY_CLASSES[-1]
