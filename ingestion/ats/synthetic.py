"""Synthetic ATS drops in the contracts' own formats, for the bundled snapshot and benchmarks.

The values are invented (deterministic, seeded) but sized on the bundled ISTAT population:
about one Casa della Comunità per 45,000 residents (DM 77 asks one hub per 40,000-50,000),
about 20 Ospedale di Comunità beds per 100,000, and one GP per ~1,400 patients aged 14+,
slowly declining as in Lombardy. Run ``python -m ingestion.ats.synthetic`` to rewrite them.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from ingestion.ats.contracts import (
    SNAPSHOT_DIR,
    community_hospitals,
    community_houses,
    general_practitioners,
)
from ingestion.common.filedrop import synthetic_address, synthetic_territory, write_snapshot

MILANO = "015146"
REGISTRY_DATE = date(2026, 9, 30)
SERIES_DATE = date(2026, 3, 31)
LAST_YEAR = 2025
ADULT_SHARE = 0.87  # residents aged 14 and over [A, Lombardy ~0.87]


def _day_between(rng: np.random.Generator, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _facilities(
    territory: pl.DataFrame,
    rng: np.random.Generator,
    *,
    prefix: str,
    label: str,
    residents_per_facility: float,
    planned_share: float,
) -> list[dict[str, object]]:
    """Facilities placed in proportion to residents; the biggest comuni get several."""
    rows: list[dict[str, object]] = []
    for code, comune, residents in territory.select(
        "codice_comune", "comune", "residenti_2025"
    ).iter_rows():
        expected = residents / residents_per_facility
        count = int(expected) + int(rng.random() < expected - int(expected))
        for n in range(count):
            planned = rng.random() < planned_share
            opening = (
                _day_between(rng, REGISTRY_DATE + timedelta(days=30), date(2027, 12, 31))
                if planned
                else _day_between(rng, date(2022, 3, 1), REGISTRY_DATE)
            )
            suffix = f" {n + 1}" if count > 1 else ""
            rows.append(
                {
                    "codice_comune": code,
                    "denominazione": f"{label} {comune}{suffix}",
                    "indirizzo": synthetic_address(rng),
                    "stato": "programmata" if planned else "attiva",
                    "data_apertura": opening,
                }
            )
    for i, row in enumerate(rows, 1):
        row["id_struttura"] = f"{prefix}-{i:03d}"
    return rows


def community_houses_frame(territory: pl.DataFrame, seed: int = 77) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = _facilities(
        territory,
        rng,
        prefix="CDC",
        label="Casa della Comunità",
        residents_per_facility=45_000,
        planned_share=0.15,
    )
    for row in rows:
        row["tipologia"] = "spoke" if rng.random() < 0.25 else "hub"
    return pl.DataFrame(rows).select(c.name for c in community_houses.columns)


def community_hospitals_frame(territory: pl.DataFrame, seed: int = 78) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = _facilities(
        territory,
        rng,
        prefix="ODC",
        label="Ospedale di Comunità",
        residents_per_facility=110_000,
        planned_share=0.2,
    )
    for row in rows:
        row["posti_letto"] = int(rng.choice([15, 20, 20, 20, 30, 40]))
    return pl.DataFrame(rows).select(c.name for c in community_hospitals.columns)


def general_practitioners_frame(
    territory: pl.DataFrame, years: range, seed: int = 79
) -> pl.DataFrame:
    """GPs and their patients by comune and year; never above the 1,800-patient ceiling."""
    rng = np.random.default_rng(seed)
    available = sorted(int(c.rsplit("_", 1)[1]) for c in territory.columns if "residenti_" in c)
    rows = []
    for record in territory.iter_rows(named=True):
        load = rng.uniform(1_250, 1_550)  # patients per GP in this comune
        for i, year in enumerate(years):
            residents = record[f"residenti_{min(max(year, available[0]), available[-1])}"]
            patients = int(residents * ADULT_SHARE * rng.uniform(0.95, 1.0))
            per_gp = load * (1 + 0.012 * i)  # fewer GPs, each with more patients
            doctors = max(1, int(np.ceil(patients / min(per_gp, 1_790))))
            rows.append((record["codice_comune"], year, doctors, patients))
    return pl.DataFrame(rows, schema=[c.name for c in general_practitioners.columns], orient="row")


def write_snapshots(target: Path = SNAPSHOT_DIR, *, scale: int = 1) -> list[Path]:
    """Rewrite the three bundled drops; ``scale`` multiplies the GP series' length in years."""
    territory = synthetic_territory()
    years = range(LAST_YEAR - 6 * scale + 1, LAST_YEAR + 1)
    return [
        write_snapshot(
            community_houses,
            target,
            community_houses_frame(territory),
            reference=REGISTRY_DATE,
            fmt="csv",
        ),
        write_snapshot(
            community_hospitals,
            target,
            community_hospitals_frame(territory),
            reference=REGISTRY_DATE,
            fmt="xlsx",
        ),
        write_snapshot(
            general_practitioners,
            target,
            general_practitioners_frame(territory, years),
            reference=SERIES_DATE,
            fmt="csv",
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
