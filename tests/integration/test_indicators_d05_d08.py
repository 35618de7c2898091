"""Indicators of Drivers 5-8 in the published warehouse, checked against the raw tables.

The whole pipeline is built once on the bundled snapshot (session fixture
``published_warehouse``). Every expected figure here is computed again from the raw tables
(``raw.<source>__<dataset>``) with plain SQL over their original columns, never from the dbt
models, and compared with ``marts.fct_indicator_value`` (comune, zona, cm, cpi) and with the
components of the intermediate models (``intermediate.int_indicator__...``).

Hand calculations on the snapshot, for one comune each:

- D05_01, Abbiategrasso (015002), 2024: ``raw.istat__road_accidents`` has ROADACC.9 = 12
  accidents with injuries; ``raw.istat__population`` (JAN, marital status 99, every single
  age, both sexes) sums to 5,568 residents on 1 January 2024.
  10000 * 12 / 5568 = 21.55 accidents per 10,000 residents.
- D06_02, Abbiategrasso (015002), 2024: ``raw.istat__local_units`` (LUEMPDAA, size class
  TOTAL) has 25.75 (H49) + 2.48 (H51) + 22.00 (H52) + 8.30 (H53) = 58.53 transport
  employees (no H50 row: 0) out of 1,797.21 employees of all sectors (0010).
  100 * 58.53 / 1797.21 = 3.26%.
- D07_02, Milano (015146), 2023: ``raw.cittametropolitana__schools`` lists 72 schools in
  Milano, 39 of them with ``banda_ultralarga = 'si'`` and an activation date on or before
  2023-12-31. 100 * 39 / 72 = 54.17%.
- D08_05a, CPI01 (Milano), 2025: ``raw.afol__gol_beneficiaries`` sums ``presi_in_carico``
  over the twelve months of 2025 to 17,064 people taken in charge.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.integration

CM = "215"
# Residents on 1 January by comune and year, from the raw ISTAT population table: every
# single age (the all-ages row left out), both sexes.
RAW_RESIDENTS = """
    select
        ref_area as comune_code,
        cast(time_period as integer) as year,
        sum(obs_value) as residents
    from raw.istat__population
    where data_type = 'JAN' and marital_status = '99' and age <> 'TOTAL'
    group by all
"""
# Comune -> zona code, from the reference seeds (the zone membership is reference data).
RAW_ZONES = """
    select membership.istat_code as comune_code, zone.zona_code
    from reference.zone_omogenee as membership
    inner join reference.zona_omogenea as zone
        on membership.zona_omogenea = zone.zona_name
"""


@pytest.fixture(scope="module")
def con(published_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(published_warehouse), read_only=True)
    yield connection
    connection.close()


def fact_values(
    con: duckdb.DuckDBPyConnection, indicator_id: str, level: str, year: int
) -> dict[str, float]:
    rows = con.execute(
        """
        select territory_code, value
        from marts.fct_indicator_value
        where indicator_id = ? and territory_level = ? and year = ? and value is not null
        """,
        [indicator_id, level, year],
    ).fetchall()
    return {code: value for code, value in rows}


def by_level(
    con: duckdb.DuckDBPyConnection, components_sql: str, multiplier: float
) -> dict[tuple[str, str], float]:
    """Comune, zona and cm values from comune (numerator, denominator) pairs: sums first."""
    rows = con.execute(
        f"""
        with components as ({components_sql}),
        zones as ({RAW_ZONES}),
        joined as (
            select components.*, zones.zona_code
            from components inner join zones using (comune_code)
        )
        select 'comune', comune_code, {multiplier} * sum(numerator) / sum(denominator)
        from joined group by comune_code having sum(denominator) > 0
        union all
        select 'zona', zona_code, {multiplier} * sum(numerator) / sum(denominator)
        from joined group by zona_code having sum(denominator) > 0
        union all
        select 'cm', '{CM}', {multiplier} * sum(numerator) / sum(denominator)
        from joined
        """
    ).fetchall()
    return {(level, code): value for level, code, value in rows}


def assert_matches(
    con: duckdb.DuckDBPyConnection,
    indicator_id: str,
    year: int,
    expected: dict[tuple[str, str], float],
) -> None:
    for level in ("comune", "zona", "cm"):
        wanted = {code: value for (lvl, code), value in expected.items() if lvl == level}
        got = fact_values(con, indicator_id, level, year)
        assert wanted, (indicator_id, level)
        assert set(got) == set(wanted), (indicator_id, level, set(got) ^ set(wanted))
        for code, value in wanted.items():
            assert got[code] == pytest.approx(value, abs=0.006), (indicator_id, level, code)


# ----------  D05 Il diritto alla mobilità


def d05_01_components(year: int) -> str:
    return f"""
        with accidents as (
            select ref_area as comune_code, obs_value as accidents
            from raw.istat__road_accidents
            where freq = 'A' and data_type = 'ROADACC' and result = '9'
                and time_period = '{year}'
        )
        select residents.comune_code, coalesce(accidents.accidents, 0) as numerator,
            residents.residents as denominator
        from ({RAW_RESIDENTS}) as residents
        left join accidents using (comune_code)
        where residents.year = {year}
    """


def test_d05_01_road_accidents_in_fact_table(con: duckdb.DuckDBPyConnection) -> None:
    year = 2024
    expected = by_level(con, d05_01_components(year), 10000)
    assert len([key for key in expected if key[0] == "comune"]) == 133
    # Hand calculation (module docstring): 10000 * 12 / 5568.
    assert expected[("comune", "015002")] == pytest.approx(21.55, abs=0.006)
    assert_matches(con, "D05_01", year, expected)
    # Every year ISTAT published, at cm level.
    years = {
        row[0]
        for row in con.execute(
            "select distinct cast(time_period as integer) from raw.istat__road_accidents"
        ).fetchall()
    }
    published = {
        row[0]
        for row in con.execute(
            "select year from marts.fct_indicator_value "
            "where indicator_id = 'D05_01' and territory_level = 'cm'"
        ).fetchall()
    }
    assert published == years


def test_d05_01_road_accidents_components(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        """
        select numerator, denominator
        from intermediate.int_indicator__d05_01_road_accidents
        where comune_code = '015002' and year = 2024
        """
    ).fetchone()
    assert row == (12, 5568)
    counts = con.execute(
        "select year, count(*) from intermediate.int_indicator__d05_01_road_accidents group by year"
    ).fetchall()
    assert counts and all(n == 133 for _, n in counts)


# ----------  D06 Tra produzione e logistica


def d06_02_components(year: int) -> str:
    return f"""
        select
            ref_area as comune_code,
            coalesce(sum(obs_value) filter (
                where econ_activity_nace_2007 in ('49', '50', '51', '52', '53')
            ), 0) as numerator,
            sum(obs_value) filter (where econ_activity_nace_2007 = '0010') as denominator
        from raw.istat__local_units
        where freq = 'A' and data_type = 'LUEMPDAA' and pers_empl_size_class = 'TOTAL'
            and time_period = '{year}'
        group by ref_area
    """


def test_d06_02_transport_employees_share_in_fact_table(
    con: duckdb.DuckDBPyConnection,
) -> None:
    year = 2024
    expected = by_level(con, d06_02_components(year), 100)
    # Hand calculation (module docstring): 100 * 58.53 / 1797.21.
    assert expected[("comune", "015002")] == pytest.approx(3.26, abs=0.006)
    assert_matches(con, "D06_02", year, expected)


def test_d06_02_transport_employees_share_components(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        """
        select numerator, denominator
        from intermediate.int_indicator__d06_02_transport_employees_share
        where comune_code = '015002' and year = 2024
        """
    ).fetchone()
    assert row is not None
    assert row[0] == pytest.approx(58.53)
    assert row[1] == pytest.approx(1797.21)


# ----------  D07 Scuole avamposto di comunità


def d07_02_components(year: int) -> str:
    return f"""
        select
            codice_comune as comune_code,
            count(*) filter (
                where banda_ultralarga = 'si'
                    and data_attivazione_bul <= least(
                        make_date({year}, 12, 31), data_riferimento
                    )
            ) as numerator,
            count(*) as denominator
        from raw.cittametropolitana__schools
        group by codice_comune
    """


@pytest.mark.parametrize("year", [2023, 2026])
def test_d07_02_schools_ultra_broadband_in_fact_table(
    con: duckdb.DuckDBPyConnection, year: int
) -> None:
    expected = by_level(con, d07_02_components(year), 100)
    if year == 2023:
        # Hand calculation (module docstring): 100 * 39 / 72.
        assert expected[("comune", "015146")] == pytest.approx(54.17, abs=0.006)
    # Comuni without a school have no comune value (0 / 0); zone and cm sum all comuni.
    assert_matches(con, "D07_02", year, expected)


def test_d07_01_schools_count(con: duckdb.DuckDBPyConnection) -> None:
    (schools, reference_year) = con.execute(
        "select count(*), year(max(data_riferimento)) from raw.cittametropolitana__schools"
    ).fetchone()
    assert fact_values(con, "D07_01", "cm", reference_year) == {CM: schools}
    milano = con.execute(
        "select count(*) from raw.cittametropolitana__schools where codice_comune = '015146'"
    ).fetchone()[0]
    assert fact_values(con, "D07_01", "comune", reference_year)["015146"] == milano
    total = con.execute(
        "select sum(numerator), count(*) "
        "from intermediate.int_indicator__d07_01_metropolitan_schools"
    ).fetchone()
    assert total == (schools, 133)


# ----------  D08 Il lavoro al lavoro


def test_d08_01_employment_rate_is_the_published_rate(con: duckdb.DuckDBPyConnection) -> None:
    published = dict(
        con.execute(
            """
            select cast(time_period as integer), obs_value
            from raw.istat__labour_force
            where data_type = 'EMP_R' and sex = '9' and age = 'Y20-64'
                and edu_lev_highest = '99' and citizenship = 'TOTAL'
            """
        ).fetchall()
    )
    assert published
    facts = dict(
        con.execute(
            "select year, value from marts.fct_indicator_value "
            "where indicator_id = 'D08_01' and territory_level = 'cm'"
        ).fetchall()
    )
    assert facts == pytest.approx(published)
    # Province-only: no comune, zona or other level.
    levels = con.execute(
        "select distinct territory_level from marts.fct_indicator_value "
        "where indicator_id like 'D08_0%' and indicator_id not like 'D08_05%'"
    ).fetchall()
    assert levels == [("cm",)]
    components = dict(
        con.execute(
            "select year, value from intermediate.int_indicator__d08_01_employment_rate"
        ).fetchall()
    )
    assert components == pytest.approx(published)


def test_d08_03_contracts_and_balance(con: duckdb.DuckDBPyConnection) -> None:
    expected = con.execute(
        """
        with activated as (
            select year(data) as year, count(*) as contracts
            from raw.lombardia__labour_activated
            where provinciaimpresa = 'MILANO' group by 1
        ),
        ceased as (
            select year(data) as year, count(*) as contracts
            from raw.lombardia__labour_ceased
            where provinciaimpresa = 'MILANO' group by 1
        )
        select activated.year, activated.contracts, ceased.contracts,
            activated.contracts - ceased.contracts
        from activated inner join ceased using (year)
        order by 1
        """
    ).fetchall()
    assert expected
    for year, activated, ceased, balance in expected:
        for indicator_id, count in (
            ("D08_03a", activated),
            ("D08_03b", ceased),
            ("D08_03c", balance),
        ):
            assert fact_values(con, indicator_id, "cm", year) == {CM: count}
            assert con.execute(
                "select value from intermediate.int_indicator__d08_03_labour_contracts_balance "
                "where indicator_id = ? and year = ?",
                [indicator_id, year],
            ).fetchone() == (count,)


def test_d08_05a_people_taken_in_charge_per_cpi(con: duckdb.DuckDBPyConnection) -> None:
    year = 2025
    per_cpi = dict(
        con.execute(
            """
            select codice_cpi, sum(presi_in_carico)
            from raw.afol__gol_beneficiaries
            where year(mese) = ?
            group by codice_cpi
            """,
            [year],
        ).fetchall()
    )
    # Hand calculation (module docstring): CPI01 sums to 17,064 over 2025.
    assert per_cpi["CPI01"] == 17064
    assert fact_values(con, "D08_05a", "cpi", year) == per_cpi
    assert fact_values(con, "D08_05a", "cm", year) == {CM: sum(per_cpi.values())}
    intermediate = dict(
        con.execute(
            "select territory_code, value "
            "from intermediate.int_indicator__d08_05_employment_centre_users "
            "where indicator_id = 'D08_05a' and year = ?",
            [year],
        ).fetchall()
    )
    assert intermediate == {**per_cpi, CM: sum(per_cpi.values())}
    # The year in progress (the file runs to its reference month) is not published.
    (last_month,) = con.execute("select max(mese) from raw.afol__gol_beneficiaries").fetchone()
    if last_month.month < 12:
        assert fact_values(con, "D08_05a", "cm", last_month.year) == {}
