"""ISTAT foreign residents on 1 January by comune and sex (dataflow ``29_7``, DSD
``DCIS_POPSTRRES1``).

One SDMX request covers the 133 comuni (``+``-joined), males, females and both sexes, all
ages together, from ``START_YEAR`` on.

What is known and what is assumed (docs/sources.md, section 1.4):

- [C] dataflow ``29_7``, DSD ``DCIS_POPSTRRES1``, key order
  ``FREQ.REF_AREA.DATA_TYPE.SEX.AGE`` (e.g. ``A.015146.JAN.9.TOTAL``, live-tested public code);
  ``DATA_TYPE=JAN`` residents on 1 January; ``AGE=TOTAL``; ``OBS_STATUS=e`` marks estimates.
  The order is still checked against the published data structure at run time.
- Sexes 1, 2 and 9 are all asked for (one request either way): the share of foreign
  residents uses the published total as it is, the split by sex comes at no extra cost, and
  staging can check that 1 + 2 = 9.
"""

from __future__ import annotations

import polars as pl

from ingestion.common.schema import Field
from ingestion.istat import flows, sdmx

SOURCE = sdmx.SOURCE
NAME = "foreign_residents"
FLOW = "29_7"
DSD = "DCIS_POPSTRRES1"
DIMENSIONS = ("FREQ", "REF_AREA", "DATA_TYPE", "SEX", "AGE")
SEXES = ("1", "2", "9")
START_YEAR = flows.START_YEAR
PAYLOAD = "data.csv"
SNAPSHOT = "foreign_residents"
S = pl.String

SCHEMA = flows.table_schema(
    (
        Field("ref_area", S, "Territory: ISTAT comune code"),
        Field("data_type", S, "JAN = foreign residents on 1 January"),
        Field("sex", S, "1 male, 2 female, 9 total"),
        Field("age", S, "TOTAL = all ages"),
    ),
    "Foreign residents (persons)",
)


def selection(codes: list[str]) -> dict[str, str | list[str]]:
    """The codes asked for, by dimension name."""
    return {
        "FREQ": "A",
        "REF_AREA": codes,
        "DATA_TYPE": "JAN",
        "SEX": list(SEXES),
        "AGE": "TOTAL",
    }


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
    title="Stranieri residenti al 1° gennaio per comune e sesso",
    description="Foreign residents on 1 January by comune and sex, all ages "
    "(ISTAT SDMX dataflow 29_7, DCIS_POPSTRRES1), for the comuni of the Città metropolitana.",
    schema=SCHEMA,
    landing_url=f"{sdmx.DEFAULT_BASE_URL}/dataflow/IT1/{FLOW}",
)
