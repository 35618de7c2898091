"""The shape of the asset graph, pinned: a refactor that moves an asset shows up here.

Regenerate the pinned shape after an intended change with
``UPDATE_ASSET_GRAPH=1 .venv/bin/python -m pytest tests/unit/orchestration``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ingestion.registry import DATASETS

PINNED = Path(__file__).parents[2] / "fixtures" / "asset_graph.json"


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


def test_dbt_models_are_grouped_by_layer(graph) -> None:
    from orchestration.dbt import dbt_models

    groups = {graph.get(key).group_name for key in dbt_models.keys}
    assert groups == {"staging", "intermediate", "marts", "reference"}
