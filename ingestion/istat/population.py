"""ISTAT resident population on 1 January by comune, sex and single year of age (``22_289``).

One SDMX request covers the 133 comuni (``+``-joined in the key), both sexes and every age
(wildcard), from ``START_YEAR`` on. The comune codes come from the archived comuni list,
so the query follows the territory ISTAT publishes.
"""

from __future__ import annotations

import polars as pl

from ingestion.common.schema import Field
from ingestion.istat import flows, sdmx

SOURCE = sdmx.SOURCE
NAME = "population"
FLOW = "22_289"
DIMENSIONS = ("FREQ", "REF_AREA", "DATA_TYPE", "SEX", "AGE", "MARITAL_STATUS")
START_YEAR = flows.START_YEAR
PAYLOAD = "data.csv"
SNAPSHOT_DIR = flows.SNAPSHOT_DIR
S = pl.String

SCHEMA = flows.table_schema(
    (
        Field("ref_area", S, "Territory: ISTAT comune code"),
        Field("data_type", S, "JAN = resident population on 1 January"),
        Field("sex", S, "1 male, 2 female, 9 total"),
        Field("age", S, "Y0..Y99, Y_GE100 (100 and over) or TOTAL"),
        Field("marital_status", S, "99 = all"),
    ),
    "Residents",
)


def population_key(codes: list[str]) -> str:
    return sdmx.series_key("A", codes, "JAN", ["1", "2"], None, "99")


def payloads(codes: list[str]) -> list[flows.Payload]:
    """One request: the 133 comuni ``+``-joined (about 930 characters of key)."""
    return [
        flows.Payload(
            PAYLOAD, FLOW, DIMENSIONS, population_key(codes), sdmx.PeriodBounds(start=START_YEAR)
        )
    ]


DATASET = flows.comune_dataset(
    name=NAME,
    dimensions=DIMENSIONS,
    payloads=payloads,
    snapshot_entries=lambda: [(PAYLOAD, NAME)],
    title="Popolazione residente al 1° gennaio per comune, sesso ed età",
    description="Resident population on 1 January by comune, sex and single year of age "
    "(ISTAT SDMX dataflow 22_289, DCIS_POPRES1), for the comuni of the Città metropolitana.",
    schema=SCHEMA,
    landing_url="https://esploradati.istat.it/databrowser/#/it/dw/categories/IT1,POP,1.0/"
    "POP_POPULATION/DCIS_POPRES1",
)
