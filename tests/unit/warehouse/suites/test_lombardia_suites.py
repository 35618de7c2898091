"""Regione Lombardia's suites on the bundled snapshot: the clean snapshot passes every suite
with nothing quarantined; crafted breakages fail the rule they break (errors block), set aside
exactly the broken rows (row-level rules) or only warn (drift, assumed vocabularies).

The seven datasets are ingested once per module; every test works on its own copy of the
warehouse file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion.common.ingest import ingest
from ingestion.lombardia import DATASETS
from osservatorio.settings import Settings
from warehouse.quality import SuiteOutcome, run_suite
from warehouse.suites import lombardia
from warehouse.suites.lombardia import (
    CERTIFICATES,
    HOSPITALS,
    LABOUR_ACTIVATED,
    MEASUREMENTS,
    PHARMACIES,
    STATIONS,
    SUITES,
)


@pytest.fixture(scope="module")
def snapshot_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(data_dir=tmp_path_factory.mktemp("lombardia"))
    for dataset in DATASETS:
        ingest(dataset, settings)
    return settings.warehouse_path


@pytest.fixture
def db(snapshot_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(snapshot_db, copy)
    return copy


def execute(db: Path, *statements: str) -> None:
    with duckdb.connect(str(db)) as con:
        for statement in statements:
            con.execute(statement)


def fetch(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def count(db: Path, table: str) -> int:
    return fetch(db, f"select count(*) from {table}")[0][0]


def errors(outcome: SuiteOutcome) -> dict[str, str]:
    return {o.rule: o.observed for o in outcome.errors}


def warnings(outcome: SuiteOutcome) -> dict[str, str]:
    return {o.rule: o.observed for o in outcome.warnings}


def quarantined(db: Path, table: str, key: str) -> dict[str, str]:
    """Key of each quarantined row -> the rule that set it aside."""
    rows = fetch(db, f"select {key}, _rule, _reason from quarantine.{table} order by 1")
    for _, rule, reason in rows:
        assert reason.startswith("expect_column_"), (rule, reason)
    return {str(k): rule for k, rule, _ in rows}


# The clean snapshot ----------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_the_clean_snapshot_passes_and_quarantines_nothing(suite, db: Path) -> None:
    rows = count(db, suite.table)
    first = run_suite(suite, db, "first")
    assert first.success, errors(first)
    assert not first.warnings, warnings(first)
    assert first.quarantined == {}
    assert first.row_count == rows
    # A second load of the same rows (a new retrieval) is compared with the first: same
    # volume, same distribution. (The same table validated again would replay the verdict.)
    execute(db, f"update {suite.table} set _retrieval_id = _retrieval_id || '-again'")
    second = run_suite(suite, db, "second")
    assert second.success and not second.warnings, (errors(second), warnings(second))
    assert "volume" in {o.rule for o in second.outcomes}
    assert count(db, suite.table) == rows
    assert fetch(
        db, "select count(*) from information_schema.tables where table_schema = 'quarantine'"
    ) == [(0,)]


def test_every_dataset_has_a_suite() -> None:
    assert {s.table for s in SUITES} == {f"raw.{d.table}" for d in DATASETS}


def test_names_are_compared_in_the_marts_spelling() -> None:
    names = lombardia.comune_names()
    assert len(names) == 133
    assert {"MILANO", "CASSANO D'ADDA", "SESTO SAN GIOVANNI"} <= set(names)
    # Pavia is Lombard but not metropolitan; Lugano is neither.
    assert "PAVIA" not in names
    assert "PAVIA" in lombardia.comune_names(lombardia.LOMBARDIA_REGION)
    assert "LUGANO" not in lombardia.comune_names(lombardia.LOMBARDIA_REGION)


# Structure ------------------------------------------------------------------------------------


def test_a_changed_column_type_is_an_error(db: Path) -> None:
    execute(db, "alter table raw.lombardia__pharmacies alter latitudine type float")
    outcome = run_suite(PHARMACIES, db)
    assert not outcome.success
    assert json.loads(errors(outcome)["column_type:latitudine"]) == {
        "expected": "DOUBLE",
        "found": "FLOAT",
    }


def test_an_undeclared_column_is_only_a_warning(db: Path) -> None:
    execute(db, "alter table raw.lombardia__pharmacies add column note varchar")
    outcome = run_suite(PHARMACIES, db)
    assert outcome.success
    assert json.loads(warnings(outcome)["no_unexpected_columns"]) == ["note"]


# Completeness ---------------------------------------------------------------------------------


def test_a_sensor_without_its_id_is_an_error(db: Path) -> None:
    execute(db, "update raw.lombardia__air_stations set idsensore = null where idsensore = '5504'")
    outcome = run_suite(STATIONS, db)
    assert not outcome.success
    assert errors(outcome) == {"expect_column_values_to_not_be_null:idsensore": "1"}
    assert count(db, STATIONS.table) == 34  # errors set nothing aside


def test_a_duplicated_certificate_is_an_error(db: Path) -> None:
    # One certificate inserted twice: its code appears 2 times -> 2 non-unique values.
    code = fetch(db, "select min(cod_ape) from raw.lombardia__energy_certificates")[0][0]
    execute(
        db,
        f"insert into raw.lombardia__energy_certificates "
        f"select * from raw.lombardia__energy_certificates where cod_ape = '{code}'",
    )
    outcome = run_suite(CERTIFICATES, db)
    assert not outcome.success
    assert errors(outcome) == {"unique:cod_ape": "2"}


def test_a_comune_without_certificates_is_an_error(db: Path) -> None:
    execute(db, "delete from raw.lombardia__energy_certificates where comune = 'MORIMONDO'")
    outcome = run_suite(CERTIFICATES, db)
    assert not outcome.success
    assert errors(outcome) == {"every_comune:comune": json.dumps({"missing": ["MORIMONDO"]})}
    assert outcome.quarantined == {}


def test_a_renamed_open_ended_contract_is_an_error(db: Path) -> None:
    # D08_04 counts 'LAVORO A TEMPO INDETERMINATO': renamed, the share would silently read 0.
    execute(
        db,
        "update raw.lombardia__labour_activated set contratto = 'TEMPO INDETERMINATO' "
        "where contratto = 'LAVORO A TEMPO INDETERMINATO'",
    )
    outcome = run_suite(LABOUR_ACTIVATED, db)
    assert not outcome.success
    assert errors(outcome) == {
        "open_ended_contracts_present": json.dumps({"missing": ["LAVORO A TEMPO INDETERMINATO"]})
    }
    # The new name itself is only news: a vocabulary warning, no row set aside.
    assert set(warnings(outcome)) == {"vocabulary:contratto"}
    assert outcome.quarantined == {}


def test_values_of_a_sensor_missing_from_the_registry_follow_it_out(db: Path) -> None:
    rows = count(db, MEASUREMENTS.table)
    orphans = count(db, "raw.lombardia__air_measurements where idsensore = '17127'")
    assert orphans == 1_610  # the PM2.5 sensor of Milano - Marche, 2020-2025
    execute(db, "delete from raw.lombardia__air_stations where idsensore = '17127'")
    outcome = run_suite(MEASUREMENTS, db)
    # 1,610 of 132,767 values (1.2%) lack a sensor: a sensor's problem, not the registry's.
    assert outcome.success, errors(outcome)
    assert outcome.quarantined == {"sensor_in_registry": orphans}
    assert fetch(
        db, "select distinct idsensore, _rule from quarantine.lombardia__air_measurements"
    ) == [("17127", "sensor_in_registry")]
    assert count(db, MEASUREMENTS.table) == rows - orphans


def test_a_registry_out_of_step_with_the_measurements_is_an_error(db: Path) -> None:
    # One day of values (kept small: the orphans are quarantined too), then a registry
    # without its NO2 sensors (two active, two retired). On 1 January 2025 the snapshot has
    # 47 hourly NO2 values and 12 daily PM values: 12 / 59 = 20% with a sensor, far from the
    # 90% or more a registry in step gives.
    execute(
        db,
        "delete from raw.lombardia__air_measurements where data not between "
        "'2025-01-01' and '2025-01-01 23:00'",
        "delete from raw.lombardia__air_stations where nometiposensore = 'Biossido di Azoto'",
    )
    outcome = run_suite(MEASUREMENTS, db)
    assert not outcome.success
    # The table-level error blocks; with it failing, the orphans are not set aside one by one
    # (that would move most of the table): their row-level rule is reported failed instead.
    assert set(errors(outcome)) == {"registry_covers_values", "sensor_in_registry"}
    assert float(errors(outcome)["registry_covers_values"]) == pytest.approx(12 / 59)
    assert not outcome.quarantined
    # The stations' own suite tells first (it runs upstream): no NO2 sensor left.
    stations = run_suite(STATIONS, db)
    assert errors(stations) == {"pollutants_present": json.dumps({"missing": ["NO2"]})}


# Validity: row-level rules quarantine exactly the broken rows ---------------------------------


def test_broken_sensors_are_quarantined(db: Path) -> None:
    execute(
        db,
        "update raw.lombardia__air_stations set lat = 0 where idsensore = '5742'",
        "update raw.lombardia__air_stations set comune = 'Pavia' where idsensore = '5758'",
        # A PM10 sensor in mg/m³ would make its values 1,000 times off; CO (5506) is in
        # mg/m³ by nature and stays.
        "update raw.lombardia__air_stations set unitamisura = 'mg/m³' where idsensore = '6917'",
        # Stops (2001) before it starts (2002).
        "update raw.lombardia__air_stations set datastop = '2001-01-01' where idsensore = '5750'",
        "update raw.lombardia__air_stations set storico = 'X' where idsensore = '6021'",
        "update raw.lombardia__air_stations set provincia = 'PV' where idsensore = '5718'",
        # Another spelling of a metropolitan comune is the same name: it stays.
        "update raw.lombardia__air_stations set comune = 'cassano  d\u2019Adda' "
        "where idsensore = '5823'",
    )
    outcome = run_suite(STATIONS, db)
    assert outcome.success, errors(outcome)
    assert quarantined(db, "lombardia__air_stations", "idsensore") == {
        "5718": "expect_column_values_to_be_in_set:provincia",
        "5742": "in_lombardy:lat",
        "5750": "stops_after_start",
        "5758": "comune_name:comune",
        "6021": "expect_column_values_to_be_in_set:storico",
        "6917": "pollutant_unit",
    }
    # 34 sensors - 6 set aside = 28; the CO sensor and Cassano's are still there.
    assert count(db, STATIONS.table) == 28
    assert fetch(
        db, "select count(*) from raw.lombardia__air_stations where idsensore in ('5506', '5823')"
    ) == [(2,)]


def test_implausible_measurements_are_quarantined(db: Path) -> None:
    rows = count(db, MEASUREMENTS.table)
    table = "raw.lombardia__air_measurements"
    execute(
        db,
        # Above the per-pollutant bounds (1,000 µg/m³), each caught by its pollutant's rule.
        f"update {table} set valore = 1500 where idsensore = '10273' and data = '2024-01-15 08:00'",
        f"update {table} set valore = 1500 where idsensore = '5504' and data = '2024-01-15'",
        # Just under the PM2.5 bound: stays.
        f"update {table} set valore = 999 where idsensore = '20432' and data = '2024-01-15'",
        # ARPA's missing-value marker.
        f"update {table} set valore = -9999 where idsensore = '6328' and data = '2023-03-01 05:00'",
        f"update {table} set valore = null where idsensore = '6328' and data = '2022-06-02'",
        f"update {table} set stato = 'NA' where idsensore = '10273' and data = '2024-01-16 08:00'",
        # Dated 2030 in the 2022 partition.
        f"update {table} set data = '2030-06-01' where idsensore = '6328' and data = '2022-06-01'",
        # An unexpected operator is only a warning (the operator code is an assumption).
        f"update {table} set idoperatore = '2' where idsensore = '5504' and data = '2024-01-16'",
    )
    outcome = run_suite(MEASUREMENTS, db)
    assert outcome.success, errors(outcome)
    assert set(warnings(outcome)) == {"vocabulary:idoperatore"}
    assert quarantined(
        db, "lombardia__air_measurements", "idsensore || ' ' || strftime(data, '%Y-%m-%d %H')"
    ) == {
        "10273 2024-01-15 08": "plausible:NO2",
        "10273 2024-01-16 08": "expect_column_values_to_be_in_set:stato",
        "5504 2024-01-15 00": "plausible:PM10",
        "6328 2022-06-02 00": "value_present",
        "6328 2023-03-01 05": "expect_column_values_to_be_between:valore",
        "6328 2030-06-01 00": "in_partition_year:data",
    }
    assert count(db, MEASUREMENTS.table) == rows - 6
    assert fetch(
        db, f"select valore from {table} where idsensore = '20432' and data = '2024-01-15'"
    ) == [(999.0,)]


def _insert_labour(db: Path, marker: str, **changes: str) -> None:
    """A copy of one 2023 activation, marked in ``italiano``, with some fields changed."""
    replace = ", ".join(
        f"{value} as {column}" for column, value in {"italiano": f"'{marker}'", **changes}.items()
    )
    execute(
        db,
        f"insert into raw.lombardia__labour_activated select * replace ({replace}) "
        "from raw.lombardia__labour_activated where rowid = (select min(rowid) "
        "from raw.lombardia__labour_activated where _partition = '2023')",
    )


def test_invalid_contracts_are_quarantined(db: Path) -> None:
    rows = count(db, LABOUR_ACTIVATED.table)
    _insert_labour(db, "X-SEX", genere="'X'")
    _insert_labour(db, "X-CHILD", eta="12")
    _insert_labour(db, "X-OLD", eta="101")
    _insert_labour(db, "X-PROVINCE", provinciaimpresa="'MONZA E BRIANZA'")
    _insert_labour(db, "X-DATE", data="timestamp '2030-05-01'")  # in the 2023 partition
    # Valid: the youngest apprentice, a contract type outside the assumed vocabulary (a
    # warning only).
    _insert_labour(db, "OK-15", eta="15")
    _insert_labour(db, "OK-SPORT", contratto="'LAVORO SPORTIVO'")
    outcome = run_suite(LABOUR_ACTIVATED, db)
    assert outcome.success, errors(outcome)
    assert set(warnings(outcome)) == {"vocabulary:contratto"}
    assert quarantined(db, "lombardia__labour_activated", "italiano") == {
        "X-CHILD": "expect_column_values_to_be_between:eta",
        "X-DATE": "in_partition_year:data",
        "X-OLD": "expect_column_values_to_be_between:eta",
        "X-PROVINCE": "expect_column_values_to_be_in_set:provinciaimpresa",
        "X-SEX": "expect_column_values_to_be_in_set:genere",
    }
    # 7 inserted, 5 set aside: the snapshot's rows and the two valid ones remain.
    assert count(db, LABOUR_ACTIVATED.table) == rows + 2


def _insert_certificate(db: Path, code: str, **changes: str) -> None:
    """A copy of one 2023 certificate under a new code (built in 1970), fields changed."""
    fields = {"cod_ape": f"'{code}'", "anno_costruzione": "1970", **changes}
    replace = ", ".join(f"{value} as {column}" for column, value in fields.items())
    execute(
        db,
        f"insert into raw.lombardia__energy_certificates select * replace ({replace}) "
        "from raw.lombardia__energy_certificates where rowid = (select min(rowid) "
        "from raw.lombardia__energy_certificates where _partition = '2023')",
    )


def test_invalid_certificates_are_quarantined(db: Path) -> None:
    rows = count(db, CERTIFICATES.table)
    _insert_certificate(db, "X-CLASS", classe_energetica="'A+'")
    _insert_certificate(db, "X-USE", classificazione_dpr="'X.9'")
    _insert_certificate(db, "X-ZONE", zona_climatica="'G'")
    _insert_certificate(db, "X-EP", ep_gl_nren="-1.0")
    _insert_certificate(db, "X-AREA", superf_utile_riscaldata="-5.0")
    _insert_certificate(db, "X-BUILT", anno_costruzione="2100")  # issued 2023, built 2100
    _insert_certificate(db, "X-TYPO", anno_costruzione="197")  # 1,826 years before issue
    _insert_certificate(db, "X-COMUNE", comune="'PARIGI'")
    _insert_certificate(db, "X-PROVINCE", provincia="'MB'")
    _insert_certificate(db, "X-ISSUED", data_ins="timestamp '2019-12-31'")
    # Valid: a metropolitan comune in another spelling, a use sub-category of DPR 412/1993.
    _insert_certificate(db, "OK-SPELLING", comune="'Cassano d\u2019Adda'")
    _insert_certificate(db, "OK-USE", classificazione_dpr="'E.6(2)'")
    outcome = run_suite(CERTIFICATES, db)
    assert outcome.success, errors(outcome)
    assert not outcome.warnings
    assert quarantined(db, "lombardia__energy_certificates", "cod_ape") == {
        "X-AREA": "expect_column_values_to_be_between:superf_utile_riscaldata",
        "X-BUILT": "built_before_issue",
        "X-CLASS": "expect_column_values_to_be_in_set:classe_energetica",
        "X-COMUNE": "comune_name:comune",
        "X-EP": "expect_column_values_to_be_between:ep_gl_nren",
        "X-ISSUED": "in_partition_year:data_ins",
        "X-PROVINCE": "expect_column_values_to_be_in_set:provincia",
        "X-TYPO": "built_before_issue",
        "X-USE": "expect_column_values_to_match_regex:classificazione_dpr",
        "X-ZONE": "expect_column_values_to_be_in_set:zona_climatica",
    }
    assert count(db, CERTIFICATES.table) == rows + 2


def test_invalid_hospitals_are_quarantined(db: Path) -> None:
    table = "raw.lombardia__hospitals"
    execute(
        db,
        f"update {table} set localita = 'LUGANO' where codice_struttura_di_ricovero = '0301004'",
        # Longitude and latitude swapped: 45.45 is no longitude, 9.14 no latitude.
        f"update {table} set coordinata_geografica_x = coordinata_geografica_y, "
        "coordinata_geografica_y = coordinata_geografica_x "
        "where codice_struttura_di_ricovero = '030968'",
        # Lombard but not metropolitan: the list covers the region, it stays.
        f"update {table} set localita = 'PAVIA' where codice_struttura_di_ricovero = '0301001'",
        # Only warnings: a postcode and an ATS name nothing downstream reads.
        f"update {table} set cap = 'CH-6900' where codice_struttura_di_ricovero = '0301023'",
        f"update {table} set ats_struttura = 'ATS NUOVA' "
        "where codice_struttura_di_ricovero = '0301035'",
    )
    outcome = run_suite(HOSPITALS, db)
    assert outcome.success, errors(outcome)
    assert set(warnings(outcome)) == {"format:cap", "vocabulary:ats_struttura"}
    assert quarantined(db, "lombardia__hospitals", "codice_struttura_di_ricovero") == {
        "0301004": "comune_name:localita",
        # Both coordinate rules reject it; the first one sets it aside, once.
        "030968": "in_lombardy:coordinata_geografica_y",
    }
    assert outcome.quarantined == {
        "comune_name:localita": 1,
        "in_lombardy:coordinata_geografica_y": 1,
    }
    assert count(db, HOSPITALS.table) == 212 - 2


def test_invalid_pharmacies_are_quarantined(db: Path) -> None:
    table = "raw.lombardia__pharmacies"
    codes = [
        r[0] for r in fetch(db, f"select cod_farmacia from {table} order by cod_farmacia limit 5")
    ]
    execute(
        db,
        f"update {table} set comune = 'PAVIA' where cod_farmacia = '{codes[0]}'",
        f"update {table} set sigla_provincia = 'PV' where cod_farmacia = '{codes[1]}'",
        f"update {table} set longitudine = 0 where cod_farmacia = '{codes[2]}'",
        f"update {table} set comune = null where cod_farmacia = '{codes[4]}'",
        f"update {table} set descrizione_tipologia = 'ONLINE' where cod_farmacia = '{codes[3]}'",
    )
    outcome = run_suite(PHARMACIES, db)
    assert outcome.success, errors(outcome)
    assert set(warnings(outcome)) == {"vocabulary:descrizione_tipologia"}
    assert quarantined(db, "lombardia__pharmacies", "cod_farmacia") == {
        codes[0]: "comune_name:comune",
        codes[1]: "expect_column_values_to_be_in_set:sigla_provincia",
        codes[2]: "in_lombardy:longitudine",
        codes[4]: "placed:comune",
    }
    assert count(db, PHARMACIES.table) == 976 - 4


# Volume and drift ------------------------------------------------------------------------------


def test_a_shrunken_registry_fails_its_volume(db: Path) -> None:
    assert run_suite(HOSPITALS, db, "first").success
    execute(db, "delete from raw.lombardia__hospitals where rowid >= 20")
    outcome = run_suite(HOSPITALS, db, "second")
    assert not outcome.success
    # 20 rows left: the previous 212 allow 190 (212 * 0.9) to 318 (212 * 1.5); the region
    # has 150-300 hospitals.
    assert errors(outcome) == {"volume": "20", "lombardy_hospitals": "20"}


def test_a_lost_year_fails_the_volume_of_a_yearly_table(db: Path) -> None:
    assert run_suite(LABOUR_ACTIVATED, db, "first").success
    execute(db, "delete from raw.lombardia__labour_activated where _partition <> '2020'")
    outcome = run_suite(LABOUR_ACTIVATED, db, "second")
    assert not outcome.success
    # 12,368 activations before, 1,590 left (2020 only): below int(12,368 * 0.5) = 6,184.
    assert errors(outcome) == {"volume": "1590"}


def test_a_shifted_distribution_is_only_a_warning(db: Path) -> None:
    first = run_suite(CERTIFICATES, db, "first")
    mean = float(next(o.observed for o in first.outcomes if o.rule == "drift:ep_gl_nren"))
    execute(db, "update raw.lombardia__energy_certificates set ep_gl_nren = ep_gl_nren * 1.5")
    outcome = run_suite(CERTIFICATES, db, "second")
    # The mean moved by +50%, beyond the 25% tolerance: shown, not blocking, nothing set aside.
    assert outcome.success
    assert float(warnings(outcome)["drift:ep_gl_nren"]) == pytest.approx(mean * 1.5)
    assert outcome.quarantined == {}


def test_a_shifted_pollution_level_is_only_a_warning(db: Path) -> None:
    assert run_suite(MEASUREMENTS, db, "first").success
    execute(db, "update raw.lombardia__air_measurements set valore = valore * 2")
    outcome = run_suite(MEASUREMENTS, db, "second")
    assert outcome.success
    assert set(warnings(outcome)) == {"drift:valore"}
    assert outcome.quarantined == {}
