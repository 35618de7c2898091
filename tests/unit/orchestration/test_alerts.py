"""Run-failure alerts: every failed run leaves a log line and a JSON file, and reaches the webhook.

A real failed run (a tiny job whose step raises, executed in process) is handed to the sensor
the way the daemon would; the webhook is a local HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from orchestration.alerts import ALERT_SENSORS, run_failure_alert

SECRET = "s3cr3t-hook-token-0123456789"
SOURCE_ERROR = "the source answered 503"


@dg.op
def fetch_source() -> None:
    raise ValueError(f"{SOURCE_ERROR}\nretry budget exhausted after 5 attempts")


@dg.job(tags={"osservatorio/warehouse": "write"})
def failing_job() -> None:
    fetch_source()


@dataclass
class FailedRun:
    instance: dg.DagsterInstance
    run: dg.DagsterRun
    failure_event: dg.DagsterEvent


@pytest.fixture(scope="module")
def failed_run() -> Iterator[FailedRun]:
    instance = dg.DagsterInstance.ephemeral()
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    yield FailedRun(instance, result.dagster_run, result.get_run_failure_event())
    instance.dispose()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OSSERVATORIO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OSSERVATORIO_ALERT_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("OSSERVATORIO_DAGSTER_URL", raising=False)
    return tmp_path


def evaluate(failed: FailedRun, event: dg.DagsterEvent | None = None) -> None:
    """Hand the failed run to the sensor, as the daemon does on its next tick."""
    context = dg.build_run_status_sensor_context(
        sensor_name=run_failure_alert.name,
        dagster_instance=failed.instance,
        dagster_run=failed.run,
        dagster_event=event or failed.failure_event,
    )
    run_failure_alert(context)


def alert_file(data_dir: Path, run_id: str) -> dict:
    return json.loads((data_dir / "alerts" / f"{run_id}.json").read_text("utf-8"))


@dataclass
class Webhook:
    """A local webhook receiver answering every POST with ``status``."""

    url: str
    status: int = 200
    posts: list[dict] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hook.posts.append(
                {
                    "path": self.path,
                    "content_type": self.headers["Content-Type"],
                    "json": json.loads(body),
                }
            )
            self.send_response(hook.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass  # the request line holds the secret path: keep it out of captured stderr

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/{SECRET}"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def unreachable_url() -> str:
    """A URL on a port nobody listens on (bound, then released)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/hooks/{SECRET}"


def test_a_failed_run_is_recorded_as_json_named_after_the_run(
    failed_run: FailedRun, data_dir: Path
) -> None:
    before = datetime.now(UTC)
    evaluate(failed_run)

    alert = alert_file(data_dir, failed_run.run.run_id)
    assert alert["run_id"] == failed_run.run.run_id
    assert alert["job_name"] == "failing_job"
    assert alert["failure_reason"] == "STEP_FAILURE"
    # The step's own exception, first line only: not Dagster's wrapper, not the details.
    assert alert["failed_steps"] == [
        {
            "step": "fetch_source",
            "error": f"ValueError: {SOURCE_ERROR}",
            "error_class": "ValueError",
        }
    ]
    assert alert["tags"]["osservatorio/warehouse"] == "write"
    assert alert["url"] == f"http://127.0.0.1:3000/runs/{failed_run.run.run_id}"
    failed_at = datetime.fromisoformat(alert["failed_at"])
    assert failed_at.utcoffset() == timedelta(0)
    assert before - timedelta(minutes=5) < failed_at <= datetime.now(UTC)
    # Written atomically: no temporary file is left beside it.
    assert [p.name for p in (data_dir / "alerts").iterdir()] == [f"{failed_run.run.run_id}.json"]


def test_the_failure_is_logged_as_one_warning_line(
    failed_run: FailedRun, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluate(failed_run)

    lines = [line for line in capsys.readouterr().err.splitlines() if "WARNING" in line]
    assert len(lines) == 1
    line = lines[0]
    assert f"Run {failed_run.run.run_id} of job failing_job failed" in line
    assert f"fetch_source (ValueError: {SOURCE_ERROR})" in line
    assert str(data_dir / "alerts" / f"{failed_run.run.run_id}.json") in line


def test_the_run_link_points_at_the_configured_ui(
    failed_run: FailedRun, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSSERVATORIO_DAGSTER_URL", "https://dagster.example.org/")
    evaluate(failed_run)

    run_id = failed_run.run.run_id
    assert alert_file(data_dir, run_id)["url"] == f"https://dagster.example.org/runs/{run_id}"


def test_a_run_failed_without_a_failed_step_is_alerted_with_its_reason(data_dir: Path) -> None:
    # What run monitoring does to a run whose worker died or never started.
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(failing_job, tags={"osservatorio/warehouse": "write"})
    event = instance.report_run_failed(run, "Run timed out after 180 seconds to start.\nDebug")
    failed = FailedRun(instance, instance.get_run_by_id(run.run_id), event)

    evaluate(failed)

    alert = alert_file(data_dir, run.run_id)
    assert alert["failed_steps"] == []
    assert alert["message"] == "Run timed out after 180 seconds to start."


def test_the_webhook_receives_the_alert_json(
    failed_run: FailedRun,
    data_dir: Path,
    webhook: Webhook,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OSSERVATORIO_ALERT_WEBHOOK_URL", webhook.url)
    evaluate(failed_run)

    assert len(webhook.posts) == 1
    post = webhook.posts[0]
    assert post["path"] == f"/hooks/{SECRET}"
    assert post["content_type"] == "application/json"
    assert post["json"] == alert_file(data_dir, failed_run.run.run_id)
    assert "webhook delivered" in capsys.readouterr().err


def test_a_webhook_answering_500_does_not_stop_the_alert(
    failed_run: FailedRun,
    data_dir: Path,
    webhook: Webhook,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    webhook.status = 500
    monkeypatch.setenv("OSSERVATORIO_ALERT_WEBHOOK_URL", webhook.url)
    evaluate(failed_run)  # does not raise

    assert len(webhook.posts) == 1
    assert alert_file(data_dir, failed_run.run.run_id)["job_name"] == "failing_job"
    assert "webhook failed: HTTP 500" in capsys.readouterr().err


def test_an_unreachable_webhook_does_not_stop_the_alert(
    failed_run: FailedRun,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OSSERVATORIO_ALERT_WEBHOOK_URL", unreachable_url())
    evaluate(failed_run)  # does not raise

    assert alert_file(data_dir, failed_run.run.run_id)["job_name"] == "failing_job"
    assert "webhook failed: ConnectionError" in capsys.readouterr().err


@pytest.mark.parametrize("answer", [200, 500, "unreachable"])
def test_the_webhook_url_is_never_written_or_logged(
    answer: int | str,
    failed_run: FailedRun,
    data_dir: Path,
    webhook: Webhook,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    if answer == "unreachable":
        url = unreachable_url()  # requests' error message quotes the URL: it must not leak
    else:
        webhook.status = int(answer)
        url = webhook.url
    monkeypatch.setenv("OSSERVATORIO_ALERT_WEBHOOK_URL", url)

    evaluate(failed_run)

    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert "webhook " in logged  # the outcome was logged...
    written = "".join(p.read_text("utf-8") for p in (data_dir / "alerts").iterdir())
    for text in (logged, written):
        assert SECRET not in text  # ...but never the URL
        assert "/hooks/" not in text


def test_the_daemon_ticks_alert_each_new_failure_once(data_dir: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    # The first tick only marks where the sensor starts: older failures are not replayed.
    first = run_failure_alert.evaluate_tick(dg.build_sensor_context(instance=instance))
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)

    second = run_failure_alert.evaluate_tick(
        dg.build_sensor_context(instance=instance, cursor=first.cursor)
    )
    alert = data_dir / "alerts" / f"{result.run_id}.json"
    assert alert.is_file()
    assert second.run_requests == []

    alert.unlink()
    run_failure_alert.evaluate_tick(
        dg.build_sensor_context(instance=instance, cursor=second.cursor)
    )
    assert not alert.exists()  # the cursor moved past it: no second alert


def test_the_sensor_runs_by_default_and_loads_in_a_code_location() -> None:
    assert run_failure_alert.name == "run_failure_alert"
    assert run_failure_alert.default_status == dg.DefaultSensorStatus.RUNNING
    assert "alerts/<run id>.json" in (run_failure_alert.description or "")
    defs = dg.Definitions(jobs=[failing_job], sensors=ALERT_SENSORS)
    assert defs.resolve_sensor_def("run_failure_alert") is run_failure_alert
