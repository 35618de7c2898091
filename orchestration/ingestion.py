"""One asset per declared dataset: archive the payload, parse it, land it in ``raw``."""

import dagster as dg
from dagster import AssetExecutionContext

from ingestion.common.archive import combined_sha256
from ingestion.common.dataset import Dataset
from ingestion.common.errors import SourceError
from ingestion.common.ingest import ingest
from ingestion.registry import DATASETS
from orchestration.metadata import column_schema, table_preview
from orchestration.resources import OWNER, PipelineResource
from warehouse.loading import RAW_SCHEMA


def raw_asset_key(dataset: Dataset) -> dg.AssetKey:
    """``raw/<source>__<dataset>``: the same key dbt's ``source('raw', ...)`` maps to."""
    return dg.AssetKey([RAW_SCHEMA, dataset.table])


def _by_key(key: str) -> Dataset:
    return next(d for d in DATASETS if d.key == key)


def build_ingestion_asset(dataset: Dataset) -> dg.AssetsDefinition:
    synthetic = (
        " The bundled snapshot of this dataset holds synthetic values."
        if dataset.synthetic_snapshot
        else ""
    )

    @dg.asset(
        key=raw_asset_key(dataset),
        group_name=dataset.source,
        description=f"{dataset.title}. {dataset.description} Licence: {dataset.licence}."
        + synthetic,
        owners=[OWNER],
        kinds={"python", "polars", "duckdb"},
        tags={"source": dataset.source, "layer": "raw"},
        deps=[raw_asset_key(_by_key(key)) for key in dataset.depends_on],
        metadata={
            "source_landing_page": dg.MetadataValue.url(dataset.landing_url),
            "licence": dataset.licence,
            "dagster/column_schema": column_schema(dataset.schema),
            "dagster/table_name": f"{RAW_SCHEMA}.{dataset.table}",
        },
    )
    def ingest_asset(
        context: AssetExecutionContext, pipeline: PipelineResource
    ) -> dg.MaterializeResult:
        settings = pipeline.settings()
        everything = ingest(dataset, settings)
        results = [r for r in everything if r.retrieval is not None]
        unpublished = [str(r.partition) for r in everything if r.retrieval is None]
        if not results:
            raise SourceError(dataset.source, dataset.name, "no partition has been published")
        for result in results:
            context.log.info(
                "%s%s: retrieval %s, %s rows%s",
                dataset.key,
                f" [{result.partition}]" if result.partition else "",
                result.retrieval.retrieval_id,
                result.rows,
                "" if result.loaded else " (unchanged, not reloaded)",
            )
        rows = sum(r.rows for r in results)
        previous = [r.previous_rows for r in results if r.previous_rows is not None]
        latest = max(results, key=lambda r: r.retrieval.manifest["retrieved_at"]).retrieval
        metadata: dict[str, object] = {
            "dagster/row_count": rows,
            "row_count_change": rows - sum(previous) if previous else rows,
            "loaded": any(r.loaded for r in results),
            "source_url": dg.MetadataValue.url(latest.source_url),
            "source_mode": latest.manifest["source_mode"],
            "synthetic_values": bool(latest.manifest.get("synthetic", False)),
            "retrieval_id": latest.retrieval_id,
            "retrieved_at": latest.manifest["retrieved_at"],
            "sha256": latest.sha256,
            "payload_bytes": sum(f["bytes"] for r in results for f in r.retrieval.files),
            "archive_path": dg.MetadataValue.path(str(latest.path.parent)),
            "preview": table_preview(settings.warehouse_path, f'{RAW_SCHEMA}."{dataset.table}"'),
        }
        if dataset.partitions:
            metadata["partitions"] = ", ".join(str(r.partition) for r in results)
            metadata["partitions_not_published"] = ", ".join(unpublished) or "none"
        return dg.MaterializeResult(
            metadata=metadata,
            data_version=dg.DataVersion(combined_sha256([r.retrieval.sha256 for r in results])),
        )

    return ingest_asset


INGESTION_ASSETS = [build_ingestion_asset(dataset) for dataset in DATASETS]
