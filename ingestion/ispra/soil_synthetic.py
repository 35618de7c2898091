"""Synthetic ISPRA soil-consumption drop (XLSX, long form), for the bundled snapshot and benchmarks.

Invented (deterministic, seeded) but plausible: comune areas drawn so they add up to about the
Città metropolitana's 157,500 ha, with Milano's real 18,168 ha; consumed soil around 30-45% of
the area outside Milano and about 57% in Milano; net new consumption of a few hectares a year per
comune (about 100-200 ha a year in all, as ISPRA reports for the province), occasionally
negative where soil was restored. Run ``python -m ingestion.ispra.soil_synthetic``.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from ingestion.common.filedrop import synthetic_territory, write_snapshot
from ingestion.ispra.soil_consumption import CONTRACT, SNAPSHOT_DIR

MILANO = "015146"
MILANO_HA = 18_167.94
TOTAL_HA = 157_500.0
LAST_YEAR = 2024
REFERENCE = date(2025, 10, 28)  # ISPRA presents its report in the autumn


def soil_frame(territory: pl.DataFrame, years: range, seed: int = 41) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    codes = territory["codice_comune"].to_list()
    draws = rng.lognormal(6.9, 0.55, size=len(codes))
    others = [c != MILANO for c in codes]
    scale = (TOTAL_HA - MILANO_HA) / draws[others].sum()
    rows = []
    for code, draw in zip(codes, draws, strict=True):
        city = code == MILANO
        area = MILANO_HA if city else round(float(draw * scale), 2)
        share = 0.572 if city else rng.uniform(0.22, 0.48)
        growth = rng.gamma(1.5, 0.6) if not city else 8.0  # ha a year
        consumed = round(area * share - growth * len(years), 2)
        for year in years:
            net = round(float(growth * rng.uniform(0.2, 1.6)), 2)
            if rng.random() < 0.05:
                net = -round(float(rng.uniform(0.01, 0.4)), 2)  # restored soil
            consumed = round(consumed + net, 2)
            percent = round(100 * consumed / area, 2)
            rows.append((code, year, area, consumed, percent, net))
    return pl.DataFrame(rows, schema=[c.name for c in CONTRACT.columns], orient="row")


def write_snapshots(target: Path = SNAPSHOT_DIR, *, scale: int = 1) -> list[Path]:
    """Rewrite the bundled drop; ``scale`` multiplies the series' length in years."""
    years = range(LAST_YEAR - 6 * scale + 1, LAST_YEAR + 1)
    frame = soil_frame(synthetic_territory(), years)
    return [write_snapshot(CONTRACT, target, frame, reference=REFERENCE, fmt="xlsx")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="multiply the series' years")
    parser.add_argument("--target", type=Path, default=SNAPSHOT_DIR)
    args = parser.parse_args()
    for path in write_snapshots(args.target, scale=args.scale):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
