"""Synthetic ISTAT payloads in the real wire format, for the bundled snapshot and benchmarks.

The values are invented (deterministic, seeded); the shape is ISTAT's: SDMX-CSV with the
dataflow's dimensions in DSD order and the attribute tail after ``OBS_VALUE``. Run
``python -m ingestion.istat.synthetic`` to rewrite the bundled population snapshot.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from ingestion.istat.sdmx import SDMX_ATTRIBUTES

AGES = [f"Y{a}" for a in range(100)] + ["Y_GE100"]
MILANO = "015146"


def sdmx_csv(
    rows: Iterable[dict[str, str]], *, flow: str, dimensions: Sequence[str], version: str = "1.0"
) -> bytes:
    """Serialise observations as ISTAT's SDMX-CSV (header by name, CRLF-free, UTF-8)."""
    header = ["DATAFLOW", *dimensions, "TIME_PERIOD", "OBS_VALUE", *SDMX_ATTRIBUTES]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    dataflow = f"IT1:{flow}({version})"
    for row in rows:
        writer.writerow(
            [
                dataflow,
                *(row[d] for d in dimensions),
                row["TIME_PERIOD"],
                row["OBS_VALUE"],
                *(row.get(a, "") for a in SDMX_ATTRIBUTES),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _age_profile(rng: np.random.Generator, ageing: float) -> np.ndarray:
    """Relative size of each single-year cohort 0..100, shaped like Lombardy's pyramid."""
    ages = np.arange(101)
    births_decline = 0.70 + 0.30 * np.clip(ages / 50, 0, 1)  # fewer children lately
    bulge = 1 + 0.35 * np.exp(-(((ages - 55) / 14) ** 2))  # the baby-boom cohorts
    survival = 1 / (1 + np.exp((ages - (84 + 4 * ageing)) / 5.5))  # mortality at old ages
    profile = births_decline * bulge * survival * (1 + ageing * 0.004 * (ages - 40))
    return np.clip(profile * rng.uniform(0.97, 1.03, size=101), 0.0005, None)


def population_observations(
    codes: Sequence[str], years: Sequence[int], *, seed: int = 2026
) -> pl.DataFrame:
    """Residents by comune, sex, single age and year (invented, plausible, deterministic)."""
    rng = np.random.default_rng(seed)
    records: list[tuple[str, str, str, str, int]] = []
    for code in codes:
        total = 1_370_000 if code == MILANO else int(np.clip(rng.lognormal(9.3, 0.85), 700, 90_000))
        ageing = rng.normal(0, 1)
        profile = _age_profile(rng, ageing)
        growth = rng.normal(0.002, 0.006)
        for i, year in enumerate(years):
            size = total * (1 + growth) ** i
            # The population ages: fewer children and more over-65s each year, as in Lombardy.
            ages = np.arange(101)
            shares = profile * np.where(
                ages >= 65, 1 + 0.012 * i, np.where(ages < 15, 1 - 0.012 * i, 1.0)
            )
            counts = np.round(size * shares / shares.sum()).astype(int)
            female_share = np.clip(0.49 + 0.0015 * np.maximum(np.arange(101) - 60, 0), 0.45, 0.75)
            female = np.round(counts * female_share).astype(int)
            for sex, values in (("1", counts - female), ("2", female)):
                for age, value in zip(AGES, values, strict=True):
                    records.append((code, sex, age, str(year), int(value)))
                records.append((code, sex, "TOTAL", str(year), int(values.sum())))
    return pl.DataFrame(
        records, schema=["REF_AREA", "SEX", "AGE", "TIME_PERIOD", "OBS_VALUE"], orient="row"
    )


def population_sdmx_csv(observations: pl.DataFrame, *, provisional_year: int | None) -> bytes:
    rows = (
        {
            "FREQ": "A",
            "DATA_TYPE": "JAN",
            "MARITAL_STATUS": "99",
            **row,
            "OBS_VALUE": str(row["OBS_VALUE"]),
            "OBS_STATUS": "e" if row["TIME_PERIOD"] == str(provisional_year) else "",
        }
        for row in observations.iter_rows(named=True)
    )
    from ingestion.istat.population import DIMENSIONS, FLOW

    return sdmx_csv(rows, flow=FLOW, dimensions=DIMENSIONS)


def write_population_snapshot(target: Path, years: Sequence[int]) -> Path:
    """Rewrite the bundled population payload and the request that would fetch it."""
    from ingestion.istat import comuni, population, sdmx

    codes = comuni.metropolitan_codes(
        comuni.SCHEMA.conform(
            comuni.parse_file(comuni.snapshot()[0].path), source="istat", dataset="comuni"
        )
    )
    payload = population_sdmx_csv(
        population_observations(codes, years), provisional_year=max(years)
    )
    target.mkdir(parents=True, exist_ok=True)
    data = target / "population.csv.gz"
    with data.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(payload)
    request = {
        "url": sdmx.data_url(
            sdmx.DEFAULT_BASE_URL, population.FLOW, population.population_key(codes)
        ),
        "params": sdmx.PeriodBounds(start=min(years)).params(),
        "headers": {"content-type": "application/vnd.sdmx.data+csv; version=1.0.0; charset=utf-8"},
    }
    (target / "population.request.json").write_text(json.dumps(request, indent=2) + "\n")
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--first-year", type=int, default=2019)
    parser.add_argument("--last-year", type=int, default=2025)
    args = parser.parse_args()
    from ingestion.istat.population import SNAPSHOT_DIR

    path = write_population_snapshot(SNAPSHOT_DIR, range(args.first_year, args.last_year + 1))
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
