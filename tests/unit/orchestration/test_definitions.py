"""The shape of the asset graph, pinned: a refactor that moves an asset shows up here.

Regenerate the pinned shape after an intended change with
``UPDATE_ASSET_GRAPH=1 .venv/bin/python -m pytest tests/unit/orchestration``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingestion.registry import DATASETS

PINNED = Path(__file__).parents[2] / "fixtures" / "asset_graph.json"
# Partition keys depend on today's date: the pinned shape is read on a fixed day.
PINNED_NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def graph():
    from orchestration.definitions import defs

    return defs.resolve_asset_graph()


def shape(graph) -> dict[str, dict]:
    shape = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if not node.is_materializable:
            continue
        shape[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "owners": sorted(node.owners),
            "kinds": sorted(node.kinds),
            "checks": sorted(c.name for c in node.check_keys),
            "serves": sorted(t for t in node.tags if t.startswith(("driver/", "pnrr/"))),
            "partitions": (
                f"{keys[0]}..{keys[-1]}"
                if node.partitions_def
                and (keys := node.partitions_def.get_partition_keys(current_time=PINNED_NOW))
                else None
            ),
        }
    return shape


def test_graph_matches_the_pinned_shape(graph) -> None:
    current = shape(graph)
    if os.environ.get("UPDATE_ASSET_GRAPH"):
        PINNED.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    assert current == json.loads(PINNED.read_text())


def test_every_asset_is_described_grouped_owned_and_kinded(graph) -> None:
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        name = key.to_user_string()
        assert node.description and len(node.description) > 20, name
        assert node.group_name and node.group_name != "default", name
        assert node.owners == ["team:osservatorio-data"], name
        assert node.kinds, name


def test_one_raw_asset_per_declared_dataset_grouped_by_source(graph) -> None:
    for dataset in DATASETS:
        node = graph.get(__import__("dagster").AssetKey(["raw", dataset.table]))
        assert node.group_name == dataset.source
        assert {"python", "polars", "duckdb"} <= set(node.kinds)


def test_dbt_models_are_grouped_by_layer_and_by_driver(graph) -> None:
    from orchestration.dbt import dbt_models

    groups = {graph.get(key).group_name for key in dbt_models.keys}
    drivers = {
        "driver_01_campus_smart",
        "driver_02_verde_blu",
        "driver_03_sustain_ability",
        "driver_04_metabolismo_circolare",
        "driver_05_mobilita",
        "driver_06_produzione_logistica",
        "driver_07_scuole",
        "driver_08_lavoro",
        "driver_09_housing",
        "driver_10_salute",
    }
    assert groups == {"staging", "intermediate", "marts", "reference"} | drivers


def test_a_drivers_indicator_models_and_mart_share_its_group_and_keep_their_layer(graph) -> None:
    import dagster as dg

    mart = graph.get(dg.AssetKey(["marts", "mart_driver_04_metabolismo_circolare"]))
    waste = graph.get(
        dg.AssetKey(["intermediate", "int_indicator__d04_01_separate_collection_rate"])
    )
    assert mart.group_name == waste.group_name == "driver_04_metabolismo_circolare"
    assert mart.tags["layer"] == "marts" and waste.tags["layer"] == "intermediate"


def test_datasets_are_tagged_with_the_drivers_and_missions_they_feed(graph) -> None:
    import dagster as dg

    def serves(key: list[str]) -> set[str]:
        tags = graph.get(dg.AssetKey(key)).tags
        return {t for t in tags if t.startswith(("driver/", "pnrr/"))}

    # ISPRA waste feeds D04 (circular metabolism), tied to mission M2 in the plan.
    assert serves(["raw", "ispra__waste"]) == {"driver/D04", "pnrr/M2"}
    # Contracts activated feed D08 (work, M5) and D06's transport contracts (M1 and M3).
    assert serves(["raw", "lombardia__labour_activated"]) == {
        "driver/D06",
        "driver/D08",
        "pnrr/M1",
        "pnrr/M3",
        "pnrr/M5",
    }
    # The shared fact table serves every Driver: no tag rather than all ten.
    assert serves(["marts", "fct_indicator_value"]) == set()


def test_yearly_datasets_are_partitioned_by_the_years_their_source_publishes(graph) -> None:
    import dagster as dg

    def years(table: str) -> list[str]:
        node = graph.get(dg.AssetKey(["raw", table]))
        return node.partitions_def.get_partition_keys(current_time=PINNED_NOW)

    # ARPA and the labour contracts publish the current year as it goes.
    assert years("lombardia__air_measurements") == [str(y) for y in range(2019, 2027)]
    # ISPRA publishes a year once it is closed: in mid-2026, 2025 is the newest.
    assert years("ispra__waste") == [str(y) for y in range(2010, 2026)]
    assert graph.get(dg.AssetKey(["raw", "istat__population"])).partitions_def is None
