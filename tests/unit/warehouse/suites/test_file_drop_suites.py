"""The file-drop suites (ATS, AFOL, Città metropolitana, energy, ISPRA soil), derived from the
contracts, checked against the contracts themselves.

The contract's own checker (``filedrop.check``) is the oracle: after a crafted breakage the raw
table is turned back into the strings of a file and checked by the contract; every row it
rejects must be quarantined by the suite under the matching rule (and no other row), every
table-level problem it finds (key, coverage, repeated details) must be an error of the suite,
and the rule counts must agree. Each contract gets the same breakages, derived from its columns
(a value outside the accepted ones, below the minimum, above the maximum, off the format, a
5-digit comune code, a date in 2099, a missing required value) plus one hand-made row per row
rule; so a new contract is tested by these tests as it is.

The twelve datasets are ingested once per module and every suite is run once on the clean
snapshot (the history volume and drift compare with); each breakage works on a copy.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.common.filedrop import REFERENCE_COLUMN, FileContract, Violation, check
from ingestion.common.ingest import ingest
from ingestion.registry import CONTRACTS, by_key
from osservatorio.settings import Settings
from warehouse.quality import History, Suite, SuiteOutcome, run_suite
from warehouse.suites import afol, ats, cittametropolitana, common, energy, ispra
from warehouse.suites.filedrops import row_rule_column, suite_from_contract

SUITES: tuple[Suite, ...] = (
    *ats.SUITES,
    *afol.SUITES,
    *cittametropolitana.SUITES,
    *energy.SUITES,
    ispra.SOIL_CONSUMPTION,
)
SUITE_OF = {s.table: s for s in SUITES}
KEYS = [c.key for c in CONTRACTS]
ROW_LEVEL = {"required", "allowed", "minimum", "maximum", "pattern", "comune", "future"}

# One row breaking each row rule, and only it: (rows it may be, what is set), with the figures.
ROW_RULE_BREAKS: dict[tuple[str, str], tuple[str, str]] = {
    # Operating since... no date: an attiva house must carry its opening date.
    ("ats/community_houses", "attiva_con_data"): ("true", "stato = 'attiva', data_apertura = null"),
    ("ats/community_hospitals", "attiva_con_data"): (
        "true",
        "stato = 'attiva', data_apertura = null",
    ),
    # Operating, opened in 2023, 0 beds: an operating hospital has at least one.
    ("ats/community_hospitals", "attiva_con_posti"): (
        "true",
        "stato = 'attiva', data_apertura = date '2023-01-01', posti_letto = 0",
    ),
    # 1 doctor, 1,801 patients: one over the 1,800 ceiling (medici_mmg * 1800 + 1).
    ("ats/general_practitioners", "massimale"): ("true", "assistiti = medici_mmg * 1800 + 1"),
    # 11 beneficiaries out of 10 people taken in charge (presi = beneficiari - 1).
    ("afol/gol_beneficiaries", "beneficiari_tra_presi_in_carico"): (
        "true",
        "presi_in_carico = beneficiari_gol - 1",
    ),
    # Path 1 one more than recorded: the five paths add up to beneficiari_gol + 1.
    ("afol/gol_beneficiaries", "somma_percorsi"): (
        "true",
        "percorso_1_reinserimento = percorso_1_reinserimento + 1",
    ),
    ("cittametropolitana/sites_5g", "attivo_con_data"): (
        "true",
        "stato = 'attivo', data_attivazione = null",
    ),
    ("cittametropolitana/schools", "bul_con_data"): (
        "true",
        "banda_ultralarga = 'si', data_attivazione_bul = null",
    ),
    ("cittametropolitana/schools", "data_solo_se_bul"): (
        "true",
        "banda_ultralarga = 'no', data_attivazione_bul = date '2022-01-01'",
    ),
    # One moderate-rent bed more than the beds in all.
    ("cittametropolitana/student_housing", "canone_moderato_entro_totale"): (
        "true",
        "posti_canone_moderato = posti_letto + 1",
    ),
    ("cittametropolitana/student_housing", "attivo_con_data"): (
        "true",
        "stato = 'attivo', data_disponibilita = null",
    ),
    # Plants in operation and 0 kW.
    ("energy/photovoltaic", "potenza_se_impianti"): ("numero_impianti > 0", "potenza_kw = 0"),
    ("energy/ev_charging", "veloci_entro_totale"): (
        "true",
        "punti_ricarica_veloci = punti_ricarica + 1",
    ),
    ("energy/ev_charging", "stazioni_entro_punti"): (
        "punti_ricarica > 0",
        "infrastrutture = punti_ricarica + 1",
    ),
    # Two or more points and no station (fast points stay within the points).
    ("energy/ev_charging", "punti_con_stazioni"): ("punti_ricarica > 1", "infrastrutture = 0"),
    # 1 ha less area than consumed soil: the share (100 x consumed / area) is then off too, as
    # the contract also reports; the row is quarantined once, under the first rule.
    ("ispra/soil_consumption", "consumato_entro_superficie"): (
        "true",
        "superficie_ha = suolo_consumato_ha - 1",
    ),
    # The share 1 point off 100 x consumed / area (tolerance 0.011).
    ("ispra/soil_consumption", "percentuale_coerente"): (
        "true",
        "suolo_consumato_percentuale = suolo_consumato_percentuale + 1",
    ),
    # Net consumption 1 ha off the change from the previous year (which 2019 lacks).
    ("ispra/soil_consumption", "netto_coerente"): (
        "anno > 2019",
        "consumo_netto_ha = consumo_netto_ha + 1",
    ),
}


# -- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def snapshot_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(data_dir=tmp_path_factory.mktemp("filedrops"))
    for contract in CONTRACTS:
        ingest(by_key(contract.key), settings)
    return settings.warehouse_path


@pytest.fixture(scope="module")
def clean(snapshot_db: Path) -> dict[str, SuiteOutcome]:
    """Every suite once on the clean snapshot: what later runs' volume and drift compare with."""
    return {s.name: run_suite(s, snapshot_db, run_id="clean") for s in SUITES}


@pytest.fixture
def db(snapshot_db: Path, clean: dict[str, SuiteOutcome], tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(snapshot_db, copy)
    return copy


def contract_of(key: str) -> FileContract:
    return next(c for c in CONTRACTS if c.key == key)


def suite_of(contract: FileContract) -> Suite:
    return SUITE_OF[f"raw.{contract.table}"]


def execute(db: Path, *statements: str) -> None:
    with duckdb.connect(str(db)) as con:
        for statement in statements:
            con.execute(statement)


def frame(db: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).pl()


def outcome_of(outcome: SuiteOutcome, rule: str):
    return next(o for o in outcome.outcomes if o.rule == rule)


def oracle(contract: FileContract, db: Path) -> tuple[list[Violation], pl.DataFrame]:
    """The contract's verdict on the raw table as it is now, and the table (row ``i`` of the
    table is row ``i + 2`` of the file, as the contract numbers rows)."""
    table = frame(db, f"select * from raw.{contract.table} order by rowid")
    strings = {"__row": pl.Series(range(2, table.height + 2), dtype=pl.Int64)}
    for c in contract.columns:
        values = table[c.name]
        if c.kind == "month":
            values = values.dt.strftime("%Y-%m")
        elif c.kind == "date":
            values = values.dt.strftime("%Y-%m-%d")
        strings[c.name] = values.cast(pl.String)
    # The suite's "today" is the check day, never after the file's reference date.
    today = min(date.today(), table[REFERENCE_COLUMN].min())
    _, violations = check(contract, pl.DataFrame(strings), today=today)
    return violations, table


def suite_rule(contract: FileContract, violation: Violation) -> str:
    """The suite rule that stands for a violation of the contract."""
    column = violation.column or ""
    names = {
        "required": f"expect_column_values_to_not_be_null:{column}",
        "allowed": f"expect_column_values_to_be_in_set:{column}",
        "minimum": f"expect_column_values_to_be_between:{column}",
        "maximum": f"expect_column_values_to_be_between:{column}",
        "pattern": f"expect_column_values_to_match_regex:{column}",
        "comune": f"comune_code:{column}",
        "future": f"not_future:{column}",
        "primary_key": f"unique:{'+'.join(contract.primary_key)}",
    }
    if violation.rule in names:
        return names[violation.rule]
    if violation.rule == "consistency":
        key = next(c.key for c in contract.consistency if column in c.columns)
        return f"consistency:{key}:{column}"
    if violation.rule == "coverage":
        coverage = next(c for c in contract.coverage if c.column == column)
        if coverage.per:
            return f"every_comune_per:{'_'.join(coverage.per)}"
        return f"expect_column_distinct_values_to_contain_set:{column}"
    return f"row_rule:{violation.rule}"


def row_level(contract: FileContract, violation: Violation) -> bool:
    """A violation the suite answers by quarantining the row (else by an error)."""
    if violation.rule == "required":
        return violation.column not in contract.primary_key
    return violation.rule in ROW_LEVEL or violation.rule in {r.name for r in contract.row_rules}


def key_of(contract: FileContract, row: dict) -> tuple:
    return tuple(row[k] for k in contract.primary_key)


def expected_errors(
    contract: FileContract, violations: list[Violation], table: pl.DataFrame
) -> set[str]:
    """The suite's errors the contract's table-level findings stand for, plus every comune
    missing from the whole table (the suite's check across all groups)."""
    errors = {suite_rule(contract, v) for v in violations if not row_level(contract, v)}
    for coverage in contract.coverage:
        present = set(table[coverage.column].drop_nulls())
        if set(common.metropolitan_codes()) - present:
            errors.add(f"expect_column_distinct_values_to_contain_set:{coverage.column}")
    return errors


Break = tuple[str, str, bool]  # rows it may be, what is set, whether a sound copy is kept


def rows_to_break(db: Path, contract: FileContract, breaks: list[Break]) -> list[int]:
    """Apply each break to its own row, the first free one in key order.

    A break of a column the coverage rules read keeps a sound copy of the row: a comune
    missing from its year would be an error, and an error quarantines nothing.
    """
    used: list[int] = []
    table = f"raw.{contract.table}"
    order = ", ".join(contract.primary_key)
    with duckdb.connect(str(db)) as con:
        for condition, assignment, copy in breaks:
            free = f"and rowid not in ({', '.join(map(str, used))})" if used else ""
            rowid = con.execute(
                f"select rowid from {table} where ({condition}) {free} order by {order} limit 1"
            ).fetchone()[0]
            if copy:
                con.execute(f"insert into {table} select * from {table} where rowid = {rowid}")
            con.execute(f"update {table} set {assignment} where rowid = {rowid}")
            used.append(rowid)
    return used


def column_breaks(contract: FileContract) -> list[Break]:
    """A value breaking each column rule of the contract, one row each."""
    covered = {c for cov in contract.coverage for c in (cov.column, *cov.per)}
    breaks: list[Break] = []
    for c in contract.columns:
        values: list[object] = []
        if c.allowed:
            values.append("'non ammesso'")
        if c.minimum is not None:
            values.append(c.minimum - 1)
        if c.maximum is not None:
            values.append(c.maximum + 1)
        if c.pattern:
            values.append("'X-1'")
        if c.comune:
            values.append("'15146'")  # Milano, its leading zero lost
        if c.not_future:
            values.append(2099 if c.kind == "integer" else "date '2099-01-01'")
        if c.required and c.name not in contract.primary_key:
            values.append("null")
        breaks += [("true", f"{c.name} = {value}", c.name in covered) for value in values]
    return breaks


# -- the suites and the contracts --------------------------------------------------------------


def test_every_contract_has_its_suite_with_every_row_rule() -> None:
    assert sorted(SUITE_OF) == sorted(f"raw.{c.table}" for c in CONTRACTS)
    for contract in CONTRACTS:
        suite = suite_of(contract)
        assert suite.schema == contract.schema
        for rule in contract.row_rules:
            assert row_rule_column(rule.name) in suite.derived, (contract.key, rule.name)
            assert (contract.key, rule.name) in ROW_RULE_BREAKS, (contract.key, rule.name)


def test_a_contract_without_a_spec_gets_its_suite() -> None:
    contract = contract_of("afol/employment_centres")
    keys = {r.key for r in suite_from_contract(contract).rules(History())}
    assert {
        "expect_column_values_to_not_be_null:codice_comune",
        "unique:codice_comune",
        "expect_column_values_to_match_regex:codice_cpi",
        "comune_code:codice_comune_sede_cpi",
        "consistency:codice_cpi:indirizzo_cpi",
        "expect_column_distinct_values_to_contain_set:codice_comune",
        "one_delivery",
    } <= keys
    with pytest.raises(ValueError, match="does not have"):
        suite_from_contract(contract, row_rules={"no_such_rule": "true"})


@pytest.mark.parametrize("key", KEYS)
def test_clean_snapshot_passes(key: str, clean: dict[str, SuiteOutcome], snapshot_db: Path):
    contract = contract_of(key)
    outcome = clean[suite_of(contract).name]
    failed = [(o.rule, o.observed) for o in outcome.outcomes if not o.success]
    assert failed == []
    assert outcome.quarantined == {}
    assert oracle(contract, snapshot_db)[0] == []  # and the contract agrees


@pytest.mark.parametrize("key", KEYS)
def test_row_level_breaks_are_quarantined_as_the_contract_rejects_them(key: str, db: Path):
    contract = contract_of(key)
    suite = suite_of(contract)
    breaks = column_breaks(contract) + [
        (*ROW_RULE_BREAKS[(key, rule.name)], False) for rule in contract.row_rules
    ]
    rows_to_break(db, contract, breaks)
    violations, table = oracle(contract, db)

    outcome = run_suite(suite, db, run_id="broken")

    # What the contract rejects, row by row, under which suite rules.
    rejected: dict[tuple, set[str]] = {}
    counts: dict[str, int] = {}
    for v in violations:
        if row_level(contract, v):
            assert v.count == len(v.rows)  # every row listed
            rule = suite_rule(contract, v)
            counts[rule] = counts.get(rule, 0) + v.count
            for row in v.rows:
                rejected.setdefault(key_of(contract, table.row(row - 2, named=True)), set()).add(
                    rule
                )
    assert len(rejected) >= len(breaks)  # every break is seen by the contract
    # The suite sets those rows aside, each under one of the rules it breaks, and only them.
    quarantined = frame(db, f"select * from quarantine.{contract.table}")
    assert sorted(key_of(contract, r) for r in quarantined.iter_rows(named=True)) == sorted(
        rejected
    )
    for row in quarantined.iter_rows(named=True):
        assert row["_rule"] in rejected[key_of(contract, row)]
        assert row["_run_id"] == "broken"
        expectation = outcome_of(outcome, row["_rule"]).expectation
        assert expectation in row["_reason"]
    # Each rule finds as many rows as the contract; every row-level rule of the suite is hit.
    row_rules = {r.key for r in suite.rules(History()) if r.quarantine}
    hit = {o.rule: o.unexpected for o in outcome.outcomes if o.unexpected and o.rule in row_rules}
    assert hit == counts
    assert set(counts) == row_rules
    # The valid rows stay; the rejected ones are gone from the raw table.
    remaining = frame(db, f"select * from raw.{contract.table}")
    assert remaining.height == table.height - len(rejected)
    assert not set(rejected) & {key_of(contract, r) for r in remaining.iter_rows(named=True)}
    # Nothing blocks: the contract finds nothing at table level either.
    assert expected_errors(contract, violations, table) == set()
    assert outcome.success is True


# The table-level rules come from the same code for every contract: one of each shape (a
# registry, a series with coverage per year, coverage and repeated details, a monthly key).
TABLE_LEVEL_KEYS = [
    "ats/community_houses",
    "ats/general_practitioners",
    "afol/employment_centres",
    "afol/gol_beneficiaries",
]


@pytest.mark.parametrize("key", TABLE_LEVEL_KEYS)
def test_table_level_breaks_block(key: str, db: Path):
    contract = contract_of(key)
    table = f"raw.{contract.table}"
    for coverage in contract.coverage:  # Milano missing
        execute(db, f"delete from {table} where {coverage.column} = '015146'")
    rowids = [r[0] for r in frame(db, f"select rowid from {table} order by rowid").rows()]
    statements = [
        # The first row sent twice.
        f"insert into {table} select * from {table} where rowid = {rowids[0]}",
        # A row without each part of its key.
        *(
            f"update {table} set {k} = null where rowid = {rowids[i + 1]}"
            for i, k in enumerate(contract.primary_key)
        ),
        # A second delivery mixed in: one row carries the next day's reference date.
        f"update {table} set {REFERENCE_COLUMN} = {REFERENCE_COLUMN} + 1 "
        f"where rowid = {rowids[-1]}",
    ]
    for consistency in contract.consistency:
        # Two names for one centre.
        free_text = next(c for c in consistency.columns if not contract.column(c).comune)
        statements.append(
            f"update {table} set {free_text} = 'Un altro nome' where rowid = {rowids[-2]}"
        )
    execute(db, *statements)
    violations, rows = oracle(contract, db)

    outcome = run_suite(suite_of(contract), db, run_id="broken")

    assert outcome.success is False
    errors = {o.rule: o for o in outcome.errors}
    assert set(errors) == expected_errors(contract, violations, rows) | {"one_delivery"}
    # The counts name the damage: one null per key column, two copies of one key, and two
    # reference dates (every row sees both), Milano among the comuni missing.
    for k in contract.primary_key:
        assert errors[f"expect_column_values_to_not_be_null:{k}"].unexpected == 1
    assert errors[f"unique:{'+'.join(contract.primary_key)}"].unexpected == 2
    assert errors["one_delivery"].unexpected == rows.height
    for coverage in contract.coverage:
        missing = errors[f"expect_column_distinct_values_to_contain_set:{coverage.column}"]
        assert "015146" in json.loads(missing.observed)["missing"]
    assert frame(db, f"select count(*) n from {table}")["n"][0] == rows.height  # no quarantine
    assert outcome.quarantined == {}


# -- structure, volume, drift --------------------------------------------------------------------


def test_a_changed_type_is_an_error_and_a_new_column_a_warning(db: Path):
    execute(
        db,
        "alter table raw.ats__general_practitioners alter assistiti type double",
        "alter table raw.ats__general_practitioners add column nota varchar",
    )
    outcome = run_suite(suite_of(contract_of("ats/general_practitioners")), db, run_id="x")

    assert outcome.success is False
    assert [(o.rule, json.loads(o.observed)) for o in outcome.errors] == [
        ("column_type:assistiti", {"expected": "BIGINT", "found": "DOUBLE"})
    ]
    assert [(o.rule, json.loads(o.observed)) for o in outcome.warnings] == [
        ("no_unexpected_columns", ["nota"])
    ]


def test_a_load_losing_most_rows_is_an_error(db: Path):
    # 798 rows (133 comuni x 2020-2025) in the clean run; keep 2025 alone: 133 rows, under
    # the 718 allowed (798 x 0.9 = 718.2, rounded down).
    execute(db, "delete from raw.ats__general_practitioners where anno < 2025")
    outcome = run_suite(suite_of(contract_of("ats/general_practitioners")), db, run_id="x")

    assert [(o.rule, o.observed) for o in outcome.errors] == [("volume", "133")]
    assert outcome.quarantined == {}


def test_a_distribution_shift_is_a_warning(db: Path, clean: dict[str, SuiteOutcome]):
    before = float(outcome_of(clean["energy__photovoltaic"], "drift:potenza_kw").observed)
    execute(db, "update raw.energy__photovoltaic set potenza_kw = potenza_kw * 2")
    outcome = run_suite(suite_of(contract_of("energy/photovoltaic")), db, run_id="x")

    assert outcome.success is True  # not blocking
    assert outcome.quarantined == {}
    warnings = {o.rule: o for o in outcome.warnings}
    assert set(warnings) == {"drift:potenza_kw"}
    # The mean doubled: outside the 0.75-1.25 x band around the previous load's mean.
    assert float(warnings["drift:potenza_kw"].observed) == pytest.approx(2 * before)
