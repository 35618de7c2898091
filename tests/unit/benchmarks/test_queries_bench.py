"""The analyst-query benchmark on a small hand-made warehouse: every query runs, and the
figures are p50 and p95 per query and overall."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from benchmarks import queries

SCHEMA = """
create schema marts; create schema staging; create schema intermediate;
create table marts.dim_zona_omogenea as
    select * from (values ('Z1', 'Nord', 2, 1), ('Z2', 'Sud', 1, 2))
    t(zona_code, zona_name, comuni_count, sort_order);
create table marts.dim_comune as
    select * from (values ('015146', 'Milano', 'Z1', 'Nord', true),
                          ('015182', 'Rho', 'Z1', 'Nord', false),
                          ('015002', 'Abbiategrasso', 'Z2', 'Sud', false))
    t(comune_code, comune_name, zona_code, zona_name, is_capital);
create table marts.dim_driver as
    select * from (values ('D04', 'Metabolismo', 'mart_driver_04'),
                          ('D10', 'Salute', 'mart_driver_10'))
    t(driver_id, title_en, mart_name);
create table marts.dim_pnrr_mission as
    select * from (values ('M2', 'Green', 'D04'), ('M6', 'Health', 'D04, D10'))
    t(mission_id, name_en, driver_ids);
create table marts.dim_indicator as
    select * from (values ('D04_01', 'D04', 'Separate collection', '%', 65.0, 'increase'),
                          ('D10_06', 'D10', 'Old-age index', 'index', null, null),
                          ('D10_04', 'D10', 'PM10 days', 'days', 35.0, 'decrease'),
                          ('D02_01', 'D04', 'Soil', '%', null, null),
                          ('D03_01', 'D04', 'Class A', '%', null, null),
                          ('D04_02', 'D04', 'Waste', 'kg', null, null))
    t(indicator_id, driver_id, name_en, unit, target, target_direction);
create table marts.fct_indicator_value as
    select i.indicator_id, l.level as territory_level, l.code as territory_code, y.year,
           50.0 + y.year - 2020 + length(l.code) as value, 10.0 as numerator,
           20.0 as denominator
    from marts.dim_indicator i,
         (values ('comune', '015146'), ('comune', '015182'), ('comune', '015002'),
                 ('zona', 'Z1'), ('zona', 'Z2'), ('cm', '215'), ('station', '539')) l(level, code),
         (values (2023), (2024), (2025)) y(year);
create table marts.fct_target_progress as
    select indicator_id, driver_id, 2020 as reference_year, 40.0 as reference_value,
           2025 as latest_year, 55.0 as latest_value, target, target_direction,
           10.0 as distance_to_target, false as is_target_met, 'up' as trend,
           true as is_trend_right_direction
    from marts.dim_indicator where target is not null;
create table marts.mart_driver_05_mobilita as
    select comune_name, 2024 as year, 1.5 as d05_01_road_accidents_per_10000_residents,
           2.5 as d05_03_ev_charging_points_per_10000_residents from marts.dim_comune;
create table marts.mart_driver_10_salute as
    select comune_name, zona_code, 2025 as year, 3.5 as d10_07_pharmacies_per_10k
    from marts.dim_comune;
create view staging.stg_lombardia__air_stations as
    select '539' as station_id, 'Milano Senato' as station_name;
create view intermediate.int_air_quality__station_daily_means as
    select '539' as station_id, 'PM10' as pollutant, d::date as measured_on, 2025 as year,
           30.0 as daily_mean, 24 as values_count
    from range(date '2025-01-01', date '2025-01-10', interval 1 day) t(d);
create view intermediate.int_energy_certificates__by_comune as
    select '015146' as comune_code, 2025 as year, 'A4' as energy_class,
           20.0 as ep_gl_nren_kwh_m2;
create view intermediate.int_population__age_bands as
    select comune_code, 2025 as year, 'F' as sex, '65+' as age_band, 100 as population
    from marts.dim_comune;
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "osservatorio.duckdb"
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
    con.close()
    return path


def test_there_are_twenty_distinct_queries() -> None:
    names = [name for name, _ in queries.QUERIES]
    assert len(names) == 20
    assert len(set(names)) == 20


def test_every_query_runs_and_gives_p50_p95(warehouse: Path) -> None:
    timings, rows, connect_ms = queries.time_queries(warehouse, runs=3, warmup=1)
    assert list(timings) == [name for name, _ in queries.QUERIES]
    assert all(len(measured) == 3 for measured in timings.values())
    assert rows[queries.QUERIES[0][0]] > 0  # the hand-made values are below 65%
    figures = queries.figures_from(timings, rows, connect_ms, "snapshot")
    # p50 and p95 per query, then both overall and the connection.
    assert len(figures) == 2 * 20 + 3
    p95 = [f for f in figures if f.benchmark.endswith(": p95")]
    assert len(p95) == 21
    assert all(f.target == "< 50 ms" and f.met == (f.value < 50) for f in p95)
    assert all(f.unit == "ms" and f.command for f in figures)


def test_percentile_is_a_measured_value() -> None:
    values = [float(v) for v in range(1, 31)]
    assert queries.percentile(values, 50) == 15.0
    assert queries.percentile(values, 95) == 29.0
    assert queries.percentile([7.0], 95) == 7.0


def test_a_slow_intermediate_query_says_why() -> None:
    name = "drill-down: a station's PM10 daily means over a year"
    figures = queries.figures_from({name: [80.0] * 5}, {name: 3}, 1.0, "snapshot")
    missed = [f for f in figures if f.met is False]
    assert missed and all("materialise" in f.note for f in missed if "query" in f.benchmark)


def test_the_pooled_p95_names_the_queries_over_the_target() -> None:
    slow, fast = "drill-down: population by age band and zona", "readme 2: targets"
    timings = {slow: [80.0] * 2, fast: [1.0] * 18}
    figures = queries.figures_from(timings, {slow: 1, fast: 1}, 1.0, "snapshot")
    pooled = next(f for f in figures if f.benchmark == "all queries: p95")
    assert pooled.value == 80.0 and pooled.met is False
    assert f"1 of the 2 queries are over 50 ms ({slow})" in pooled.note
    assert "the other 1 have p95 at most 1.0 ms" in pooled.note
