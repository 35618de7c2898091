"""Jobs: ingestion alone (cheap, idempotent), and the build that follows it."""

from __future__ import annotations

import dagster as dg

from orchestration.ingestion import INGESTION_ASSETS

RAW_ASSETS = dg.AssetSelection.assets(*INGESTION_ASSETS)
# Ingest: fetch or seed every source into the archive and the raw tables.
INGEST_SELECTION = RAW_ASSETS.without_checks()
# Build: validate the raw tables, run dbt, publish the warehouse and the exports.
BUILD_SELECTION = (dg.AssetSelection.all() - RAW_ASSETS) | dg.AssetSelection.checks_for_assets(
    *INGESTION_ASSETS
)

ingest_job = dg.define_asset_job(
    "ingest",
    selection=INGEST_SELECTION,
    description="Archive every source's current payload and load it into the raw schema.",
)
build_job = dg.define_asset_job(
    "build",
    selection=BUILD_SELECTION,
    description="Validate raw tables, build and test the dbt models, publish the warehouse "
    "and the open-data exports.",
)

JOBS = [ingest_job, build_job]
