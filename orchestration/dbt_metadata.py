"""Row counts, column types and row changes for every dbt model, added after ``dbt build``.

dagster-dbt can count rows while dbt runs, but through a second connection to the DuckDB
file, which the dbt process holds for writing (DuckDB allows one writing process). So the
dbt asset collects dbt's events, and once dbt has finished, reads the warehouse once and
adds to each materialization what engineers look for on an asset's page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from warehouse.duck import connect_read


def warehouse_tables(path: Path) -> tuple[dict[str, int], dict[str, list[tuple[str, str]]]]:
    """Row counts of the base tables and the columns of every table and view, by
    ``schema.name``."""
    with connect_read(path) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where not temporary"
        ).fetchall()
        counts = {
            f"{schema}.{name}": con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[
                0
            ]
            for schema, name in tables
        }
        columns: dict[str, list[tuple[str, str]]] = {}
        for schema, name, column, dtype in con.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns order by table_schema, table_name, ordinal_position"
        ).fetchall():
            columns.setdefault(f"{schema}.{name}", []).append((column, dtype))
    return counts, columns


def _previous_row_count(instance: dg.DagsterInstance, key: dg.AssetKey) -> int | None:
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get("dagster/row_count")
    return int(value.value) if value is not None else None


def _descriptions(context: dg.AssetExecutionContext, key: dg.AssetKey) -> dict[str, str]:
    schema = context.assets_def.specs_by_key[key].metadata.get("dagster/column_schema")
    if not isinstance(schema, dg.TableSchema):
        return {}
    return {c.name: c.description or "" for c in schema.columns}


def table_metadata(
    context: dg.AssetExecutionContext,
    key: dg.AssetKey,
    counts: dict[str, int],
    columns: dict[str, list[tuple[str, str]]],
) -> dict[str, Any]:
    relation = ".".join(key.path)
    metadata: dict[str, Any] = {"dagster/table_name": relation}
    if relation in columns:
        described = _descriptions(context, key)
        metadata["dagster/column_schema"] = dg.TableSchema(
            columns=[
                dg.TableColumn(name=name, type=dtype, description=described.get(name) or None)
                for name, dtype in columns[relation]
            ]
        )
    if relation in counts:
        rows = counts[relation]
        previous = _previous_row_count(context.instance, key)
        metadata["dagster/row_count"] = rows
        metadata["row_count_change"] = rows - previous if previous is not None else rows
    return metadata


def with_table_metadata(
    context: dg.AssetExecutionContext, events: Iterable[Any], warehouse: Path
) -> Iterator[Any]:
    """Yield dbt's events, each materialization with the figures of its table or view."""
    counts, columns = warehouse_tables(warehouse)
    for event in events:
        if isinstance(event, dg.Output):
            key = context.asset_key_for_output(event.output_name)
            yield event.with_metadata(
                {**event.metadata, **table_metadata(context, key, counts, columns)}
            )
        elif isinstance(event, dg.AssetMaterialization):
            yield event.with_metadata(
                {**event.metadata, **table_metadata(context, event.asset_key, counts, columns)}
            )
        else:
            yield event
