"""Latency of 20 typical analyst queries on the published warehouse.

The queries are what the README's "The warehouse analysts query" section and the portal ask
(its five questions first), plus the usual ones: the latest value of an indicator for every
comune, one comune's time series, rankings, distances to the Plan's targets, joins with
``dim_comune``, pivots, and drill-downs into the ``intermediate`` views over the raw tables.

Each query runs on one read-only connection to the published warehouse
(``<data dir>/warehouse/osservatorio.duckdb``), warm (``WARMUP`` unmeasured runs first), then
``RUNS`` times, fully fetched; the figures are p50 and p95 per query and over all of them
(target p95 < 50 ms). The warehouse is the one the pipeline benchmark's cold run published
in the same ``python -m benchmarks`` invocation; alone (``--only queries``) the module builds
one with ``osservatorio run`` first (not timed).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from benchmarks.figures import Figure

RUNS = 30
WARMUP = 2
TARGET_MS = 50.0
COMMAND = ".venv/bin/python -m benchmarks --only queries"

# (name, SQL): the first five are the README's, verbatim.
QUERIES: list[tuple[str, str]] = [
    (
        "readme 1: comuni furthest below the 65% separate-collection target",
        """
        select c.comune_name, z.zona_name, f.year, f.value as separate_collection_pct,
               round(65 - f.value, 2) as points_below_target
        from marts.fct_indicator_value f
        join marts.dim_comune c on c.comune_code = f.territory_code
        join marts.dim_zona_omogenea z on z.zona_code = c.zona_code
        where f.indicator_id = 'D04_01' and f.territory_level = 'comune' and f.value < 65
          and f.year = (select max(year) from marts.fct_indicator_value
                        where indicator_id = 'D04_01')
        order by f.value
        """,
    ),
    (
        "readme 2: the Città metropolitana against every target",
        """
        select p.indicator_id, i.name_en, p.latest_year, p.latest_value, p.target,
               p.target_direction, p.distance_to_target, p.is_target_met,
               p.is_trend_right_direction
        from marts.fct_target_progress p join marts.dim_indicator i using (indicator_id)
        order by p.indicator_id
        """,
    ),
    (
        "readme 3: old-age index by zona omogenea",
        """
        select z.zona_name, f.value as old_age_index, f.numerator as aged_65_plus,
               f.denominator as aged_0_14
        from marts.fct_indicator_value f
        join marts.dim_zona_omogenea z on z.zona_code = f.territory_code
        where f.indicator_id = 'D10_06' and f.territory_level = 'zona' and f.year = 2025
        order by f.value desc
        """,
    ),
    (
        "readme 4: stations over 35 days of PM10 above 50 µg/m³",
        """
        select f.territory_code as station_id, s.station_name, f.year, f.value as days_over_50
        from marts.fct_indicator_value f
        left join (select distinct station_id, station_name
                   from staging.stg_lombardia__air_stations) s
               on s.station_id = f.territory_code
        where f.indicator_id = 'D10_04' and f.territory_level = 'station' and f.value > 35
        order by f.year desc, f.value desc
        """,
    ),
    (
        "readme 5: one driver's mart side by side",
        """
        select comune_name, d05_01_road_accidents_per_10000_residents,
               d05_03_ev_charging_points_per_10000_residents
        from marts.mart_driver_05_mobilita where year = 2024
        order by d05_01_road_accidents_per_10000_residents desc limit 10
        """,
    ),
    (
        "latest value of an indicator for every comune",
        """
        select c.comune_code, c.comune_name, c.zona_name,
               arg_max(f.value, f.year) as latest_value, max(f.year) as latest_year
        from marts.dim_comune c
        left join marts.fct_indicator_value f
               on f.territory_code = c.comune_code and f.territory_level = 'comune'
              and f.indicator_id = 'D03_01'
        group by all order by c.comune_name
        """,
    ),
    (
        "time series of every indicator for one comune",
        """
        select f.indicator_id, i.name_en, i.unit, f.year, f.value
        from marts.fct_indicator_value f join marts.dim_indicator i using (indicator_id)
        where f.territory_level = 'comune' and f.territory_code = '015146'
        order by f.indicator_id, f.year
        """,
    ),
    (
        "ranking of the zone omogenee on one indicator",
        """
        select z.zona_name, f.value,
               rank() over (order by f.value desc) as rank_in_cm
        from marts.fct_indicator_value f
        join marts.dim_zona_omogenea z on z.zona_code = f.territory_code
        where f.indicator_id = 'D04_01' and f.territory_level = 'zona'
          and f.year = (select max(year) from marts.fct_indicator_value
                        where indicator_id = 'D04_01' and territory_level = 'zona')
        order by rank_in_cm
        """,
    ),
    (
        "ranking of the comuni within their zona",
        """
        select c.zona_name, c.comune_name, f.value,
               rank() over (partition by c.zona_code order by f.value desc) as rank_in_zona
        from marts.fct_indicator_value f
        join marts.dim_comune c on c.comune_code = f.territory_code
        where f.indicator_id = 'D10_06' and f.territory_level = 'comune' and f.year = 2025
        qualify rank_in_zona <= 3
        order by c.zona_name, rank_in_zona
        """,
    ),
    (
        "distance to target of every comune, latest year",
        """
        with latest as (
            select f.indicator_id, f.territory_code, arg_max(f.value, f.year) as value,
                   max(f.year) as year
            from marts.fct_indicator_value f
            where f.territory_level = 'comune'
            group by all
        )
        select c.comune_name, i.indicator_id, i.name_en, l.year, l.value, i.target,
               case i.target_direction when 'increase' then i.target - l.value
                    else l.value - i.target end as distance_to_target
        from latest l
        join marts.dim_indicator i using (indicator_id)
        join marts.dim_comune c on c.comune_code = l.territory_code
        where i.target is not null
        order by i.indicator_id, distance_to_target desc
        """,
    ),
    (
        "one comune beside its zona and the Città metropolitana",
        """
        with c as (select comune_code, zona_code from marts.dim_comune
                   where comune_name = 'Rho')
        select f.indicator_id, f.year,
               max(f.value) filter (where f.territory_level = 'comune') as comune,
               max(f.value) filter (where f.territory_level = 'zona') as zona,
               max(f.value) filter (where f.territory_level = 'cm') as cm
        from marts.fct_indicator_value f, c
        where (f.territory_level = 'comune' and f.territory_code = c.comune_code)
           or (f.territory_level = 'zona' and f.territory_code = c.zona_code)
           or f.territory_level = 'cm'
        group by f.indicator_id, f.year
        qualify f.year = max(f.year) over (partition by f.indicator_id)
        order by f.indicator_id
        """,
    ),
    (
        "year-on-year change per comune",
        """
        select comune_code, year, value,
               value - lag(value) over (partition by comune_code order by year) as change
        from (select territory_code as comune_code, year, value
              from marts.fct_indicator_value
              where indicator_id = 'D04_02' and territory_level = 'comune')
        qualify year = max(year) over ()
        order by change desc nulls last
        """,
    ),
    (
        "top ten comuni of a driver mart, latest year",
        """
        select comune_name, zona_code, year, d10_07_pharmacies_per_10k
        from marts.mart_driver_10_salute
        where year = (select max(year) from marts.mart_driver_10_salute
                      where d10_07_pharmacies_per_10k is not null)
        order by d10_07_pharmacies_per_10k desc nulls last limit 10
        """,
    ),
    (
        "comune by year pivot of one indicator",
        """
        pivot (select c.comune_name, f.year, f.value
               from marts.fct_indicator_value f
               join marts.dim_comune c on c.comune_code = f.territory_code
               where f.indicator_id = 'D02_01' and f.territory_level = 'comune')
        on year using max(value) order by comune_name
        """,
    ),
    (
        "capital against the other comuni, every indicator",
        """
        select f.indicator_id, f.year, c.is_capital, count(*) as comuni,
               avg(f.value) as mean_value, median(f.value) as median_value
        from marts.fct_indicator_value f
        join marts.dim_comune c on c.comune_code = f.territory_code
        where f.territory_level = 'comune'
        group by all order by all
        """,
    ),
    (
        "indicators per PNRR mission and driver",
        """
        select m.mission_id, m.name_en, d.driver_id, d.title_en, count(i.indicator_id) as indicators
        from marts.dim_pnrr_mission m
        cross join unnest(string_split(m.driver_ids, ', ')) as t(driver_id)
        join marts.dim_driver d on d.driver_id = t.driver_id
        left join marts.dim_indicator i on i.driver_id = d.driver_id
        group by all order by all
        """,
    ),
    (
        "targets going the wrong way",
        """
        select p.indicator_id, d.title_en, p.reference_year, p.reference_value, p.latest_year,
               p.latest_value, p.target, p.trend
        from marts.fct_target_progress p join marts.dim_driver d using (driver_id)
        where not p.is_trend_right_direction or not p.is_target_met
        order by p.indicator_id
        """,
    ),
    (
        "drill-down: a station's PM10 daily means over a year",
        """
        select measured_on, daily_mean, values_count
        from intermediate.int_air_quality__station_daily_means
        where station_id = (select min(station_id)
                            from intermediate.int_air_quality__station_daily_means)
          and pollutant = 'PM10'
          and year = (select max(year) from intermediate.int_air_quality__station_daily_means)
        order by measured_on
        """,
    ),
    (
        "drill-down: energy certificates by class in one comune",
        """
        select year, energy_class, count(*) as certificates,
               median(ep_gl_nren_kwh_m2) as median_ep_gl_nren
        from intermediate.int_energy_certificates__by_comune
        where comune_code = '015146'
        group by all order by all
        """,
    ),
    (
        "drill-down: population by age band and zona",
        """
        select c.zona_name, p.year, p.age_band, sum(p.population) as residents
        from intermediate.int_population__age_bands p
        join marts.dim_comune c on c.comune_code = p.comune_code
        where p.year = (select max(year) from intermediate.int_population__age_bands)
        group by all order by all
        """,
    ),
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0-100): a value that was measured."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def time_queries(
    warehouse: Path,
    queries: list[tuple[str, str]] = QUERIES,
    runs: int = RUNS,
    warmup: int = WARMUP,
) -> tuple[dict[str, list[float]], dict[str, int], float]:
    """Milliseconds of each run of each query, the rows each returns, and the time to open
    the read-only connection."""
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect(str(warehouse), read_only=True)
    connect_ms = (time.perf_counter() - start) * 1000
    timings: dict[str, list[float]] = {}
    rows: dict[str, int] = {}
    try:
        for name, sql in queries:
            for _ in range(warmup):
                con.execute(sql).fetchall()
            measured = []
            for _ in range(runs):
                t0 = time.perf_counter()
                result = con.execute(sql).fetchall()
                measured.append((time.perf_counter() - t0) * 1000)
            timings[name] = measured
            rows[name] = len(result)
    finally:
        con.close()
    return timings, rows, connect_ms


def figures_from(
    timings: dict[str, list[float]], rows: dict[str, int], connect_ms: float, scale: str
) -> list[Figure]:
    out: list[Figure] = []
    for number, (name, measured) in enumerate(timings.items(), start=1):
        p50, p95 = percentile(measured, 50), percentile(measured, 95)
        label = f"query {number:02d} ({name})"
        out.append(
            Figure(
                f"{label}: p50",
                scale,
                round(p50, 2),
                "ms",
                command=COMMAND,
            )
        )
        met = p95 < TARGET_MS
        note = f"{rows[name]:,} rows; min {min(measured):.2f} ms, max {max(measured):.2f} ms"
        if not met:
            note += (
                ". Over the target: the query reads intermediate views, which DuckDB computes "
                "from the raw tables at every run (and which grow with the raw tables). What "
                "would close it: materialise the intermediate models as tables "
                "(dbt_project.yml: `intermediate: +materialized: table`); measured by hand on "
                "a copy of the snapshot warehouse built that way, the three drill-down queries "
                "take 1.3-1.7 ms (p50), and dbt's build gets faster too"
                if "intermediate." in dict(QUERIES).get(name, "")
                else ""
            )
        out.append(
            Figure(
                f"{label}: p95",
                scale,
                round(p95, 2),
                "ms",
                f"< {TARGET_MS:.0f} ms",
                met,
                COMMAND,
                note,
            )
        )
    everything = [ms for measured in timings.values() for ms in measured]
    slowest = max(timings, key=lambda name: percentile(timings[name], 95))
    overall_p95 = percentile(everything, 95)
    runs = len(next(iter(timings.values()))) if timings else 0
    summary = (
        f"{len(timings)} queries, {runs} warm runs on one read-only connection; slowest p95: "
        f"{slowest} ({percentile(timings[slowest], 95):.1f} ms)"
    )
    over = [name for name, measured in timings.items() if percentile(measured, 95) >= TARGET_MS]
    if overall_p95 >= TARGET_MS:
        under = [percentile(m, 95) for name, m in timings.items() if name not in over]
        summary += (
            f". {len(over)} of the {len(timings)} queries are over {TARGET_MS:.0f} ms ("
            + "; ".join(over)
            + f"), {len(over) * runs} of the {len(everything)} timings, which is enough to "
            "put the pooled p95 over the target"
            + (f"; the other {len(under)} have p95 at most {max(under):.1f} ms" if under else "")
            + ". What would close it: what closes those queries (see their notes)"
        )
    out += [
        Figure(
            "all queries: p50",
            scale,
            round(percentile(everything, 50), 2),
            "ms",
            command=COMMAND,
            note=summary,
        ),
        Figure(
            "all queries: p95",
            scale,
            round(overall_p95, 2),
            "ms",
            f"< {TARGET_MS:.0f} ms",
            overall_p95 < TARGET_MS,
            COMMAND,
            summary,
        ),
        Figure(
            "opening a read-only connection",
            scale,
            round(connect_ms, 2),
            "ms",
            command=COMMAND,
            note="once per session (what `make sql` pays on top of Python's start-up)",
        ),
    ]
    return out


def run(scale: int, work_dir: Path) -> list[Figure]:
    """The query figures on the snapshot's published warehouse (``scale`` does not change
    them: the warehouse is the snapshot's)."""
    from benchmarks.pipeline import ensure_snapshot_build

    data_dir = ensure_snapshot_build(work_dir)
    warehouse = data_dir / "warehouse" / "osservatorio.duckdb"
    timings, rows, connect_ms = time_queries(warehouse)
    return figures_from(timings, rows, connect_ms, "snapshot")
