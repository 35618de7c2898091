"""Assembles the code location; everything it lists is built by the modules it imports."""

from __future__ import annotations

import dagster as dg

from orchestration.alerts import ALERT_SENSORS
from orchestration.checks import VALIDATION_CHECKS
from orchestration.dbt import dbt_models, dbt_resource
from orchestration.ingestion import INGESTION_ASSETS
from orchestration.jobs import JOBS
from orchestration.progress import progress_logger
from orchestration.publication import (
    EXPORT_ASSETS,
    dbt_docs,
    open_data_release,
    published_warehouse,
)
from orchestration.resources import pipeline_resource
from orchestration.schedules import SCHEDULES
from orchestration.sensors import SENSORS

defs = dg.Definitions(
    assets=[
        *INGESTION_ASSETS,
        dbt_models,
        published_warehouse,
        dbt_docs,
        *EXPORT_ASSETS,
        open_data_release,
    ],
    asset_checks=VALIDATION_CHECKS,
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=[*SENSORS, *ALERT_SENSORS],
    resources={
        "pipeline": pipeline_resource(),
        "dbt": dbt_resource(),
    },
    loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    # One process, one step at a time: DuckDB has a single writer, and the data is small.
    executor=dg.in_process_executor,
)
