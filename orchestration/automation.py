"""Whether schedules and source-polling sensors start switched on.

On a laptop (``make ui``) they start stopped: nobody wants a 02:00 build on a sleeping
machine. A deployment sets ``OSSERVATORIO_AUTOMATION=on`` and they start running. Either
way each can be switched from the UI. Inbox sensors, alerts and freshness checks only
react to what happens, so they always start running.
"""

from __future__ import annotations

import os

import dagster as dg

AUTOMATION_ENV = "OSSERVATORIO_AUTOMATION"


def automation_on() -> bool:
    return os.environ.get(AUTOMATION_ENV, "").lower() in {"1", "on", "true", "yes"}


def schedule_status() -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if automation_on() else dg.DefaultScheduleStatus.STOPPED


def polling_status() -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if automation_on() else dg.DefaultSensorStatus.STOPPED
