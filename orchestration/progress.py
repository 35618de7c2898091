"""A Dagster logger that prints one line per step, asset and check: progress, not silence."""

from __future__ import annotations

import logging
import sys
import time

import dagster as dg
from dagster._core.events import DagsterEventType

# dagster-dbt warns once per dbt source test that it records an observation (source tests are
# deliberately not checks: see orchestration/dbt.py); dozens of lines that need no action.
QUIET_WARNINGS = ("Logging an `AssetObservation` instead of an `AssetCheckResult`",)


class ProgressHandler(logging.Handler):
    def __init__(self, label: str, total: int) -> None:
        super().__init__()
        self.label = label
        self.total = total
        self.done = 0
        self.started: dict[str, float] = {}
        self.checks_passed = 0
        self.seen: set[str] = set()

    def _print(self, text: str) -> None:
        # The real stdout: `osservatorio run` sends dbt's own chatter to a log file.
        print(f"[{self.label}] {text}", file=sys.__stdout__, flush=True)

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            if any(quiet in record.getMessage() for quiet in QUIET_WARNINGS):
                return
            if record.levelno >= logging.WARNING:
                self._print(f"{record.levelname.lower()}: {record.getMessage()}")
            return
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            self.started[event.step_key] = time.monotonic()
            self._print(f"running {event.step_key} ...")
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            key = materialization.asset_key.to_user_string()
            if key in self.seen:
                return  # another year of a ranged run: the asset is counted once
            self.seen.add(key)
            self.done += 1
            rows = materialization.metadata.get(
                "dagster/row_count", materialization.metadata.get("rows_in_run")
            )
            suffix = f" ({rows.value:,} rows)" if rows is not None else ""
            self._print(f"{self.done}/{self.total} assets: {key}{suffix}")
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                self.checks_passed += 1
                return
            self._print(
                f"check FAILED ({evaluation.severity.value}): "
                f"{evaluation.asset_check_key.name} on "
                f"{evaluation.asset_key.to_user_string()}"
            )
        elif kind == DagsterEventType.STEP_SUCCESS:
            elapsed = time.monotonic() - self.started.get(event.step_key, time.monotonic())
            checks = f", {self.checks_passed} checks passed" if self.checks_passed else ""
            self.checks_passed = 0
            self._print(f"finished {event.step_key} in {elapsed:.1f}s{checks}")
        elif kind == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            message = error.message.strip() if error else "unknown error"
            cause = error.cause.message.strip() if error and error.cause else ""
            self._print(f"FAILED {event.step_key}: {message}" + (f" <- {cause}" if cause else ""))


@dg.logger(
    config_schema={
        "label": dg.Field(str, default_value="run"),
        "total": dg.Field(int, default_value=0),
    },
    description="One line per step, materialized asset and check (used by `osservatorio run`).",
)
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger("osservatorio.progress", level=logging.DEBUG)
    logger.addHandler(
        ProgressHandler(init_context.logger_config["label"], init_context.logger_config["total"])
    )
    return logger
