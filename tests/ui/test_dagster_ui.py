"""The Dagster UI, as an engineer sees it: the real webserver, looked at in headless Chromium.

Which page shows every asset group: the global asset lineage page (``/asset-groups``, "Lineage"
in the left navigation). Its left sidebar lists each asset group of the code location as a
collapsed tree node (an ``asset_group`` icon followed by the name, whose full text is in the
``title`` attribute because long names are truncated in the middle on screen). The sidebar is
a virtualised list, so the test scrolls it from top to bottom and collects the names on the
way: every group is checked even when they no longer fit in the window.

The expected groups come from the definitions themselves, so regrouping assets never needs
this test to change; a few long-lived groups are pinned so an empty or broken graph cannot
pass. Screenshots of both pages are saved in ``test-artifacts/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import screenshot_afterwards

if TYPE_CHECKING:  # the fixture's type only; pytest loads conftest.py itself
    from tests.ui.conftest import DagsterUI

pytestmark = pytest.mark.integration

STABLE_GROUPS = {"istat", "lombardia", "exports"}
RENDER_TIMEOUT = 60  # seconds for a page to draw once the server is up
GROUP_NAME = '[aria-label="asset_group"] + [title]'
# An asset node of the graph: an SVG foreignObject whose title bar names the asset.
COMUNI_NAME = '[data-tooltip="istat__comuni"]'
COMUNI_NODE = "//*[local-name()='foreignObject'][.//*[@data-tooltip='istat__comuni']]"

# One step of reading the virtualised sidebar: the group names drawn now, then scroll down by
# most of a screen and let React draw the next rows (two animation frames) before returning.
READ_AND_SCROLL_SIDEBAR = """
const done = arguments[arguments.length - 1];
const selector = arguments[0];
const names = [...document.querySelectorAll(selector)].map((el) => el.getAttribute("title"));
let box = document.querySelector(selector);
while (box && !["auto", "scroll"].includes(getComputedStyle(box).overflowY)) {
  box = box.parentElement;
}
if (!box || box.scrollTop + box.clientHeight >= box.scrollHeight - 1) {
  if (box) box.scrollTop = 0;
  return done({names: names, atEnd: true});
}
box.scrollTop += Math.max(1, Math.floor(box.clientHeight * 0.8));
requestAnimationFrame(() => requestAnimationFrame(() => done({names: names, atEnd: false})));
"""


@pytest.fixture(scope="module")
def asset_groups() -> dict[str, list[str]]:
    """Every asset group of the definitions, with the user-facing keys of its assets."""
    from orchestration.definitions import defs

    groups: dict[str, list[str]] = {}
    for node in defs.resolve_asset_graph().asset_nodes:
        groups.setdefault(node.group_name, []).append(node.key.to_user_string())
    return groups


def groups_in_sidebar(driver: WebDriver, max_steps: int = 200) -> set[str]:
    """The group names of the lineage sidebar, read while scrolling it to the bottom."""
    driver.set_script_timeout(10)
    seen: set[str] = set()
    for _ in range(max_steps):
        step = driver.execute_async_script(READ_AND_SCROLL_SIDEBAR, GROUP_NAME)
        seen.update(step["names"])
        if step["atEnd"]:
            return seen
    raise AssertionError(f"the sidebar did not reach its end in {max_steps} scroll steps")


def test_the_definitions_have_the_long_lived_groups(asset_groups: dict[str, list[str]]) -> None:
    assert set(asset_groups) >= STABLE_GROUPS


def test_the_lineage_page_lists_every_asset_group_of_the_definitions(
    dagster_ui: DagsterUI,
    browser: WebDriver,
    asset_groups: dict[str, list[str]],
    artifacts_dir: Path,
) -> None:
    with screenshot_afterwards(browser, artifacts_dir / "dagster-ui-asset-groups.png"):
        browser.get(dagster_ui.url("/asset-groups"))
        WebDriverWait(browser, RENDER_TIMEOUT).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, GROUP_NAME)),
            "the lineage sidebar listed no asset group",
        )
        listed = groups_in_sidebar(browser)

    assert listed >= STABLE_GROUPS
    assert listed == set(asset_groups), (
        f"missing from the UI: {sorted(set(asset_groups) - listed)}; "
        f"not in the definitions: {sorted(listed - set(asset_groups))}"
    )


def test_the_istat_group_graph_draws_the_comuni_asset(
    dagster_ui: DagsterUI,
    browser: WebDriver,
    asset_groups: dict[str, list[str]],
    artifacts_dir: Path,
) -> None:
    assert "istat__comuni" in {key.rsplit("/", 1)[-1] for key in asset_groups["istat"]}
    page = f"/locations/{dagster_ui.repo_path}/asset-groups/istat"
    with screenshot_afterwards(browser, artifacts_dir / "dagster-ui-istat-graph.png"):
        browser.get(dagster_ui.url(page))
        name = WebDriverWait(browser, RENDER_TIMEOUT).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, COMUNI_NAME)),
            f"no istat__comuni node drawn on {page}",
        )
        assert name.text == "istat__comuni"
        # The node is drawn with its live status from the (fresh, empty) instance, not just a
        # placeholder: the status row moves from "Loading..." to "Never materialized".
        WebDriverWait(
            browser, RENDER_TIMEOUT, ignored_exceptions=[StaleElementReferenceException]
        ).until(
            lambda driver: "Never materialized" in driver.find_element(By.XPATH, COMUNI_NODE).text,
            "the istat__comuni node never showed its materialization status",
        )
