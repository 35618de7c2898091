"""The download portal as a visitor sees it: served over HTTP, opened in headless Chromium.

A fake release folder (data files, a bundle, the analysts' database, metadata, the quality
report) gets its portal built from a hand-made warehouse of a dozen comuni over six years,
then ``SHA256SUMS`` over everything, as the release mechanism does. ``python -m
exports.portal.serve`` serves it on a free port of 127.0.0.1. On the home page, a Driver page
and a comune page, every link to a file of the release must download bytes whose SHA-256 is
the one ``SHA256SUMS`` lists, and the charts must be drawn with a real size. Screenshots go to
``test-artifacts/portal-*.png``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from exports.portal import build_portal
from osservatorio.settings import REPO_ROOT
from tests.support.browser import screenshot_afterwards
from tests.unit.exports.test_portal import (
    DATASETS,
    DRIVERS,
    INDICATORS,
    TARGETS,
    fake_release,
    make_warehouse,
    write_checksums,
)

pytestmark = pytest.mark.integration

RELEASE = "2025-06-01"
STARTUP_TIMEOUT = 30.0
RENDER_TIMEOUT = 30

# A dozen comuni in three zone plus Milano, so the charts look like the real ones.
ZONE = [
    ("adda_martesana", "Adda Martesana", 4, 1),
    ("alto_milanese", "Alto Milanese", 4, 2),
    ("sud_est", "Sud Est", 3, 6),
    ("milano", "Milano", 1, 8),
]
NAMES = {
    "adda_martesana": ["Cassano d'Adda", "Gorgonzola", "Melzo", "Pioltello"],
    "alto_milanese": ["Arconate", "Legnano", "Parabiago", "Rescaldina"],
    "sud_est": ["Melegnano", "Peschiera Borromeo", "San Donato Milanese"],
    "milano": ["Milano"],
}
COMUNI = [
    (f"015{100 + i:03d}", name, zona, label, f"X{i:03d}", "ITC4C", "015", zona == "milano")
    for i, (zona, name, label) in enumerate(
        (zona, name, label) for zona, label, _, _ in ZONE for name in NAMES[zona]
    )
]
YEARS = range(2019, 2025)


def values() -> list[tuple]:
    """D01_01 and D02_01 per comune, zona and cm (zone and cm as plain means), D01_02 at cm."""
    rows: list[tuple] = []
    for indicator, start, step in (("D01_01", 20.0, 6.5), ("D02_01", 12.0, -0.4)):
        for year in YEARS:
            by_zona: dict[str, list[float]] = {}
            for number, comune in enumerate(COMUNI):
                value = round(start + (number * 7 % 11) * 2.5 + step * (year - 2019), 2)
                rows.append((indicator, "comune", comune[0], year, value))
                by_zona.setdefault(comune[2], []).append(value)
            for zona, members in by_zona.items():
                rows.append((indicator, "zona", zona, year, round(sum(members) / len(members), 2)))
            everything = [v for members in by_zona.values() for v in members]
            rows.append((indicator, "cm", "215", year, round(sum(everything) / len(everything), 2)))
    rows += [("D01_02", "cm", "215", year, 40.0 + 5 * (year - 2019)) for year in YEARS]
    return rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("portal-ui")
    warehouse = make_warehouse(
        base / "osservatorio.duckdb",
        zone=ZONE,
        comuni=COMUNI,
        drivers=DRIVERS,
        indicators=INDICATORS,
        values=values(),
        targets=TARGETS,
    )
    root = base / "releases" / RELEASE
    files = fake_release(root)
    build_portal(root / "site", warehouse, DATASETS, files, RELEASE, root / "quality/index.html")
    write_checksums(root)
    return root


@pytest.fixture(scope="module")
def checksums(release: Path) -> dict[str, str]:
    lines = (release / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {path: digest for digest, path in (line.split("  ", 1) for line in lines)}


@pytest.fixture(scope="module")
def portal(release: Path, artifacts_dir: Path) -> Iterator[str]:
    """``python -m exports.portal.serve`` on a free port, in its own process group."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = artifacts_dir / "portal-server.log"
    command = [sys.executable, "-m", "exports.portal.serve", "--release", str(release)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while _get(base_url + "/site/index.html") is None:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the portal server did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def open_page(browser: WebDriver, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, RENDER_TIMEOUT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "footer.site"))
    )


def check_links(browser: WebDriver, portal: str, checksums: dict[str, str]) -> list[str]:
    """Every link of the page to a file of the release downloads the bytes SHA256SUMS lists;
    returns the release paths checked."""
    hrefs = browser.execute_script(
        "return [...document.querySelectorAll('a[href]')].map((a) => a.href)"
    )
    checked = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != portal:
            assert parts.netloc == "creativecommons.org", f"unexpected external link {href}"
            continue
        relative = parts.path.lstrip("/")
        if relative.endswith("/") or not relative:  # a folder: the server sends its index
            relative += "index.html"
        body = _get(f"{portal}/{relative}")
        assert body is not None, f"{href} does not download"
        if relative == "SHA256SUMS":
            assert body == "".join(f"{d}  {p}\n" for p, d in checksums.items()).encode()
        else:
            assert relative in checksums, f"{relative} is not listed in SHA256SUMS"
            assert hashlib.sha256(body).hexdigest() == checksums[relative], relative
        checked.append(relative)
    return checked


def visible_svgs(browser: WebDriver, selector: str) -> list:
    shown = [e for e in browser.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]
    return [e for e in shown if e.size["width"] > 0 and e.size["height"] > 0]


def test_the_home_page_links_every_download_with_a_matching_checksum(
    browser: WebDriver, portal: str, checksums: dict[str, str], artifacts_dir: Path
) -> None:
    open_page(browser, portal + "/")  # the root redirects to the portal
    with screenshot_afterwards(browser, artifacts_dir / "portal-home.png"):
        assert browser.current_url == portal + "/site/"
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "it"
        checked = check_links(browser, portal, checksums)
        assert {
            "data/fct_indicator_value.csv",
            "data/fct_indicator_value.parquet",
            "data/fct_indicator_value.json",
            "bundles/D01.zip",
            "osservatorio.duckdb",
            "catalogue.ttl",
            "datapackage.json",
            "SHA256SUMS",
            "quality/index.html",
            "site/drivers/D01.html",
            "site/comuni/015100.html",
            "site/en/index.html",
        } <= set(checked)


def test_a_driver_page_draws_its_charts(
    browser: WebDriver, portal: str, checksums: dict[str, str], artifacts_dir: Path
) -> None:
    open_page(browser, portal + "/site/drivers/D01.html")
    with screenshot_afterwards(browser, artifacts_dir / "portal-driver.png"):
        assert "bundles/D01.zip" in check_links(browser, portal, checksums)
        charts = visible_svgs(browser, "figure.chart svg[role='img']")
        # D01_01: time series and ranking; D01_02: time series only.
        assert len(charts) == 3
        series = browser.find_element(By.CSS_SELECTOR, "#D01_01-series svg")
        assert series.size["width"] >= 400 and series.size["height"] >= 200
        assert series.find_elements(By.CSS_SELECTOR, "path")  # the line is drawn
        browser.execute_script(
            "document.getElementById('indicators').scrollIntoView({block: 'start'})"
        )


def test_a_comune_page_shows_its_values_and_sparklines(
    browser: WebDriver, portal: str, checksums: dict[str, str], artifacts_dir: Path
) -> None:
    open_page(browser, portal + "/site/comuni/015111.html")  # Milano
    with screenshot_afterwards(browser, artifacts_dir / "portal-comune.png"):
        assert browser.find_element(By.TAG_NAME, "h1").text == "Milano"
        check_links(browser, portal, checksums)
        rows = browser.find_elements(By.CSS_SELECTOR, "table.comune-values tbody tr")
        assert [r.get_attribute("data-indicator") for r in rows] == ["D01_01", "D02_01"]
        assert len(visible_svgs(browser, "svg.spark")) == 2
    browser.find_element(By.CSS_SELECTOR, "a.lang").click()  # the same comune in English
    WebDriverWait(browser, RENDER_TIMEOUT).until(ec.url_contains("/site/en/comuni/015111.html"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
