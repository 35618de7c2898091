"""ISTAT road accidents with injuries, people killed and injured, by comune and year
(dataflow ``41_983``, DSD ``DCIS_INCIDMORFER_COM``).

One SDMX request covers the 133 comuni (``+``-joined) and the three counts, from
``START_YEAR`` on. The comune is where the accident happened.

What is known and what is assumed (docs/sources.md, sections 1.4 and 1.5):

- [C] dataflow ``41_983``, DSD ``DCIS_INCIDMORFER_COM``, key order
  ``FREQ.REF_AREA.DATA_TYPE.RESULT`` (e.g. ``A.015146.KILLINJ.F``); checked at run time
  against the published data structure all the same.
- [P] the codes of ``SERIES``, from public code that reads this flow for every comune:
  ``DATA_TYPE=ROADACC`` with ``RESULT=9`` counts accidents with injuries, ``DATA_TYPE=KILLINJ``
  counts people with ``RESULT=M`` killed (within 30 days) and ``RESULT=F`` injured. The key
  asks for ``ROADACC+KILLINJ`` x ``9+M+F``; combinations ISTAT does not publish (``ROADACC.M``)
  simply are not in the answer.
- [A] a comune without accidents in a year is published with 0, not left out (the parser
  accepts either; staging must read a missing row as 0).
"""

from __future__ import annotations

import polars as pl

from ingestion.common.schema import Field
from ingestion.istat import flows, sdmx

SOURCE = sdmx.SOURCE
NAME = "road_accidents"
FLOW = "41_983"
DSD = "DCIS_INCIDMORFER_COM"
DIMENSIONS = ("FREQ", "REF_AREA", "DATA_TYPE", "RESULT")
# (DATA_TYPE, RESULT) -> meaning  [P]
SERIES = {
    ("ROADACC", "9"): "road accidents with injuries",
    ("KILLINJ", "M"): "people killed",
    ("KILLINJ", "F"): "people injured",
}
START_YEAR = flows.START_YEAR
PAYLOAD = "data.csv"
SNAPSHOT = "road_accidents"
S = pl.String

SCHEMA = flows.table_schema(
    (
        Field("ref_area", S, "Territory: ISTAT code of the comune where accidents happened"),
        Field("data_type", S, "ROADACC = road accidents with injuries, KILLINJ = casualties"),
        Field("result", S, "With ROADACC: 9 = all; with KILLINJ: M = killed, F = injured"),
    ),
    "Accidents or persons in the year",
)


def selection(codes: list[str]) -> dict[str, str | list[str]]:
    """The codes asked for, by dimension name."""
    return {
        "FREQ": "A",
        "REF_AREA": codes,
        "DATA_TYPE": list(dict.fromkeys(d for d, _ in SERIES)),
        "RESULT": list(dict.fromkeys(r for _, r in SERIES)),
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
    title="Incidenti stradali con lesioni, morti e feriti per comune",
    description="Road accidents with injuries, people killed and people injured by comune "
    "and year (ISTAT SDMX dataflow 41_983, DCIS_INCIDMORFER_COM), for the comuni of the "
    "Città metropolitana.",
    schema=SCHEMA,
    landing_url=f"{sdmx.DEFAULT_BASE_URL}/dataflow/IT1/{FLOW}",
)
