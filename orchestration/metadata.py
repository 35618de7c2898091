"""Materialization metadata shared by every asset: column schema and a small preview."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ingestion.common.schema import TableSchema
from warehouse.duck import connect_write

PREVIEW_ROWS = 5


def column_schema(schema: TableSchema) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=f.name,
                type=str(f.dtype),
                description=f.description,
                constraints=dg.TableColumnConstraints(
                    # `required` means the column must be present, not that it is never null.
                    nullable=f.name not in schema.primary_key
                ),
            )
            for f in schema.fields
        ]
    )


def table_preview(db_path: Path, table: str, rows: int = PREVIEW_ROWS) -> dg.MetadataValue:
    """The first rows of ``table`` as Markdown, for the asset page."""
    with connect_write(db_path) as con:
        frame = con.sql(f"select * from {table} limit {rows}").pl()
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |"
        for row in frame.iter_rows()
    ]
    return dg.MetadataValue.md("\n".join([header, rule, *body]))
