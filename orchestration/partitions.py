"""Yearly partitions for the datasets their sources publish by year."""

from __future__ import annotations

from functools import cache

import dagster as dg

from ingestion.common.dataset import Dataset, Yearly

TIMEZONE = "Europe/Rome"


@cache
def yearly_partitions(yearly: Yearly) -> dg.TimeWindowPartitionsDefinition:
    """One partition per calendar year from the source's first year: through the current
    year when the source publishes it as it goes, through the last closed year otherwise.
    Cached so that datasets with the same calendar share one definition (and one job)."""
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule="0 0 1 1 *",
        start=str(yearly.first_year),
        fmt="%Y",
        timezone=TIMEZONE,
        end_offset=1 if yearly.current_year else 0,
    )


def partitions_def(dataset: Dataset) -> dg.TimeWindowPartitionsDefinition | None:
    return yearly_partitions(dataset.yearly) if dataset.yearly else None
