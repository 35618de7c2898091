"""Indicators of Drivers 1-4 checked against figures computed independently from the raw tables.

The whole pipeline is built once on the bundled snapshot (`published_warehouse`); every
expected figure below is recomputed here from `raw.<source>__<dataset>` with plain SQL and
Python, never read from the dbt models, and compared with `marts.fct_indicator_value` at
comune, zona and Città metropolitana level. Each indicator also has a test on its own
intermediate model (`intermediate.int_indicator__...`), which holds as soon as the model is in
the project, whether or not it is wired into the unions yet.

Zona membership comes from the reference seeds (`reference.zone_omogenee`,
`reference.zona_omogenea`), the comuni of the Città metropolitana from `raw.istat__comuni`.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.integration

CM_CODE = "215"
# fct_indicator_value rounds to 2 decimals; the expected figures here are not rounded.
TOLERANCE = 0.005 + 1e-9

Key = tuple[str, str, int]  # (territory_level, territory_code, year)


@pytest.fixture(scope="module")
def con(published_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(published_warehouse), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def zona_of(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Comune code -> zona code, for the 133 comuni of the Città metropolitana."""
    rows = con.sql(
        """
        select comuni.codice_comune, zone.zona_code
        from (select distinct codice_comune from raw.istat__comuni where codice_uts = ?) as comuni
        inner join reference.zone_omogenee as membership
            on comuni.codice_comune = membership.istat_code
        inner join reference.zona_omogenea as zone
            on membership.zona_omogenea = zone.zona_name
        """,
        params=[CM_CODE],
    ).fetchall()
    mapping = dict(rows)
    assert len(mapping) == 133
    return mapping


def fact(con: duckdb.DuckDBPyConnection, indicator_id: str) -> dict[Key, float | None]:
    rows = con.sql(
        """
        select territory_level, territory_code, year, value
        from marts.fct_indicator_value
        where indicator_id = ?
        """,
        params=[indicator_id],
    ).fetchall()
    return {(level, code, year): value for level, code, year, value in rows}


def components(
    con: duckdb.DuckDBPyConnection, model: str
) -> dict[tuple[str, int], tuple[float | None, float | None]]:
    rows = con.sql(
        f"select comune_code, year, numerator, denominator from intermediate.{model}"
    ).fetchall()
    return {(code, year): (num, den) for code, year, num, den in rows}


def levels(code: str, year: int, zona_of: dict[str, str]) -> tuple[Key, Key, Key]:
    """The comune, its zona and the Città metropolitana, for one year."""
    return ("comune", code, year), ("zona", zona_of[code], year), ("cm", CM_CODE, year)


def ratio_by_level(
    parts: dict[tuple[str, int], tuple[float, float]],
    zona_of: dict[str, str],
    multiplier: float,
) -> dict[Key, float]:
    """Comune, zona and cm values of a ratio of sums: multiplier * sum(num) / sum(den)."""
    sums: dict[Key, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (code, year), (num, den) in parts.items():
        for key in levels(code, year, zona_of):
            sums[key][0] += num
            sums[key][1] += den
    return {key: multiplier * num / den for key, (num, den) in sums.items() if den}


def sum_by_level(parts: dict[tuple[str, int], float], zona_of: dict[str, str]) -> dict[Key, float]:
    sums: dict[Key, float] = defaultdict(float)
    for (code, year), value in parts.items():
        for key in levels(code, year, zona_of):
            sums[key] += value
    return dict(sums)


def assert_matches(actual: dict[Key, float | None], expected: dict[Key, float]) -> None:
    assert expected, "nothing to compare"
    missing = sorted(set(expected) - set(actual))
    assert not missing, f"no value in fct_indicator_value for {missing[:5]}"
    wrong = {
        key: (actual[key], round(value, 4))
        for key, value in expected.items()
        if actual[key] is None or abs(actual[key] - value) > TOLERANCE
    }
    assert not wrong, (
        f"{len(wrong)} values differ (actual, expected): {dict(list(wrong.items())[:5])}"
    )


def last_complete_year(reference_date: date) -> int:
    """The last year whose 31 December the registry snapshot has reached."""
    return (reference_date + timedelta(days=1)).year - 1


# ---------------------------------------------------------------------------------------------
# D01 Campus Metropolitano Smart
# ---------------------------------------------------------------------------------------------


def expected_fibre(con: duckdb.DuckDBPyConnection, zona_of: dict[str, str]) -> dict[Key, float]:
    rows = con.sql(
        "select codice_comune, data_sottoscrizione, data_riferimento "
        "from raw.cittametropolitana__fibre_agreements"
    ).fetchall()
    assert len({code for code, _, _ in rows}) == len(rows), "one agreement per comune"
    signed = {code: signature for code, signature, _ in rows}
    first = min(signature.year for signature in signed.values())
    last = last_complete_year(max(reference for _, _, reference in rows))
    parts = {
        (code, year): (1.0 if code in signed and signed[code] <= date(year, 12, 31) else 0.0, 1.0)
        for code in zona_of
        for year in range(first, last + 1)
    }
    return ratio_by_level(parts, zona_of, 100)


def test_d01_01_fibre_network_share_in_fact(con, zona_of) -> None:
    # Hand check. Milano (015146, alone in zona `milano`) signed on 2022-04-10: 0 at the end of
    # 2021, 100 from 2022. Abbiategrasso (015002) signed on 2019-09-25: 100 from 2019.
    # Città metropolitana: 70 comuni had signed by 31 December 2021 -> 100 * 70 / 133 = 52.63;
    # 92 by the end of 2025 -> 100 * 92 / 133 = 69.17. The registry's reference date is
    # 2026-09-30, so 2026 (not over) has no value.
    expected = expected_fibre(con, zona_of)
    actual = fact(con, "D01_01")
    assert_matches(actual, expected)
    assert actual[("comune", "015146", 2021)] == 0.0
    assert actual[("comune", "015146", 2022)] == 100.0
    assert actual[("zona", "milano", 2022)] == 100.0
    assert actual[("comune", "015002", 2019)] == 100.0
    assert actual[("cm", CM_CODE, 2021)] == 52.63
    assert actual[("cm", CM_CODE, 2025)] == 69.17
    assert not any(year == 2026 for _, _, year in actual)


def test_d01_01_fibre_network_components(con, zona_of) -> None:
    expected = expected_fibre(con, zona_of)
    parts = components(con, "int_indicator__d01_01_fibre_network_comuni")
    assert {(code, year) for level, code, year in expected if level == "comune"} == set(parts)
    for (code, year), (num, den) in parts.items():
        assert den == 1
        assert 100 * num == expected[("comune", code, year)]


def expected_5g_sites(con: duckdb.DuckDBPyConnection, zona_of: dict[str, str]) -> dict[Key, float]:
    rows = con.sql(
        "select id_sito, codice_comune, stato, data_attivazione, data_riferimento "
        "from raw.cittametropolitana__sites_5g"
    ).fetchall()
    assert len({site for site, *_ in rows}) == len(rows), "one row per site"
    active = [(code, activated) for _, code, status, activated, _ in rows if status == "attivo"]
    first = min(activated.year for _, activated in active)
    last = last_complete_year(max(reference for *_, reference in rows))
    parts = {
        (code, year): float(
            sum(
                1
                for site_code, activated in active
                if site_code == code and activated <= date(year, 12, 31)
            )
        )
        for code in zona_of
        for year in range(first, last + 1)
    }
    return sum_by_level(parts, zona_of)


def test_d01_02_active_5g_sites_in_fact(con, zona_of) -> None:
    # Hand check. Comune 015250 has two sites, both `attivo`, activated on 2022-07-08 and
    # 2022-12-13: 0 at the end of 2021, 2 at the end of 2022. Città metropolitana: 6 + 11 + 21
    # + 17 sites activated in 2020-2023 -> 55 active on 31 December 2023; sites `autorizzato`
    # or `in istruttoria` are never counted.
    expected = expected_5g_sites(con, zona_of)
    actual = fact(con, "D01_02")
    assert_matches(actual, expected)
    assert actual[("comune", "015250", 2021)] == 0.0
    assert actual[("comune", "015250", 2022)] == 2.0
    assert actual[("cm", CM_CODE, 2023)] == 55.0


def test_d01_02_active_5g_sites_components(con, zona_of) -> None:
    expected = expected_5g_sites(con, zona_of)
    parts = components(con, "int_indicator__d01_02_active_5g_sites")
    assert {(code, year) for level, code, year in expected if level == "comune"} == set(parts)
    for (code, year), (num, den) in parts.items():
        assert den is None
        assert num == expected[("comune", code, year)]


# ---------------------------------------------------------------------------------------------
# D02 Politiche verdi e blu
# ---------------------------------------------------------------------------------------------


def soil_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    rows = con.sql(
        "select codice_comune, anno, superficie_ha, suolo_consumato_ha, consumo_netto_ha "
        "from raw.ispra__soil_consumption"
    ).fetchall()
    assert len({(code, year) for code, year, *_ in rows}) == len(rows), (
        "one row per comune and year"
    )
    return rows


def test_d02_01_consumed_soil_in_fact(con, zona_of) -> None:
    # Hand check. Abbiategrasso (015002) in 2024: 216.64 ha consumed of 489.79 ha
    # -> 100 * 216.64 / 489.79 = 44.23 %. Zona and cm sum hectares, never average percentages.
    parts = {
        (code, int(year)): (consumed, area)
        for code, year, area, consumed, _ in soil_rows(con)
        if code in zona_of
    }
    actual = fact(con, "D02_01")
    assert_matches(actual, ratio_by_level(parts, zona_of, 100))
    assert actual[("comune", "015002", 2024)] == 44.23


def test_d02_02_net_soil_consumption_in_fact(con, zona_of) -> None:
    # Hand check. Milano (015146) in 2024: ISPRA publishes 7.45 ha of net new consumption.
    parts = {(code, int(year)): net for code, year, _, _, net in soil_rows(con) if code in zona_of}
    assert all(net is not None for net in parts.values())
    actual = fact(con, "D02_02")
    assert_matches(actual, sum_by_level(parts, zona_of))
    assert actual[("comune", "015146", 2024)] == 7.45


def test_d02_components(con) -> None:
    rows = soil_rows(con)
    share = components(con, "int_indicator__d02_01_consumed_soil")
    net = components(con, "int_indicator__d02_02_net_soil_consumption")
    for code, year, area, consumed, published_net in rows:
        assert share[(code, int(year))] == (consumed, area)
        assert net[(code, int(year))] == (published_net, None)


# ---------------------------------------------------------------------------------------------
# D03 Sustain-Ability
# ---------------------------------------------------------------------------------------------


def normalised(name: str) -> str:
    """Upper case, accents stripped, typographic apostrophes plain, spaces collapsed."""
    name = name.replace("\u2019", "'").strip()
    name = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", name).upper()


def certificates(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str, str, float]]:
    """(comune_code, year, use category, class, EPgl,nren) of every CENED certificate of a comune
    of the Città metropolitana, matched on the comune's name."""
    code_of = {
        normalised(name): code
        for code, name in con.sql(
            "select distinct codice_comune, denominazione_it from raw.istat__comuni "
            "where codice_uts = ?",
            params=[CM_CODE],
        ).fetchall()
    }
    rows = con.sql(
        "select cod_ape, comune, data_ins, classificazione_dpr, classe_energetica, ep_gl_nren "
        "from raw.lombardia__energy_certificates"
    ).fetchall()
    assert len({row[0] for row in rows}) == len(rows), "one row per certificate"
    return [
        (code_of[normalised(name)], issued.year, use, energy_class.strip().upper(), ep)
        for _, name, issued, use, energy_class, ep in rows
        if normalised(name) in code_of
    ]


def class_share_parts(
    rows: list[tuple[str, int, str, str, float]], classes: set[str], zona_of: dict[str, str]
) -> dict[tuple[str, int], tuple[float, float]]:
    years = {year for _, year, *_ in rows}
    parts = {(code, year): [0.0, 0.0] for code in zona_of for year in years}
    for code, year, _, energy_class, _ in rows:
        parts[(code, year)][0] += energy_class in classes
        parts[(code, year)][1] += 1
    return {key: (num, den) for key, (num, den) in parts.items()}


def test_d03_01_and_d03_03_certificate_class_shares_in_fact(con, zona_of) -> None:
    # Hand check. Buccinasco (015036) in 2025 filed 4 certificates: A4 and A1 (dwellings), C
    # (school) and C (office) -> D03_01 = 100 * 2 / 4 = 50.00 %, D03_03 = 100 * 0 / 4 = 0.00 %.
    # A comune that filed no certificate in a year has no comune value (0 / 0) but is part of
    # the zona and cm sums.
    rows = certificates(con)
    for indicator_id, classes in (("D03_01", {"A1", "A2", "A3", "A4"}), ("D03_03", {"F", "G"})):
        expected = ratio_by_level(class_share_parts(rows, classes, zona_of), zona_of, 100)
        actual = fact(con, indicator_id)
        assert_matches(actual, expected)
        assert actual.get(("comune", "015036", 2025)) == (50.0 if indicator_id == "D03_01" else 0.0)


def test_d03_01_and_d03_03_components(con, zona_of) -> None:
    rows = certificates(con)
    for model, classes in (
        ("int_indicator__d03_01_certificates_class_a", {"A1", "A2", "A3", "A4"}),
        ("int_indicator__d03_03_certificates_class_f_g", {"F", "G"}),
    ):
        assert components(con, model) == class_share_parts(rows, classes, zona_of)


def expected_medians(
    rows: list[tuple[str, int, str, str, float]], zona_of: dict[str, str]
) -> dict[Key, float]:
    values: dict[Key, list[float]] = defaultdict(list)
    for code, year, use, _, ep in rows:
        if use in ("E.1(1)", "E.1(2)") and ep is not None:
            for key in levels(code, year, zona_of):
                values[key].append(ep)
    return {key: statistics.median(eps) for key, eps in values.items()}


def test_d03_02_residential_median_in_fact(con, zona_of) -> None:
    # Hand check. Buccinasco (015036) in 2025: its dwellings' certificates (E.1(1)) have
    # EPgl,nren 24.47 and 58.01 kWh/m² year (its school and office certificates are left out)
    # -> median (24.47 + 58.01) / 2 = 41.24. Zona and cm are medians of all their
    # certificates, not of the comune medians.
    expected = expected_medians(certificates(con), zona_of)
    actual = fact(con, "D03_02")
    assert_matches(actual, expected)
    assert set(actual) == set(expected), "a value for exactly the territories with certificates"
    assert actual[("comune", "015036", 2025)] == 41.24


def test_d03_02_residential_median_direct_values(con, zona_of) -> None:
    expected = expected_medians(certificates(con), zona_of)
    rows = con.sql(
        "select territory_level, territory_code, year, value, numerator, denominator "
        "from intermediate.int_indicator__d03_02_residential_ep_gl_nren_median"
    ).fetchall()
    assert {(level, code, year) for level, code, year, *_ in rows} == set(expected)
    for level, code, year, value, numerator, denominator in rows:
        assert value == pytest.approx(expected[(level, code, year)], abs=1e-9)
        assert numerator is None and denominator is None


# ---------------------------------------------------------------------------------------------
# D04 Metabolismo circolare metropolitano
# ---------------------------------------------------------------------------------------------


def waste_rows(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], tuple[float, ...]]:
    rows = con.sql(
        """
        select right(istat_comune, 6), anno, totale_rd_t, totale_ru_t,
            coalesce(indifferenziato_t, 0), popolazione, percentuale_rd
        from raw.ispra__waste
        where dato_riferito_a = 'Comune'
        """
    ).fetchall()
    result = {(code, int(year)): tuple(float(v) for v in rest) for code, year, *rest in rows}
    assert len(result) == len(rows), "one row per comune and year"
    return result


def test_d04_waste_indicators_in_fact(con, zona_of) -> None:
    # Hand check, Milano (015146) in 2024 (ISPRA): 415,012.690 t collected separately,
    # 661,443.286 t of municipal waste, 238,493.277 t unsorted, 1,364,855 residents.
    #   D04_01 = 100 * 415012.690 / 661443.286 = 62.74 % (ISPRA publishes 62.74)
    #   D04_02 = 1000 * 661443.286 / 1364855 = 484.63 kg per resident
    #   D04_03 = 1000 * 238493.277 / 1364855 = 174.74 kg per resident
    waste = {key: row for key, row in waste_rows(con).items() if key[0] in zona_of}
    cases = {
        "D04_01": (100, {k: (rd, ru) for k, (rd, ru, _, _, _) in waste.items()}),
        "D04_02": (1000, {k: (ru, pop) for k, (_, ru, _, pop, _) in waste.items()}),
        "D04_03": (1000, {k: (unsorted, pop) for k, (_, _, unsorted, pop, _) in waste.items()}),
    }
    for indicator_id, (multiplier, parts) in cases.items():
        assert_matches(fact(con, indicator_id), ratio_by_level(parts, zona_of, multiplier))
    # At comune level the separate collection rate is ISPRA's published one.
    separate = fact(con, "D04_01")
    for (code, year), (*_, published_rate) in waste.items():
        assert separate[("comune", code, year)] == pytest.approx(published_rate, abs=TOLERANCE)
    assert separate[("comune", "015146", 2024)] == 62.74
    assert fact(con, "D04_02")[("comune", "015146", 2024)] == 484.63
    assert fact(con, "D04_03")[("comune", "015146", 2024)] == 174.74


def test_d04_components(con) -> None:
    waste = waste_rows(con)
    for model, pick in (
        ("int_indicator__d04_01_separate_collection_rate", lambda r: (r[0], r[1])),
        ("int_indicator__d04_02_municipal_waste_per_resident", lambda r: (r[1], r[3])),
        ("int_indicator__d04_03_unsorted_waste_per_resident", lambda r: (r[2], r[3])),
    ):
        parts = components(con, model)
        assert set(parts) == set(waste)
        for key, (num, den) in parts.items():
            assert (float(num), float(den)) == pick(waste[key])
