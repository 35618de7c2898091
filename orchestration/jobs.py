"""Jobs: ingestion (one per partitioning: Dagster runs one calendar per job), the refreshes the
schedules launch, and the build that follows ingestion.

Every job that writes the warehouse carries ``osservatorio/warehouse: write``: the instance's
run queue lets one such run go at a time (``deploy/dagster/dagster.yaml``).
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from ingestion.common.dataset import Dataset
from ingestion.registry import DATASETS, by_key
from orchestration.ingestion import INGESTION_ASSETS, raw_asset_key
from orchestration.publication import OPEN_DATA_RELEASE

WRITES_WAREHOUSE = {"osservatorio/warehouse": "write"}
RAW_ASSETS = dg.AssetSelection.assets(*INGESTION_ASSETS)


def _assets(datasets: Iterable[Dataset]) -> dg.AssetSelection:
    return dg.AssetSelection.assets(*(raw_asset_key(d) for d in datasets)).without_checks()


UNPARTITIONED = [d for d in DATASETS if d.yearly is None]
# Datasets published by year, grouped by source: one job per source and calendar.
BY_YEAR: dict[str, list[Dataset]] = {}
for _dataset in DATASETS:
    if _dataset.yearly is not None:
        BY_YEAR.setdefault(_dataset.source, []).append(_dataset)

ingest_job = dg.define_asset_job(
    "ingest",
    selection=_assets(UNPARTITIONED),
    description="Archive the current payload of every dataset not published by year and load "
    "it into the raw schema (the yearly ones have their own jobs: ingest_<source>_by_year).",
    tags=WRITES_WAREHOUSE,
)
ingest_by_year_jobs = [
    dg.define_asset_job(
        f"ingest_{source}_by_year",
        selection=_assets(datasets),
        description=f"Archive and load the {source} datasets published by year, for the years "
        "of the run (one year, or a range in one run: every such asset has a single-run "
        "backfill policy).",
        tags=WRITES_WAREHOUSE,
    )
    for source, datasets in BY_YEAR.items()
]
istat_job = dg.define_asset_job(
    "ingest_istat",
    selection=_assets(d for d in DATASETS if d.source == "istat"),
    description="Check ISTAT for new releases (the comuni list and every SDMX flow); an "
    "unchanged dataset is neither archived again nor reloaded.",
    tags=WRITES_WAREHOUSE,
)
air_quality_job = dg.define_asset_job(
    "refresh_air_quality",
    selection=_assets(by_key(k) for k in ("lombardia/air_stations", "lombardia/air_measurements")),
    description="ARPA Lombardia stations and the given year of hourly measurements.",
    tags=WRITES_WAREHOUSE,
)
labour_job = dg.define_asset_job(
    "refresh_labour_contracts",
    selection=_assets(by_key(k) for k in ("lombardia/labour_activated", "lombardia/labour_ceased")),
    description="Labour contracts activated and ceased (Comunicazioni Obbligatorie) for the "
    "given year.",
    tags=WRITES_WAREHOUSE,
)
registers_job = dg.define_asset_job(
    "refresh_lombardia_registers",
    selection=_assets(
        by_key(k)
        for k in (
            "lombardia/hospitals",
            "lombardia/pharmacies",
            "lombardia/energy_certificates",
        )
    ),
    description="Hospitals, pharmacies and the given year of energy certificates.",
    tags=WRITES_WAREHOUSE,
)
# Build: validate the raw tables (our suites and dbt's source tests), run dbt, publish the
# warehouse and the exports.
BUILD_SELECTION = (
    dg.AssetSelection.all() - RAW_ASSETS - dg.AssetSelection.assets(OPEN_DATA_RELEASE)
) | dg.AssetSelection.checks_for_assets(*INGESTION_ASSETS)
build_job = dg.define_asset_job(
    "build",
    selection=BUILD_SELECTION,
    description="Validate raw tables, build and test the dbt models, publish the warehouse "
    "and the open-data exports.",
    tags=WRITES_WAREHOUSE,
)

publish_job = dg.define_asset_job(
    "publish",
    selection=dg.AssetSelection.assets(OPEN_DATA_RELEASE),
    description="Publish a dated open-data release (files, bundles, catalogue, data package, "
    "quality report, portal) from the published warehouse; `latest` moves only when the "
    "release is complete and verified.",
)

JOBS = [
    ingest_job,
    *ingest_by_year_jobs,
    istat_job,
    air_quality_job,
    labour_job,
    registers_job,
    build_job,
]
