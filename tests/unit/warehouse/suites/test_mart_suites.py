"""The mart suites on the marts built from the bundled snapshot, clean and broken on purpose.

The warehouse is built once for the module: every dataset ingested from the snapshot, then the
seeds, the marts and their parents built by dbt (the models the pipeline builds, in one
``dbt build`` without dbt's tests and without Dagster: about 16 s instead of 100). Each
breaking test works on its own copy. Mart suites never quarantine (a mart is not altered after
dbt built it): every failure is an error that leaves the table as it was, except the one
warning rule. Figures in comments are computed by hand from the snapshot's marts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from osservatorio.settings import DBT_PROJECT_DIR, Settings
from warehouse.quality import SuiteOutcome, run_suite
from warehouse.suites import marts

SUITES = {suite.table.split(".")[1]: suite for suite in marts.SUITES}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The snapshot's warehouse with its marts, built once."""
    from ingestion.common.ingest import ingest
    from ingestion.registry import DATASETS

    root = tmp_path_factory.mktemp("marts-build")
    settings = Settings(data_dir=root)
    for dataset in DATASETS:
        ingest(dataset, settings)
    env = {
        **os.environ,
        "OSSERVATORIO_WAREHOUSE_PATH": str(settings.warehouse_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = str(Path(sys.executable).parent / "dbt")
    # Seeds and models, not dbt's tests (the suites are what this module tests).
    command = ["build", "--select", "+marts", "--exclude-resource-type", "test", "unit_test"]
    done = subprocess.run(
        [
            dbt,
            *command,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(root / "dbt-target"),
            "--log-path",
            str(root / "dbt-logs"),
            "--threads",
            "4",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return settings.warehouse_path


@pytest.fixture
def warehouse(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built, copy)
    return copy


def sql(path: Path, *statements: str) -> list[tuple]:
    with duckdb.connect(str(path)) as con:
        rows: list[tuple] = []
        for statement in statements:
            rows = con.execute(statement).fetchall()
        return rows


def count(path: Path, table: str) -> int:
    return sql(path, f"select count(*) from {table}")[0][0]


def run(path: Path, table: str, run_id: str = "test") -> SuiteOutcome:
    return run_suite(SUITES[table], path, run_id=run_id)


def errors(outcome: SuiteOutcome) -> dict[str, str]:
    return {o.rule: o.observed for o in outcome.errors}


def assert_untouched(path: Path, table: str, rows: int) -> None:
    """A failing mart suite blocks, but moves nothing: the rows stay, no quarantine table."""
    assert count(path, f"marts.{table}") == rows
    assert sql(
        path, "select count(*) from information_schema.schemata where schema_name = 'quarantine'"
    ) == [(0,)]


def test_every_mart_model_has_a_suite_on_its_asset() -> None:
    models = {p.stem for p in marts.DBT_MARTS.rglob("*.sql")}
    assert set(SUITES) == models
    for model, suite in SUITES.items():
        assert suite.table == f"marts.{model}"
        assert suite.asset_path == ("marts", model)
        assert suite.name == f"marts__{model}"


def test_the_snapshot_marts_meet_every_rule(warehouse: Path) -> None:
    outcomes = {table: run(warehouse, table) for table in SUITES}
    for table, outcome in outcomes.items():
        assert outcome.success, (table, errors(outcome))
        assert not outcome.warnings, (table, outcome.warnings)
        assert not outcome.quarantined, table
    # The dimensions' official sizes.
    assert outcomes["dim_comune"].row_count == 133
    assert outcomes["dim_zona_omogenea"].row_count == 8
    assert outcomes["dim_driver"].row_count == 10
    assert outcomes["dim_pnrr_mission"].row_count == 6
    # Each comune-level driver mart: 133 comuni for each of its years.
    assert outcomes["mart_driver_10_salute"].row_count % 133 == 0
    recorded = sql(
        warehouse,
        "select count(distinct suite), bool_and(success) from audit.validation_result "
        "where suite like 'marts__%'",
    )
    assert recorded == [(len(SUITES), True)]


# Structure ---------------------------------------------------------------------------------


def test_a_declared_column_missing_fails_structure(warehouse: Path) -> None:
    sql(warehouse, "alter table marts.dim_comune drop column nuts3_code")
    outcome = run(warehouse, "dim_comune")
    assert not outcome.success
    assert set(errors(outcome)) == {"declared_columns"}
    assert "nuts3_code" not in errors(outcome)["declared_columns"]
    assert "cadastral_code" in errors(outcome)["declared_columns"]


# Completeness ------------------------------------------------------------------------------


def test_a_duplicated_key_fails_and_breaks_the_zona_and_cm_sums(warehouse: Path) -> None:
    rows = count(warehouse, "marts.fct_indicator_value")
    # Milano's old-age index 2024 twice: 100 * 311,025 / 184,286 = 168.77.
    sql(
        warehouse,
        "insert into marts.fct_indicator_value select * from marts.fct_indicator_value "
        "where indicator_id = 'D10_06' and territory_level = 'comune' "
        "and territory_code = '015146' and year = 2024",
    )
    outcome = run(warehouse, "fct_indicator_value")
    assert not outcome.success
    # Both copies are duplicates (2); zona milano (its only comune) now sums 622,050 against
    # 311,025, and the cm 767,114 + 311,025 against 767,114: one row each off.
    assert errors(outcome) == {
        "unique:indicator_id+territory_level+territory_code+year": "2",
        "zona_is_sum_of_comuni": "1",
        "cm_is_sum_of_parts": "1",
    }
    assert_untouched(warehouse, "fct_indicator_value", rows + 1)


def test_a_comune_value_without_its_zona_aggregate_fails(warehouse: Path) -> None:
    rows = count(warehouse, "marts.fct_indicator_value")
    sql(
        warehouse,
        "delete from marts.fct_indicator_value where indicator_id = 'D10_06' "
        "and territory_level = 'zona' and territory_code = 'milano' and year = 2024",
    )
    outcome = run(warehouse, "fct_indicator_value")
    # Only comune 015146 is in zona milano: one comune row without its zona.
    assert errors(outcome) == {"zona_and_cm_present": "1"}
    assert_untouched(warehouse, "fct_indicator_value", rows - 1)


def test_a_missing_comune_fails_the_dimension(warehouse: Path) -> None:
    sql(warehouse, "delete from marts.dim_comune where comune_code = '015002'")  # Abbiategrasso
    outcome = run(warehouse, "dim_comune")
    assert not outcome.success
    assert errors(outcome).keys() == {
        "metropolitan_comuni",
        "expect_column_distinct_values_to_contain_set:comune_code",
    }
    assert errors(outcome)["metropolitan_comuni"] == "132"  # 133 - 1
    assert_untouched(warehouse, "dim_comune", 132)


def test_a_comune_missing_from_a_driver_mart_year_fails(warehouse: Path) -> None:
    rows = count(warehouse, "marts.mart_driver_10_salute")
    sql(
        warehouse,
        "delete from marts.mart_driver_10_salute where comune_code = '015002' and year = 2024",
    )
    outcome = run(warehouse, "mart_driver_10_salute")
    # The 132 rows left in 2024 each see 132 comuni in their year; other years are whole,
    # so every comune is still somewhere in the table.
    assert errors(outcome) == {"every_comune_per:year": "132"}
    assert_untouched(warehouse, "mart_driver_10_salute", rows - 1)


def test_a_duplicated_driver_mart_key_fails(warehouse: Path) -> None:
    rows = count(warehouse, "marts.mart_driver_08_lavoro")
    sql(
        warehouse,
        "insert into marts.mart_driver_08_lavoro select * from marts.mart_driver_08_lavoro "
        "where year = 2024",
    )
    outcome = run(warehouse, "mart_driver_08_lavoro")
    assert errors(outcome) == {"unique:territory_code+year": "2"}
    assert_untouched(warehouse, "mart_driver_08_lavoro", rows + 1)


def test_an_indicator_with_a_target_and_no_latest_value_fails(warehouse: Path) -> None:
    sql(
        warehouse,
        "update marts.fct_target_progress set latest_value = null where indicator_id = 'D10_04'",
    )
    outcome = run(warehouse, "fct_target_progress")
    # D01_03 has no latest value either, but no source yet ('none'): only D10_04 counts.
    assert errors(outcome) == {"latest_value_for_every_target": "1"}
    assert_untouched(warehouse, "fct_target_progress", 13)


def test_an_untracked_target_fails(warehouse: Path) -> None:
    sql(warehouse, "delete from marts.fct_target_progress where indicator_id = 'D10_02'")
    outcome = run(warehouse, "fct_target_progress")
    # 13 indicators have a target or a direction in dim_indicator; 12 rows are left.
    assert errors(outcome) == {"every_target_tracked": "1"}
    assert_untouched(warehouse, "fct_target_progress", 12)


def test_a_driver_missing_fails_the_dimension(warehouse: Path) -> None:
    sql(warehouse, "delete from marts.dim_driver where driver_id = 'D08'")
    outcome = run(warehouse, "dim_driver")
    # 9 drivers left; D08's 9 indicators of the catalogue's 42 are counted under no driver.
    assert errors(outcome) == {"ten_drivers": "9", "every_indicator_counted": "9"}
    assert_untouched(warehouse, "dim_driver", 9)


# Validity ----------------------------------------------------------------------------------


def test_implausible_values_fail(warehouse: Path) -> None:
    rows = count(warehouse, "marts.fct_indicator_value")
    sql(
        warehouse,
        # An unemployment rate of 150% (a rate taken as is: numerator 150, denominator 1, so
        # the value is still its ratio) and 400 days above the PM10 limit in a year of 366.
        "update marts.fct_indicator_value set value = 150, numerator = 150 "
        "where indicator_id = 'D08_02a' and territory_level = 'cm' and year = 2024",
        "update marts.fct_indicator_value set value = 400, numerator = 400 "
        "where indicator_id = 'D10_04' and territory_level = 'station' and rowid = ("
        "select min(rowid) from marts.fct_indicator_value "
        "where indicator_id = 'D10_04' and territory_level = 'station')",
    )
    outcome = run(warehouse, "fct_indicator_value")
    assert errors(outcome) == {"plausible_value": "2"}
    assert_untouched(warehouse, "fct_indicator_value", rows)


def test_an_unknown_unit_fails(warehouse: Path) -> None:
    sql(
        warehouse,
        "update marts.fct_indicator_value set unit = 'furlongs' "
        "where indicator_id = 'D08_02a' and year = 2024",
    )
    outcome = run(warehouse, "fct_indicator_value")
    # Not a unit with a known plausible range, and not D08_02a's unit (%).
    assert errors(outcome) == {
        "expect_column_values_to_be_in_set:unit": "1",
        "unit_of_catalogue": "1",
    }


def test_an_implausible_target_and_a_wrong_driver_fail_the_catalogue(warehouse: Path) -> None:
    sql(
        warehouse,
        "update marts.dim_indicator set target = 120 where indicator_id = 'D07_02'",  # %
        "update marts.dim_indicator set driver_id = 'D02' where indicator_id = 'D01_01'",
    )
    outcome = run(warehouse, "dim_indicator")
    assert errors(outcome) == {"plausible_target": "1", "driver_of_id": "1"}
    assert_untouched(warehouse, "dim_indicator", 42)


# Consistency -------------------------------------------------------------------------------


def test_zona_and_cm_totals_off_their_comuni_fail(warehouse: Path) -> None:
    rows = count(warehouse, "marts.fct_indicator_value")
    # Road accidents 2023: zona alto_milanese 815 accidents / 270,140 residents, cm 13,272 /
    # 3,174,986. Ten more accidents in each total, values recomputed so each stays its own
    # ratio (10,000 * 825 / 270,140 = 30.54; 10,000 * 13,282 / 3,174,986 = 41.83): only the
    # sums of the comuni disagree (10 / 825 and 10 / 13,282, far above 1e-6).
    sql(
        warehouse,
        "update marts.fct_indicator_value set numerator = numerator + 10, "
        "value = round(10000 * (numerator + 10) / denominator, 2) "
        "where indicator_id = 'D05_01' and year = 2023 and ("
        "(territory_level = 'zona' and territory_code = 'alto_milanese') "
        "or territory_level = 'cm')",
    )
    assert sql(
        warehouse,
        "select value from marts.fct_indicator_value where indicator_id = 'D05_01' "
        "and year = 2023 and territory_level in ('zona', 'cm') "
        "and territory_code in ('alto_milanese', '215') order by territory_level",
    ) == [(41.83,), (30.54,)]
    outcome = run(warehouse, "fct_indicator_value")
    assert errors(outcome) == {"zona_is_sum_of_comuni": "1", "cm_is_sum_of_parts": "1"}
    assert_untouched(warehouse, "fct_indicator_value", rows)


def test_a_value_off_its_ratio_fails(warehouse: Path) -> None:
    # Alto Milanese 2023: 10,000 * 815 / 270,140 = 30.17, published as 31.17.
    sql(
        warehouse,
        "update marts.fct_indicator_value set value = value + 1 where indicator_id = 'D05_01' "
        "and year = 2023 and territory_level = 'zona' and territory_code = 'alto_milanese'",
    )
    outcome = run(warehouse, "fct_indicator_value")
    assert errors(outcome) == {"value_is_ratio": "1"}


def test_a_net_balance_off_activated_less_ceased_fails(warehouse: Path) -> None:
    # 2024: 2,220 activated - 2,051 ceased = 169; published as 175.
    sql(
        warehouse,
        "update marts.fct_indicator_value set value = 175, numerator = 175 "
        "where indicator_id = 'D08_03c' and year = 2024",
    )
    outcome = run(warehouse, "fct_indicator_value")
    assert errors(outcome) == {"net_balance_is_difference": "1"}


def test_progress_not_on_the_latest_year_fails(warehouse: Path) -> None:
    # D10_04's latest year is 2025 (76 days); progress set back to 2024 keeps 2025's value.
    (value_2024,) = sql(
        warehouse,
        "select value from marts.fct_indicator_value where indicator_id = 'D10_04' "
        "and territory_level = 'cm' and year = 2024",
    )[0]
    assert value_2024 != 76.0
    sql(
        warehouse,
        "update marts.fct_target_progress set latest_year = 2024 where indicator_id = 'D10_04'",
    )
    outcome = run(warehouse, "fct_target_progress")
    assert errors(outcome) == {"latest_year_is_latest": "1", "latest_value_is_cm_value": "1"}


def test_a_target_met_with_distance_left_fails(warehouse: Path) -> None:
    # D10_04: 76 days against at most 35, 41 to go, flagged as met.
    sql(
        warehouse,
        "update marts.fct_target_progress set is_target_met = true where indicator_id = 'D10_04'",
    )
    outcome = run(warehouse, "fct_target_progress")
    assert errors(outcome) == {"target_met_iff_no_distance": "1"}


def test_zone_counts_off_the_comuni_fail(warehouse: Path) -> None:
    sql(
        warehouse,
        "update marts.dim_zona_omogenea set comuni_count = 2 where zona_code = 'milano'",
    )
    outcome = run(warehouse, "dim_zona_omogenea")
    # Milano is one comune; the zone now add up to 133 + 1 = 134.
    assert errors(outcome) == {"zone_cover_the_comuni": "134", "comuni_count_of_dim_comune": "1"}


def test_a_reference_after_the_latest_value_is_a_warning_only(warehouse: Path) -> None:
    sql(
        warehouse,
        "update marts.fct_target_progress set reference_year = 2026 "
        "where indicator_id = 'D10_04'",  # latest year 2025
    )
    outcome = run(warehouse, "fct_target_progress")
    assert outcome.success
    assert [(o.rule, o.family, o.unexpected) for o in outcome.warnings] == [
        ("reference_before_latest", "consistency", 1)
    ]


# Volume ------------------------------------------------------------------------------------


def test_a_fact_table_that_lost_most_rows_fails_on_volume(warehouse: Path) -> None:
    first = run(warehouse, "fct_indicator_value", run_id="run-1")
    assert first.success and "volume" not in {o.rule for o in first.outcomes}  # no history
    sql(warehouse, "delete from marts.fct_indicator_value where indicator_id <> 'D10_06'")
    second = run(warehouse, "fct_indicator_value", run_id="run-2")
    # Only the old-age index is left: 994 rows, under 75% of the previous build; and 39 of the
    # 40 indicators with a source have no value any more.
    assert errors(second) == {"volume": "994", "every_indicator_published": "39"}
    assert_untouched(warehouse, "fct_indicator_value", 994)
