"""Regional health registries: hospitals (``6n7g-5p5e``) and pharmacies (``f77v-rpny``).

- ``hospitals``: "Georeferenziazione strutture", the 212 hospitals (strutture di ricovero)
  of Lombardy with code, name, ATS, address, postcode, locality and coordinates [C columns
  from public code; licence CC0_10 confirmed]. The list has no province column and the ATS
  of Milan also covers the province of Lodi, so the whole list is fetched (212 rows) and
  the province's hospitals are selected downstream by matching ``localita`` with the comuni.
  [A] ``codice_struttura_di_ricovero`` is unique per row; ``coordinata_geografica_x/y`` are
  WGS84 longitude/latitude (the same point as ``geocoded_column``, not fetched).
- ``pharmacies``: "Elenco Completo Farmacie" (about 3,050 rows in Lombardy), filtered to the
  province. [A] Its column names are not confirmed: we assume the Ministry of Health's
  pharmacy-register names (``cod_farmacia``, ``descrizione_farmacia``, ``indirizzo``, ``cap``,
  ``comune``, ``sigla_provincia``, ``descrizione_tipologia``, ``latitudine``,
  ``longitudine``); the live schema check against ``/api/views/f77v-rpny.json`` names any
  difference before rows are fetched. Comune names upper case, as in the regional lists.
"""

from __future__ import annotations

import polars as pl

from ingestion.common.schema import Field, TableSchema
from ingestion.lombardia import soda
from ingestion.lombardia.spec import SodaSpec, build

S = pl.String
F = pl.Float64
HOSPITALS_VIEW = "6n7g-5p5e"
PHARMACIES_VIEW = "f77v-rpny"
PROVINCE = "MI"

HOSPITALS_SCHEMA = TableSchema(
    fields=(
        Field("codice_struttura_di_ricovero", S, "Regional code of the hospital"),
        Field("descrizione_struttura_di", S, "Name of the hospital"),
        Field("ats_struttura", S, "Health protection agency (ATS) of the hospital"),
        Field("indirizzo", S, "Street address"),
        Field("cap", S, "Postcode"),
        Field("localita", S, "Comune (locality) of the hospital, upper case"),
        Field("coordinata_geografica_x", F, "Longitude, WGS84 [A]", required=False),
        Field("coordinata_geografica_y", F, "Latitude, WGS84 [A]", required=False),
    ),
    primary_key=("codice_struttura_di_ricovero",),
    ignored=("geocoded_column",),
)

PHARMACIES_SCHEMA = TableSchema(
    fields=(
        Field("cod_farmacia", S, "Pharmacy code in the national register [A]"),
        Field("descrizione_farmacia", S, "Name of the pharmacy [A]"),
        Field("indirizzo", S, "Street address [A]"),
        Field("cap", S, "Postcode [A]"),
        Field("comune", S, "Comune, upper case [A]"),
        Field("sigla_provincia", S, "Province abbreviation (MI) [A]"),
        Field(
            "descrizione_tipologia",
            S,
            "Kind of pharmacy (ordinary, rural, municipal ...) [A]",
            required=False,
        ),
        Field("latitudine", F, "Latitude, WGS84 [A]", required=False),
        Field("longitudine", F, "Longitude, WGS84 [A]", required=False),
    ),
    primary_key=("cod_farmacia",),
)

HOSPITALS_SPEC = SodaSpec(
    name="hospitals",
    view_id=HOSPITALS_VIEW,
    title="Georeferenziazione strutture di ricovero (Lombardia)",
    description="The hospitals of Lombardy with code, name, ATS, address and coordinates "
    "(all 212 rows: the list cannot be filtered by province at the source).",
    schema=HOSPITALS_SCHEMA,
    licence="CC0 1.0",
)
PHARMACIES_SPEC = SodaSpec(
    name="pharmacies",
    view_id=PHARMACIES_VIEW,
    title="Elenco completo farmacie, provincia di Milano",
    description="Pharmacies of the province of Milan with address and coordinates "
    "(column names assumed, see the module documentation).",
    schema=PHARMACIES_SCHEMA,
    licence="CC0 1.0 (assumed; the archived view.json records the licenseId)",
    where=f"sigla_provincia={soda.quote(PROVINCE)}",
)
HOSPITALS = build(HOSPITALS_SPEC)
PHARMACIES = build(PHARMACIES_SPEC)
