"""Which Drivers (and so which PNRR missions) each dataset and model serves, read off dbt.

A model in ``intermediate/indicators/dNN_*`` or named ``mart_driver_NN_*`` belongs to Driver
``DNN``; everything upstream of an indicator model serves that Driver too. Shared facts
downstream of every indicator (``fct_indicator_value``) serve all Drivers and carry
no tag. Deriving the tags from the dbt lineage keeps them true when a model changes, instead
of a hand-kept list going stale.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from osservatorio.settings import DBT_PROJECT_DIR

DRIVER_FOLDER = re.compile(r"^d(\d{2})_")
DRIVER_MART = re.compile(r"^mart_driver_(\d{2})_")
SOURCE_PREFIX = "source.osservatorio.raw."


@dataclass(frozen=True)
class Driver:
    driver_id: str  # D05
    group: str  # driver_05_mobilita: the Dagster group of its models
    title: str
    missions: tuple[str, ...]  # M3


@cache
def drivers(seeds_dir: Path = DBT_PROJECT_DIR / "seeds") -> dict[str, Driver]:
    """The ten Drivers from the dbt seeds (the plan's own list), by id."""
    with (seeds_dir / "driver_mission.csv").open(encoding="utf-8") as handle:
        missions: dict[str, list[str]] = {}
        for row in csv.DictReader(handle):
            missions.setdefault(row["driver_id"], []).append(row["mission_id"])
    with (seeds_dir / "driver.csv").open(encoding="utf-8") as handle:
        return {
            row["driver_id"]: Driver(
                driver_id=row["driver_id"],
                group=row["mart_name"].removeprefix("mart_"),
                title=row["title_it"],
                missions=tuple(sorted(missions.get(row["driver_id"], []))),
            )
            for row in csv.DictReader(handle)
        }


def own_driver(fqn: Iterable[str]) -> str | None:
    """The Driver a dbt node belongs to by its place in the project, if any."""
    for part in fqn:
        match = DRIVER_FOLDER.match(part) or DRIVER_MART.match(part)
        if match:
            return f"D{match.group(1)}"
    return None


def drivers_by_node(manifest: Mapping) -> dict[str, frozenset[str]]:
    """Every dbt node and source id mapped to the Drivers it belongs to or feeds."""
    served: dict[str, set[str]] = {}
    parents = manifest["parent_map"]
    for unique_id, node in manifest["nodes"].items():
        driver = own_driver(node.get("fqn", []))
        if driver is None or node.get("resource_type") == "test":
            continue
        if DRIVER_MART.match(node["name"]):
            # The mart reads the shared facts: their lineage says nothing of this Driver.
            served.setdefault(unique_id, set()).add(driver)
            continue
        stack = [unique_id]
        while stack:
            current = stack.pop()
            if driver in served.setdefault(current, set()):
                continue
            served[current].add(driver)
            stack.extend(parents.get(current, []))
    return {unique_id: frozenset(found) for unique_id, found in served.items()}


@cache
def _manifest_drivers(manifest_path: Path) -> dict[str, frozenset[str]]:
    return drivers_by_node(json.loads(manifest_path.read_text("utf-8")))


def driver_tags(driver_ids: Iterable[str]) -> dict[str, str]:
    """Tags ``driver/DNN`` and ``pnrr/MN`` (empty values, like Dagster's kinds): filterable
    in the UI, one key per Driver since a dataset often serves several."""
    known = drivers()
    tags: dict[str, str] = {}
    for driver_id in sorted(driver_ids):
        tags[f"driver/{driver_id}"] = ""
        for mission in known[driver_id].missions:
            tags[f"pnrr/{mission}"] = ""
    return tags


def tags_for_node(manifest_path: Path, unique_id: str) -> dict[str, str]:
    return driver_tags(_manifest_drivers(manifest_path).get(unique_id, frozenset()))


def tags_for_raw_table(manifest_path: Path, table: str) -> dict[str, str]:
    """The Driver tags of a raw table: those of the dbt source that reads it."""
    return tags_for_node(manifest_path, SOURCE_PREFIX + table)
