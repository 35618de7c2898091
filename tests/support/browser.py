"""Headless Chromium for UI tests: Debian's ``chromium`` driven by Debian's ``chromedriver``.

Shared by every test that looks at a real web page (the Dagster UI, later the open-data
portal). The browser and its driver come from apt, never from the network at run time:
Selenium is given the driver path explicitly, so selenium-manager is never consulted and never
downloads anything. Each browser gets a fresh profile directory, removed when it quits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
APT_PACKAGES = ("chromium", "chromium-driver")
WINDOW_SIZE = (1600, 1000)

# Quiet, offline, container-friendly: no sandbox (we run as root), no GPU, no background
# traffic to Google (updates, sync, QUIC), /tmp instead of a small /dev/shm.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def _apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    # Wait for a concurrent apt (another test worker) instead of failing on its lock.
    return subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=300", *args],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def ensure_chromium() -> None:
    """Install Debian's chromium and chromedriver when missing.

    A failed install fails the calling test with apt's output: a UI test that silently skips
    would hide a broken setup. Only a machine without apt at all is a skip.
    """
    if CHROMIUM.is_file() and CHROMEDRIVER.is_file():
        return
    if shutil.which("apt-get") is None:
        pytest.skip(f"{CHROMIUM} or {CHROMEDRIVER} is missing and apt-get is not available")
    install = ("install", "-y", "--no-install-recommends", *APT_PACKAGES)
    result = _apt_get(*install)
    if result.returncode != 0:
        # Package lists may be missing or stale (fresh container): refresh once and retry.
        update = _apt_get("update")
        result = _apt_get(*install) if update.returncode == 0 else update
    if result.returncode != 0 or not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.fail(
            f"could not install {' '.join(APT_PACKAGES)} with apt-get "
            f"(exit {result.returncode}); UI tests need {CHROMIUM} and {CHROMEDRIVER}.\n"
            f"--- stdout ---\n{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-3000:]}",
            pytrace=False,
        )


def chromium_options(user_data_dir: Path) -> Options:
    """Options for a headless, offline Chromium using the given (fresh) profile directory."""
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.add_argument(f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}")
    return options


@contextmanager
def headless_chromium(log_path: Path | None = None) -> Iterator[webdriver.Chrome]:
    """A headless Chromium WebDriver, installed first if needed, quit (and its profile removed)
    on exit. ``log_path`` receives chromedriver's log, handy when the browser will not start.
    """
    ensure_chromium()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        service = Service(
            executable_path=str(CHROMEDRIVER),
            log_output=str(log_path) if log_path is not None else subprocess.DEVNULL,
        )
        driver = webdriver.Chrome(service=service, options=chromium_options(Path(profile)))
        try:
            driver.set_window_size(*WINDOW_SIZE)
            yield driver
        finally:
            driver.quit()


def save_screenshot(driver: webdriver.Chrome, path: Path) -> Path:
    """Save a PNG of the current viewport, creating the directory; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not driver.save_screenshot(str(path)):
        raise OSError(f"chromium could not write the screenshot {path}")
    return path


@contextmanager
def screenshot_afterwards(driver: webdriver.Chrome, path: Path) -> Iterator[Path]:
    """Save a screenshot when the block ends, whether its checks passed or failed: the picture
    of the page is the first thing to look at when a UI test breaks."""
    try:
        yield path
    finally:
        save_screenshot(driver, path)
