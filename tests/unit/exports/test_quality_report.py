"""The public data-quality report, from a small hand-made warehouse.

Two suites in the audit trail: ``demo__waste`` validated twice (only its latest run counts)
and ``marts__fct_indicator_value`` once; a quarantine table with rows from both demo runs.
"""

from __future__ import annotations

import csv
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from exports.quality_report import write_quality_report
from warehouse.quality import Suite

AUDIT_DDL = (
    "create table audit.validation_result ("
    "suite varchar not null, rule varchar not null, expectation varchar not null, "
    "column_name varchar, family varchar not null, severity varchar not null, "
    "asset varchar not null, partition varchar, run_id varchar not null, "
    "success boolean not null, observed varchar, unexpected_count bigint, "
    "quarantined_count bigint, validated_at timestamptz not null)"
)
RUN_0 = "2026-01-01 10:00:00+00"
RUN_1 = "2026-01-02 10:00:00+00"
RUN_2 = "2026-01-02 11:00:00+00"
SCRIPT = "<script>alert(1)</script>"
RESULTS = "validation_results.csv"
# suite, rule, expectation, column, family, severity, asset, run, success, observed,
# unexpected, quarantined, time
AUDIT_ROWS = [
    # demo__waste, an older run: a failure that the report must not show any more.
    ("demo__waste", "not_null:codice_comune", "expect_column_values_to_not_be_null",
     "codice_comune", "completeness", "error", "raw/demo__waste", "run-0", False, "1", 1, 0,
     RUN_0),
    ("demo__waste", "table_row_count", "table_row_count", None, "volume", "warning",
     "raw/demo__waste", "run-0", True, "4", 0, 0, RUN_0),
    # demo__waste, latest run: 5 rows kept + 2 quarantined = 7 validated; a drift warning.
    ("demo__waste", "not_null:codice_comune", "expect_column_values_to_not_be_null",
     "codice_comune", "completeness", "error", "raw/demo__waste", "run-1", True, "0", 0, 0,
     RUN_1),
    ("demo__waste", "comune_code:codice_comune", "expect_column_values_to_be_in_set",
     "codice_comune", "validity", "error", "raw/demo__waste", "run-1", True, "2", 2, 2, RUN_1),
    ("demo__waste", "drift:tonnellate", "expect_column_mean_to_be_between", "tonnellate",
     "drift", "warning", "raw/demo__waste", "run-1", False, SCRIPT, 0, 0, RUN_1),
    ("demo__waste", "table_row_count", "table_row_count", None, "volume", "warning",
     "raw/demo__waste", "run-1", True, "5", 0, 0, RUN_1),
    # marts__fct_indicator_value: 100 rows, 3 implausible values (an error).
    ("marts__fct_indicator_value", "plausible_value", "expect_column_values_to_be_between",
     "_outside_plausible_range", "validity", "error", "marts/fct_indicator_value", "run-2",
     False, "3", 3, 0, RUN_2),
    ("marts__fct_indicator_value", "unique:indicator_id+year",
     "expect_compound_columns_to_be_unique", None, "completeness", "error",
     "marts/fct_indicator_value", "run-2", True, "0", 0, 0, RUN_2),
    ("marts__fct_indicator_value", "table_row_count", "table_row_count", None, "volume",
     "warning", "marts/fct_indicator_value", "run-2", True, "100", 0, 0, RUN_2),
]  # fmt: skip
SUITES = [
    Suite(
        name="marts__fct_indicator_value",
        table="marts.fct_indicator_value",
        description="Indicator values",
        rules=lambda history: [],
    ),
    Suite(
        name="demo__waste",
        table="raw.demo__waste",
        description="Waste & <b>tonnes</b>",
        rules=lambda history: [],
    ),
]


def make_warehouse(path: Path, *, audit: bool = True, rows: bool = True) -> Path:
    with duckdb.connect(str(path)) as con:
        if audit:
            con.execute("create schema audit")
            con.execute(AUDIT_DDL)
        if audit and rows:
            con.executemany(
                f"insert into audit.validation_result values ({', '.join('?' * 14)})",
                [(*row[:7], None, *row[7:]) for row in AUDIT_ROWS],
            )
            con.execute("create schema quarantine")
            con.execute(
                "create table quarantine.demo__waste (codice_comune varchar, tonnellate double, "
                "_rule varchar, _reason varchar, _run_id varchar, _quarantined_at timestamptz)"
            )
            con.execute(
                "insert into quarantine.demo__waste values "
                "('099999', 5, 'comune_code:codice_comune', 'not a comune', 'run-1', ?), "
                "('099998', 6, 'comune_code:codice_comune', 'not a comune', 'run-1', ?), "
                "('015146', -3, 'between:tonnellate', 'min <0>', 'run-0', ?)",
                [RUN_1, RUN_1, RUN_0],
            )
    return path


class TagChecker(HTMLParser):
    """Every element closed in order; no script anywhere."""

    VOID = frozenset({"meta", "br", "link", "img", "hr", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def check_html(text: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.stack == []
    assert "script" not in checker.tags
    return checker


@pytest.fixture
def report(tmp_path: Path) -> tuple[Path, str]:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    page = write_quality_report(warehouse, tmp_path / "exports", SUITES)
    return page, page.read_text("utf-8")


def test_the_page_summarises_the_latest_run_of_each_suite(report: tuple[Path, str]) -> None:
    page, text = report
    assert page == page.parent.parent / "quality" / "index.html"
    assert text.startswith("<!DOCTYPE html>") and '<html lang="it">' in text
    check_html(text)
    # 2 suites; rules 3 (demo, latest run) + 2 (marts), row counts aside; 1 error failed
    # (plausible_value), 1 warning (drift), 2 rows quarantined in the latest runs.
    assert '<dd id="summary-suites">2</dd>' in text
    assert '<dd id="summary-rules">5</dd>' in text
    assert '<dd id="summary-failed">1</dd>' in text
    assert '<dd id="summary-warnings">1</dd>' in text
    assert '<dd id="summary-quarantined">2</dd>' in text
    assert '<dd id="summary-date">2026-01-02 11:00 UTC</dd>' in text
    # Suites in the order given, each with its dataset, description and rows validated.
    assert text.index('id="suite-marts__fct_indicator_value"') < text.index(
        'id="suite-demo__waste"'
    )
    for name in ("marts__fct_indicator_value", "demo__waste"):
        assert f"<code>{name}</code>" in text
    assert "<code>raw/demo__waste</code>" in text
    assert "Waste &amp; &lt;b&gt;tonnes&lt;/b&gt;" in text
    demo = text[text.index('id="suite-demo__waste"') :]
    assert "rows validated</span>: 7 " in demo  # 5 kept + 2 quarantined
    assert "2 righe in quarantena" in demo and "2 rows quarantined" in demo
    marts = text[text.index('id="suite-marts__fct_indicator_value"') :]
    assert "rows validated</span>: 100 " in marts
    # The older run's failure is gone: its rule is met in the latest run.
    assert "run-1" in text and "run-0" not in text
    assert text.count('class="failed"') == 1


def test_observed_values_and_reasons_are_escaped(report: tuple[Path, str]) -> None:
    _, text = report
    assert SCRIPT not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "min &lt;0&gt;" in text


def test_quarantined_rows_are_counted_by_table_rule_and_reason(
    report: tuple[Path, str],
) -> None:
    _, text = report
    section = text[text.rindex("Righe in quarantena") :]
    assert "<code>quarantine.demo__waste</code>" in section
    # Two rows for the comune code (run-1), one for the tonnage (run-0).
    assert (
        '<td><code>comune_code:codice_comune</code></td><td class="observed">not a comune</td>'
        '<td class="num">2</td>'
    ) in section
    assert (
        '<td><code>between:tonnellate</code></td><td class="observed">min &lt;0&gt;</td>'
        '<td class="num">1</td>'
    ) in section


def test_the_csv_holds_the_latest_runs(report: tuple[Path, str]) -> None:
    page, _ = report
    with (page.parent / "validation_results.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    # 4 rows of demo's run-1 and 3 of the marts' run-2; none of run-0.
    assert len(rows) == 7
    assert {r["run_id"] for r in rows} == {"run-1", "run-2"}
    by_rule = {(r["suite"], r["rule"]): r for r in rows}
    assert by_rule[("demo__waste", "drift:tonnellate")]["observed"] == SCRIPT
    assert by_rule[("demo__waste", "drift:tonnellate")]["result"] == "warning"
    assert by_rule[("demo__waste", "comune_code:codice_comune")]["result"] == "quarantined"
    assert by_rule[("marts__fct_indicator_value", "plausible_value")]["result"] == "failed"
    assert by_rule[("marts__fct_indicator_value", "plausible_value")]["success"] == "false"
    assert by_rule[("marts__fct_indicator_value", "plausible_value")]["validated_at"] == (
        "2026-01-02T11:00:00+00:00"
    )
    # Written atomically: nothing but the two files in the folder.
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html", RESULTS]


@pytest.mark.parametrize("audit", [False, True], ids=["no-audit-table", "empty-audit-table"])
def test_without_validations_the_page_says_so(tmp_path: Path, audit: bool) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb", audit=audit, rows=False)
    page = write_quality_report(warehouse, tmp_path / "exports", SUITES)
    text = page.read_text("utf-8")
    check_html(text)
    assert 'id="no-validation"' in text
    assert "Nessuna validazione è stata ancora eseguita." in text
    assert "No validation has run yet." in text
    assert "No rows quarantined." in text
    assert (page.parent / RESULTS).read_text("utf-8").splitlines() == [
        "suite,asset,run_id,validated_at,rule,expectation,column_name,family,severity,success,"
        "result,observed,unexpected_count,quarantined_count"
    ]


def test_a_new_report_replaces_the_previous_one(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "exports"
    (out / "quality").mkdir(parents=True)
    (out / "quality" / "index.html").write_text("old", "utf-8")
    page = write_quality_report(warehouse, out, SUITES)
    assert page.read_text("utf-8") != "old"
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html", RESULTS]
