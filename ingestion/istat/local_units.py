"""ISTAT local units of active enterprises and their employees, by comune and ATECO 2007
division (ASIA-UL, the statistical register of local units).

Asked for: all sectors together and the transport and warehousing divisions H49-H53, all size
classes together, from ``START_YEAR`` on. Employees in H49-H53 per 1,000 residents (D06_01)
and their share of all employees (D06_02) are computed from these in staging.

Everything about the request is in the one constant ``QUERY``, so a wrong guess is corrected
in one place. What is known and what is assumed:

- [P] dataflow ``183_1163_DF_DICA_ASIAULP_TERRIFDATA_7`` ("Ateco 2 cifre, comuni", under
  category ``DICA_ASIA/DICA_ASIAULP`` of esploradati): not in docs/sources.md, found in several
  public repositories that read it in 2026 (covering 2018-2023, updated yearly about two years
  after the reference year). ``183_285_DF_DICA_ASIAULP_7`` is an older view of the same data.
- [P] key order ``FREQ.REF_AREA.DATA_TYPE.ECON_ACTIVITY_NACE_2007.PERS_EMPL_SIZE_CLASS`` (same
  public code); checked against the published data structure at run time, so a wrong order
  is a schema-drift error, not wrong data.
- [P] codes: ``DATA_TYPE`` ``LU`` local units, ``LUEMPDAA`` employees of the local units
  (annual average, so with decimals); ``ECON_ACTIVITY_NACE_2007`` ``0010`` all sectors and
  two-digit division codes ``49``..``53``; ``PERS_EMPL_SIZE_CLASS`` ``TOTAL``.
- [P] the service refuses keys with more than about 35 ``REF_AREA`` codes on this flow
  (HTTP 400 "Invalid URL" reported at 40 codes), so the 133 comuni are asked for in groups of
  ``codes_per_request``; a group answered ``NoRecordsFound`` is tolerated as long as another
  group has data.
- [A] the DSD id (``DICA_ASIAULP``) — only used by the replica; the client reads the DSD the
  dataflow references.
- [A] cells without any local unit (a division absent from a comune) are left out of the
  answer rather than published as 0; staging must read a missing division as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ingestion.common.schema import Field
from ingestion.istat import flows, sdmx

SOURCE = sdmx.SOURCE
NAME = "local_units"
TOTAL_ACTIVITY = "0010"
TRANSPORT_DIVISIONS = ("49", "50", "51", "52", "53")


@dataclass(frozen=True)
class AsiaQuery:
    """The dataflow, its assumed key order and the codes asked for (REF_AREA aside)."""

    flow: str
    dimensions: tuple[str, ...]
    selection: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    codes_per_request: int | None = None


QUERY = AsiaQuery(
    flow="183_1163_DF_DICA_ASIAULP_TERRIFDATA_7",
    dimensions=("FREQ", "REF_AREA", "DATA_TYPE", "ECON_ACTIVITY_NACE_2007", "PERS_EMPL_SIZE_CLASS"),
    selection={
        "FREQ": "A",
        "DATA_TYPE": ("LU", "LUEMPDAA"),
        "ECON_ACTIVITY_NACE_2007": (TOTAL_ACTIVITY, *TRANSPORT_DIVISIONS),
        "PERS_EMPL_SIZE_CLASS": "TOTAL",
    },
    codes_per_request=35,
)
FLOW = QUERY.flow
DIMENSIONS = QUERY.dimensions
START_YEAR = flows.START_YEAR
S = pl.String

SCHEMA = flows.table_schema(
    (
        Field("ref_area", S, "Territory: ISTAT code of the comune where the local units are"),
        Field("data_type", S, "LU = local units, LUEMPDAA = employees (annual average)"),
        Field(
            "econ_activity_nace_2007",
            S,
            "ATECO 2007 / NACE Rev.2: 0010 = all sectors; 49..53 = transport and warehousing "
            "divisions (49 land, 50 water, 51 air transport, 52 warehousing, 53 postal)",
        ),
        Field("pers_empl_size_class", S, "Size class by persons employed: TOTAL = all"),
    ),
    "Local units (count) or employees (annual average, with decimals)",
)


def key(codes: list[str]) -> str:
    return sdmx.key_for(DIMENSIONS, {**QUERY.selection, "REF_AREA": codes})  # type: ignore[dict-item]


def payload_name(index: int) -> str:
    return f"data-{index}.csv"


def payloads(codes: list[str]) -> list[flows.Payload]:
    groups = sdmx.chunked(codes, QUERY.codes_per_request)
    return [
        flows.Payload(
            payload_name(i),
            FLOW,
            DIMENSIONS,
            key(group),
            sdmx.PeriodBounds(start=START_YEAR),
            may_be_empty=len(groups) > 1,
        )
        for i, group in enumerate(groups, start=1)
    ]


def snapshot_stems() -> list[tuple[str, str]]:
    """Bundled payloads: one per group of comuni, like the live requests."""
    found = sorted(flows.SNAPSHOT_DIR.glob(f"{NAME}-*.request.json"))
    count = len(found)
    return [(payload_name(i), f"{NAME}-{i}") for i in range(1, count + 1)]


DATASET = flows.comune_dataset(
    name=NAME,
    dimensions=DIMENSIONS,
    payloads=payloads,
    snapshot_entries=snapshot_stems,
    title="Unità locali delle imprese e addetti per comune e divisione ATECO (trasporti)",
    description="Local units of active enterprises and their employees (annual average) by "
    "comune, for all sectors and the transport and warehousing divisions H49-H53 "
    "(ISTAT ASIA local units, SDMX dataflow 183_1163_DF_DICA_ASIAULP_TERRIFDATA_7), for the "
    "comuni of the Città metropolitana.",
    schema=SCHEMA,
    landing_url="https://esploradati.istat.it/databrowser/#/it/dw/categories/IT1,Z0500DICA,1.0/"
    "DICA_ASIA/DICA_ASIAULP",
)
