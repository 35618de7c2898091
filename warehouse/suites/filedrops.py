"""Suites for the file drops, derived from their published contracts.

A file drop (``ingestion/common/filedrop.py``) is checked against its ``FileContract`` when it is
parsed: a file breaking it never reaches ``raw``. The suite re-checks the same contract on the
raw table, so what the warehouse holds is proven to keep it whatever path it took (a contract
relaxed later, a table loaded by hand, a loader bug), and adds what a single file cannot show:

- the row count against the previous load (volume, an error) and the mean of every measure
  against the previous load (drift, a warning);
- every date the contract keeps out of the future is also not after the file's own reference
  date (``data_riferimento``): a registry as of 30 September cannot list a site activated on
  5 October;
- the table holds one delivery (a single reference date): drops replace the table whole.

``suite_from_contract`` reads everything it can from the contract: column types (the schema),
required values, the key, accepted values, ranges, formats, comune codes, dates not in the
future, coverage of the 133 comuni and consistency of repeated details. A contract's row rules
are Polars expressions, which cannot be turned into SQL reliably: each source module gives the
SQL of its rules (``row_rules``), and ``tests/unit/warehouse/suites/test_file_drop_suites.py``
checks that every row rule of every contract has one, and that it agrees with the Polars
expression row by row. A new contract thus gets its suite from one call, with the SQL of its
row rules as the only thing to write.

Severity, as for every suite: a broken key, a comune missing, two deliveries mixed, conflicting
details or a volume jump are errors (downstream assets wait); a row with a bad value, a missing
required value or a broken row rule is quarantined (``quarantine.<table>``) and the other rows
go on; drift and undeclared columns are warnings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence

from ingestion.common.filedrop import REFERENCE_COLUMN, Column, FileContract
from warehouse.quality import History, Rule, Suite
from warehouse.suites import common

log = logging.getLogger(__name__)

# "Today" for a file: the contract's check day, but never after the file's reference date.
TODAY = f"least(current_date, {REFERENCE_COLUMN})"
DEFAULT_SHRINK = 0.2  # a registry or series losing a fifth of its rows is a broken delivery
DEFAULT_GROW = 1.0  # a series gains a year (1/6 of its rows), a registry a few entries
DEFAULT_DRIFT = 0.25


def literal(value: object) -> str:
    """A SQL literal for a string or a number."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def _values(values: Iterable[str]) -> str:
    return ", ".join(literal(v) for v in values)


def not_future_sql(column: Column) -> str:
    """The limit a ``not_future`` column's values must not pass, in the column's own unit."""
    if column.kind == "integer":  # a year
        return f"year({TODAY})"
    if column.kind == "month":  # stored as the first day of the month
        return f"date_trunc('month', {TODAY})::date"
    return TODAY


def value_ok_sql(column: Column) -> str:
    """True when the column's value passes its column rules (or is missing).

    What the contract calls a value *rejected by a column rule*: row rules, coverage and
    consistency leave such values out, so one bad value is reported once, by its own rule.
    """
    name = f'"{column.name}"'
    checks: list[str] = []
    if column.allowed:
        checks.append(f"{name} in ({_values(column.allowed)})")
    if column.minimum is not None:
        checks.append(f"{name} >= {literal(column.minimum)}")
    if column.maximum is not None:
        checks.append(f"{name} <= {literal(column.maximum)}")
    if column.pattern:
        checks.append(f"regexp_full_match({name}, {literal(column.pattern)})")
    if column.comune:
        checks.append(f"{name} in ({_values(common.metropolitan_codes())})")
    if column.not_future:
        checks.append(f"{name} <= {not_future_sql(column)}")
    if not checks:
        return "true"
    return f"({name} is null or ({' and '.join(checks)}))"


def valid_value(contract: FileContract, name: str) -> str:
    """The column's value as the contract's rules see it: null when a column rule rejects it.

    For row rules reading other rows (``lag(...) over (...)``): the contract judges them on
    the typed frame, where rejected values are already null.
    """
    ok = value_ok_sql(contract.column(name))
    return f'"{name}"' if ok == "true" else f'case when {ok} then "{name}" end'


def _columns_ok(contract: FileContract, names: Iterable[str]) -> str:
    parts = [value_ok_sql(contract.column(n)) for n in names]
    return " and ".join(p for p in parts if p != "true") or "true"


def row_rule_column(rule_name: str) -> str:
    return f"_ok_{rule_name}"


def row_rule_sql(contract: FileContract, rule_name: str, sql: str) -> str:
    """The derived column of a row rule: true unless the rule is broken on a row it judges.

    As in the contract, a rule with a null verdict passes, and rows holding a value rejected
    by one of the rule's columns are not judged.
    """
    rule = next(r for r in contract.row_rules if r.name == rule_name)
    return f"coalesce(case when {_columns_ok(contract, rule.columns)} then ({sql}) end, true)"


def share(column: str, value: str) -> tuple[str, str]:
    """A derived 0/1 column whose mean is the share of rows where ``column`` is ``value``."""
    return (
        f"_share_{column}_{value.replace(' ', '_')}",
        f'cast("{column}" = {literal(value)} as integer)',
    )


def _in_set_true(column: str, *, family: str, name: str, description: str) -> Rule:
    import great_expectations.expectations as gxe

    return Rule(
        gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[True], description=description),
        family=family,  # type: ignore[arg-type]
        quarantine=True,
        name=name,
    )


def measures(contract: FileContract) -> list[str]:
    """The numeric columns that are neither key nor year: what drift watches by default."""
    return [
        c.name
        for c in contract.columns
        if c.kind in ("integer", "decimal")
        and c.name not in contract.primary_key
        and not c.not_future  # a year
    ]


def suite_from_contract(
    contract: FileContract,
    *,
    row_rules: Mapping[str, str] | None = None,
    drift: Sequence[str] | None = None,
    shares: Sequence[tuple[str, str]] = (),
    derived: Mapping[str, str] | None = None,
    extra_rules: Callable[[History], list[Rule]] | None = None,
    shrink: float = DEFAULT_SHRINK,
    grow: float = DEFAULT_GROW,
    drift_tolerance: float = DEFAULT_DRIFT,
    description: str | None = None,
) -> Suite:
    """The suite of ``raw.<source>__<dataset>``, from its contract.

    ``row_rules``: the SQL (true on valid rows; ``TODAY`` for the contract's ``today``) of each
    row rule of the contract, by name; ``drift``: the columns whose mean is watched (default:
    every measure); ``shares``: (column, value) pairs whose share of rows is watched too;
    ``derived`` and ``extra_rules``: what the dataset needs beyond its contract.
    """
    row_rules = dict(row_rules or {})
    unknown = set(row_rules) - {r.name for r in contract.row_rules}
    if unknown:
        raise ValueError(f"{contract.key}: SQL given for row rules it does not have: {unknown}")
    untranslated = [r.name for r in contract.row_rules if r.name not in row_rules]
    if untranslated:
        # Not fatal (the contract still guards every file); the unit tests make it so.
        log.warning("%s: row rules without SQL, not re-checked: %s", contract.key, untranslated)

    key = set(contract.primary_key)
    columns: dict[str, str] = {}
    for column in contract.columns:
        if column.not_future:
            columns[f"_ok_not_future_{column.name}"] = (
                f'coalesce("{column.name}" <= {not_future_sql(column)}, true)'
            )
    for name, sql in row_rules.items():
        columns[row_rule_column(name)] = row_rule_sql(contract, name, sql)
    for coverage in contract.coverage:
        if coverage.per:
            groups = ", ".join(f'"{p}"' for p in coverage.per)
            ok = _columns_ok(contract, coverage.per)
            nulls = " and ".join(f'"{p}" is not null' for p in coverage.per)
            codes = _values(common.metropolitan_codes())
            columns[f"_comuni_per_{'_'.join(coverage.per)}"] = (
                # Rows whose group value is itself rejected belong to no group (as in the
                # contract); only valid comune codes count.
                f"case when {nulls} and {ok} then count(distinct case when "
                f'"{coverage.column}" in ({codes}) then "{coverage.column}" end) '
                f"over (partition by {groups}) end"
            )
    for consistency in contract.consistency:
        for dependent in consistency.columns:
            columns[f"_variants_{dependent}"] = (
                f'case when "{consistency.key}" is not null '
                f"and {_columns_ok(contract, [consistency.key])} then count(distinct case when "
                f'{value_ok_sql(contract.column(dependent))} then "{dependent}" end) '
                f'over (partition by "{consistency.key}") end'
            )
    columns["_deliveries"] = f'count(distinct "{REFERENCE_COLUMN}") over ()'
    watched = list(measures(contract) if drift is None else drift)
    for column, value in shares:
        name, sql = share(column, value)
        columns[name] = sql
        watched.append(name)
    columns.update(derived or {})

    def rules(history: History) -> list[Rule]:
        import great_expectations.expectations as gxe

        found: list[Rule] = []
        # Completeness: the key (an error), then every other required value (row-level).
        found += common.not_null(*contract.primary_key, REFERENCE_COLUMN)
        found += common.unique(*contract.primary_key)
        found += [
            Rule(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=c.name, description=f"{c.name} is required: {c.description_en}"
                ),
                family="completeness",
                quarantine=True,
            )
            for c in contract.columns
            if c.required and c.name not in key
        ]
        # Validity: each column's rules, as the contract states them (row-level).
        for c in contract.columns:
            if c.allowed:
                found += common.in_set(c.name, c.allowed)
            if c.minimum is not None or c.maximum is not None:
                found += common.between(c.name, c.minimum, c.maximum)
            if c.pattern:
                found += common.matches(c.name, f"^(?:{c.pattern})$")
            if c.comune:
                found += common.comune_codes(c.name)
            if c.not_future:
                found.append(
                    _in_set_true(
                        f"_ok_not_future_{c.name}",
                        family="validity",
                        name=f"not_future:{c.name}",
                        description=f"{c.name} not after the check day nor the file's "
                        f"reference date ({REFERENCE_COLUMN})",
                    )
                )
        # Consistency: the contract's row rules (row-level), repeated details (an error).
        found += [
            _in_set_true(
                row_rule_column(r.name),
                family="consistency",
                name=f"row_rule:{r.name}",
                description=f"{r.name}: {r.description_en}",
            )
            for r in contract.row_rules
            if r.name in row_rules
        ]
        for consistency in contract.consistency:
            found += [
                Rule(
                    gxe.ExpectColumnValuesToBeBetween(
                        column=f"_variants_{dependent}",
                        max_value=1,
                        description=f"rows sharing {consistency.key} agree on {dependent}",
                    ),
                    family="consistency",
                    name=f"consistency:{consistency.key}:{dependent}",
                )
                for dependent in consistency.columns
            ]
        found.append(
            Rule(
                gxe.ExpectColumnValuesToBeBetween(
                    column="_deliveries",
                    max_value=1,
                    description="the table holds one delivery: one reference date",
                ),
                family="consistency",
                name="one_delivery",
            )
        )
        # Completeness of the territory, where the contract declares it.
        for coverage in contract.coverage:
            per = "_".join(coverage.per) if coverage.per else None
            found += common.every_comune(coverage.column, per=per)
        if extra_rules is not None:
            found += extra_rules(history)
        found += common.volume(history, shrink=shrink, grow=grow)
        found += [r for c in watched for r in common.drift(c, history, tolerance=drift_tolerance)]
        return found

    return Suite(
        name=contract.table,
        table=f"raw.{contract.table}",
        description=description
        or f"{contract.title_en} ({contract.sender}): the file contract re-checked on the raw "
        "table, plus volume and drift against the previous load.",
        rules=rules,
        derived=columns,
        schema=contract.schema,
    )


def suites(
    contracts: Iterable[FileContract], specs: Mapping[str, Mapping[str, object]] | None = None
) -> tuple[Suite, ...]:
    """One suite per contract; ``specs`` gives, by dataset name, the keyword arguments of
    ``suite_from_contract`` (a contract with no spec still gets its suite)."""
    specs = specs or {}
    return tuple(
        suite_from_contract(c, **specs.get(c.dataset, {}))  # type: ignore[arg-type]
        for c in contracts
    )
