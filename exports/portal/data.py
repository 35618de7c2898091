"""What the portal shows, read once from the published warehouse into plain Python objects.

Pages are rendered from these objects only, so the warehouse is opened once per build and a
page never runs its own query. Rows come back sorted, so two builds of the same data render
the same bytes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from warehouse.duck import connect_read

# Territory levels of `fct_indicator_value`, coarsest first: a time series uses the first one
# an indicator has values for (the plan's targets are metropolitan, so `cm` comes first).
SERIES_LEVELS = ("cm", "zona", "cpi", "station", "comune")
CM_CODE = "215"


@dataclass(frozen=True)
class Driver:
    driver_id: str
    number: int
    title_it: str
    title_en: str
    subtitle_it: str
    subtitle_en: str
    description_it: str
    description_en: str
    mart_name: str


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    driver_id: str
    name_it: str
    name_en: str
    definition: str | None
    formula: str | None
    unit: str
    polarity: str | None
    source: str | None
    frequency: str | None
    finest_level: str | None
    baseline: float | None
    baseline_year: int | None
    target: float | None
    target_year: int | None
    target_direction: str | None


@dataclass(frozen=True)
class Zona:
    zona_code: str
    zona_name: str
    comuni_count: int
    sort_order: int


@dataclass(frozen=True)
class Comune:
    comune_code: str
    comune_name: str
    zona_code: str
    zona_name: str
    cadastral_code: str
    is_capital: bool


@dataclass(frozen=True)
class TargetProgress:
    """One row of `marts.fct_target_progress`: the plan's target for the whole territory."""

    indicator_id: str
    unit: str | None
    reference_year: int | None
    reference_value: float | None
    is_reference_from_plan: bool | None
    latest_year: int | None
    latest_value: float | None
    target: float | None
    target_direction: str | None
    target_year: int | None
    distance_to_target: float | None
    is_target_met: bool | None
    trend: str | None
    is_trend_right_direction: bool | None


# (indicator_id, territory_level, territory_code) -> [(year, value), ...] sorted by year.
Series = dict[tuple[str, str, str], list[tuple[int, float]]]


@dataclass(frozen=True)
class PortalData:
    drivers: tuple[Driver, ...]
    indicators: tuple[Indicator, ...]
    zone: tuple[Zona, ...]
    comuni: tuple[Comune, ...]
    targets: dict[str, TargetProgress]
    series: Series
    # indicator_id -> the territory levels it has values for.
    levels: dict[str, frozenset[str]] = field(default_factory=dict)

    def indicators_of(self, driver_id: str) -> list[Indicator]:
        return [i for i in self.indicators if i.driver_id == driver_id]

    def value(self, indicator_id: str, level: str, code: str, year: int) -> float | None:
        for y, v in self.series.get((indicator_id, level, code), ()):
            if y == year:
                return v
        return None

    def territories(self, indicator_id: str, level: str) -> list[str]:
        """Codes of the territories of ``level`` with values for the indicator, sorted."""
        return sorted(
            code for (ind, lvl, code) in self.series if ind == indicator_id and lvl == level
        )

    def latest_year(self, indicator_id: str, level: str) -> int | None:
        years = [
            points[-1][0]
            for (ind, lvl, _), points in self.series.items()
            if ind == indicator_id and lvl == level and points
        ]
        return max(years) if years else None


def _rows(con: Any, query: str) -> list[dict[str, Any]]:
    # DuckDB 2.0 has no `.pl()`: go through Arrow, and fetch every result whole.
    return pl.from_arrow(con.sql(query).to_arrow_table()).to_dicts()  # type: ignore[union-attr]


def _build(cls: type, row: dict[str, Any]) -> Any:
    names = cls.__dataclass_fields__
    return cls(**{name: row.get(name) for name in names})


def load_portal_data(published_warehouse: Path) -> PortalData:
    """Read the dimensions, the values and the target progress the pages need."""
    with connect_read(published_warehouse) as con:
        drivers = _rows(
            con,
            """select driver_id, driver_number as number, title_it, title_en, subtitle_it,
                      subtitle_en, description_it, description_en, mart_name
               from marts.dim_driver order by driver_number, driver_id""",
        )
        indicators = _rows(
            con,
            """select indicator_id, driver_id, name_it, name_en, definition, formula, unit,
                      polarity, source, frequency, finest_level, baseline, baseline_year,
                      target, target_year, target_direction
               from marts.dim_indicator order by indicator_id""",
        )
        zone = _rows(
            con,
            """select zona_code, zona_name, comuni_count, sort_order
               from marts.dim_zona_omogenea order by sort_order, zona_code""",
        )
        comuni = _rows(
            con,
            """select comune_code, comune_name, zona_code, zona_name, cadastral_code,
                      is_capital
               from marts.dim_comune order by comune_name, comune_code""",
        )
        targets = _rows(
            con,
            """select indicator_id, unit, reference_year, reference_value,
                      is_reference_from_plan, latest_year, latest_value, target,
                      target_direction, target_year, distance_to_target, is_target_met, trend,
                      is_trend_right_direction
               from marts.fct_target_progress order by indicator_id""",
        )
        values = _rows(
            con,
            """select indicator_id, territory_level, territory_code, year, value
               from marts.fct_indicator_value
               where value is not null
               order by indicator_id, territory_level, territory_code, year""",
        )
    series: Series = defaultdict(list)
    levels: dict[str, set[str]] = defaultdict(set)
    for row in values:
        key = (row["indicator_id"], row["territory_level"], row["territory_code"])
        series[key].append((int(row["year"]), float(row["value"])))
        levels[row["indicator_id"]].add(row["territory_level"])
    return PortalData(
        drivers=tuple(_build(Driver, r) for r in drivers),
        indicators=tuple(_build(Indicator, r) for r in indicators),
        zone=tuple(_build(Zona, r) for r in zone),
        comuni=tuple(_build(Comune, r) for r in comuni),
        targets={r["indicator_id"]: _build(TargetProgress, r) for r in targets},
        series=dict(series),
        levels={k: frozenset(v) for k, v in levels.items()},
    )
