"""Validation suites: Great Expectations runs them, the warehouse keeps what they found.

A suite is code (``warehouse/suites/``) about one table: rules, each a GX expectation with our
own labels: its *family* (structure, completeness, validity, consistency, volume, drift), its
*severity* (an ``error`` stops everything downstream; a ``warning`` is shown and recorded) and
whether it is *row-level*: rows breaking a row-level rule are moved to
``quarantine.<table>`` with the rule and the reason, and the valid rows go on.

Every outcome is written to ``audit.validation_result`` (suite, expectation, asset, run,
success, observed value, time), which is also where volume and drift rules find the previous
load's figures. Suites are built on an ephemeral GX context each time: nothing is generated
into the repository and the outcome depends only on the data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb

from ingestion.common.schema import LINEAGE_COLUMNS, TableSchema
from warehouse.duck import connect_write

if TYPE_CHECKING:  # GX takes seconds to import: only when a suite actually runs.
    import great_expectations.expectations as gxe
    import pandas as pd

log = logging.getLogger(__name__)

Family = Literal["structure", "completeness", "validity", "consistency", "volume", "drift"]
Severity = Literal["error", "warning"]
FAMILIES: tuple[Family, ...] = (
    "structure",
    "completeness",
    "validity",
    "consistency",
    "volume",
    "drift",
)
AUDIT_TABLE = "audit.validation_result"
QUARANTINE_SCHEMA = "quarantine"
ROW_ID = "_rowid"
ROW_COUNT = "table_row_count"  # the pseudo-expectation every suite records
# What the suite validated: the retrievals in the table and the rules. When neither changed,
# the previous verdict is replayed: re-validating a table whose bad rows were already set
# aside would read their absence as missing data (a comune "missing" from a complete file).
INPUT_VERSION = "input_version"


@dataclass(frozen=True)
class Rule:
    """One expectation with what it means to us."""

    expectation: gxe.Expectation
    family: Family
    severity: Severity = "error"
    # Row-level: the failing rows are quarantined and the rule counts as met for the rest.
    quarantine: bool = False
    # A stable name when one expectation type is used twice on a column (audit history key).
    name: str | None = None

    @property
    def key(self) -> str:
        if self.name:
            return self.name
        kwargs = self.expectation.configuration.kwargs
        columns = [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]
        return ":".join([self.expectation.expectation_type, *columns])


@dataclass(frozen=True)
class History:
    """What the previous validation of this suite observed (volume and drift rules)."""

    row_count: int | None = None
    observed: Mapping[str, Any] = field(default_factory=dict)

    def value(self, key: str) -> float | None:
        value = self.observed.get(key)
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Suite:
    """A named set of rules about one table (or one query over the warehouse)."""

    name: str
    table: str  # schema-qualified, e.g. raw.istat__comuni
    description: str
    rules: Callable[[History], list[Rule]]  # built lazily (GX import), given the history
    # Columns computed in SQL for the rules (name -> expression, window functions allowed).
    derived: Mapping[str, str] = field(default_factory=dict)
    # The declared schema, when the table has one: column types are checked against it.
    schema: TableSchema | None = None
    # The Dagster asset the suite checks; default: the table's own key.
    asset: tuple[str, ...] | None = None

    @property
    def asset_path(self) -> tuple[str, ...]:
        return self.asset or tuple(self.table.split("."))


@dataclass(frozen=True)
class Outcome:
    rule: str  # Rule.key
    expectation: str
    column: str | None
    family: Family
    severity: Severity
    success: bool
    observed: str
    unexpected: int = 0
    quarantined: int = 0


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    row_count: int
    outcomes: list[Outcome]

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "error"]

    @property
    def warnings(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "warning"]

    @property
    def quarantined(self) -> dict[str, int]:
        return {o.rule: o.quarantined for o in self.outcomes if o.quarantined}

    @property
    def success(self) -> bool:
        """No error: what a blocking check needs (warnings and quarantines do not block)."""
        return not self.errors


def _plain(value: Any) -> Any:
    """GX hands back numpy scalars; the audit table stores JSON."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _observed(result: Mapping[str, Any]) -> str:
    info = result.get("result") or {}
    if info.get("observed_value") is None and info.get("partial_missing_list"):
        return json.dumps({"missing": _plain(info["partial_missing_list"])}, default=str)[:500]
    for key in ("observed_value", "unexpected_count"):
        if key in info:
            return json.dumps(_plain(info[key]), default=str)[:500]
    missing = info.get("details", {}).get("mismatched")
    return json.dumps(_plain(missing), default=str)[:500] if missing else ""


def _relation_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? "
            "and table_name = ?",
            [schema, name],
        ).fetchall()[0][0]
    )


def _quoted(table: str) -> str:
    return ".".join(f'"{part}"' for part in table.split("."))


def previous(con: duckdb.DuckDBPyConnection, suite: str) -> History:
    """The observations of the suite's latest recorded validation."""
    if not _relation_exists(con, AUDIT_TABLE):
        return History()
    rows = con.execute(
        f"select rule, observed from {AUDIT_TABLE} where suite = ? and run_id = ("
        f"  select run_id from {AUDIT_TABLE} where suite = ? "
        f"  order by validated_at desc limit 1)",
        [suite, suite],
    ).fetchall()
    observed = {rule: json.loads(value) if value else None for rule, value in rows}
    count = observed.get(ROW_COUNT)
    return History(row_count=int(count) if count is not None else None, observed=observed)


def _type_outcomes(con: duckdb.DuckDBPyConnection, suite: Suite) -> list[Outcome]:
    """Structure: every declared column present with its declared DuckDB type."""
    if suite.schema is None:
        return []
    schema, name = suite.table.split(".")
    actual = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    )
    known = {f.name for f in suite.schema.fields} | set(LINEAGE_COLUMNS)
    unexpected = sorted(set(actual) - known)
    outcomes = [
        Outcome(
            rule="no_unexpected_columns",
            expectation="table_columns_are_declared",
            column=None,
            family="structure",
            # A new column is news, not breakage: the declared ones are still all there.
            severity="warning",
            success=not unexpected,
            observed=json.dumps(unexpected),
        )
    ]
    for declared in suite.schema.fields:
        expected = _duck_type(declared.dtype)
        found = actual.get(declared.name)
        outcomes.append(
            Outcome(
                rule=f"column_type:{declared.name}",
                expectation="column_type_is",
                column=declared.name,
                family="structure",
                severity="error",
                success=found == expected,
                observed=json.dumps({"expected": expected, "found": found}),
            )
        )
    return outcomes


def _duck_type(dtype: Any) -> str:
    """The DuckDB type a polars dtype lands as (the loader registers Arrow, then copies)."""
    import polars as pl

    with duckdb.connect() as con:
        con.register("typed", pl.DataFrame({"x": pl.Series([], dtype=dtype)}).to_arrow())
        con.execute("create table t as select * from typed")
        return str(con.sql("select x from t").types[0])


def _frame(con: duckdb.DuckDBPyConnection, suite: Suite) -> pd.DataFrame:
    derived = "".join(f', {expr} as "{name}"' for name, expr in suite.derived.items())
    return con.sql(f"select rowid as {ROW_ID}, *{derived} from {_quoted(suite.table)}").df()


def _validate(frame: pd.DataFrame, suite: Suite, rules: Sequence[Rule]) -> list[dict[str, Any]]:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name=suite.name)
    asset = source.add_dataframe_asset(name=suite.table)
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )
    expectations = []
    for index, rule in enumerate(rules):
        # GX reorders results; the rule's index in ``meta`` brings each back to its rule.
        expectation = rule.expectation.copy(deep=True)
        expectation.meta = {**(expectation.meta or {}), "rule": index}
        expectations.append(expectation)
    gx_suite = gx.ExpectationSuite(name=suite.name, expectations=expectations)
    result = batch.validate(
        gx_suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
    ).to_json_dict()
    by_index = {r["expectation_config"]["meta"]["rule"]: r for r in result["results"]}
    return [by_index[index] for index in range(len(rules))]


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    rule: Rule,
    result: Mapping[str, Any],
    run_id: str,
) -> tuple[int, int]:
    """Move the rows a row-level rule rejects to ``quarantine.<table>`` with rule and reason.

    Returns (rows moved now, rows the rule rejected): a row an earlier rule of this run
    already set aside is neither moved nor counted again.
    """
    rejected = sorted(
        {int(item[ROW_ID]) for item in result["result"].get("unexpected_index_list", [])}
    )
    if not rejected:
        return 0, 0
    name = suite.table.split(".")[1]
    target = f'{QUARANTINE_SCHEMA}."{name}"'
    source = _quoted(suite.table)
    rows = [
        r
        for (r,) in con.execute(
            f"select rowid from {source} where rowid in (select unnest(?))", [rejected]
        ).fetchall()
    ]
    if not rows:
        return 0, len(rejected)
    con.execute(f"create schema if not exists {QUARANTINE_SCHEMA}")
    con.execute(
        f"create table if not exists {target} as select *, ''::varchar as _rule, "
        f"''::varchar as _reason, ''::varchar as _run_id, now() as _quarantined_at "
        f"from {source} limit 0"
    )
    reason = _reason(rule)
    con.execute(
        f"insert into {target} by name select *, ? as _rule, ? as _reason, ? as _run_id, "
        f"now() as _quarantined_at from {source} where rowid in (select unnest(?))",
        [rule.key, reason, run_id, rows],
    )
    con.execute(f"delete from {source} where rowid in (select unnest(?))", [rows])
    return len(rows), len(rejected)


def _reason(rule: Rule) -> str:
    kwargs = {
        k: v
        for k, v in rule.expectation.configuration.kwargs.items()
        if k not in ("batch_id", "result_format", "catch_exceptions")
    }
    text = f"{rule.expectation.expectation_type} {json.dumps(_plain(kwargs), default=str)}"
    if rule.expectation.description:
        # The suite's own words first ("no more than 1800 patients per doctor ...").
        text = f"{rule.expectation.description}: {text}"
    return text[:500]


def _record(
    con: duckdb.DuckDBPyConnection, suite: Suite, outcome: SuiteOutcome, run_id: str
) -> None:
    con.execute("create schema if not exists audit")
    con.execute(
        f"create table if not exists {AUDIT_TABLE} ("
        "suite varchar not null, rule varchar not null, expectation varchar not null, "
        "column_name varchar, family varchar not null, severity varchar not null, "
        "asset varchar not null, partition varchar, run_id varchar not null, "
        "success boolean not null, observed varchar, unexpected_count bigint, "
        "quarantined_count bigint, validated_at timestamptz not null)"
    )
    now = datetime.now(UTC)
    asset = "/".join(suite.asset_path)
    rows = [
        (
            suite.name,
            o.rule,
            o.expectation,
            o.column,
            o.family,
            o.severity,
            asset,
            None,
            run_id,
            o.success,
            o.observed,
            o.unexpected,
            o.quarantined,
            now,
        )
        for o in outcome.outcomes
    ]
    con.executemany(f"insert into {AUDIT_TABLE} values ({', '.join('?' * 14)})", rows)


def _input_version(
    con: duckdb.DuckDBPyConnection, suite: Suite, rules: Sequence[Rule]
) -> str | None:
    """The content of a raw table (and of the raw tables its derived columns read) and the
    rules it is held to; None for tables without lineage (marts), always validated."""
    schema, name = suite.table.split(".")
    has_lineage = con.execute(
        "select count(*) from information_schema.columns where table_schema = ? "
        "and table_name = ? and column_name = '_retrieval_id'",
        [schema, name],
    ).fetchall()[0][0]
    if not has_lineage:
        return None
    read = sorted(
        {suite.table}
        | {m for expr in suite.derived.values() for m in re.findall(r"raw\.\w+", expr)}
    )
    contents = [
        con.execute(f"select count(*), sum(hash(t)) from {_quoted(table)} as t").fetchall()[0]
        if _relation_exists(con, table)
        else None
        for table in read
    ]
    stable = [[rule.key, _reason(rule)] for rule in rules if rule.family not in ("volume", "drift")]
    digest = hashlib.sha256(json.dumps([read, contents, stable], default=str).encode())
    return digest.hexdigest()


def _replay(con: duckdb.DuckDBPyConnection, suite: Suite, run_id: str) -> SuiteOutcome:
    """The previous validation's outcomes, recorded again for this run."""
    latest = con.execute(
        f"select run_id from {AUDIT_TABLE} where suite = ? order by validated_at desc limit 1",
        [suite.name],
    ).fetchall()[0][0]
    rows = con.execute(
        f"select rule, expectation, column_name, family, severity, success, observed, "
        f"unexpected_count from {AUDIT_TABLE} where suite = ? and run_id = ?",
        [suite.name, latest],
    ).fetchall()
    con.execute(
        f"insert into {AUDIT_TABLE} select suite, rule, expectation, column_name, family, "
        f"severity, asset, partition, ?, success, observed, unexpected_count, 0, now() "
        f"from {AUDIT_TABLE} where suite = ? and run_id = ?",
        [run_id, suite.name, latest],
    )
    outcomes = [
        Outcome(rule, expectation, column, family, severity, success, observed or "", count or 0)
        for rule, expectation, column, family, severity, success, observed, count in rows
    ]
    counted = next((o.observed for o in outcomes if o.rule == ROW_COUNT), "0")
    return SuiteOutcome(suite.name, int(json.loads(counted or "0")), outcomes)


def run_suite(suite: Suite, db_path: Path, run_id: str = "manual") -> SuiteOutcome:
    """Validate ``suite.table`` as it is now: quarantine what row-level rules reject, record
    every outcome in the audit table, all under the warehouse's write lock."""
    with connect_write(db_path) as con:
        if not _relation_exists(con, suite.table):
            missing = Outcome(
                rule="table_exists",
                expectation="table_exists",
                column=None,
                family="structure",
                severity="error",
                success=False,
                observed=json.dumps(f"no table {suite.table}"),
            )
            return SuiteOutcome(suite.name, 0, [missing])
        history = previous(con, suite.name)
        rules = suite.rules(history)
        version = _input_version(con, suite, rules)
        if version is not None and history.observed.get(INPUT_VERSION) == version:
            return _replay(con, suite, run_id)
        outcomes = _type_outcomes(con, suite)
        if any(not o.success and o.severity == "error" for o in outcomes):
            # A declared column missing or retyped: the rules would fail on it (or quarantine
            # the whole table for it); the structure errors are the outcome.
            rules = []
            frame = con.sql(f"select rowid as {ROW_ID}, * from {_quoted(suite.table)}").df()
        else:
            try:
                frame = _frame(con, suite)
            except duckdb.Error as exc:
                # A derived column reads a table or column that is not there.
                broken = Outcome(
                    rule="derived_columns",
                    expectation="derived_columns_compute",
                    column=None,
                    family="structure",
                    severity="error",
                    success=False,
                    observed=json.dumps(str(exc).splitlines()[0][:300]),
                )
                return SuiteOutcome(suite.name, 0, [*outcomes, broken])
        results = _validate(frame, suite, rules) if rules else []
        # When a table-level error says the whole table is wrong, row-level rules would move
        # most of it aside: nothing is quarantined, the error blocks.
        table_broken = any(
            not result["success"] and not rule.quarantine and rule.severity == "error"
            for rule, result in zip(rules, results, strict=True)
        )
        con.execute("begin transaction")
        for rule, result in zip(rules, results, strict=True):
            info = result.get("result") or {}
            unexpected = int(info.get("unexpected_count") or 0)
            moved, rejected = (
                _quarantine(con, suite, rule, result, run_id)
                if rule.quarantine and not table_broken
                else (0, 0)
            )
            kwargs = rule.expectation.configuration.kwargs
            outcomes.append(
                Outcome(
                    rule=rule.key,
                    expectation=rule.expectation.expectation_type,
                    column=kwargs.get("column") or kwargs.get("column_A"),
                    family=rule.family,
                    severity=rule.severity,
                    # A row-level rule is met once its offending rows are set aside.
                    success=bool(result["success"]) or (rule.quarantine and rejected == unexpected),
                    observed=_observed(result),
                    unexpected=unexpected,
                    quarantined=moved,
                )
            )
        outcomes.append(
            Outcome(
                rule=ROW_COUNT,
                expectation=ROW_COUNT,
                column=None,
                family="volume",
                severity="warning",
                success=True,
                observed=json.dumps(len(frame) - sum(o.quarantined for o in outcomes)),
            )
        )
        if version is not None:
            # After quarantine: the content the next run will find if nothing is reloaded.
            version = _input_version(con, suite, rules)
            outcomes.append(
                Outcome(
                    rule=INPUT_VERSION,
                    expectation=INPUT_VERSION,
                    column=None,
                    family="structure",
                    severity="warning",
                    success=True,
                    observed=json.dumps(version),
                )
            )
        outcome = SuiteOutcome(suite.name, len(frame), outcomes)
        _record(con, suite, outcome, run_id)
        con.execute("commit")
    return outcome
