"""The dbt project as Dagster assets: groups follow the dbt folders (layers)."""

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
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

from orchestration.dbt_metadata import with_table_metadata
from orchestration.lineage import drivers, own_driver, tags_for_node
from orchestration.resources import OWNER, PipelineResource
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
    """Group dbt assets by layer and by Driver, tag them with the Drivers and PNRR missions
    they serve, and give them the team as owner.

    Seeds are ``reference``; ``staging`` and shared ``intermediate`` models keep their layer;
    a Driver's indicator models and its mart share the Driver's group (``driver_05_mobilita``)
    so an engineer sees one Driver's chain together. The layer stays a tag.
    """

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        driver = own_driver(fqn)
        if driver is not None:
            return drivers()[driver].group
        return self.layer(dbt_resource_props)

    @staticmethod
    def layer(dbt_resource_props: Mapping[str, Any]) -> str:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "marts"

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        tags["layer"] = self.layer(dbt_resource_props)
        tags.update(tags_for_node(dbt_project.manifest_path, dbt_resource_props["unique_id"]))
        return tags

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        owners = list(super().get_owners(dbt_resource_props) or [])
        return owners if OWNER in owners else [*owners, OWNER]


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    # dbt's tests on sources still run inside `dbt build` (a failure fails this step), but
    # are not Dagster checks of the raw assets: checks of a raw asset emitted by this step
    # would let it start before the raw asset's blocking suites ran, and a failed suite
    # must stop every model (tests/integration/test_dagster_runs.py shows it does).
    dagster_dbt_translator=LayerTranslator(
        DagsterDbtTranslatorSettings(enable_source_tests_as_checks=False)
    ),
)
def dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, pipeline: PipelineResource
) -> Iterator[Any]:
    """Build and test every dbt model and seed in the warehouse (``dbt build``)."""
    settings = pipeline.settings()
    warehouse = settings.warehouse_path
    os.environ[WAREHOUSE_ENV] = str(warehouse)
    # One target folder per data directory, reused (partial parsing), instead of a new
    # folder per run piling up in the repository.
    target = settings.data_dir / "dbt" / "target"
    events: list[Any] = []
    failure: Exception | None = None
    with write_lock(warehouse):
        try:
            # Collected, not streamed: row counts need the file dbt holds until it exits.
            events.extend(dbt.cli(["build"], context=context, target_path=target).stream())
        except Exception as exc:  # dbt failed part-way: report what it built, then fail
            failure = exc
        yield from with_table_metadata(context, events, warehouse)
    if failure is not None:
        raise failure
