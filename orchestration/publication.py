"""Publishing: the analysts' warehouse copy, then the open-data files read from it.

Both sit downstream of every dbt model and check, so a failed build or a failed blocking
check stops the run before anything public changes.
"""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from exports.dcat import DEFAULT_BASE_URL
from exports.indicators import export_indicator
from exports.open_data import BASE_URL_ENV, publish_open_data
from orchestration.dbt import WAREHOUSE_ENV, dbt_models
from orchestration.freshness import PUBLICATION_POLICY
from orchestration.lineage import driver_tags
from orchestration.resources import OWNER, PipelineResource
from warehouse.duck import connect_read, write_lock
from warehouse.publish import publish_warehouse

PUBLISHED_WAREHOUSE = dg.AssetKey(["warehouse", "published"])
# Indicators exported as open datasets: (id, file slug).
EXPORTED_INDICATORS = (("D10_06", "old_age_index"),)


@dg.asset(
    key=PUBLISHED_WAREHOUSE,
    group_name="publication",
    description="Read-only copy of the warehouse for analysts, replaced atomically after "
    "every dbt model and test passed.",
    owners=[OWNER],
    kinds={"duckdb", "python"},
    deps=list(dbt_models.keys),
    freshness_policy=PUBLICATION_POLICY,
)
def published_warehouse(pipeline: PipelineResource) -> dg.MaterializeResult:
    settings = pipeline.settings()
    path = publish_warehouse(settings.warehouse_path, settings.published_warehouse_path)
    with connect_read(path) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = 'marts' order by 1"
        ).fetchall()
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "bytes": path.stat().st_size,
            "mart_tables": ", ".join(t for (t,) in tables),
        }
    )


@dg.asset(
    key=dg.AssetKey(["exports", "dbt_docs"]),
    group_name="exports",
    description="The warehouse documentation site (dbt docs: every model, column, test and "
    "lineage), as one self-contained HTML page published with the exports.",
    owners=[OWNER],
    kinds={"dbt", "html"},
    deps=[PUBLISHED_WAREHOUSE],
)
def dbt_docs(pipeline: PipelineResource, dbt: DbtCliResource) -> dg.MaterializeResult:
    settings = pipeline.settings()
    target = settings.exports_dir / "docs" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.environ[WAREHOUSE_ENV] = str(settings.warehouse_path)
    with tempfile.TemporaryDirectory() as scratch, write_lock(settings.warehouse_path):
        dbt.cli(
            ["docs", "generate", "--static"], target_path=Path(scratch), raise_on_error=True
        ).wait()
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        shutil.copyfile(Path(scratch) / "static_index.html", temporary)
        os.replace(temporary, target)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "bytes": target.stat().st_size,
        }
    )


def build_indicator_export(indicator_id: str, slug: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["exports", f"{indicator_id.lower()}_{slug}"]),
        group_name="exports",
        description=f"Open dataset of indicator {indicator_id} at comune, zona and "
        "metropolitan level, as CSV and Parquet.",
        owners=[OWNER],
        kinds={"polars", "csv", "parquet"},
        tags={"indicator": indicator_id, **driver_tags([indicator_id.split("_")[0]])},
        deps=[PUBLISHED_WAREHOUSE],
    )
    def export(pipeline: PipelineResource) -> dg.MaterializeResult:
        settings = pipeline.settings()
        rows, files = export_indicator(
            settings.published_warehouse_path, settings.exports_dir, indicator_id, slug
        )
        metadata: dict[str, object] = {"dagster/row_count": rows}
        for written in files:
            fmt = written.path.suffix.lstrip(".")
            metadata[f"{fmt}_path"] = dg.MetadataValue.path(str(written.path))
            metadata[f"{fmt}_sha256"] = written.sha256
            metadata[f"{fmt}_bytes"] = written.byte_size
        return dg.MaterializeResult(metadata=metadata)

    return export


EXPORT_ASSETS = [build_indicator_export(i, s) for i, s in EXPORTED_INDICATORS]


OPEN_DATA_RELEASE = dg.AssetKey(["exports", "open_data_release"])


@dg.asset(
    key=OPEN_DATA_RELEASE,
    group_name="exports",
    description="The dated, immutable open-data release (releases/<date>/): every published "
    "dataset as CSV, Parquet and JSON, a zip per Driver, the analysts' DuckDB file, the "
    "changelog against the previous release, the DCAT-AP_IT catalogue, the Frictionless data "
    "package, the data-quality report and the portal, with SHA256SUMS. `latest` moves only "
    "once all of it is written and verified.",
    owners=[OWNER],
    kinds={"csv", "parquet", "json", "duckdb", "html"},
    deps=[PUBLISHED_WAREHOUSE],
)
def open_data_release(
    context: dg.AssetExecutionContext, pipeline: PipelineResource
) -> dg.MaterializeResult:
    settings = pipeline.settings()
    release = publish_open_data(
        settings,
        base_url=os.environ.get(BASE_URL_ENV, DEFAULT_BASE_URL),
        log=context.log.info,
    )
    changes = "\n".join(
        [
            "| dataset | rows | added | removed | changed |",
            "|---|---|---|---|---|",
            *(
                f"| {c.slug} | {c.rows:,} | {c.added:,} | {c.removed:,} | {c.changed:,} |"
                for c in release.changelog.datasets
            ),
        ]
    )
    return dg.MaterializeResult(
        metadata={
            "release": release.name,
            "previous_release": release.changelog.previous or "none",
            "path": dg.MetadataValue.path(str(release.path)),
            "portal": dg.MetadataValue.path(str(release.path / "site" / "index.html")),
            "files": len(release.files),
            "bytes": sum(f.byte_size for f in release.files),
            "changes": dg.MetadataValue.md(changes),
        }
    )
