"""One asset per declared dataset: archive the payload, parse it, land it in ``raw``."""

import warnings

import dagster as dg
from dagster import AssetExecutionContext

from ingestion.common.archive import combined_sha256
from ingestion.common.dataset import Dataset
from ingestion.common.errors import SourceError
from ingestion.common.ingest import PartitionResult, ingest
from ingestion.registry import DATASETS
from orchestration.dbt import dbt_project
from orchestration.freshness import dataset_policy, expected_interval
from orchestration.lineage import tags_for_raw_table
from orchestration.metadata import column_schema, table_preview
from orchestration.partitions import partitions_def
from orchestration.resources import OWNER, PipelineResource
from osservatorio.settings import Settings
from warehouse.loading import RAW_SCHEMA


def raw_asset_key(dataset: Dataset) -> dg.AssetKey:
    """``raw/<source>__<dataset>``: the same key dbt's ``source('raw', ...)`` maps to."""
    return dg.AssetKey([RAW_SCHEMA, dataset.table])


def _by_key(key: str) -> Dataset:
    return next(d for d in DATASETS if d.key == key)


def _partition_metadata(result: PartitionResult) -> dict[str, object]:
    """What one partition's load was: rows, change, provenance of its payload."""
    retrieval = result.retrieval
    assert retrieval is not None
    return {
        "dagster/row_count": result.rows,
        "row_count_change": result.rows - (result.previous_rows or 0),
        "loaded": result.loaded,
        "source_url": dg.MetadataValue.url(retrieval.source_url),
        "source_mode": retrieval.manifest["source_mode"],
        "synthetic_values": bool(retrieval.manifest.get("synthetic", False)),
        "retrieval_id": retrieval.retrieval_id,
        "retrieved_at": retrieval.manifest["retrieved_at"],
        "sha256": retrieval.sha256,
        "payload_bytes": sum(f["bytes"] for f in retrieval.files),
        "archive_path": dg.MetadataValue.path(str(retrieval.path.parent)),
    }


def _summary_table(results: list[PartitionResult]) -> dg.MetadataValue:
    lines = ["| partition | rows | change | retrieval | sha256 |", "|---|---|---|---|---|"]
    for r in results:
        assert r.retrieval is not None
        change = r.rows - (r.previous_rows or 0)
        lines.append(
            f"| {r.partition} | {r.rows:,} | {change:+,} | {r.retrieval.retrieval_id} "
            f"| {r.retrieval.sha256[:12]} |"
        )
    return dg.MetadataValue.md("\n".join(lines))


def requested_partitions(
    dataset: Dataset, settings: Settings, keys: list[str]
) -> tuple[list[str | None], list[str]]:
    """The requested years the source holds in this mode, and those it does not (in snapshot
    mode, years outside the bundle; live, every year of the calendar is asked for)."""
    available = set(dataset.partition_keys(settings))
    return [k for k in keys if k in available], [k for k in keys if k not in available]


def build_ingestion_asset(dataset: Dataset) -> dg.AssetsDefinition:
    synthetic = (
        " The bundled snapshot of this dataset holds synthetic values."
        if dataset.synthetic_snapshot
        else ""
    )
    yearly = partitions_def(dataset)
    published_by_year = (
        " Partitioned by year as the source publishes it: a run loads the years it is given "
        "(a backfill of several years runs once)."
        if yearly
        else ""
    )

    @dg.asset(
        key=raw_asset_key(dataset),
        group_name=dataset.source,
        description=f"{dataset.title}. {dataset.description} Licence: {dataset.licence}."
        + published_by_year
        + synthetic
        + f" Expected back every {expected_interval(dataset)[0].days} days "
        f"({expected_interval(dataset)[1]}).",
        owners=[OWNER],
        kinds={"python", "polars", "duckdb"},
        tags={
            "source": dataset.source,
            "layer": "raw",
            **tags_for_raw_table(dbt_project.manifest_path, dataset.table),
        },
        deps=[raw_asset_key(_by_key(key)) for key in dataset.depends_on],
        partitions_def=yearly,
        freshness_policy=dataset_policy(dataset),
        backfill_policy=dg.BackfillPolicy.single_run() if yearly else None,
        metadata={
            "source_landing_page": dg.MetadataValue.url(dataset.landing_url),
            "licence": dataset.licence,
            "dagster/column_schema": column_schema(dataset.schema),
            "dagster/table_name": f"{RAW_SCHEMA}.{dataset.table}",
        },
    )
    def ingest_asset(context: AssetExecutionContext, pipeline: PipelineResource):
        settings = pipeline.settings(context.run.tags)
        skipped: list[str] = []
        wanted: list[str | None] | None = None
        if yearly is not None:
            wanted, skipped = requested_partitions(dataset, settings, context.partition_keys)
            for key in skipped:
                context.log.warning(
                    "%s [%s]: not held by the source in %s mode, skipped",
                    dataset.key,
                    key,
                    settings.mode_for(dataset.source),
                )
            if not wanted:
                raise SourceError(
                    dataset.source,
                    dataset.name,
                    f"none of the requested years ({', '.join(skipped)}) is held by the source "
                    f"in {settings.mode_for(dataset.source)} mode",
                )
        everything = ingest(dataset, settings, wanted)
        results = [r for r in everything if r.retrieval is not None]
        unpublished = [str(r.partition) for r in everything if r.retrieval is None] + skipped
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
        preview = table_preview(settings.warehouse_path, f'{RAW_SCHEMA}."{dataset.table}"')
        data_version = dg.DataVersion(combined_sha256([r.retrieval.sha256 for r in results]))
        if len(results) == 1 and not (yearly and len(context.partition_keys) > 1):
            # One partition (or none): this run's metadata is that partition's own.
            metadata = {**_partition_metadata(results[0]), "preview": preview}
            if yearly:
                metadata["partitions_not_published"] = ", ".join(unpublished) or "none"
            yield dg.MaterializeResult(metadata=metadata, data_version=data_version)
            return
        # Several years in one run: each year's own figures as an observation of its
        # partition, then one materialization (applied by Dagster to every year) with the
        # totals and a table per year.
        for result in results:
            yield dg.AssetObservation(
                asset_key=raw_asset_key(dataset),
                partition=result.partition,
                metadata=_partition_metadata(result),
            )
        rows = sum(r.rows for r in results)
        previous = sum(r.previous_rows or 0 for r in results)
        latest = max(results, key=lambda r: r.retrieval.manifest["retrieved_at"]).retrieval
        yield dg.MaterializeResult(
            metadata={
                "rows_in_run": rows,
                "row_count_change_in_run": rows - previous,
                "loaded": any(r.loaded for r in results),
                "source_url": dg.MetadataValue.url(latest.source_url),
                "source_mode": latest.manifest["source_mode"],
                "synthetic_values": bool(latest.manifest.get("synthetic", False)),
                "retrieved_at": latest.manifest["retrieved_at"],
                "sha256": combined_sha256([r.retrieval.sha256 for r in results]),
                "partitions": _summary_table(results),
                "partitions_not_published": ", ".join(unpublished) or "none",
                "preview": preview,
            },
            data_version=data_version,
        )

    return ingest_asset


with warnings.catch_warnings():
    # Single-run backfills are "beta" in Dagster 1.13; we rely on them knowingly (one run
    # loads a range of years), so the warning would only be noise on every load.
    warnings.simplefilter("ignore", dg.BetaWarning)
    INGESTION_ASSETS = [build_ingestion_asset(dataset) for dataset in DATASETS]
