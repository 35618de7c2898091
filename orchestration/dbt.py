"""The dbt project as Dagster assets: groups follow the dbt folders (layers)."""

import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.resources import PipelineResource
from osservatorio.settings import DBT_PROJECT_DIR
from warehouse.duck import write_lock

WAREHOUSE_ENV = "OSSERVATORIO_WAREHOUSE_PATH"
DBT_SOURCES = ("models", "seeds", "macros", "tests", "dbt_project.yml", "profiles.yml")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# The dbt installed beside this interpreter, whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


def _newest_input(project_dir: Path) -> float:
    newest = 0.0
    for name in DBT_SOURCES:
        path = project_dir / name
        paths = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(p.stat().st_mtime for p in paths if p.is_file())])
    return newest


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Parse the dbt project when its manifest is missing or older than its sources."""
    manifest = project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_input(project.project_dir):
        return manifest
    os.environ.setdefault(WAREHOUSE_ENV, str(project.project_dir / "target" / "parse.duckdb"))
    dbt_resource().cli(
        ["parse", "--quiet"], target_path=project.target_path, raise_on_error=True
    ).wait()
    return manifest


class LayerTranslator(DagsterDbtTranslator):
    """Group dbt assets by layer (the folder under ``models/``); seeds are reference data."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "marts"

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        group = self.get_group_name(dbt_resource_props)
        if group:
            tags["layer"] = group
        return tags


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=LayerTranslator(
        DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
    ),
)
def dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, pipeline: PipelineResource
) -> Iterator[Any]:
    """Build and test every dbt model and seed in the warehouse (``dbt build``)."""
    warehouse = pipeline.settings().warehouse_path
    os.environ[WAREHOUSE_ENV] = str(warehouse)
    with write_lock(warehouse):
        yield from dbt.cli(["build"], context=context).stream()
