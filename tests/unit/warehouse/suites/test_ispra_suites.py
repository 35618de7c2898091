"""ISPRA municipal waste on the bundled snapshot (2019-2024, 133 comuni a year): the clean
snapshot passes with nothing set aside; crafted breakages are quarantined row by row (bad
values, parts not adding up to their totals), block (a comune missing, a key broken, a type
changed, most rows lost) or only warn (implausible waste per resident, a distribution shift).

Soil consumption, a file drop, is tested with the other contracts in test_file_drop_suites.py.
The six years are ingested once per module; every test works on its own copy.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion.common.ingest import ingest
from ingestion.ispra import waste
from osservatorio.settings import Settings
from warehouse.quality import SuiteOutcome, run_suite
from warehouse.suites.ispra import WASTE

TABLE = "raw.ispra__waste"


@pytest.fixture(scope="module")
def snapshot_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(data_dir=tmp_path_factory.mktemp("ispra"))
    ingest(waste.DATASET, settings)
    return settings.warehouse_path


@pytest.fixture(scope="module")
def clean(snapshot_db: Path) -> SuiteOutcome:
    """The suite once on the clean snapshot: the history later runs compare with."""
    return run_suite(WASTE, snapshot_db, run_id="clean")


@pytest.fixture
def db(snapshot_db: Path, clean: SuiteOutcome, tmp_path: Path) -> Path:
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


def where(year: int, code: str) -> str:
    return f"anno = {year} and istat_comune = '03{code}'"


def test_clean_snapshot_passes(clean: SuiteOutcome, snapshot_db: Path) -> None:
    assert [(o.rule, o.observed) for o in clean.outcomes if not o.success] == []
    assert clean.quarantined == {}
    assert clean.row_count == fetch(snapshot_db, f"select count(*) from {TABLE}")[0][0] == 798
    # What the next load is compared with: 798 rows, the mean rate and waste per resident.
    observed = {o.rule: o.observed for o in clean.outcomes}
    assert observed["table_row_count"] == "798"
    assert float(observed["drift:percentuale_rd"]) == pytest.approx(72.286, abs=1e-3)
    assert float(observed["drift:_kg_per_abitante"]) == pytest.approx(449.885, abs=1e-3)


def test_broken_rows_are_quarantined_and_the_others_go_on(db: Path) -> None:
    milano_2024 = f"select * from {TABLE} where {where(2024, '015146')}"
    execute(
        db,
        # Abbiategrasso 2024: glass -1 t, its 207.539 t (+1) moved to "altro" (5.748 ->
        # 214.287), so the fractions still add up to 1,425.389 t: only the sign is wrong.
        f"update {TABLE} set vetro_t = -1, altro_t = 214.287 where {where(2024, '015002')}",
        # Albairate 2024: a rate of 100.5% (and so no longer 3,737.559 / 4,704.347 = 79.45%).
        f"update {TABLE} set percentuale_rd = 100.5 where {where(2024, '015005')}",
        # Arconate 2024: paper 897.792 -> 898.792 t, the fractions now 1 t over Totale RD.
        f"update {TABLE} set carta_e_cartone_t = 898.792 where {where(2024, '015007')}",
        # Arese 2024: unsorted 1,130.344 -> 1,131.344 t, RD + bulky + unsorted 1 t over RU.
        f"update {TABLE} set indifferenziato_t = 1131.344 where {where(2024, '015009')}",
        # Arluno 2024: 3,851.832 / 4,811.451 = 80.0555%, published 80.06; 80.11 is 0.054 off.
        f"update {TABLE} set percentuale_rd = 80.11 where {where(2024, '015010')}",
        # Milano 2024: no residents.
        f"update {TABLE} set popolazione = 0 where {where(2024, '015146')}",
        # Abbiategrasso 2023: no total.
        f"update {TABLE} set totale_ru_t = null where {where(2023, '015002')}",
        # Albairate 2023: an aggregation's row, not the comune's own.
        f"update {TABLE} set dato_riferito_a = 'Aggregazione: Albairate' "
        f"where {where(2023, '015005')}",
        # Arconate 2023, filed under the 2022 partition.
        f"update {TABLE} set _partition = '2022' where {where(2023, '015007')}",
        # Two more rows for 2024 (Milano's figures): a code outside the 133, a code that lost
        # its leading zero (the right 6 digits are Milano's, the 8-digit format is not).
        f"insert into {TABLE} select * replace ('03015999' as istat_comune) from ({milano_2024})",
        f"insert into {TABLE} select * replace ('0315146' as istat_comune) from ({milano_2024})",
    )

    outcome = run_suite(WASTE, db, run_id="broken")

    assert outcome.success is True  # quarantines do not block
    quarantined = fetch(
        db,
        "select anno, istat_comune, _rule, _reason, _run_id from quarantine.ispra__waste "
        "order by anno, istat_comune",
    )
    assert [row[:3] for row in quarantined] == [
        (2023, "03015002", "expect_column_values_to_not_be_null:totale_ru_t"),
        (2023, "03015005", "expect_column_values_to_be_in_set:dato_riferito_a"),
        (2023, "03015007", "in_partition_year:anno"),
        (2024, "03015002", "expect_column_values_to_be_between:vetro_t"),
        # Out of 0-100 and, necessarily, not the ratio: set aside under the first rule.
        (2024, "03015005", "expect_column_values_to_be_between:percentuale_rd"),
        (2024, "03015007", "expect_column_values_to_be_between:_gap_rd_t"),
        (2024, "03015009", "expect_column_values_to_be_between:_gap_ru_t"),
        (2024, "03015010", "expect_column_values_to_be_between:_gap_percentuale_rd"),
        (2024, "03015146", "expect_column_values_to_be_between:popolazione"),
        (2024, "03015999", "comune_code:_codice_comune"),
        (2024, "0315146", "expect_column_values_to_match_regex:istat_comune"),
    ]
    reasons = {row[2]: row[3] for row in quarantined}
    assert reasons["expect_column_values_to_be_between:_gap_rd_t"] == (
        'expect_column_values_to_be_between {"column": "_gap_rd_t", "min_value": 0.0, '
        '"max_value": 0.01}'
    )
    assert r"^03015\\d{3}$" in reasons["expect_column_values_to_match_regex:istat_comune"]
    assert {row[4] for row in quarantined} == {"broken"}
    # The rate rule found its own row and Albairate's 100.5% (which the percentage rule took).
    rate = next(o for o in outcome.outcomes if o.rule.endswith("_gap_percentuale_rd"))
    assert (rate.unexpected, rate.success) == (2, True)
    # 798 + 2 inserted - 11 set aside; every other comune-year is still there.
    assert fetch(db, f"select count(*) from {TABLE}")[0][0] == 789
    assert fetch(db, f"select count(*) from {TABLE} where {where(2024, '015011')}") == [(1,)]


def test_table_level_breaks_block(db: Path) -> None:
    execute(
        db,
        # Milano missing from 2022.
        f"delete from {TABLE} where {where(2022, '015146')}",
        # Abbiategrasso 2020 sent twice.
        f"insert into {TABLE} select * from {TABLE} where {where(2020, '015002')}",
        # Albairate 2021 without its code.
        f"update {TABLE} set istat_comune = null where {where(2021, '015005')}",
    )

    outcome = run_suite(WASTE, db, run_id="broken")

    assert outcome.success is False
    errors = {o.rule: o for o in outcome.errors}
    assert set(errors) == {
        "expect_column_values_to_not_be_null:istat_comune",
        "unique:anno+istat_comune",
        "every_comune_per:anno",
    }
    assert errors["expect_column_values_to_not_be_null:istat_comune"].unexpected == 1
    assert errors["unique:anno+istat_comune"].unexpected == 2  # both copies
    # Rows of an incomplete year: 2021 (133 rows, 132 comuni) and 2022 (132 rows).
    assert errors["every_comune_per:anno"].observed == "265"
    assert outcome.quarantined == {}


def test_years_before_todays_territory_need_not_list_every_comune(db: Path) -> None:
    # A 2018 file (2019's rows again): Vermezzo con Zelo (015251) did not exist yet; a former
    # comune that became part of it reports under its own code, no longer in the list.
    execute(
        db,
        f"insert into {TABLE} select * replace (2018 as anno, '2018' as _partition) "
        f"from {TABLE} where anno = 2019 and istat_comune <> '03015251'",
        f"insert into {TABLE} select * replace (2018 as anno, '2018' as _partition, "
        f"'03015240' as istat_comune) from {TABLE} where {where(2019, '015251')}",
    )

    outcome = run_suite(WASTE, db, run_id="2018")

    assert outcome.success is True  # 132 of the 133 in 2018 is not an error
    assert outcome.quarantined == {"comune_code:_codice_comune": 1}
    assert fetch(db, "select anno, istat_comune from quarantine.ispra__waste") == [
        (2018, "03015240")
    ]


def test_a_changed_type_is_an_error(db: Path) -> None:
    # Tonnes as floating point instead of exact decimals: the other rules are not run on it.
    execute(db, f"alter table {TABLE} alter verde_t type double")

    outcome = run_suite(WASTE, db, run_id="retyped")

    assert [(o.rule, json.loads(o.observed)) for o in outcome.errors] == [
        ("column_type:verde_t", {"expected": "DECIMAL(18,3)", "found": "DOUBLE"})
    ]
    assert outcome.quarantined == {}


def test_a_load_losing_most_rows_is_an_error(db: Path) -> None:
    # 798 rows in the clean run; with 2024 alone, 133 rows: under the 718 allowed (798 x 0.9
    # = 718.2, rounded down). Each remaining year is complete: nothing else fails.
    execute(db, f"delete from {TABLE} where anno < 2024")

    outcome = run_suite(WASTE, db, run_id="smaller")

    assert [(o.rule, o.family, o.observed) for o in outcome.errors] == [("volume", "volume", "133")]


def test_implausible_figures_and_a_shift_only_warn(db: Path, clean: SuiteOutcome) -> None:
    before = float(next(o for o in clean.outcomes if o.rule == "drift:_kg_per_abitante").observed)
    execute(
        db,
        # Half the residents everywhere: waste per resident about doubles (+100% > 15%).
        f"update {TABLE} set popolazione = popolazione // 2",
        # Abbiategrasso 2024 with 5,561 // 20 = 278 residents: 2,179.866 t x 1000 / 278 =
        # 7,841 kg each, over the plausible 1,500.
        f"update {TABLE} set popolazione = 278 where {where(2024, '015002')}",
    )

    outcome = run_suite(WASTE, db, run_id="shifted")

    assert outcome.success is True
    assert outcome.quarantined == {}
    warnings = {o.rule: o for o in outcome.warnings}
    assert set(warnings) == {"drift:_kg_per_abitante", "plausible_kg_per_resident"}
    assert warnings["plausible_kg_per_resident"].unexpected == 1
    assert float(warnings["drift:_kg_per_abitante"].observed) > 2 * before
