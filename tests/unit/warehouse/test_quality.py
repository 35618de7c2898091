"""The validation framework: severities, quarantine, the audit trail, volume and drift.

A hand-made raw table of five rows, shaped like the yearly datasets (a comune code, a date,
a tonnage, the lineage columns), is validated by a small suite built from the shared
building blocks.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.common.schema import Field, TableSchema
from orchestration.checks import check_result
from warehouse.quality import AUDIT_TABLE, History, Rule, Suite, run_suite
from warehouse.suites import common

SCHEMA = TableSchema(
    fields=(
        Field("codice_comune", pl.String, "ISTAT comune code"),
        Field("data", pl.Date, "Reference date"),
        Field("tonnellate", pl.Float64, "Tonnes"),
    ),
    primary_key=("codice_comune", "data"),
)
# Milano, Abbiategrasso, Rho, Sesto San Giovanni, Legnano; all dated in 2024.
ROWS = [
    ("015146", "2024-03-01", 100.0),
    ("015002", "2024-04-01", 10.0),
    ("015182", "2024-05-01", 20.0),
    ("015209", "2024-06-01", 30.0),
    ("015118", "2024-07-01", 40.0),
]


def rules(history: History) -> list[Rule]:
    return common.rows(
        common.not_null("codice_comune"),
        common.comune_codes("codice_comune"),
        common.non_negative("tonnellate"),
        common.in_partition_year("data"),
        common.volume(history),
        common.drift("tonnellate", history),
    )


SUITE = Suite(
    name="demo__waste",
    table="raw.demo__waste",
    description="a demo",
    rules=rules,
    derived=common.year_of("data"),
    schema=SCHEMA,
)


def make_warehouse(path: Path, rows: list[tuple[str | None, str, float]] = ROWS) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.demo__waste (codice_comune varchar, data date, tonnellate double, "
            "_source varchar, _dataset varchar, _retrieval_id varchar, _sha256 varchar, "
            "_partition varchar)"
        )
        con.executemany(
            "insert into raw.demo__waste values (?, ?, ?, 'demo', 'waste', 'r1', 'x', '2024')",
            rows,
        )
    return path


def query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "w.duckdb")


def test_a_clean_table_meets_every_rule_and_is_left_whole(warehouse: Path) -> None:
    outcome = run_suite(SUITE, warehouse, run_id="run-1")
    assert outcome.success and not outcome.warnings and not outcome.quarantined
    assert outcome.row_count == 5
    assert query(warehouse, "select count(*) from raw.demo__waste") == [(5,)]
    result = check_result(SUITE, outcome)
    assert result.passed


def test_rows_breaking_row_level_rules_are_quarantined_and_the_rest_go_on(tmp_path: Path) -> None:
    rows = [
        *ROWS,
        ("099999", "2024-08-01", 5.0),  # not a comune of the Città metropolitana
        ("015146", "2024-09-01", -3.0),  # negative tonnage
        ("015002", "2023-12-31", 7.0),  # dated outside its partition's year
    ]
    warehouse = make_warehouse(tmp_path / "w.duckdb", rows)
    outcome = run_suite(SUITE, warehouse, run_id="run-q")
    # Quarantine is not an error: the valid rows go on, nothing downstream is blocked.
    assert outcome.success
    assert outcome.quarantined == {
        "comune_code:codice_comune": 1,
        "expect_column_values_to_be_between:tonnellate": 1,
        "in_partition_year:data": 1,
    }
    assert query(warehouse, "select count(*) from raw.demo__waste") == [(5,)]
    quarantined = query(
        warehouse,
        "select codice_comune, tonnellate, _rule, _reason, _run_id "
        "from quarantine.demo__waste order by _rule",
    )
    assert [(r[0], r[1], r[2], r[4]) for r in quarantined] == [
        ("099999", 5.0, "comune_code:codice_comune", "run-q"),
        ("015146", -3.0, "expect_column_values_to_be_between:tonnellate", "run-q"),
        ("015002", 7.0, "in_partition_year:data", "run-q"),
    ]
    assert "expect_column_values_to_be_between" in quarantined[1][3]
    assert '"min_value": 0' in quarantined[1][3]
    # The check says so, with WARN severity: shown, never blocking.
    result = check_result(SUITE, outcome)
    assert not result.passed
    assert result.severity.value == "WARN"
    assert result.metadata["rows_quarantined"].value == 3
    assert "3 rows quarantined" in result.description


def test_a_missing_key_is_an_error_that_blocks(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb", [*ROWS, (None, "2024-01-01", 1.0)])
    outcome = run_suite(SUITE, warehouse, run_id="run-e")
    assert not outcome.success
    assert [o.rule for o in outcome.errors] == ["expect_column_values_to_not_be_null:codice_comune"]
    result = check_result(SUITE, outcome)
    assert result.severity.value == "ERROR" and not result.passed
    assert "expect_column_values_to_not_be_null" in result.metadata["failed_rules"].value


def test_a_changed_column_type_is_an_error_and_a_new_column_a_warning(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table raw.demo__waste alter tonnellate type varchar")
        con.execute("alter table raw.demo__waste add column nuova varchar")
    outcome = run_suite(SUITE, warehouse, run_id="run-s")
    errors = {o.rule: json.loads(o.observed) for o in outcome.errors}
    assert errors["column_type:tonnellate"] == {"expected": "DOUBLE", "found": "VARCHAR"}
    (warning,) = [o for o in outcome.warnings if o.family == "structure"]
    assert warning.rule == "no_unexpected_columns" and json.loads(warning.observed) == ["nuova"]


def test_a_missing_table_is_an_error_naming_it(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "empty.duckdb")):
        pass
    outcome = run_suite(SUITE, tmp_path / "empty.duckdb")
    assert not outcome.success
    assert "no table raw.demo__waste" in outcome.errors[0].observed


def test_every_outcome_is_recorded_in_the_audit_table(warehouse: Path) -> None:
    outcome = run_suite(SUITE, warehouse, run_id="run-a")
    recorded = query(
        warehouse,
        f"select rule, family, severity, asset, success, observed from {AUDIT_TABLE} "
        "where run_id = 'run-a' order by rule",
    )
    assert len(recorded) == len(outcome.outcomes)
    by_rule = {r[0]: r for r in recorded}
    assert by_rule["table_row_count"][5] == "5"
    assert by_rule["comune_code:codice_comune"][1:5] == (
        "validity",
        "error",
        "raw/demo__waste",
        True,
    )


def test_volume_against_the_previous_load(warehouse: Path) -> None:
    first = run_suite(SUITE, warehouse, run_id="run-1")
    assert "volume" not in {o.rule for o in first.outcomes}  # nothing to compare with yet
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw.demo__waste where codice_comune <> '015146'")
    second = run_suite(SUITE, warehouse, run_id="run-2")
    # 5 rows before, shrink tolerance 50%: at least int(5 * 0.5) = 2 rows expected, 1 found.
    (volume,) = [o for o in second.errors if o.rule == "volume"]
    assert volume.observed == "1"


def test_a_distribution_shift_is_a_warning_not_a_failure(warehouse: Path) -> None:
    run_suite(SUITE, warehouse, run_id="run-1")  # mean tonnage (100+10+20+30+40)/5 = 40
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update raw.demo__waste set tonnellate = tonnellate * 2")
    outcome = run_suite(SUITE, warehouse, run_id="run-2")  # mean 80: +100%, beyond 25%
    assert outcome.success
    (shift,) = outcome.warnings
    assert shift.rule == "drift:tonnellate" and float(shift.observed) == 80.0
    result = check_result(SUITE, outcome)
    assert result.severity.value == "WARN" and not result.passed


def test_a_row_breaking_two_row_level_rules_is_set_aside_once(tmp_path: Path) -> None:
    # Not a metropolitan comune and a negative tonnage: one row, two rules.
    warehouse = make_warehouse(tmp_path / "w.duckdb", [*ROWS, ("099999", "2024-08-01", -5.0)])
    outcome = run_suite(SUITE, warehouse, run_id="run-2q")
    assert outcome.success
    assert sum(outcome.quarantined.values()) == 1
    assert query(warehouse, "select count(*) from quarantine.demo__waste") == [(1,)]
    assert query(warehouse, "select count(*) from raw.demo__waste") == [(5,)]


def test_a_missing_declared_column_is_a_structure_error_not_a_crash(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table raw.demo__waste drop column data")  # the derived year needs it
    outcome = run_suite(SUITE, warehouse, run_id="run-m")
    errors = {o.rule: json.loads(o.observed) for o in outcome.errors}
    assert errors == {"column_type:data": {"expected": "DATE", "found": None}}


def test_an_unchanged_table_replays_its_verdict_instead_of_reading_its_quarantine_as_a_gap(
    tmp_path: Path,
) -> None:
    """After the negative tonnage is set aside, validating the same table again must not
    see a different table: the previous verdict is replayed and recorded for the new run."""
    warehouse = make_warehouse(tmp_path / "w.duckdb", [*ROWS, ("015146", "2024-09-01", -3.0)])
    first = run_suite(SUITE, warehouse, run_id="run-1")
    assert sum(first.quarantined.values()) == 1
    again = run_suite(SUITE, warehouse, run_id="run-2")
    assert again.success and not again.quarantined
    assert {o.rule for o in again.outcomes} == {o.rule for o in first.outcomes}
    assert query(warehouse, f"select count(*) from {AUDIT_TABLE} where run_id = 'run-2'") == [
        (len(first.outcomes),)
    ]
    # A changed table (here, a new load of the same rows) is validated afresh.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update raw.demo__waste set _retrieval_id = 'r2'")
    fresh = run_suite(SUITE, warehouse, run_id="run-3")
    assert "volume" in {o.rule for o in fresh.outcomes}
