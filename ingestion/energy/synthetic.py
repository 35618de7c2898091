"""Synthetic energy tables in the contracts' own formats, for the bundled snapshot and benchmarks.

Invented (deterministic, seeded) but sized on the bundled ISTAT population and on Lombardy's
orders of magnitude: installed PV around 150-300 kW per 1,000 residents outside Milano and far
less in the city, growing fastest in 2022-2024, with plants of about 8-12 kW on average; public
charging points growing from a few hundred to a few thousand in the Città metropolitana over
2020-2025, half of them in Milano. Run ``python -m ingestion.energy.synthetic`` to rewrite them.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from ingestion.common.filedrop import synthetic_territory, write_snapshot
from ingestion.energy.contracts import SNAPSHOT_DIR, ev_charging, photovoltaic

MILANO = "015146"
LAST_YEAR = 2025
PV_DATE = date(2026, 6, 30)
EV_DATE = date(2026, 4, 30)
PV_GROWTH = {2020: 0.05, 2021: 0.06, 2022: 0.14, 2023: 0.22, 2024: 0.16, 2025: 0.11}
EV_GROWTH = {2020: 0.45, 2021: 0.55, 2022: 0.40, 2023: 0.35, 2024: 0.30, 2025: 0.25}


def _residents(record: dict[str, object], year: int, available: list[int]) -> int:
    return int(record[f"residenti_{min(max(year, available[0]), available[-1])}"])  # type: ignore[call-overload]


def _available(territory: pl.DataFrame) -> list[int]:
    return sorted(int(c.rsplit("_", 1)[1]) for c in territory.columns if "residenti_" in c)


def photovoltaic_frame(territory: pl.DataFrame, years: range, seed: int = 31) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    available = _available(territory)
    rows = []
    for record in territory.iter_rows(named=True):
        city = record["codice_comune"] == MILANO
        kw_per_1000 = rng.uniform(50, 80) if city else rng.uniform(140, 300)
        plant_kw = rng.uniform(8, 12)
        # installed power at the end of the last year, then back through the growth rates
        power = _residents(record, years[-1], available) / 1000 * kw_per_1000
        series = {}
        for year in reversed(years):
            series[year] = power
            power = power / (1 + PV_GROWTH.get(year, 0.05) * rng.uniform(0.8, 1.2))
        for year in years:
            kw = round(series[year], 1)
            plants = max(1, int(kw / plant_kw))
            rows.append((record["codice_comune"], year, plants, kw))
    return pl.DataFrame(rows, schema=[c.name for c in photovoltaic.columns], orient="row")


def ev_frame(territory: pl.DataFrame, years: range, seed: int = 32) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    available = _available(territory)
    rows = []
    for record in territory.iter_rows(named=True):
        city = record["codice_comune"] == MILANO
        per_10000 = rng.uniform(16, 20) if city else rng.gamma(2.0, 3.5)
        points = _residents(record, years[-1], available) / 10_000 * per_10000
        series = {}
        for year in reversed(years):
            series[year] = points
            points = points / (1 + EV_GROWTH.get(year, 0.4) * rng.uniform(0.8, 1.2))
        fast_share = rng.uniform(0.08, 0.2)
        for i, year in enumerate(years):
            total = int(np.rint(series[year]))
            fast = int(total * fast_share * (1 + 0.08 * i))
            stations = 0 if total == 0 else max(1, int(total / rng.uniform(1.8, 2.2)))
            rows.append((record["codice_comune"], year, total, min(fast, total), stations))
    return pl.DataFrame(rows, schema=[c.name for c in ev_charging.columns], orient="row")


def write_snapshots(target: Path = SNAPSHOT_DIR, *, scale: int = 1) -> list[Path]:
    """Rewrite both bundled tables; ``scale`` multiplies the series' length in years."""
    territory = synthetic_territory()
    years = range(LAST_YEAR - 6 * scale + 1, LAST_YEAR + 1)
    return [
        write_snapshot(
            photovoltaic,
            target,
            photovoltaic_frame(territory, years),
            reference=PV_DATE,
            fmt="xlsx",
        ),
        write_snapshot(
            ev_charging, target, ev_frame(territory, years), reference=EV_DATE, fmt="csv"
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="multiply the series' years")
    parser.add_argument("--target", type=Path, default=SNAPSHOT_DIR)
    args = parser.parse_args()
    for path in write_snapshots(args.target, scale=args.scale):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
