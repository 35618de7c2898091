"""Schedules that follow each source's real publication cadence (times are Europe/Rome).

Each refresh asks for the newest year the source holds in the current mode (live: the
current year; snapshot: the newest bundled one), so a scheduled run never asks for a year
that cannot exist. Unchanged sources cost one cheap version check: nothing is re-archived.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from ingestion.registry import by_key
from orchestration.automation import schedule_status
from orchestration.jobs import (
    air_quality_job,
    build_job,
    ingest_by_year_jobs,
    istat_job,
    labour_job,
    publish_job,
    registers_job,
)
from orchestration.partitions import TIMEZONE
from osservatorio.settings import Settings


def newest_years(dataset_key: str, count: int = 1, data_year: int | None = None) -> list[str]:
    """The newest ``count`` years the dataset holds in the current source mode, ending at
    ``data_year`` when the source holds it."""
    held = [str(year) for year in by_key(dataset_key).partition_keys(Settings.from_env())]
    if data_year is not None and str(data_year) in held:
        held = held[: held.index(str(data_year)) + 1]
    return held[-count:]


def _requests(
    context: dg.ScheduleEvaluationContext,
    dataset_key: str,
    count: int = 1,
    covers: timedelta = timedelta(0),
) -> list[dg.RunRequest]:
    """Run requests for the year of the data a tick collects: a tick at 06:30 on 1 January
    fetches what was published for 31 December, so ``covers`` looks back that far."""
    tick: datetime = context.scheduled_execution_time
    return [
        dg.RunRequest(run_key=f"{tick:%Y-%m-%dT%H:%M}:{year}", partition_key=year)
        for year in newest_years(dataset_key, count, data_year=(tick - covers).year)
    ]


@dg.schedule(
    cron_schedule="30 6 * * *",
    job=air_quality_job,
    execution_timezone=TIMEZONE,
    default_status=schedule_status(),
    description="Daily at 06:30: ARPA publishes the previous day's validated hourly air "
    "measurements in the morning; reloads the stations and the current year.",
)
def air_quality_daily(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return _requests(context, "lombardia/air_measurements", covers=timedelta(days=1))


@dg.schedule(
    cron_schedule="0 7 * * 1",
    job=labour_job,
    execution_timezone=TIMEZONE,
    default_status=schedule_status(),
    description="Mondays at 07:00: Regione Lombardia refreshes the labour-contract "
    "(Comunicazioni Obbligatorie) datasets weekly; reloads the current year.",
)
def labour_contracts_weekly(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return _requests(context, "lombardia/labour_activated", covers=timedelta(days=7))


@dg.schedule(
    cron_schedule="0 5 3 * *",
    job=istat_job,
    execution_timezone=TIMEZONE,
    default_status=schedule_status(),
    description="Monthly on the 3rd at 05:00: checks ISTAT for new releases (population at "
    "1 January, balances, the comuni list after territorial changes); a flow with no new "
    "data is not re-archived.",
)
def istat_monthly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"{context.scheduled_execution_time:%Y-%m}")


@dg.schedule(
    cron_schedule="0 5 4 * *",
    job=next(job for job in ingest_by_year_jobs if job.name == "ingest_ispra_by_year"),
    execution_timezone=TIMEZONE,
    default_status=schedule_status(),
    description="Monthly on the 4th at 05:00: ISPRA publishes a closed year each December "
    "and revises the year before; reloads the newest two years.",
)
def ispra_monthly(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return _requests(context, "ispra/waste", count=2)


@dg.schedule(
    cron_schedule="0 5 5 * *",
    job=registers_job,
    execution_timezone=TIMEZONE,
    default_status=schedule_status(),
    description="Monthly on the 5th at 05:00: hospitals, pharmacies and the current year of "
    "energy certificates from dati.lombardia.it, whose sensors may be switched off.",
)
def lombardia_registers_monthly(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return _requests(context, "lombardia/energy_certificates")


@dg.schedule(
    cron_schedule="0 2 * * *",
    job=build_job,
    execution_timezone=TIMEZONE,
    default_status=schedule_status(),
    description="Nightly at 02:00: validate the raw tables, build and test every dbt model, "
    "then publish the analysts' warehouse and the open-data exports. Anything a blocking "
    "check stops stays as it was published the night before.",
)
def nightly_build(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"{context.scheduled_execution_time:%Y-%m-%d}")


@dg.schedule(
    cron_schedule="0 4 * * *",
    job=publish_job,
    execution_timezone=TIMEZONE,
    default_status=schedule_status(),
    description="Nightly at 04:00, after the build: publish the dated open-data release and "
    "its portal from the warehouse the build published (only what passed every blocking "
    "check is there).",
)
def nightly_publication(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"{context.scheduled_execution_time:%Y-%m-%d}")


SCHEDULES = [
    air_quality_daily,
    labour_contracts_weekly,
    istat_monthly,
    ispra_monthly,
    lombardia_registers_monthly,
    nightly_build,
    nightly_publication,
]
