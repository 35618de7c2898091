"""ISTAT demographic balance by comune and year (dataflow ``22_315``, DSD ``DCIS_POPORESBIL1``).

The events that take the resident population of a comune from one 1 January to the next:
live births, deaths, and registrations and cancellations of residence (from and to other
comuni, from and to abroad, for other reasons), both sexes together. One SDMX request
covers the 133 comuni (``+``-joined) and the eight event types, from ``START_YEAR`` on.

What is known and what is assumed (docs/sources.md, section 1.4):

- [C] dataflow ``22_315``, DSD ``DCIS_POPORESBIL1``; the ``DATA_TYPE`` codes of
  ``DATA_TYPES`` (codelist ``CL_TIPO_DATO15``); ``SEX=9`` is both sexes.
- [P] the DSD has the dimensions ``FREQ``, ``REF_AREA``, ``DATA_TYPE`` and ``SEX`` (the
  filters public code uses on this flow); it also has monthly data (``FREQ=M``).
- [A] **their order** is ``FREQ.REF_AREA.DATA_TYPE.SEX`` (``DIMENSIONS``): no source shows a
  key verbatim. ``fetch`` compares it with the data structure ISTAT publishes before asking
  for data; another order is a schema-drift error naming both, and the fix is to correct
  ``DIMENSIONS`` (keys are built by dimension name, never by hand).
- [A] an annual observation of year *t* counts the events during year *t*, so population on
  1 January *t+1* ≈ population on 1 January *t* + births - deaths + net registrations. In
  real data the identity is approximate (census adjustments since 2018); the synthetic
  snapshot satisfies it exactly against the bundled population snapshot.
"""

from __future__ import annotations

import polars as pl

from ingestion.common.schema import Field
from ingestion.istat import flows, sdmx

SOURCE = sdmx.SOURCE
NAME = "population_balance"
FLOW = "22_315"
DSD = "DCIS_POPORESBIL1"
DIMENSIONS = ("FREQ", "REF_AREA", "DATA_TYPE", "SEX")  # [A] order, checked at run time
DATA_TYPES = {
    "LBIRTH": "live births",
    "DEATH": "deaths",
    "REGM": "registered from another comune",
    "DEREGM": "cancelled to another comune",
    "REGOTHC": "registered from abroad",
    "DEREGOTHC": "cancelled to abroad",
    "REGOTHREAS": "registered for other reasons",
    "DEROTHREAS": "cancelled for other reasons",
}
START_YEAR = flows.START_YEAR
PAYLOAD = "data.csv"
SNAPSHOT = "population_balance"
S = pl.String

SCHEMA = flows.table_schema(
    (
        Field("ref_area", S, "Territory: ISTAT comune code"),
        Field(
            "data_type",
            S,
            "Event: " + "; ".join(f"{code} {text}" for code, text in DATA_TYPES.items()),
        ),
        Field("sex", S, "9 = both sexes"),
    ),
    "Persons: number of events in the year",
)


def selection(codes: list[str]) -> dict[str, str | list[str]]:
    """The codes asked for, by dimension name."""
    return {"FREQ": "A", "REF_AREA": codes, "DATA_TYPE": list(DATA_TYPES), "SEX": "9"}


def payloads(codes: list[str]) -> list[flows.Payload]:
    return [
        flows.Payload(
            PAYLOAD,
            FLOW,
            DIMENSIONS,
            sdmx.key_for(DIMENSIONS, selection(codes)),
            sdmx.PeriodBounds(start=START_YEAR),
        )
    ]


DATASET = flows.comune_dataset(
    name=NAME,
    dimensions=DIMENSIONS,
    payloads=payloads,
    snapshot_entries=lambda: [(PAYLOAD, SNAPSHOT)],
    title="Bilancio demografico per comune: nati, morti, iscritti e cancellati",
    description="Demographic balance by comune and year: live births, deaths, registrations "
    "and cancellations of residence (other comuni, abroad, other reasons), both sexes "
    "(ISTAT SDMX dataflow 22_315, DCIS_POPORESBIL1), for the comuni of the Città metropolitana.",
    schema=SCHEMA,
    landing_url=f"{sdmx.DEFAULT_BASE_URL}/dataflow/IT1/{FLOW}",
)
