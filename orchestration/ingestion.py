"""One asset per declared dataset: archive the payload, parse it, land it in ``raw``."""

import dagster as dg
from dagster import AssetExecutionContext

from ingestion.common.dataset import Dataset
from ingestion.common.ingest import acquire, extract
from ingestion.registry import DATASETS
from orchestration.metadata import column_schema, table_preview
from orchestration.resources import OWNER, PipelineResource
from warehouse.loading import RAW_SCHEMA, load_raw_table, raw_table_state


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
    def ingest(context: AssetExecutionContext, pipeline: PipelineResource) -> dg.MaterializeResult:
        settings = pipeline.settings()
        retrieval = acquire(dataset, settings)
        state = raw_table_state(settings.warehouse_path, dataset.table)
        if state.retrieval_id == retrieval.retrieval_id:
            context.log.info(
                "%s unchanged (retrieval %s already loaded)", dataset.key, retrieval.retrieval_id
            )
            rows, previous_rows, loaded = state.row_count or 0, state.row_count, False
        else:
            frame = extract(dataset, retrieval)
            previous = load_raw_table(
                settings.warehouse_path,
                dataset.table,
                frame,
                source=dataset.source,
                dataset=dataset.name,
                retrieval=retrieval,
            )
            rows, previous_rows, loaded = frame.height, previous.row_count, True
        manifest = retrieval.manifest
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "row_count_change": rows - previous_rows if previous_rows is not None else rows,
                "loaded": loaded,
                "source_url": dg.MetadataValue.url(retrieval.source_url),
                "source_mode": manifest["source_mode"],
                "synthetic_values": bool(manifest.get("synthetic", False)),
                "retrieval_id": retrieval.retrieval_id,
                "retrieved_at": manifest["retrieved_at"],
                "sha256": retrieval.sha256,
                "payload_bytes": sum(f["bytes"] for f in retrieval.files),
                "archive_path": dg.MetadataValue.path(str(retrieval.path)),
                "preview": table_preview(
                    settings.warehouse_path, f'{RAW_SCHEMA}."{dataset.table}"'
                ),
            },
            data_version=dg.DataVersion(retrieval.sha256),
        )

    return ingest


INGESTION_ASSETS = [build_ingestion_asset(dataset) for dataset in DATASETS]
