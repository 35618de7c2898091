"""ISTAT resident population on 1 January by comune, sex and single year of age (``22_289``).

One SDMX request covers the 133 comuni (``+``-joined in the key), both sexes and every age
(wildcard), from ``START_YEAR`` on. The comune codes come from the archived comuni list,
so the query follows the territory ISTAT publishes.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from ingestion.common.archive import RawArchive, Retrieval, StagedRetrieval
from ingestion.common.dataset import Dataset, FetchContext, SnapshotFile
from ingestion.common.errors import SourceError
from ingestion.common.http import HttpClient
from ingestion.common.ingest import extract
from ingestion.common.schema import Field, TableSchema
from ingestion.istat import comuni, sdmx

SOURCE = sdmx.SOURCE
NAME = "population"
FLOW = "22_289"
DIMENSIONS = ("FREQ", "REF_AREA", "DATA_TYPE", "SEX", "AGE", "MARITAL_STATUS")
START_YEAR = 2019
PAYLOAD = "data.csv"
SNAPSHOT_DIR = Path(__file__).parent / "snapshot"
S = pl.String

SCHEMA = TableSchema(
    fields=(
        Field("dataflow", S, "SDMX dataflow and version, e.g. IT1:22_289(1.0)"),
        Field("freq", S, "Frequency (A = annual)"),
        Field("ref_area", S, "Territory: ISTAT comune code"),
        Field("data_type", S, "JAN = resident population on 1 January"),
        Field("sex", S, "1 male, 2 female, 9 total"),
        Field("age", S, "Y0..Y99, Y_GE100 (100 and over) or TOTAL"),
        Field("marital_status", S, "99 = all"),
        Field("time_period", S, "Reference year"),
        Field("obs_value", pl.Float64, "Residents"),
        Field(
            "obs_status", S, "Observation status (e = estimate, p = provisional)", required=False
        ),
    ),
    primary_key=("ref_area", "data_type", "sex", "age", "marital_status", "time_period"),
    ignored=sdmx.SDMX_ATTRIBUTES,
)


def population_key(codes: list[str]) -> str:
    return sdmx.series_key("A", codes, "JAN", ["1", "2"], None, "99")


def metropolitan_codes_from_archive(archive: RawArchive) -> list[str]:
    latest = archive.latest(comuni.SOURCE, comuni.NAME)
    if latest is None:
        raise SourceError(SOURCE, NAME, "the comuni list must be in the archive first")
    return comuni.metropolitan_codes(extract(comuni.DATASET, latest))


def fetch(ctx: FetchContext, staged: StagedRetrieval) -> None:
    codes = metropolitan_codes_from_archive(ctx.archive)
    http = HttpClient(
        SOURCE, min_interval=ctx.settings.min_interval("istat_sdmx", sdmx.MIN_INTERVAL_S)
    )
    client = sdmx.SdmxClient(
        http,
        ctx.settings.base_url("istat_sdmx", sdmx.DEFAULT_BASE_URL),
        cache_dir=ctx.settings.data_dir / "cache" / "istat",
    )
    client.check_dimensions(FLOW, DIMENSIONS, dataset=NAME)
    client.fetch_csv(
        staged,
        PAYLOAD,
        dataset=NAME,
        flow=FLOW,
        key=population_key(codes),
        period=sdmx.PeriodBounds(start=START_YEAR),
    )


def parse(retrieval: Retrieval) -> pl.DataFrame:
    period = sdmx.period_of(retrieval.files[0]["params"])
    return sdmx.read_sdmx_csv(retrieval.file(PAYLOAD), dataset=NAME, period=period)


def snapshot(partition: str | None = None) -> list[SnapshotFile]:
    request = json.loads((SNAPSHOT_DIR / "population.request.json").read_text("utf-8"))
    return [SnapshotFile(PAYLOAD, SNAPSHOT_DIR / "population.csv.gz", **request)]


DATASET = Dataset(
    source=SOURCE,
    name=NAME,
    title="Popolazione residente al 1° gennaio per comune, sesso ed età",
    description="Resident population on 1 January by comune, sex and single year of age "
    "(ISTAT SDMX dataflow 22_289, DCIS_POPRES1), for the comuni of the Città metropolitana.",
    schema=SCHEMA,
    landing_url="https://esploradati.istat.it/databrowser/#/it/dw/categories/IT1,POP,1.0/"
    "POP_POPULATION/DCIS_POPRES1",
    licence="CC BY 4.0",
    fetch=fetch,
    parse=parse,
    snapshot=snapshot,
    depends_on=("istat/comuni",),
    synthetic_snapshot=True,
)
