"""Freshness: each source is expected back as often as it publishes.

Every raw asset carries a ``FreshnessPolicy``: it warns when its last materialization is
older than its source's cadence plus a margin, and fails at twice that. Dagster's freshness
daemon (part of ``dagster dev`` and ``dagster-daemon``) evaluates them; the state shows on
each asset and in the asset-health views. Stale data is still the best we have, so freshness
never blocks a run.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from ingestion.common.dataset import Dataset

DAY = timedelta(days=1)
# (expected interval, why): a source's cadence, with a margin for a late publication.
BY_SOURCE: dict[str, tuple[timedelta, str]] = {
    "istat": (35 * DAY, "checked monthly for new releases"),
    "lombardia": (35 * DAY, "registers checked monthly"),
    "ispra": (35 * DAY, "waste checked monthly; ISPRA publishes a year each December"),
    "ats": (100 * DAY, "ATS sends its registers quarterly"),
    "afol": (400 * DAY, "AFOL sends the employment centres yearly"),
    "cittametropolitana": (400 * DAY, "the Città metropolitana's registers are yearly"),
    "energy": (400 * DAY, "the photovoltaic and charging-point registers are yearly"),
}
BY_DATASET: dict[str, tuple[timedelta, str]] = {
    "lombardia/air_stations": (2 * DAY, "refreshed daily with the measurements"),
    "lombardia/air_measurements": (2 * DAY, "hourly data refreshed daily"),
    "lombardia/labour_activated": (8 * DAY, "published weekly"),
    "lombardia/labour_ceased": (8 * DAY, "published weekly"),
    "afol/gol_beneficiaries": (45 * DAY, "AFOL sends the GOL figures monthly"),
    "ats/general_practitioners": (400 * DAY, "ATS sends the GP counts yearly"),
    "ispra/soil_consumption": (400 * DAY, "ISPRA publishes soil consumption yearly"),
}
PUBLICATION = (2 * DAY, "published nightly")


def expected_interval(dataset: Dataset) -> tuple[timedelta, str]:
    return BY_DATASET.get(dataset.key, BY_SOURCE[dataset.source])


def policy(interval: timedelta) -> dg.FreshnessPolicy:
    """Warn past the expected interval; fail when a whole further interval went by."""
    return dg.FreshnessPolicy.time_window(fail_window=2 * interval, warn_window=interval)


def dataset_policy(dataset: Dataset) -> dg.FreshnessPolicy:
    return policy(expected_interval(dataset)[0])


PUBLICATION_POLICY = policy(PUBLICATION[0])
