"""Run-failure alerts: a log line, a JSON file per failed run, and an optional webhook.

The failure of a scheduled or launched run must reach a person without anyone watching the UI.
The sensor records each failed run of this code location in ``<data dir>/alerts/<run id>.json``
(what failed, why, and the link to the run) and, when ``OSSERVATORIO_ALERT_WEBHOOK_URL`` is set,
posts the same JSON there (a chat or incident tool). The webhook URL is a secret: it is read
from the environment only and never logged or written anywhere.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import requests

from osservatorio.settings import Settings

WEBHOOK_URL_ENV = "OSSERVATORIO_ALERT_WEBHOOK_URL"
UI_URL_ENV = "OSSERVATORIO_DAGSTER_URL"
DEFAULT_UI_URL = "http://127.0.0.1:3000"
WEBHOOK_TIMEOUT_SECONDS = 10.0
WEBHOOK_DELIVERED = "webhook delivered"
MAX_MESSAGE_CHARS = 500

# Dagster wraps an exception raised in a step in one of these; the cause is what went wrong.
_WRAPPER_ERRORS = frozenset(
    {
        "DagsterExecutionStepExecutionError",
        "DagsterExecutionLoadInputError",
        "DagsterExecutionHandleOutputError",
        "DagsterResourceFunctionError",
    }
)


def first_line(text: str | None) -> str:
    """The first non-empty line of a message, capped: an alert is read at a glance."""
    for line in (text or "").splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 1] + "…"
    return ""


def step_error(event: dg.DagsterEvent) -> dict[str, str]:
    """The failed step and the first line of the error that failed it (wrappers removed)."""
    error = event.step_failure_data.error if event.step_failure_data else None
    while error is not None and error.cause is not None and error.cls_name in _WRAPPER_ERRORS:
        error = error.cause
    return {
        "step": event.step_key or "",
        "error": first_line(error.message) if error else "unknown error",
        "error_class": (error.cls_name or "") if error else "",
    }


def ui_base_url() -> str:
    """Where the team opens the Dagster UI (``OSSERVATORIO_DAGSTER_URL``, else the local one)."""
    return (os.environ.get(UI_URL_ENV, "").strip() or DEFAULT_UI_URL).rstrip("/")


def build_alert(
    run: dg.DagsterRun,
    failure_event: dg.DagsterEvent | None,
    step_failures: Sequence[dg.DagsterEvent],
    *,
    failed_at: datetime,
    ui_url: str,
) -> dict[str, Any]:
    """The alert for one failed run: plain JSON, the same in the file and in the webhook."""
    failure_data = failure_event.event_specific_data if failure_event else None
    reason = getattr(failure_data, "failure_reason", None)
    return {
        "alert": "run_failure",
        "run_id": run.run_id,
        "job_name": run.job_name,
        "failed_at": failed_at.astimezone(UTC).isoformat(timespec="seconds"),
        "failure_reason": reason.value if reason is not None else None,
        "message": first_line(failure_event.message if failure_event else None),
        "failed_steps": [step_error(event) for event in step_failures],
        "tags": dict(sorted(run.tags.items())),
        "url": f"{ui_url.rstrip('/')}/runs/{run.run_id}",
    }


def record_alert(alert: Mapping[str, Any], alerts_dir: Path) -> Path:
    """Write ``<alerts_dir>/<run id>.json`` atomically (readers never see half an alert)."""
    alerts_dir.mkdir(parents=True, exist_ok=True)
    target = alerts_dir / f"{alert['run_id']}.json"
    fd, temporary = tempfile.mkstemp(dir=alerts_dir, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(alert, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def deliver_webhook(
    alert: Mapping[str, Any], url: str, *, timeout: float = WEBHOOK_TIMEOUT_SECONDS
) -> str:
    """POST the alert as JSON; return the outcome to log. Never raises, never echoes the URL.

    The outcome names only the HTTP status or the exception class: exception messages from
    ``requests`` quote the URL, and the URL is the secret.
    """
    try:
        response = requests.post(url, json=alert, timeout=timeout, allow_redirects=False)
    except Exception as error:  # any failure to deliver is reported, never raised
        return f"webhook failed: {type(error).__name__}"
    if 200 <= response.status_code < 300:
        return WEBHOOK_DELIVERED
    return f"webhook failed: HTTP {response.status_code}"


def alert_log_line(alert: Mapping[str, Any], path: Path) -> str:
    """One line for the sensor's log: which run failed, where, and where to read more."""
    steps = ", ".join(f"{s['step']} ({s['error']})" for s in alert["failed_steps"]) or "none"
    return (
        f"Run {alert['run_id']} of job {alert['job_name']} failed at {alert['failed_at']}; "
        f"failed steps: {steps}; alert: {path}; run: {alert['url']}"
    )


def _failure_time(context: dg.RunFailureSensorContext) -> datetime:
    record = context.instance.get_run_record_by_id(context.dagster_run.run_id)
    if record is not None and record.end_time is not None:
        return datetime.fromtimestamp(record.end_time, UTC)
    return datetime.now(UTC)


@dg.run_failure_sensor(
    name="run_failure_alert",
    description=(
        "Records every failed run of this code location: a warning in the sensor's log, a JSON "
        "file in <data dir>/alerts/<run id>.json (job, failed steps and their errors, tags, "
        "link to the run) and, if OSSERVATORIO_ALERT_WEBHOOK_URL is set, a POST of the same JSON "
        "to that webhook."
    ),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    """Record the alert for one failed run; a webhook that cannot be reached is only logged."""
    alert = build_alert(
        context.dagster_run,
        context.failure_event,
        context.get_step_failure_events(),
        failed_at=_failure_time(context),
        ui_url=ui_base_url(),
    )
    path = record_alert(alert, Settings.from_env().data_dir / "alerts")
    context.log.warning(alert_log_line(alert, path))
    url = os.environ.get(WEBHOOK_URL_ENV, "").strip()
    if url:
        outcome = deliver_webhook(alert, url)
        if outcome == WEBHOOK_DELIVERED:
            context.log.info(outcome)
        else:
            context.log.warning(outcome)


ALERT_SENSORS = [run_failure_alert]
