"""The real Dagster webserver on 127.0.0.1, and a headless Chromium to look at it.

The webserver runs as its own process group with a throwaway DAGSTER_HOME and data
directory, so a UI test never touches ``data/`` and never leaves a process behind. Its log,
chromedriver's log and the screenshots go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver

from osservatorio.settings import REPO_ROOT
from tests.support.browser import headless_chromium

ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
WEBSERVER = Path(sys.executable).parent / "dagster-webserver"
WORKSPACE = REPO_ROOT / "workspace.yaml"
STARTUP_TIMEOUT = 180.0  # seconds, webserver start and code location load together
STOP_TIMEOUT = 15.0

# No telemetry, and no "join the community" dialog over the page we want to look at.
DAGSTER_YAML = "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"

WORKSPACE_QUERY = """
{ workspaceOrError {
    __typename
    ... on Workspace { locationEntries {
        name loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message causes { message } }
          ... on RepositoryLocation { repositories { name } }
        } } }
    ... on PythonError { message } } }
"""


@dataclass(frozen=True)
class DagsterUI:
    """A running webserver: where it answers and which repository it serves."""

    base_url: str
    location: str
    repository: str
    log_path: Path

    @property
    def repo_path(self) -> str:
        """The ``<repository>@<location>`` segment of the UI's ``/locations/...`` URLs."""
        return f"{self.repository}@{self.location}"

    def url(self, path: str) -> str:
        return self.base_url + path


class WebserverFailed(Exception):
    """The webserver exited, or its code location failed to load; the message says why."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(log_path: Path, chars: int = 6000) -> str:
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return text[-chars:] or "(empty)"


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _graphql(base_url: str, query: str) -> dict | None:
    request = urllib.request.Request(
        base_url + "/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _loaded_location(base_url: str) -> tuple[str, str] | None:
    """``(location, repository)`` once the single code location has loaded, None while it is
    still loading; raises with Dagster's own error when the location failed to load."""
    reply = _graphql(base_url, WORKSPACE_QUERY)
    if reply is None or "data" not in reply:
        return None
    workspace = reply["data"]["workspaceOrError"]
    if workspace["__typename"] == "PythonError":
        raise WebserverFailed(f"the workspace failed to load:\n{workspace['message']}")
    entries = workspace["locationEntries"]
    if not entries or any(entry["loadStatus"] != "LOADED" for entry in entries):
        return None
    for entry in entries:
        # loadStatus is LOADED for a failed location too: the error is in locationOrLoadError.
        loaded = entry["locationOrLoadError"]
        if loaded is None or loaded["__typename"] == "PythonError":
            error = loaded or {"message": "no error reported"}
            message = "\nCaused by: ".join(
                [error["message"].strip(), *(c["message"].strip() for c in error.get("causes", []))]
            )
            raise WebserverFailed(f"code location {entry['name']!r} failed to load:\n{message}")
    (entry,) = entries
    return entry["name"], entry["locationOrLoadError"]["repositories"][0]["name"]


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str) -> tuple[str, str]:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    stage = "answer on /server_info"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise WebserverFailed(f"dagster-webserver exited with {process.returncode}")
        if stage.startswith("answer"):
            if _get(base_url + "/server_info") is not None:
                stage = "load the code location"
                continue
        elif (loaded := _loaded_location(base_url)) is not None:
            return loaded
        time.sleep(0.5)
    raise WebserverFailed(f"dagster-webserver did not {stage} within {STARTUP_TIMEOUT:.0f} s")


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the webserver's group (webserver and code server), then SIGKILL what is left."""
    pgid = process.pid  # start_new_session: the webserver leads its own group
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="module")
def dagster_ui(
    tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path
) -> Iterator[DagsterUI]:
    """``dagster-webserver`` on a free port, serving ``workspace.yaml``, once it has loaded."""
    # Import the definitions here first: that parses the dbt project if its manifest is
    # stale, so the webserver's code server finds it fresh instead of racing us to write it.
    import orchestration.definitions  # noqa: F401

    dagster_home = tmp_path_factory.mktemp("dagster-home")
    (dagster_home / "dagster.yaml").write_text(DAGSTER_YAML)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "OSSERVATORIO_DATA_DIR": str(tmp_path_factory.mktemp("data")),
    }
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = artifacts_dir / "dagster-webserver.log"
    command = [str(WEBSERVER), "-h", "127.0.0.1", "-p", str(port), "-w", str(WORKSPACE)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            location, repository = _wait_until_ready(process, base_url)
        except WebserverFailed as failure:
            pytest.fail(
                f"{failure}\n--- {log_path} (tail) ---\n{_log_tail(log_path)}", pytrace=False
            )
        yield DagsterUI(base_url, location, repository, log_path)
    finally:
        _stop_process_group(process)


@pytest.fixture(scope="module")
def browser(artifacts_dir: Path) -> Iterator[webdriver.Chrome]:
    with headless_chromium(log_path=artifacts_dir / "chromedriver.log") as driver:
        yield driver
