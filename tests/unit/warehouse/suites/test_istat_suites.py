"""The ISTAT suites: the bundled snapshot passes them all, and each family of rule catches a
payload crafted to break it (errors block, row-level rules quarantine exactly the bad rows,
drift only warns, volume compares with the previous load).

Figures in comments come from the snapshot (``ingestion/istat/snapshot``): 133 comuni; the
population has 7 years (2019-2025) x 2 sexes x 102 ages (Y0..Y99, Y_GE100, TOTAL) per comune,
the balance 6 years x 8 events, foreign residents 7 years x 3 sexes, the labour force 8 years
(2018-2025) x 4 series x 3 sexes, road accidents 6 years x 3 series.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion.common.ingest import ingest
from ingestion.istat import DATASETS
from osservatorio.settings import Settings
from warehouse.quality import Suite, SuiteOutcome, run_suite
from warehouse.suites import istat

ROW_COUNTS = {
    "istat__comuni": 7_896,
    "istat__population": 189_924,  # 133 x 7 x 2 x 102
    "istat__population_balance": 6_384,  # 133 x 6 x 8
    "istat__foreign_residents": 2_793,  # 133 x 7 x 3
    "istat__labour_force": 96,  # 8 x 4 x 3
    "istat__road_accidents": 2_394,  # 133 x 6 x 3
    "istat__local_units": 7_984,  # 2 data types x 6 years x (4 x 133 + 129 + 5 divisions)
}


@pytest.fixture(scope="module")
def snapshot_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ISTAT raw tables loaded once from the bundled snapshot (never modified)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("istat-suites"))
    for dataset in DATASETS:
        ingest(dataset, settings)
    return settings.warehouse_path


@pytest.fixture
def db(snapshot_db: Path, tmp_path: Path) -> Path:
    """A private copy of the warehouse a test may break."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(snapshot_db, copy)
    return copy


def execute(db: Path, *statements: str) -> None:
    with duckdb.connect(str(db)) as con:
        for sql in statements:
            con.execute(sql)


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def errors(outcome: SuiteOutcome) -> dict[str, str]:
    return {o.rule: o.observed for o in outcome.errors}


def quarantined(db: Path, table: str, *columns: str) -> list[tuple]:
    return sorted(rows(db, f"select _rule, _reason, {', '.join(columns)} from quarantine.{table}"))


def count(db: Path, table: str, where: str = "true") -> int:
    return rows(db, f"select count(*) from raw.{table} where {where}")[0][0]


# Clean snapshot -------------------------------------------------------------------------------


def test_every_istat_dataset_has_a_suite() -> None:
    assert {s.table for s in istat.SUITES} == {f"raw.{d.table}" for d in DATASETS}


@pytest.mark.parametrize("suite", istat.SUITES, ids=lambda s: s.name)
def test_the_snapshot_passes_with_nothing_quarantined(db: Path, suite: Suite) -> None:
    outcome = run_suite(suite, db, "clean")
    assert outcome.success, errors(outcome)
    assert outcome.warnings == []
    assert outcome.quarantined == {}
    assert outcome.row_count == ROW_COUNTS[suite.name]
    assert not rows(
        db, "select * from information_schema.schemata where schema_name = 'quarantine'"
    )
    # The same data validated again: the verdict is replayed, recorded for the new run.
    again = run_suite(suite, db, "again")
    assert again.success and again.warnings == [] and again.quarantined == {}
    assert rows(
        db,
        f"select count(*) from audit.validation_result where run_id = 'again' "
        f"and suite = '{suite.name}'",
    ) == [(len(outcome.outcomes),)]


# Structure ------------------------------------------------------------------------------------


def test_a_column_of_the_wrong_type_is_an_error(db: Path) -> None:
    execute(db, "alter table raw.istat__road_accidents alter obs_status type integer")
    outcome = run_suite(istat.ROAD_ACCIDENTS, db)
    assert not outcome.success
    assert errors(outcome) == {
        "column_type:obs_status": '{"expected": "VARCHAR", "found": "INTEGER"}'
    }


def test_a_missing_column_is_an_error(db: Path) -> None:
    execute(db, "alter table raw.istat__road_accidents drop column obs_status")
    outcome = run_suite(istat.ROAD_ACCIDENTS, db)
    assert errors(outcome) == {"column_type:obs_status": '{"expected": "VARCHAR", "found": null}'}


def test_an_undeclared_column_is_a_warning_only(db: Path) -> None:
    execute(db, "alter table raw.istat__population_balance add column note varchar")
    outcome = run_suite(istat.BALANCE, db)
    assert outcome.success
    assert [(o.rule, o.observed) for o in outcome.warnings] == [
        ("no_unexpected_columns", '["note"]')
    ]


# Completeness ---------------------------------------------------------------------------------


def test_a_value_missing_is_an_error(db: Path) -> None:
    execute(
        db,
        "update raw.istat__population_balance set obs_value = null "
        "where ref_area = '015146' and time_period = '2021' and data_type = 'DEATH'",
    )
    outcome = run_suite(istat.BALANCE, db)
    assert errors(outcome) == {"expect_column_values_to_not_be_null:obs_value": "1"}
    assert outcome.quarantined == {}


def test_a_duplicated_key_is_an_error(db: Path) -> None:
    execute(
        db,
        "insert into raw.istat__population_balance select * from raw.istat__population_balance "
        "where ref_area = '015146' and time_period = '2021' and data_type = 'DEATH'",
    )
    outcome = run_suite(istat.BALANCE, db)
    # Both copies of the key are reported.
    assert errors(outcome) == {"unique:ref_area+data_type+sex+time_period": "2"}


def test_a_comune_missing_in_one_year_is_an_error(db: Path) -> None:
    execute(
        db,
        "delete from raw.istat__foreign_residents where ref_area = '015002' "
        "and time_period = '2020'",
    )
    outcome = run_suite(istat.FOREIGN_RESIDENTS, db)
    # Every row of 2020 sees 132 comuni: 132 x 3 sexes = 396 rows out of range.
    assert errors(outcome) == {"every_comune_per:time_period": "396"}
    assert outcome.quarantined == {}


def test_a_comune_missing_altogether_is_an_error(db: Path) -> None:
    execute(db, "delete from raw.istat__local_units where ref_area = '015002'")
    outcome = run_suite(istat.LOCAL_UNITS, db)
    assert not outcome.success
    assert set(errors(outcome)) == {
        "expect_column_distinct_values_to_contain_set:ref_area",
        "every_comune_per:time_period",
    }
    # 015002 had the all-sector total and four divisions: 7,984 - 6 x 2 x 5 = 7,924 rows left,
    # all in years with 132 comuni.
    assert errors(outcome)["every_comune_per:time_period"] == "7924"


def test_an_event_missing_from_the_balance_is_an_error(db: Path) -> None:
    execute(
        db,
        "delete from raw.istat__population_balance where ref_area = '015146' "
        "and time_period = '2021' and data_type = 'REGOTHREAS'",
    )
    outcome = run_suite(istat.BALANCE, db)
    # The 7 other events of Milano in 2021 are in a comune-year with 7 events, not 8.
    assert errors(outcome) == {"every_event": "7"}


def test_a_labour_series_missing_in_one_year_is_an_error(db: Path) -> None:
    execute(
        db,
        "delete from raw.istat__labour_force where time_period = '2020' "
        "and data_type = 'UNEM_R' and age = 'Y15-24' and sex = '2'",
    )
    outcome = run_suite(istat.LABOUR_FORCE, db)
    # 11 rows left in 2020, each in a year with 11 of the 12 series.
    assert errors(outcome) == {"every_series": "11"}


# Validity (row-level: quarantined) -------------------------------------------------------------


def test_codes_outside_the_city_are_quarantined(db: Path) -> None:
    # Bergamo (016024) is a real comune, but not one of the Città metropolitana.
    execute(
        db,
        "update raw.istat__road_accidents set ref_area = '016024' "
        "where ref_area = '015146' and time_period = '2023'",
    )
    outcome = run_suite(istat.ROAD_ACCIDENTS, db)
    assert outcome.success  # met once the three rows are set aside
    assert outcome.quarantined == {"comune_code:ref_area": 3}
    moved = quarantined(db, "istat__road_accidents", "ref_area", "data_type", "obs_value")
    assert [(r[0], r[2], r[3], r[4]) for r in moved] == [
        ("comune_code:ref_area", "016024", "KILLINJ", 36.0),
        ("comune_code:ref_area", "016024", "KILLINJ", 10_365.0),
        ("comune_code:ref_area", "016024", "ROADACC", 7_550.0),
    ]
    assert moved[0][1].startswith('expect_column_values_to_be_in_set {"column": "ref_area"')
    assert count(db, "istat__road_accidents") == 2_394 - 3
    assert count(db, "istat__road_accidents", "ref_area = '016024'") == 0
    assert count(db, "istat__road_accidents", "ref_area = '015146'") == 5 * 3


def test_codes_the_request_did_not_ask_for_are_quarantined(db: Path) -> None:
    # Population: ISTAT codes 100 and over Y_GE100, never Y100 (age is not part of the sum's
    # group, so the ages still add up to the total and only the code is wrong).
    execute(
        db,
        "update raw.istat__population set age = 'Y100' where ref_area = '015002' "
        "and sex = '1' and time_period = '2019' and age = 'Y_GE100'",
    )
    outcome = run_suite(istat.POPULATION, db)
    assert outcome.success, errors(outcome)
    assert outcome.quarantined == {"expect_column_values_to_be_in_set:age": 1}
    [(rule, reason, age, value)] = quarantined(db, "istat__population", "age", "obs_value")
    assert (rule, age, value) == ("expect_column_values_to_be_in_set:age", "Y100", 2.0)
    assert reason.startswith('expect_column_values_to_be_in_set {"column": "age", "value_set": [')
    assert count(db, "istat__population") == 189_924 - 1


def test_an_event_not_asked_for_is_quarantined_not_counted(db: Path) -> None:
    # TOTBALID (the balance's total) is a real code of the flow, but not one of the 8 events:
    # set aside, and the comune-year still has exactly its 8 events.
    execute(
        db,
        "insert into raw.istat__population_balance select * replace ('TOTBALID' as data_type, "
        "1215.0 as obs_value) from raw.istat__population_balance "
        "where ref_area = '015146' and time_period = '2021' and data_type = 'DEATH'",
    )
    outcome = run_suite(istat.BALANCE, db)
    assert outcome.success, errors(outcome)
    assert outcome.quarantined == {"expect_column_values_to_be_in_set:data_type": 1}
    [(rule, reason, data_type)] = quarantined(db, "istat__population_balance", "data_type")
    assert (rule, data_type) == ("expect_column_values_to_be_in_set:data_type", "TOTBALID")
    assert '"LBIRTH"' in reason
    assert count(db, "istat__population_balance") == 6_384


def test_labour_codes_and_flows_outside_the_request_are_quarantined(db: Path) -> None:
    execute(
        db,
        # Italian citizens only, another dataflow, a quarterly figure: one row each.
        "update raw.istat__labour_force set citizenship = 'ITL' where time_period = '2019' "
        "and data_type = 'EMP_R' and age = 'Y20-64' and sex = '1'",
        "update raw.istat__labour_force set dataflow = 'IT1:22_289(1.0)' "
        "where time_period = '2021' and data_type = 'EMP_R' and age = 'Y20-64' and sex = '1'",
        "update raw.istat__labour_force set freq = 'Q' where time_period = '2022' "
        "and data_type = 'EMP_R' and age = 'Y20-64' and sex = '1'",
    )
    outcome = run_suite(istat.LABOUR_FORCE, db)
    assert outcome.success, errors(outcome)
    assert outcome.quarantined == {
        "expect_column_values_to_be_in_set:citizenship": 1,
        "expect_column_values_to_match_regex:dataflow": 1,
        "expect_column_values_to_be_in_set:freq": 1,
    }
    assert [(r[0], r[2]) for r in quarantined(db, "istat__labour_force", "time_period")] == [
        ("expect_column_values_to_be_in_set:citizenship", "2019"),
        ("expect_column_values_to_be_in_set:freq", "2022"),
        ("expect_column_values_to_match_regex:dataflow", "2021"),
    ]
    assert count(db, "istat__labour_force") == 96 - 3


def test_counts_out_of_range_are_quarantined(db: Path) -> None:
    # 015002, males, 2019: Y0 = 22 and Y1 = 22. Y0 = -5 and Y1 = 49 keep the sum (44), so the
    # ages still add up to TOTAL (2,808) and only the range rule fails.
    execute(
        db,
        "update raw.istat__population set obs_value = case age when 'Y0' then -5 else 49 end "
        "where ref_area = '015002' and sex = '1' and time_period = '2019' and age in ('Y0', 'Y1')",
    )
    outcome = run_suite(istat.POPULATION, db)
    assert outcome.success, errors(outcome)
    assert outcome.quarantined == {"residents_range": 1}
    [(rule, reason, age, value)] = quarantined(db, "istat__population", "age", "obs_value")
    assert (rule, age, value) == ("residents_range", "Y0", -5.0)
    assert '"min_value": 0' in reason and '"max_value": 2000000' in reason
    assert (
        count(db, "istat__population", "ref_area = '015002' and age = 'Y1' and obs_value = 49") == 1
    )


def test_rates_above_100_are_quarantined(db: Path) -> None:
    # Unemployment 15-74, 2020: males 5.0, females 6.1, total 5.5. Females at 101 leave the
    # total between the sexes (5.5 in [5.0, 101]): only the range rule fails.
    execute(
        db,
        "update raw.istat__labour_force set obs_value = 101 where time_period = '2020' "
        "and data_type = 'UNEM_R' and age = 'Y15-74' and sex = '2'",
    )
    outcome = run_suite(istat.LABOUR_FORCE, db)
    assert outcome.success, errors(outcome)
    assert outcome.quarantined == {"expect_column_values_to_be_between:obs_value": 1}
    [(rule, reason, sex, value)] = quarantined(db, "istat__labour_force", "sex", "obs_value")
    assert (rule, sex, value) == ("expect_column_values_to_be_between:obs_value", "2", 101.0)
    assert '"min_value": 0' in reason and '"max_value": 100' in reason
    assert count(db, "istat__labour_force") == 96 - 1


def test_fractions_of_persons_are_quarantined(db: Path) -> None:
    execute(
        db,
        "update raw.istat__population_balance set obs_value = 9158.5 "
        "where ref_area = '015146' and time_period = '2021' and data_type = 'LBIRTH'",
        # Local units are whole, their employees annual averages (1,105,854.45 stays).
        "update raw.istat__local_units set obs_value = 42.5 where ref_area = '015146' "
        "and time_period = '2023' and data_type = 'LU' and econ_activity_nace_2007 = '50'",
    )
    outcome = run_suite(istat.BALANCE, db)
    assert outcome.success and outcome.quarantined == {"whole_number": 1}
    assert [(r[0], r[2]) for r in quarantined(db, "istat__population_balance", "obs_value")] == [
        ("whole_number", 9158.5)
    ]
    outcome = run_suite(istat.LOCAL_UNITS, db)
    assert outcome.success and outcome.quarantined == {"whole_number": 1}
    assert [(r[0], r[2]) for r in quarantined(db, "istat__local_units", "obs_value")] == [
        ("whole_number", 42.5)
    ]


def test_periods_outside_the_flow_are_quarantined(db: Path) -> None:
    execute(
        db,
        "update raw.istat__road_accidents set time_period = '2099' "
        "where ref_area = '015146' and time_period = '2023'",
        "update raw.istat__road_accidents set time_period = '2020-Q1' "
        "where ref_area = '015002' and time_period = '2020'",
    )
    outcome = run_suite(istat.ROAD_ACCIDENTS, db)
    assert outcome.success, errors(outcome)
    assert outcome.quarantined == {"period_year": 6}
    moved = quarantined(db, "istat__road_accidents", "ref_area", "time_period")
    assert sorted({(r[0], r[2], r[3]) for r in moved}) == [
        ("period_year", "015002", "2020-Q1"),
        ("period_year", "015146", "2099"),
    ]
    assert '"min_value": 2019' in moved[0][1]
    assert count(db, "istat__road_accidents") == 2_394 - 6


# Consistency (errors) -------------------------------------------------------------------------


def test_ages_not_adding_up_to_the_total_are_an_error(db: Path) -> None:
    execute(
        db,
        "update raw.istat__population set obs_value = obs_value + 7 where ref_area = '015002' "
        "and sex = '1' and time_period = '2019' and age = 'Y50'",
    )
    outcome = run_suite(istat.POPULATION, db)
    # 43 + 7 = 50 at 50: the ages add up to 2,815, the total says 2,808; the 102 rows of the
    # group carry the gap of 7.
    assert errors(outcome) == {"expect_column_values_to_be_between:_ages_vs_total": "102"}
    assert outcome.quarantined == {}


def test_sexes_not_adding_up_to_the_total_are_an_error(db: Path) -> None:
    # 015002 in 2020: 271 males + 303 females = 574; 3 more males make 577.
    execute(
        db,
        "update raw.istat__foreign_residents set obs_value = 274 "
        "where ref_area = '015002' and time_period = '2020' and sex = '1'",
    )
    outcome = run_suite(istat.FOREIGN_RESIDENTS, db)
    assert errors(outcome) == {"expect_column_values_to_be_between:_sexes_vs_total": "3"}


def test_a_total_rate_outside_the_sexes_is_an_error(db: Path) -> None:
    # Unemployment 15-74, 2020: 5.0 and 6.1 by sex; a total of 6.3 is 0.2 above both.
    execute(
        db,
        "update raw.istat__labour_force set obs_value = 6.3 where time_period = '2020' "
        "and data_type = 'UNEM_R' and age = 'Y15-74' and sex = '9'",
    )
    outcome = run_suite(istat.LABOUR_FORCE, db)
    assert errors(outcome) == {"expect_column_values_to_be_between:_total_outside_sexes": "3"}


def test_more_accidents_than_casualties_is_an_error(db: Path) -> None:
    # Milano 2023: 36 killed + 10,365 injured = 10,401 casualties; 10,500 accidents is 99 more.
    execute(
        db,
        "update raw.istat__road_accidents set obs_value = 10500 "
        "where ref_area = '015146' and time_period = '2023' and data_type = 'ROADACC'",
    )
    outcome = run_suite(istat.ROAD_ACCIDENTS, db)
    assert errors(outcome) == {
        "expect_column_values_to_be_between:_accidents_without_casualty": "3"
    }


def test_divisions_above_the_total_are_an_error(db: Path) -> None:
    # Milano 2023, local units: 240,403 in all sectors; 49 at 240,000 puts the divisions at
    # 240,000 + 42 + 45 + 1,655 + 768 = 242,510, 2,107 above: the group's 6 rows fail.
    execute(
        db,
        "update raw.istat__local_units set obs_value = 240000 where ref_area = '015146' "
        "and time_period = '2023' and data_type = 'LU' and econ_activity_nace_2007 = '49'",
    )
    outcome = run_suite(istat.LOCAL_UNITS, db)
    assert errors(outcome) == {"expect_column_values_to_be_between:_divisions_over_total": "6"}


# Volume and drift ------------------------------------------------------------------------------


def test_a_table_losing_most_of_its_rows_is_an_error(db: Path) -> None:
    assert run_suite(istat.BALANCE, db, "first").success
    execute(db, "delete from raw.istat__population_balance where time_period <> '2019'")
    outcome = run_suite(istat.BALANCE, db, "second")
    # 1,064 rows (2019 only) against at least int(6,384 x 0.9) = 5,745.
    assert errors(outcome) == {"volume": "1064"}
    assert outcome.quarantined == {}


def test_a_shift_in_distribution_is_a_warning_only(db: Path) -> None:
    assert run_suite(istat.ROAD_ACCIDENTS, db, "first").success
    # Twice every figure: still whole and consistent, but the mean accidents per comune and
    # year go from 73,988 / 798 = 92.7 to 185.4, far beyond 25%.
    execute(db, "update raw.istat__road_accidents set obs_value = obs_value * 2")
    outcome = run_suite(istat.ROAD_ACCIDENTS, db, "second")
    assert outcome.success and outcome.quarantined == {}
    [warning] = outcome.warnings
    assert (warning.rule, warning.family) == ("drift:_accidents", "drift")
    assert float(warning.observed) == pytest.approx(2 * 73_988 / 798)
