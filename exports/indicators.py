"""Per-indicator open datasets, read from the published warehouse."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from exports.writers import WrittenFile, write_table
from warehouse.duck import connect_read


def indicator_frame(published: Path, indicator_id: str) -> pl.DataFrame:
    with connect_read(published) as con:
        table = con.sql(
            """
            select v.indicator_id, v.territory_level, v.territory_code, v.year,
                   v.value, v.numerator, v.denominator, v.unit, v.source_release
            from marts.fct_indicator_value as v
            where v.indicator_id = ?
            order by v.territory_level, v.territory_code, v.year
            """,
            params=[indicator_id],
        ).to_arrow_table()
        return pl.from_arrow(table)


def export_indicator(
    published: Path, exports_dir: Path, indicator_id: str, slug: str
) -> tuple[int, list[WrittenFile]]:
    frame = indicator_frame(published, indicator_id)
    if frame.height == 0:
        raise ValueError(f"indicator {indicator_id} has no values to export")
    name = f"{indicator_id.lower()}_{slug}"
    return frame.height, write_table(frame, exports_dir / "indicators", name)
