"""Drivers 9 (Ri-generation Housing) and 10 (Sistema salute territorio) on the bundled snapshot.

Every figure is recomputed here from the raw tables of the published warehouse
(``raw.<source>__<dataset>``, plain SQL over the raw columns, never the dbt models), then
compared with ``marts.fct_indicator_value`` (comune, zona and cm rows, or station and cm rows
for air quality) and with the components of the intermediate models
(``intermediate.int_indicator__d09_*`` / ``d10_*``), which exist as soon as the models are in
the project, whether or not they are wired into the unions.

Hand calculations on the snapshot (raw numbers, then the arithmetic):

- D09_01, Milano 015146, 2025: CENED certificates with ``comune`` = ``MILANO`` and
  ``classificazione_dpr`` in (``E.1(1)``, ``E.1(2)``) filed in 2025: 905 with ``anno_costruzione``,
  533 of them before 1976 -> 100 * 533 / 905 = 58.90 %.
- D09_02, Milano 015146, 2025: ``attivo`` projects of Milano available by 2025-12-31: RU-011
  (292 beds at moderate rent, 2022-02-26), RU-009 (308, 2023-01-05), RU-001 (260, 2023-09-23),
  RU-012 (59, 2025-12-25) -> 292 + 308 + 260 + 59 = 919 beds (2026, to the reference date
  2026-09-30, adds RU-010, 245 -> 1,164).
- D09_03, Milano 015146, 2025: residents on 1 January 2025 = 1,364,855, 2020 = 1,369,146 ->
  100 * (1,364,855 - 1,369,146) / 1,369,146 = -0.31 %.
- D10_01, Magenta 015130, 2024: one ``attiva`` hub (CDC-025, opened 2024-01-10); residents on
  1 January 2024 = 4,236 -> 50,000 * 1 / 4,236 = 11.80 per 50,000.
- D10_03, Milano 015146, 2025: ``medici_mmg`` = 774; residents aged 14+ on 1 January 2025 =
  1,195,986 -> 1,000 * 774 / 1,195,986 = 0.65 per 1,000.
- D10_04, station 548 Milano - Senato, 2025: sensor 20429 (PM10 SM2005, daily) has 354 validated
  days (>= 90% of 365 = 328.5) and 76 of them above 50 -> 76 days; it is the worst station in 2025,
  so cm = 76.
- D10_05a, station 548, 2025: sensor 10273 (NO2, hourly) has 8,490 validated hours (>= 90% of
  8,760 = 7,884) summing to 335,598.7 -> 335,598.7 / 8,490 = 39.53 µg/m³, also the cm (worst).
- D10_07, Milano 015146: 428 pharmacies with ``comune`` = ``MILANO``; residents on 1 January 2025
  (the latest population year) = 1,364,855 -> 10,000 * 428 / 1,364,855 = 3.14 per 10,000.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.integration

CM = "215"
# Values are published rounded to 2 decimals (DuckDB rounds half away from zero).
TOLERANCE = 0.0051

# The comuni of the Città metropolitana, with their zona (seeds are reference data).
COMUNI = f"""
    select
        comuni.codice_comune as comune_code,
        upper(strip_accents(trim(comuni.denominazione_it))) as comune_name_normalised,
        zone.zona_code
    from raw.istat__comuni as comuni
    inner join reference.zone_omogenee as membership
        on comuni.codice_comune = membership.istat_code
    inner join reference.zona_omogenea as zone
        on membership.zona_omogenea = zone.zona_name
    where comuni.codice_uts = '{CM}'
"""

# Residents on 1 January by comune and year, all ages and aged 14+ (single years only).
RESIDENTS = """
    select
        ref_area as comune_code,
        cast(time_period as integer) as year,
        sum(obs_value) as residents,
        sum(obs_value) filter (
            where coalesce(try_cast(substr(age, 2) as integer), 100) >= 14
        ) as residents_14_plus
    from raw.istat__population
    where data_type = 'JAN' and marital_status = '99' and age <> 'TOTAL'
    group by all
"""

# Independent components, comune by comune: (comune_code, year, numerator, denominator).
EXPECTED_COMPONENTS = {
    "D09_01": f"""
        with comuni as ({COMUNI}),
        certificates as (
            select comuni.comune_code, year(certificates.data_ins) as year,
                certificates.anno_costruzione
            from raw.lombardia__energy_certificates as certificates
            inner join comuni
                on upper(strip_accents(trim(certificates.comune))) = comuni.comune_name_normalised
            where certificates.classificazione_dpr in ('E.1(1)', 'E.1(2)')
        )
        select comuni.comune_code, years.year,
            count(certificates.anno_costruzione)
                filter (where certificates.anno_costruzione < 1976),
            count(certificates.anno_costruzione)
        from comuni
        cross join (select distinct year from certificates) as years
        left join certificates
            on comuni.comune_code = certificates.comune_code and years.year = certificates.year
        group by all
    """,
    "D09_02": f"""
        with comuni as ({COMUNI}),
        projects as (select * from raw.cittametropolitana__student_housing),
        years as (
            select unnest(range(
                (select min(year(data_disponibilita)) from projects where stato = 'attivo'),
                (select max(year(data_riferimento)) from projects) + 1
            )) as year
        )
        select comuni.comune_code, years.year, coalesce(sum(projects.posti_canone_moderato), 0),
            null
        from comuni
        cross join years
        left join projects
            on comuni.comune_code = projects.codice_comune
            and projects.stato = 'attivo'
            and year(projects.data_disponibilita) <= years.year
        group by all
    """,
    "D09_03": f"""
        with residents as ({RESIDENTS})
        select now.comune_code, now.year, now.residents - before.residents, before.residents
        from residents as now
        inner join residents as before
            on now.comune_code = before.comune_code and now.year = before.year + 5
    """,
    "D10_01": f"""
        with residents as ({RESIDENTS}),
        houses as (select * from raw.ats__community_houses),
        hubs as (select * from houses where stato = 'attiva' and tipologia = 'hub'),
        years as (
            select unnest(range(
                (select min(year(data_apertura)) from hubs),
                (select max(year(data_riferimento)) from houses) + 1
            )) as year
        ),
        denominators as (
            -- the year's residents, or the latest published year's
            select years.year, residents.comune_code, residents.residents
            from years
            inner join residents
                on residents.year = (
                    select max(year) from residents where year <= years.year
                )
        )
        select denominators.comune_code, denominators.year, count(hubs.id_struttura),
            any_value(denominators.residents)
        from denominators
        left join hubs
            on denominators.comune_code = hubs.codice_comune
            and year(hubs.data_apertura) <= denominators.year
        group by all
    """,
    "D10_03": f"""
        with residents as ({RESIDENTS})
        select doctors.codice_comune, doctors.anno, doctors.medici_mmg,
            residents.residents_14_plus
        from raw.ats__general_practitioners as doctors
        inner join residents
            on doctors.codice_comune = residents.comune_code and doctors.anno = residents.year
    """,
    "D10_07": f"""
        with comuni as ({COMUNI}),
        residents as ({RESIDENTS}),
        pharmacies as (
            select comuni.comune_code, count(*) as pharmacies
            from raw.lombardia__pharmacies as pharmacies
            inner join comuni
                on upper(strip_accents(trim(pharmacies.comune))) = comuni.comune_name_normalised
            group by all
        )
        select residents.comune_code, residents.year, coalesce(pharmacies.pharmacies, 0),
            residents.residents
        from residents
        left join pharmacies on residents.comune_code = pharmacies.comune_code
        where residents.year = (select max(year) from residents)
    """,
}

MULTIPLIERS = {
    "D09_01": 100,
    "D09_02": 1,
    "D09_03": 100,
    "D10_01": 50_000,
    "D10_03": 1_000,
    "D10_07": 10_000,
}

# Station values by (station, year) from the raw measurements, with the 90% coverage rule.
# The snapshot has one sensor per pollutant and station (checked below), so no choice between
# sensors is needed here.
STATION_VALUES = {
    # PM10 daily series: days with a value above 50, over the stations with >= 90% of the days.
    "D10_04": """
        with daily as (
            select stations.idstazione as station_id, cast(m.data as date) as day,
                avg(m.valore) as daily_mean
            from raw.lombardia__air_measurements as m
            inner join raw.lombardia__air_stations as stations using (idsensore)
            where stations.nometiposensore in ('PM10 (SM2005)', 'PM10')
            group by all
        )
        select station_id, year(day) as year, count(*) filter (where daily_mean > 50)
        from daily
        group by all
        having count(*) >= 0.9 * (case when year(day) % 4 = 0 then 366 else 365 end)
    """,
    # NO2 hourly series: mean of the hours, over the stations with >= 90% of the hours.
    "D10_05a": """
        select stations.idstazione as station_id, year(m.data) as year, avg(m.valore)
        from raw.lombardia__air_measurements as m
        inner join raw.lombardia__air_stations as stations using (idsensore)
        where stations.nometiposensore = 'Biossido di Azoto'
        group by all
        having count(*) >= 0.9 * 24 * (case when year(m.data) % 4 = 0 then 366 else 365 end)
    """,
    # PM2.5 daily series: mean of the days, over the stations with >= 90% of the days.
    "D10_05b": """
        select stations.idstazione as station_id, year(m.data) as year, avg(m.valore)
        from raw.lombardia__air_measurements as m
        inner join raw.lombardia__air_stations as stations using (idsensore)
        where stations.nometiposensore = 'Particelle sospese PM2.5'
        group by all
        having count(*) >= 0.9 * (case when year(m.data) % 4 = 0 then 366 else 365 end)
    """,
}

INTERMEDIATE_MODELS = {
    "D09_01": "int_indicator__d09_01_pre_1976_residential_certificates",
    "D09_02": "int_indicator__d09_02_moderate_rent_student_beds",
    "D09_03": "int_indicator__d09_03_population_change_5y",
    "D10_01": "int_indicator__d10_01_community_house_hubs",
    "D10_03": "int_indicator__d10_03_general_practitioners",
    "D10_04": "int_indicator__d10_04_pm10_exceedance_days",
    "D10_05a": "int_indicator__d10_05a_no2_annual_mean",
    "D10_05b": "int_indicator__d10_05b_pm25_annual_mean",
    "D10_07": "int_indicator__d10_07_pharmacies",
}


@pytest.fixture(scope="module")
def con(published_warehouse: Path):
    connection = duckdb.connect(str(published_warehouse), read_only=True)
    yield connection
    connection.close()


def components(con: duckdb.DuckDBPyConnection, indicator_id: str) -> dict:
    rows = con.sql(EXPECTED_COMPONENTS[indicator_id]).fetchall()
    return {(code, int(year)): (num, den) for code, year, num, den in rows}


def expected_values(con: duckdb.DuckDBPyConnection, indicator_id: str) -> dict:
    """(level, code, year) -> value, zona and cm from the summed components."""
    zona_of = dict(con.sql(f"select comune_code, zona_code from ({COMUNI})").fetchall())
    multiplier = MULTIPLIERS[indicator_id]
    sums: dict[tuple[str, str, int], list[float | None]] = {}
    for (code, year), (num, den) in components(con, indicator_id).items():
        for key in (("comune", code, year), ("zona", zona_of[code], year), ("cm", CM, year)):
            total = sums.setdefault(key, [0.0, None if den is None else 0.0])
            total[0] += num
            if den is not None:
                total[1] += den
    values = {}
    for key, (num, den) in sums.items():
        if den is None:
            values[key] = multiplier * num
        elif den != 0:
            values[key] = multiplier * num / den
    return values


def published(con: duckdb.DuckDBPyConnection, indicator_id: str) -> dict:
    rows = con.execute(
        "select territory_level, territory_code, year, value from marts.fct_indicator_value "
        "where indicator_id = ?",
        [indicator_id],
    ).fetchall()
    return {(level, code, year): value for level, code, year, value in rows}


def assert_same_values(actual: dict, expected: dict) -> None:
    assert expected
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, abs=TOLERANCE), key


@pytest.mark.parametrize("indicator_id", sorted(EXPECTED_COMPONENTS))
def test_intermediate_components_match_the_raw_tables(con, indicator_id):
    actual = {
        (code, year): (num, den)
        for code, year, num, den in con.sql(
            f"select comune_code, year, numerator, denominator "
            f"from intermediate.{INTERMEDIATE_MODELS[indicator_id]}"
        ).fetchall()
    }
    expected = components(con, indicator_id)
    assert expected
    assert actual == expected


@pytest.mark.parametrize("indicator_id", sorted(EXPECTED_COMPONENTS))
def test_published_values_match_the_raw_tables(con, indicator_id):
    assert_same_values(published(con, indicator_id), expected_values(con, indicator_id))


def expected_station_values(con: duckdb.DuckDBPyConnection, indicator_id: str) -> dict:
    """(level, code, year) -> value: each station, and the worst station as the cm value."""
    values = {}
    for station, year, value in con.sql(STATION_VALUES[indicator_id]).fetchall():
        values[("station", station, int(year))] = value
        cm_key = ("cm", CM, int(year))
        values[cm_key] = max(values.get(cm_key, value), value)
    return values


def test_snapshot_has_one_sensor_per_pollutant_and_station(con):
    # Precondition of STATION_VALUES (the models pick one sensor when there are several).
    duplicated = con.sql(
        "select idstazione, nometiposensore from raw.lombardia__air_stations "
        "group by all having count(*) > 1"
    ).fetchall()
    assert duplicated == []


@pytest.mark.parametrize("indicator_id", sorted(STATION_VALUES))
def test_intermediate_station_values_match_the_raw_tables(con, indicator_id):
    rows = con.sql(
        f"select territory_level, territory_code, year, value "
        f"from intermediate.{INTERMEDIATE_MODELS[indicator_id]}"
    ).fetchall()
    actual = {(level, code, year): value for level, code, year, value in rows}
    expected = expected_station_values(con, indicator_id)
    assert expected
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, rel=1e-9), key


@pytest.mark.parametrize("indicator_id", sorted(STATION_VALUES))
def test_published_station_values_match_the_raw_tables(con, indicator_id):
    assert_same_values(published(con, indicator_id), expected_station_values(con, indicator_id))


HAND_CALCULATED = ("D09_01", "D09_02", "D09_03", "D10_01", "D10_03", "D10_04", "D10_05a", "D10_07")


def test_hand_calculations(con):
    """The figures of the module docstring, as published."""
    fact = {indicator_id: published(con, indicator_id) for indicator_id in HAND_CALCULATED}
    assert fact["D09_01"][("comune", "015146", 2025)] == pytest.approx(
        100 * 533 / 905, abs=TOLERANCE
    )
    assert fact["D09_02"][("comune", "015146", 2025)] == 292 + 308 + 260 + 59
    assert fact["D09_02"][("comune", "015146", 2026)] == 919 + 245
    assert fact["D09_02"][("zona", "milano", 2025)] == 919
    assert fact["D09_03"][("comune", "015146", 2025)] == pytest.approx(
        100 * (1_364_855 - 1_369_146) / 1_369_146, abs=TOLERANCE
    )
    assert fact["D10_01"][("comune", "015130", 2024)] == pytest.approx(
        50_000 * 1 / 4_236, abs=TOLERANCE
    )
    assert fact["D10_03"][("comune", "015146", 2025)] == pytest.approx(
        1_000 * 774 / 1_195_986, abs=TOLERANCE
    )
    assert fact["D10_04"][("station", "548", 2025)] == 76
    assert fact["D10_04"][("cm", CM, 2025)] == 76
    assert fact["D10_05a"][("station", "548", 2025)] == pytest.approx(
        335_598.7 / 8_490, abs=TOLERANCE
    )
    assert fact["D10_05a"][("cm", CM, 2025)] == pytest.approx(335_598.7 / 8_490, abs=TOLERANCE)
    assert fact["D10_07"][("comune", "015146", 2025)] == pytest.approx(
        10_000 * 428 / 1_364_855, abs=TOLERANCE
    )
