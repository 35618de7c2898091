"""Synthetic ISTAT payloads in the real wire format, for the bundled snapshot and benchmarks.

The values are invented (deterministic, seeded); the shape is ISTAT's: SDMX-CSV with the
dataflow's dimensions in DSD order and the attribute tail after ``OBS_VALUE``. Run
``python -m ingestion.istat.synthetic`` to rewrite every bundled ISTAT SDMX snapshot: population
first, then the other dataflows, made consistent with it (the demographic balance adds up to
the change in population, foreign residents and casualties are scaled on residents). The
generators take the comuni and years as parameters, so benchmarks can ask for more.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ingestion.istat.sdmx import SDMX_ATTRIBUTES

if TYPE_CHECKING:
    from ingestion.istat.flows import Payload

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
    for path in write_flow_snapshots(SNAPSHOT_DIR, last_year=args.last_year):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


# -- the other SDMX dataflows, consistent with the bundled population -------------------

CSV_CONTENT_TYPE = "application/vnd.sdmx.data+csv; version=1.0.0; charset=utf-8"
# Comuni with large logistics sites (warehouses along the ring roads, Linate airport in
# Segrate and Peschiera Borromeo): a larger share of employees in transport and storage.
LOGISTICS_HUBS = {
    "015050": 0.16,  # Carpiano
    "015115": 0.22,  # Lacchiarella
    "015122": 0.20,  # Liscate
    "015170": 0.12,  # Pero
    "015171": 0.24,  # Peschiera Borromeo
    "015178": 0.14,  # Pozzuolo Martesana
    "015195": 0.11,  # San Giuliano Milanese
    "015205": 0.20,  # Segrate
    "015210": 0.18,  # Settala
    "015243": 0.15,  # Vittuone
}
AIRPORT_COMUNI = ("015171", "015205")  # Linate


def population_totals(path: Path) -> pl.DataFrame:
    """Residents on 1 January (both sexes, all ages) by comune and year, from a 22_289 payload."""
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as handle:
        frame = pl.read_csv(handle.read(), infer_schema=False)
    return (
        frame.filter(pl.col("AGE") == "TOTAL")
        .group_by("REF_AREA", "TIME_PERIOD")
        .agg(pl.col("OBS_VALUE").cast(pl.Int64).sum().alias("population"))
        .with_columns(pl.col("TIME_PERIOD").cast(pl.Int32).alias("year"))
        .select("REF_AREA", "year", "population")
        .sort("REF_AREA", "year")
    )


def _by_comune(totals: pl.DataFrame) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {}
    for code, year, value in totals.iter_rows():
        out.setdefault(code, {})[year] = value
    return out


def balance_observations(totals: pl.DataFrame, *, seed: int = 2027) -> pl.DataFrame:
    """Births, deaths and registrations by comune and year *t*, for every *t* whose next
    1 January is known, such that population(t+1) = population(t) + births - deaths + net
    registrations exactly (any residual goes to the moves between comuni)."""
    rng = np.random.default_rng(seed)
    records: list[tuple[str, str, str, str]] = []
    for code, series in _by_comune(totals).items():
        milano = code == MILANO
        rates = {  # events per resident per year
            "LBIRTH": rng.normal(0.0070, 0.0007),
            "DEATH": rng.normal(0.0105, 0.0012),
            "REGM": 0.026 if milano else rng.normal(0.040, 0.006),
            "DEREGM": 0.030 if milano else rng.normal(0.037, 0.006),
            "REGOTHC": 0.010 if milano else rng.normal(0.005, 0.0015),
            "DEREGOTHC": 0.004 if milano else rng.normal(0.0022, 0.0006),
            "REGOTHREAS": rng.normal(0.0015, 0.0004),
            "DEROTHREAS": rng.normal(0.0035, 0.0008),
        }
        for year in sorted(series):
            if year + 1 not in series:
                continue
            start, end = series[year], series[year + 1]
            covid = {2020: 1.35, 2021: 1.08}.get(year, 1.0)  # Lombardy's excess deaths
            events = {
                dt: int(rng.poisson(max(rate, 0.0) * start * (covid if dt == "DEATH" else 1.0)))
                for dt, rate in rates.items()
            }
            net = (
                events["LBIRTH"]
                - events["DEATH"]
                + events["REGM"]
                - events["DEREGM"]
                + events["REGOTHC"]
                - events["DEREGOTHC"]
                + events["REGOTHREAS"]
                - events["DEROTHREAS"]
            )
            residual = (end - start) - net
            if residual >= 0:
                events["REGM"] += residual
            else:
                events["DEREGM"] -= residual
            for data_type, value in events.items():
                records.append((code, data_type, str(year), str(value)))
    return pl.DataFrame(
        records, schema=["REF_AREA", "DATA_TYPE", "TIME_PERIOD", "OBS_VALUE"], orient="row"
    )


def foreign_resident_observations(totals: pl.DataFrame, *, seed: int = 2028) -> pl.DataFrame:
    """Foreign residents on 1 January by comune and sex (1, 2 and their total 9)."""
    rng = np.random.default_rng(seed)
    records: list[tuple[str, str, str, str]] = []
    for code, series in _by_comune(totals).items():
        share = 0.195 if code == MILANO else float(np.clip(rng.normal(0.11, 0.035), 0.04, 0.22))
        female_share = rng.normal(0.51, 0.015)
        for i, year in enumerate(sorted(series)):
            foreign = round(series[year] * (share + 0.0015 * i))
            female = round(foreign * female_share)
            for sex, value in (("1", foreign - female), ("2", female), ("9", foreign)):
                records.append((code, sex, str(year), str(value)))
    return pl.DataFrame(
        records, schema=["REF_AREA", "SEX", "TIME_PERIOD", "OBS_VALUE"], orient="row"
    )


def road_accident_observations(
    totals: pl.DataFrame, years: Sequence[int], *, seed: int = 2029
) -> pl.DataFrame:
    """Accidents with injuries, people killed and injured by comune and year. Every accident
    with injuries has at least one casualty, so killed + injured >= accidents."""
    rng = np.random.default_rng(seed)
    records: list[tuple[str, str, str, str, str]] = []
    for code, series in _by_comune(totals).items():
        per_10k = 55.0 if code == MILANO else float(np.clip(rng.lognormal(3.3, 0.35), 8, 70))
        for year in years:
            residents = series.get(year) or series[max(series)]
            traffic = {2020: 0.72, 2021: 0.88}.get(year, 1.0)  # the pandemic years
            accidents = int(rng.poisson(per_10k * residents / 10_000 * traffic))
            casualties = accidents + int(rng.poisson(0.38 * accidents))
            killed = int(rng.binomial(casualties, 0.004 if code == MILANO else 0.009))
            for data_type, result, value in (
                ("ROADACC", "9", accidents),
                ("KILLINJ", "M", killed),
                ("KILLINJ", "F", casualties - killed),
            ):
                records.append((code, data_type, result, str(year), str(value)))
    return pl.DataFrame(
        records,
        schema=["REF_AREA", "DATA_TYPE", "RESULT", "TIME_PERIOD", "OBS_VALUE"],
        orient="row",
    )


# Share of transport employees by division, and employees per local unit.
_DIVISIONS = {"49": (0.42, 4.0), "50": (0.003, 3.0), "51": (0.04, 40.0), "52": (0.38, 12.0)}
_DIVISIONS["53"] = (1 - sum(share for share, _ in _DIVISIONS.values()), 8.0)


def _employees(value: float) -> str:
    """An annual average as ISTAT prints it: up to two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def local_unit_observations(
    totals: pl.DataFrame, years: Sequence[int], *, seed: int = 2030
) -> pl.DataFrame:
    """Local units and employees by comune and year, all sectors (0010) and H49..H53.

    Transport employees stay well below all employees; a division without any local unit
    in a comune is left out, as in the register's answers.
    """
    rng = np.random.default_rng(seed)
    records: list[tuple[str, str, str, str, str]] = []
    for code, series in _by_comune(totals).items():
        milano = code == MILANO
        jobs_ratio = 0.78 if milano else float(np.clip(rng.lognormal(-1.1, 0.4), 0.12, 1.2))
        unit_size = 4.6 if milano else float(np.clip(rng.normal(3.4, 0.5), 2.2, 5.5))
        transport = LOGISTICS_HUBS.get(code, float(np.clip(rng.normal(0.05, 0.015), 0.015, 0.1)))
        weights = {d: share * rng.uniform(0.8, 1.2) for d, (share, _) in _DIVISIONS.items()}
        if code in AIRPORT_COMUNI:
            weights["51"] = 0.25
        if not (milano or rng.random() < 0.05):
            weights["50"] = 0.0  # water transport: Milano and a few comuni on the canals
        scale = sum(weights.values())
        first = series[min(series)]
        for i, year in enumerate(years):
            dip = 0.97 if year == 2020 else 1.0
            employees = first * jobs_ratio * (1.01**i) * dip * rng.uniform(0.99, 1.01)
            units = max(1, round(employees / unit_size))
            cells = [("0010", units, employees)]
            in_transport = employees * transport * (1.02**i)
            for division, (_, size) in _DIVISIONS.items():
                staff = in_transport * weights[division] / scale
                count = round(staff / size)
                if count == 0 and staff >= 1:
                    count = 1
                if count == 0:
                    continue
                cells.append((division, count, max(staff, 0.8 * count)))
            for activity, count, staff in cells:
                records.append((code, "LU", activity, str(year), str(count)))
                records.append((code, "LUEMPDAA", activity, str(year), _employees(staff)))
    return pl.DataFrame(
        records,
        schema=["REF_AREA", "DATA_TYPE", "ECON_ACTIVITY_NACE_2007", "TIME_PERIOD", "OBS_VALUE"],
        orient="row",
    )


# Milano province (ITC45), both sexes: employment rate 20-64 and unemployment rate 15-74.
_EMPLOYMENT_20_64 = {
    2018: 75.6, 2019: 76.4, 2020: 74.5, 2021: 74.9, 2022: 76.4, 2023: 77.3, 2024: 77.8, 2025: 78.1,
}  # fmt: skip
_UNEMPLOYMENT_15_74 = {
    2018: 6.4, 2019: 5.9, 2020: 5.6, 2021: 6.0, 2022: 5.3, 2023: 4.9, 2024: 4.6, 2025: 4.5,
}  # fmt: skip


def labour_force_observations(
    years: Sequence[int], *, territory: str = "ITC45", seed: int = 2031
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Employment rates (20-64, 15-64) and unemployment rates (15-74, 15-24) by sex for the
    province, one decimal; women's rates below men's, the total in between."""
    rng = np.random.default_rng(seed)
    employment: list[tuple[str, str, str, str, str]] = []
    unemployment: list[tuple[str, str, str, str, str]] = []
    for year in years:
        emp = _EMPLOYMENT_20_64.get(year, 77.0) + rng.normal(0, 0.2)
        unemp = _UNEMPLOYMENT_15_74.get(year, 5.0) + rng.normal(0, 0.15)
        for age, total, gap in (("Y20-64", emp, 5.6), ("Y15-64", emp - 6.2, 5.2)):
            for sex, value in (("1", total + gap), ("2", total - gap), ("9", total)):
                employment.append((territory, sex, age, str(year), f"{value:.1f}"))
        for age, total, gap in (("Y15-74", unemp, 0.55), ("Y15-24", unemp * 3.3, 1.7)):
            for sex, value in (("1", total - gap), ("2", total + gap), ("9", total)):
                unemployment.append((territory, sex, age, str(year), f"{value:.1f}"))
    columns = ["REF_AREA", "SEX", "AGE", "TIME_PERIOD", "OBS_VALUE"]
    return (
        pl.DataFrame(employment, schema=columns, orient="row"),
        pl.DataFrame(unemployment, schema=columns, orient="row"),
    )


def flow_sdmx_csv(
    observations: pl.DataFrame,
    *,
    flow: str,
    dimensions: Sequence[str],
    defaults: dict[str, str],
    status: dict[str, str] | None = None,
) -> bytes:
    """SDMX-CSV of one dataflow: missing dimensions take ``defaults``, rows sorted by series
    and period like ISTAT's answers; ``status`` gives OBS_STATUS by period."""
    frame = observations.with_columns(
        [pl.lit(v).alias(k) for k, v in defaults.items() if k not in observations.columns]
    ).sort([*dimensions, "TIME_PERIOD"])
    status = status or {}
    rows = (
        {**row, "OBS_STATUS": status.get(row["TIME_PERIOD"], "")}
        for row in frame.iter_rows(named=True)
    )
    return sdmx_csv(rows, flow=flow, dimensions=dimensions)


def _write_payload(target: Path, stem: str, payload: bytes, url: str, params: dict) -> Path:
    data = target / f"{stem}.csv.gz"
    with data.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(payload)
    request = {"url": url, "params": params, "headers": {"content-type": CSV_CONTENT_TYPE}}
    (target / f"{stem}.request.json").write_text(json.dumps(request, indent=2) + "\n")
    return data


def write_flow_snapshots(target: Path, *, last_year: int) -> list[Path]:
    """Rewrite the bundled payloads of every SDMX dataset but population, consistent with
    the population payload already in ``target``, with the requests that would fetch them."""
    from ingestion.istat import (
        balance,
        comuni,
        foreign_residents,
        labour_force,
        local_units,
        road_accidents,
        sdmx,
    )

    codes = comuni.metropolitan_codes(
        comuni.SCHEMA.conform(
            comuni.parse_file(comuni.snapshot()[0].path), source="istat", dataset="comuni"
        )
    )
    totals = population_totals(target / "population.csv.gz").filter(
        pl.col("year") >= balance.START_YEAR
    )
    event_years = range(balance.START_YEAR, last_year)  # events of a year: up to last_year - 1
    target.mkdir(parents=True, exist_ok=True)
    written = []

    def write(stem: str, payload: bytes, request: Payload) -> None:
        url = sdmx.data_url(sdmx.DEFAULT_BASE_URL, request.flow, request.key)
        written.append(_write_payload(target, stem, payload, url, request.period.params()))

    (request,) = balance.payloads(codes)
    payload = flow_sdmx_csv(
        balance_observations(totals),
        flow=balance.FLOW,
        dimensions=balance.DIMENSIONS,
        defaults={"FREQ": "A", "SEX": "9"},
        status={str(last_year - 1): "p"},
    )
    write(balance.SNAPSHOT, payload, request)

    (request,) = foreign_residents.payloads(codes)
    payload = flow_sdmx_csv(
        foreign_resident_observations(totals),
        flow=foreign_residents.FLOW,
        dimensions=foreign_residents.DIMENSIONS,
        defaults={"FREQ": "A", "DATA_TYPE": "JAN", "AGE": "TOTAL"},
        status={str(last_year): "e"},
    )
    write(foreign_residents.SNAPSHOT, payload, request)

    (request,) = road_accidents.payloads(codes)
    payload = flow_sdmx_csv(
        road_accident_observations(totals, event_years),
        flow=road_accidents.FLOW,
        dimensions=road_accidents.DIMENSIONS,
        defaults={"FREQ": "A"},
    )
    write(road_accidents.SNAPSHOT, payload, request)

    units = local_unit_observations(totals, event_years)
    for stale in target.glob(f"{local_units.NAME}-*"):
        stale.unlink()  # the number of groups may change with the comuni
    groups = sdmx.chunked(codes, local_units.QUERY.codes_per_request)
    for i, (request, group) in enumerate(zip(local_units.payloads(codes), groups, strict=True), 1):
        payload = flow_sdmx_csv(
            units.filter(pl.col("REF_AREA").is_in(group)),
            flow=local_units.FLOW,
            dimensions=local_units.DIMENSIONS,
            defaults={"FREQ": "A", "PERS_EMPL_SIZE_CLASS": "TOTAL"},
        )
        write(f"{local_units.NAME}-{i}", payload, request)

    employment, unemployment = labour_force_observations(
        range(labour_force.START_YEAR, last_year + 1)
    )
    lfs_defaults = {"FREQ": "A", "EDU_LEV_HIGHEST": "99", "CITIZENSHIP": "TOTAL"}
    for (_, stem), request, frame, extra in zip(
        labour_force.SNAPSHOTS,
        labour_force.payloads(),
        (employment, unemployment),
        ({"DATA_TYPE": "EMP_R"}, {"DATA_TYPE": "UNEM_R", "DURATION_UNEMPLOYMENT": "TOTAL"}),
        strict=True,
    ):
        payload = flow_sdmx_csv(
            frame,
            flow=request.flow,
            dimensions=request.dimensions,
            defaults={**lfs_defaults, **extra},
        )
        write(stem, payload, request)
    return written


if __name__ == "__main__":
    main()
