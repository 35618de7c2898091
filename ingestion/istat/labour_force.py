"""ISTAT labour force survey: employment and unemployment rates of the province of Milano
(dataflows ``150_915``, DSD ``DCCV_TAXOCCU1``, and ``151_914``, DSD ``DCCV_TAXDISOCCU1``).

One dataset, two answers archived together (``employment_rate.csv``, ``unemployment_rate.csv``):
the two flows come from the same survey, cover the same territory and years, and land in one
raw table told apart by ``data_type``. Asked for: employment rate 20-64 (D08_01, EU 2030
target) and 15-64, unemployment rate 15-74 and youth unemployment 15-24 (D08_02); males,
females and both; all education levels (``EDU_LEV_HIGHEST=99``), all citizenships
(``CITIZENSHIP=TOTAL``), all unemployment durations; from 2018, the first year ISTAT
publishes provinces.

The territory code. ISTAT codes the province with NUTS codes: ``ITC45`` (NUTS 2010, confirmed
in ISTAT's codelist) and ``ITC4C`` (NUTS 2021, what Eurostat uses); which one these flows
carry is not confirmed [A] (public code in 2026 still asks them for ``ITC45``). The key asks
for both (``ITC4C+ITC45``) and the parser normalises the answer to ``ITC4C``, keeping the code
as published in ``ref_area_published``; where both codes carry the same series and year the
``ITC4C`` row is kept. An answer with neither, or with any other territory, is an error.

What is known and what is assumed (docs/sources.md, section 1.4):

- [C] the dimensions and codes of ``150_915``: ``DATA_TYPE=EMP_R``, ``SEX`` 1/2/9, ``AGE``
  ``Y20-64``/``Y15-64``, ``EDU_LEV_HIGHEST=99``, ``CITIZENSHIP=TOTAL``; provincial data from 2018.
- [P] key orders ``FREQ.REF_AREA.DATA_TYPE.SEX.AGE.EDU_LEV_HIGHEST.CITIZENSHIP`` (150_915) and
  the same followed by ``DURATION_UNEMPLOYMENT`` (151_914), ``DATA_TYPE=UNEM_R``, ``AGE``
  ``Y15-74``/``Y15-24``: from public code querying esploradati, not ISTAT documentation. Both
  orders are checked against the published data structures at run time.
- [A] rates are percentages with one decimal.
"""

from __future__ import annotations

import logging

import polars as pl

from ingestion.common.archive import Retrieval, StagedRetrieval
from ingestion.common.dataset import Dataset, FetchContext, SnapshotFile
from ingestion.common.errors import SourceError
from ingestion.common.schema import Field
from ingestion.istat import flows, sdmx

log = logging.getLogger(__name__)

SOURCE = sdmx.SOURCE
NAME = "labour_force"
START_YEAR = 2018
SEXES = ("1", "2", "9")
# NUTS 2021 first: the code the parser normalises to and prefers when both are published.
TERRITORY = "ITC4C"
TERRITORIES = (TERRITORY, "ITC45")

EMPLOYMENT_FLOW = "150_915"
EMPLOYMENT_DIMENSIONS = (
    "FREQ",
    "REF_AREA",
    "DATA_TYPE",
    "SEX",
    "AGE",
    "EDU_LEV_HIGHEST",
    "CITIZENSHIP",
)
UNEMPLOYMENT_FLOW = "151_914"
UNEMPLOYMENT_DIMENSIONS = (*EMPLOYMENT_DIMENSIONS, "DURATION_UNEMPLOYMENT")

EMPLOYMENT_PAYLOAD = "employment_rate.csv"
UNEMPLOYMENT_PAYLOAD = "unemployment_rate.csv"
SNAPSHOTS = (
    (EMPLOYMENT_PAYLOAD, "labour_force_employment"),
    (UNEMPLOYMENT_PAYLOAD, "labour_force_unemployment"),
)
S = pl.String

SCHEMA = flows.table_schema(
    (
        Field("ref_area", S, f"Territory: {TERRITORY}, the province of Milano (NUTS 2021)"),
        Field(
            "ref_area_published",
            S,
            "Territory code as ISTAT published it: ITC45 (NUTS 2010) or ITC4C (NUTS 2021)",
        ),
        Field("data_type", S, "EMP_R = employment rate, UNEM_R = unemployment rate"),
        Field("sex", S, "1 male, 2 female, 9 total"),
        Field("age", S, "Age class: Y20-64, Y15-64 (employment), Y15-74, Y15-24 (unemployment)"),
        Field("edu_lev_highest", S, "Highest level of education attained: 99 = all"),
        Field("citizenship", S, "TOTAL = all citizenships"),
        Field(
            "duration_unemployment",
            S,
            "Duration of unemployment, unemployment rate only: TOTAL = all",
            required=False,
        ),
    ),
    "Rate, %",
)


def employment_selection() -> dict[str, str | list[str]]:
    return {
        "FREQ": "A",
        "REF_AREA": list(TERRITORIES),
        "DATA_TYPE": "EMP_R",
        "SEX": list(SEXES),
        "AGE": ["Y20-64", "Y15-64"],
        "EDU_LEV_HIGHEST": "99",
        "CITIZENSHIP": "TOTAL",
    }


def unemployment_selection() -> dict[str, str | list[str]]:
    return {
        **employment_selection(),
        "DATA_TYPE": "UNEM_R",
        "AGE": ["Y15-74", "Y15-24"],
        "DURATION_UNEMPLOYMENT": "TOTAL",
    }


def payloads() -> list[flows.Payload]:
    period = sdmx.PeriodBounds(start=START_YEAR)
    return [
        flows.Payload(
            EMPLOYMENT_PAYLOAD,
            EMPLOYMENT_FLOW,
            EMPLOYMENT_DIMENSIONS,
            sdmx.key_for(EMPLOYMENT_DIMENSIONS, employment_selection()),
            period,
        ),
        flows.Payload(
            UNEMPLOYMENT_PAYLOAD,
            UNEMPLOYMENT_FLOW,
            UNEMPLOYMENT_DIMENSIONS,
            sdmx.key_for(UNEMPLOYMENT_DIMENSIONS, unemployment_selection()),
            period,
        ),
    ]


def fetch(ctx: FetchContext, staged: StagedRetrieval) -> None:
    flows.fetch(ctx, staged, NAME, payloads())


def normalise_territory(frame: pl.DataFrame, *, dataset: str = NAME) -> pl.DataFrame:
    """One territory code for the province, whichever NUTS version ISTAT published.

    Keeps the published code in ``REF_AREA_PUBLISHED``; where both codes carry the same
    series and period, keeps the ``TERRITORY`` row (and warns if the values differ).
    """
    if "REF_AREA" not in frame.columns:
        raise SourceError(SOURCE, dataset, f"schema drift: no REF_AREA column in {frame.columns}")
    published = set(frame["REF_AREA"].drop_nulls().unique().to_list())
    unexpected = sorted(published - set(TERRITORIES))
    if unexpected:
        raise SourceError(
            SOURCE, dataset, f"unexpected territory code(s) {unexpected}; asked for {TERRITORIES}"
        )
    if not published:
        raise SourceError(SOURCE, dataset, f"neither {' nor '.join(TERRITORIES)} is in the answer")
    series = [
        c
        for c in (*UNEMPLOYMENT_DIMENSIONS, "TIME_PERIOD")
        if c in frame.columns and c != "REF_AREA"
    ]
    published_code = pl.col("REF_AREA_PUBLISHED")
    marked = frame.with_columns(
        pl.col("REF_AREA").alias("REF_AREA_PUBLISHED"),
        pl.lit(TERRITORY).alias("REF_AREA"),
        (pl.col("REF_AREA") == TERRITORY).any().over(series).alias("_has_current"),
    )
    # Rows under the old code for which the current code carries the same series and period.
    shadowed = marked.filter(pl.col("_has_current") & (published_code != TERRITORY))
    if shadowed.height:
        current = marked.filter(published_code == TERRITORY).select(*series, "OBS_VALUE")
        differ = shadowed.join(current, on=series, how="inner", nulls_equal=True, suffix="_new")
        if differ.filter(pl.col("OBS_VALUE") != pl.col("OBS_VALUE_new")).height:
            log.warning(
                "%s/%s: %s and %s disagree on some values; keeping %s",
                SOURCE,
                dataset,
                *TERRITORIES,
                TERRITORY,
            )
    # Only rows shadowed by the other code go: a row sent twice stays, for the key check.
    kept = marked.filter((published_code == TERRITORY) | ~pl.col("_has_current"))
    return kept.drop("_has_current")


def parse(retrieval: Retrieval) -> pl.DataFrame:
    return normalise_territory(flows.read(retrieval, NAME, UNEMPLOYMENT_DIMENSIONS))


def snapshot(partition: str | None = None) -> list[SnapshotFile]:
    return flows.snapshot_files(SNAPSHOTS)


DATASET = Dataset(
    source=SOURCE,
    name=NAME,
    title="Tassi di occupazione e disoccupazione, provincia di Milano",
    description="Employment rate (20-64, 15-64) and unemployment rate (15-74, youth 15-24) by "
    "sex for the province of Milano, from the labour force survey (ISTAT SDMX dataflows "
    "150_915 DCCV_TAXOCCU1 and 151_914 DCCV_TAXDISOCCU1), from 2018.",
    schema=SCHEMA,
    landing_url="https://esploradati.istat.it/databrowser/#/it/dw/categories/IT1,Z0500LAB,1.0/"
    "LAB_OFFER/LAB_OFF_EMPLOY/DCCV_TAXOCCU1",
    licence="CC BY 4.0",
    fetch=fetch,
    parse=parse,
    snapshot=snapshot,
    synthetic_snapshot=True,
)
