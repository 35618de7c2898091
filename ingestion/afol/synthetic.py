"""Synthetic AFOL drops in the contracts' own formats, for the bundled snapshot and benchmarks.

Catchments follow the zone omogenee (one CPI per zona plus Milano, seated in a main comune of
the zona) [A: the real AFOL network has more offices, 9 becoming 17]. GOL volumes are sized on
the bundled ISTAT population (about 0.8 new beneficiaries a month per 1,000 residents, a ramp-up
in the second half of 2022 and an August dip); the paths split roughly as in the national
monitoring notes (path 1 the largest). Run ``python -m ingestion.afol.synthetic`` to rewrite them.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from ingestion.afol.contracts import PATHS, SNAPSHOT_DIR, employment_centres, gol_beneficiaries
from ingestion.common.filedrop import synthetic_address, synthetic_territory, write_snapshot

# zona omogenea -> (CPI code, seat comune code, seat name)
CPI_SEATS = {
    "Milano": ("CPI01", "015146", "Milano"),
    "Nord Milano": ("CPI02", "015209", "Sesto San Giovanni"),
    "Adda Martesana": ("CPI03", "015142", "Melzo"),
    "Alto Milanese": ("CPI04", "015118", "Legnano"),
    "Magentino e Abbiatense": ("CPI05", "015130", "Magenta"),
    "Nord Ovest": ("CPI06", "015182", "Rho"),
    "Sud Est": ("CPI07", "015192", "San Donato Milanese"),
    "Sud Ovest": ("CPI08", "015189", "Rozzano"),
}
CATCHMENT_DATE = date(2026, 1, 15)
SERIES_DATE = date(2026, 10, 10)
FIRST_MONTH = date(2022, 7, 1)  # GOL started taking people in charge in Lombardy mid-2022 [A]
LAST_MONTH = date(2026, 9, 1)
PATH_SHARES = (0.55, 0.25, 0.08, 0.11, 0.01)


def catchment_frame(territory: pl.DataFrame, seed: int = 11) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    addresses = {code: synthetic_address(rng) for code, _, _ in CPI_SEATS.values()}
    rows = []
    for code, zona in territory.select("codice_comune", "zona_omogenea").iter_rows():
        cpi, seat, seat_name = CPI_SEATS[zona]
        rows.append((code, cpi, f"Centro per l'impiego di {seat_name}", addresses[cpi], seat))
    frame = pl.DataFrame(rows, schema=[c.name for c in employment_centres.columns], orient="row")
    seats = frame.filter(pl.col("codice_comune") == pl.col("codice_comune_sede_cpi"))
    assert seats.height == len(CPI_SEATS), "every CPI seat lies in its own catchment"
    return frame


def _months(first: date, last: date) -> list[date]:
    months = []
    current = first
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def gol_frame(
    territory: pl.DataFrame, catchment: pl.DataFrame, months: list[date], seed: int = 12
) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    residents = (
        catchment.join(territory, on="codice_comune")
        .group_by("codice_cpi")
        .agg(pl.col("residenti_2025").sum())
        .sort("codice_cpi")
    )
    rows = []
    for cpi, population in residents.iter_rows():
        for i, month in enumerate(months):
            ramp = min(1.0, 0.3 + 0.12 * i)  # the programme ramps up over its first months
            season = 0.45 if month.month == 8 else 1.0
            expected = population * 0.0008 * ramp * season
            beneficiaries = int(rng.poisson(expected))
            paths = rng.multinomial(beneficiaries, PATH_SHARES)
            taken = int(beneficiaries * rng.uniform(1.2, 1.5))
            rows.append((cpi, f"{month:%Y-%m}", taken, beneficiaries, *map(int, paths)))
    names = ["codice_cpi", "mese", "presi_in_carico", "beneficiari_gol", *(p[0] for p in PATHS)]
    return pl.DataFrame(rows, schema=names, orient="row").select(
        c.name for c in gol_beneficiaries.columns
    )


def write_snapshots(target: Path = SNAPSHOT_DIR, *, scale: int = 1) -> list[Path]:
    """Rewrite both bundled drops; ``scale`` extends the GOL series back by as many periods."""
    territory = synthetic_territory()
    catchment = catchment_frame(territory)
    first = date(FIRST_MONTH.year - 4 * (scale - 1), FIRST_MONTH.month, 1)
    return [
        write_snapshot(employment_centres, target, catchment, reference=CATCHMENT_DATE, fmt="csv"),
        write_snapshot(
            gol_beneficiaries,
            target,
            gol_frame(territory, catchment, _months(first, LAST_MONTH)),
            reference=SERIES_DATE,
            fmt="csv",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="multiply the series' length")
    parser.add_argument("--target", type=Path, default=SNAPSHOT_DIR)
    args = parser.parse_args()
    for path in write_snapshots(args.target, scale=args.scale):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
