"""The public data-quality report: what was checked, on which data, and what was found.

Read from the warehouse's audit trail (``audit.validation_result``): for the latest run of each
validation suite, the dataset it checks, its description, the rows validated and every rule
with its family, severity, result and observed value; then the rows set aside in
``quarantine.*`` by rule and reason. Written with the exports as one self-contained page
(``quality/index.html``: inline CSS, no script, Italian first with English beside it) and as
``quality/validation_results.csv`` for machines. Both files are replaced atomically.
"""

from __future__ import annotations

import csv
import html
import io
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.duck import connect_read
from warehouse.quality import AUDIT_TABLE, FAMILIES, QUARANTINE_SCHEMA, ROW_COUNT, Suite

FOLDER = "quality"
PAGE = "index.html"
RESULTS_CSV = "validation_results.csv"

FAMILY_LABELS = {
    "structure": ("struttura", "structure"),
    "completeness": ("completezza", "completeness"),
    "validity": ("validità", "validity"),
    "consistency": ("coerenza", "consistency"),
    "volume": ("volume", "volume"),
    "drift": ("deriva", "drift"),
}
SEVERITY_LABELS = {"error": ("errore", "error"), "warning": ("avviso", "warning")}
CSV_COLUMNS = (
    "suite",
    "asset",
    "run_id",
    "validated_at",
    "rule",
    "expectation",
    "column_name",
    "family",
    "severity",
    "success",
    "result",
    "observed",
    "unexpected_count",
    "quarantined_count",
)


@dataclass(frozen=True)
class RuleResult:
    suite: str
    asset: str
    run_id: str
    validated_at: datetime
    rule: str
    expectation: str
    column_name: str | None
    family: str
    severity: str
    success: bool
    observed: str
    unexpected_count: int
    quarantined_count: int

    @property
    def result(self) -> str:
        """``met``, ``failed``, ``warning`` or ``quarantined`` (met once rows were set aside)."""
        if self.quarantined_count and self.success:
            return "quarantined"
        if self.success:
            return "met"
        return "warning" if self.severity == "warning" else "failed"


@dataclass(frozen=True)
class SuiteRun:
    suite: str
    asset: str
    description: str
    run_id: str
    validated_at: datetime
    rules: list[RuleResult]  # without the row-count pseudo-rule
    rows_validated: int | None

    @property
    def failed(self) -> int:
        return sum(r.result == "failed" for r in self.rules)

    @property
    def warnings(self) -> int:
        return sum(r.result == "warning" for r in self.rules)

    @property
    def quarantined(self) -> int:
        return sum(r.quarantined_count for r in self.rules)


@dataclass(frozen=True)
class QuarantineGroup:
    table: str
    rule: str
    reason: str
    rows: int
    last_at: datetime | None


def _relation_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()[0][0]
    )


def latest_results(con: duckdb.DuckDBPyConnection) -> list[RuleResult]:
    """Every row of each suite's latest run (the run with the latest validation time)."""
    schema, name = AUDIT_TABLE.split(".")
    if not _relation_exists(con, schema, name):
        return []
    rows = con.execute(
        f"""
        with latest as (  -- one call of run_suite records all its rows at one time
            select suite, max(validated_at) as validated_at
            from {AUDIT_TABLE}
            group by suite
        )
        select a.suite, a.asset, a.run_id, a.validated_at, a.rule, a.expectation,
               a.column_name, a.family, a.severity, a.success, coalesce(a.observed, ''),
               coalesce(a.unexpected_count, 0), coalesce(a.quarantined_count, 0)
        from {AUDIT_TABLE} a
        inner join latest using (suite, validated_at)
        order by a.suite, a.rule
        """
    ).fetchall()
    return [RuleResult(*row) for row in rows]


def quarantine_groups(con: duckdb.DuckDBPyConnection) -> list[QuarantineGroup]:
    """Rows set aside in ``quarantine.*``, counted by table, rule and reason."""
    tables = con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by 1",
        [QUARANTINE_SCHEMA],
    ).fetchall()
    groups = []
    for (table,) in tables:
        rows = con.execute(
            f'select _rule, _reason, count(*), max(_quarantined_at) from {QUARANTINE_SCHEMA}."'
            + table.replace('"', '""')
            + '" group by _rule, _reason order by _rule, _reason'
        ).fetchall()
        groups += [
            QuarantineGroup(f"{QUARANTINE_SCHEMA}.{table}", rule, reason, count, last)
            for rule, reason, count, last in rows
        ]
    return groups


def suite_runs(results: Sequence[RuleResult], suites: Sequence[Suite]) -> list[SuiteRun]:
    """The latest run of each suite, in the order of ``suites`` (others after, by name)."""
    described = {s.name: s.description for s in suites}
    order = {s.name: i for i, s in enumerate(suites)}
    by_suite: dict[str, list[RuleResult]] = {}
    for result in results:
        by_suite.setdefault(result.suite, []).append(result)
    runs = []
    for name, rows in by_suite.items():
        count = next((r for r in rows if r.rule == ROW_COUNT), None)
        rules = sorted(
            (r for r in rows if r.rule != ROW_COUNT),
            key=lambda r: (FAMILIES.index(r.family) if r.family in FAMILIES else 99, r.rule),
        )
        try:
            kept = int(count.observed) if count is not None else None
        except ValueError:
            kept = None
        validated = kept + sum(r.quarantined_count for r in rules) if kept is not None else None
        runs.append(
            SuiteRun(
                suite=name,
                asset=rows[0].asset,
                description=described.get(name, ""),
                run_id=rows[0].run_id,
                validated_at=max(r.validated_at for r in rows),
                rules=rules,
                rows_validated=validated,
            )
        )
    return sorted(runs, key=lambda r: (order.get(r.suite, len(order)), r.suite))


# Rendering --------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  color: #1d2733; background: #f7f8fa; line-height: 1.45; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1, h2, h3 { line-height: 1.2; margin: 1.6rem 0 .4rem; }
.en { display: block; font-size: .8em; font-weight: normal; color: #5a6675; }
td .en, th .en, .meta .en { display: inline; font-size: .85em; }
td .en::before, th .en::before, .meta .en::before { content: " / "; }
section { background: #fff; border: 1px solid #dde2e8; border-radius: 6px;
  padding: .2rem 1.2rem 1rem; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .92rem; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem;
  border-bottom: 1px solid #e6e9ee; }
th { background: #eef1f5; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .observed { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85em;
  word-break: break-word; }
dl.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
  gap: .6rem; margin: .8rem 0; }
dl.summary div { background: #eef1f5; border-radius: 6px; padding: .5rem .8rem; }
dl.summary dt { font-size: .85rem; color: #5a6675; }
dl.summary dd { margin: 0; font-size: 1.4rem; font-weight: 600; }
.met { color: #1a7f37; }
.failed { color: #b42318; font-weight: 600; }
.warning { color: #9a6700; font-weight: 600; }
.quarantined { color: #8250df; font-weight: 600; }
.meta { color: #5a6675; font-size: .9rem; }
"""

RESULT_LABELS = {
    "met": ("rispettata", "met"),
    "failed": ("non rispettata", "failed"),
    "warning": ("avviso", "warning"),
}


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _bi(italian: str, english: str) -> str:
    """Italian text with its English translation beside it."""
    return f'{_e(italian)} <span class="en" lang="en">{_e(english)}</span>'


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", ".")


def _result_cell(result: RuleResult) -> str:
    label = result.result
    n = _count(result.quarantined_count)
    quarantined = _bi(f"{n} righe in quarantena", f"{n} rows quarantined")
    if label == "quarantined":
        return f'<td class="quarantined">{quarantined}</td>'
    cell = _bi(*RESULT_LABELS[label])
    if result.quarantined_count:  # some rows set aside, not all of those the rule rejects
        cell += f"<br>{quarantined}"
    return f'<td class="{label}">{cell}</td>'


def _anchor(suite: str) -> str:
    return "suite-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in suite)


def _summary(runs: Sequence[SuiteRun], groups: Sequence[QuarantineGroup]) -> str:
    rules = sum(len(r.rules) for r in runs)
    items = [
        ("summary-suites", "Suite di validazione", "Validation suites", _count(len(runs))),
        ("summary-rules", "Regole verificate", "Rules checked", _count(rules)),
        (
            "summary-failed",
            "Regole non rispettate (errori)",
            "Failed rules (errors)",
            _count(sum(r.failed for r in runs)),
        ),
        ("summary-warnings", "Avvisi", "Warnings", _count(sum(r.warnings for r in runs))),
        (
            "summary-quarantined",
            "Righe in quarantena (ultima validazione)",
            "Rows quarantined (latest validation)",
            _count(sum(r.quarantined for r in runs)),
        ),
        (
            "summary-date",
            "Ultima validazione",
            "Latest validation",
            _when(max((r.validated_at for r in runs), default=None)),
        ),
    ]
    cells = "".join(
        f'<div><dt>{_bi(it, en)}</dt><dd id="{key}">{_e(value)}</dd></div>'
        for key, it, en, value in items
    )
    return (
        f"<section><h2>{_bi('Riepilogo', 'Summary')}</h2>"
        f'<dl class="summary">{cells}</dl>'
        f"<p>{_bi(OVERVIEW_IT, OVERVIEW_EN)}</p></section>"
    )


OVERVIEW_IT = (
    "Ogni insieme di dati è verificato da una suite di regole prima di essere usato: struttura "
    "(colonne e tipi), completezza (chiavi presenti e uniche, tutti i comuni), validità (codici, "
    "date e valori plausibili), coerenza (parti e totali), volume (righe rispetto al caricamento "
    "precedente) e deriva (variazioni della distribuzione). Un errore blocca la pubblicazione dei "
    "dati che ne dipendono; un avviso è mostrato ma non blocca; le righe che violano una regola "
    "di riga sono messe in quarantena con la regola e il motivo, e le altre proseguono."
)
OVERVIEW_EN = (
    "Every dataset is checked by a suite of rules before it is used: structure (columns and "
    "types), completeness (keys present and unique, every comune), validity (codes, dates and "
    "plausible values), consistency (parts and totals), volume (rows against the previous load) "
    "and drift (distribution shifts). An error stops the publication of the data that depend on "
    "it; a warning is shown but blocks nothing; rows breaking a row-level rule are quarantined "
    "with the rule and the reason, and the other rows go on."
)


def _overview(runs: Sequence[SuiteRun]) -> str:
    head = (
        f"<tr><th>{_bi('Dati', 'Dataset')}</th><th>{_bi('Suite', 'Suite')}</th>"
        f'<th class="num">{_bi("Righe", "Rows")}</th>'
        f'<th class="num">{_bi("Regole", "Rules")}</th>'
        f'<th class="num">{_bi("Errori", "Errors")}</th>'
        f'<th class="num">{_bi("Avvisi", "Warnings")}</th>'
        f'<th class="num">{_bi("In quarantena", "Quarantined")}</th></tr>'
    )
    body = "".join(
        f'<tr><td><a href="#{_e(_anchor(r.suite))}"><code>{_e(r.asset)}</code></a></td>'
        f"<td><code>{_e(r.suite)}</code></td>"
        f'<td class="num">{_count(r.rows_validated)}</td>'
        f'<td class="num">{_count(len(r.rules))}</td>'
        f'<td class="num{" failed" if r.failed else ""}">{_count(r.failed)}</td>'
        f'<td class="num{" warning" if r.warnings else ""}">{_count(r.warnings)}</td>'
        f'<td class="num{" quarantined" if r.quarantined else ""}">{_count(r.quarantined)}</td>'
        "</tr>"
        for r in runs
    )
    return (
        f"<section><h2>{_bi('Panoramica', 'Overview')}</h2>"
        f"<table><thead>{head}</thead><tbody>{body}</tbody></table></section>"
    )


def _suite_section(run: SuiteRun) -> str:
    head = (
        f"<tr><th>{_bi('Regola', 'Rule')}</th><th>{_bi('Famiglia', 'Family')}</th>"
        f"<th>{_bi('Gravità', 'Severity')}</th><th>{_bi('Esito', 'Result')}</th>"
        f"<th>{_bi('Valore osservato', 'Observed value')}</th></tr>"
    )
    rows = []
    for r in run.rules:
        family = FAMILY_LABELS.get(r.family, (r.family, r.family))
        severity = SEVERITY_LABELS.get(r.severity, (r.severity, r.severity))
        rows.append(
            f"<tr><td><code>{_e(r.rule)}</code></td><td>{_bi(*family)}</td>"
            f"<td>{_bi(*severity)}</td>{_result_cell(r)}"
            f'<td class="observed">{_e(r.observed)}</td></tr>'
        )
    description = f"<p>{_e(run.description)}</p>" if run.description else ""
    meta = (
        f'<p class="meta">Suite <code>{_e(run.suite)}</code> · '
        f"{_bi('righe validate', 'rows validated')}: {_count(run.rows_validated)} · "
        f"{_bi('validazione', 'validated')}: {_e(_when(run.validated_at))} · "
        f"{_bi('esecuzione', 'run')}: <code>{_e(run.run_id)}</code></p>"
    )
    return (
        f'<section id="{_e(_anchor(run.suite))}"><h3><code>{_e(run.asset)}</code></h3>'
        f"{description}{meta}"
        f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _quarantine_section(groups: Sequence[QuarantineGroup]) -> str:
    title = f"<h2>{_bi('Righe in quarantena', 'Quarantined rows')}</h2>"
    if not groups:
        return (
            f"<section>{title}<p>{_bi('Nessuna riga in quarantena.', 'No rows quarantined.')}"
            "</p></section>"
        )
    head = (
        f"<tr><th>{_bi('Tabella', 'Table')}</th><th>{_bi('Regola', 'Rule')}</th>"
        f"<th>{_bi('Motivo', 'Reason')}</th>"
        f'<th class="num">{_bi("Righe", "Rows")}</th>'
        f"<th>{_bi('Ultima quarantena', 'Last quarantined')}</th></tr>"
    )
    body = "".join(
        f"<tr><td><code>{_e(g.table)}</code></td><td><code>{_e(g.rule)}</code></td>"
        f'<td class="observed">{_e(g.reason)}</td><td class="num">{_count(g.rows)}</td>'
        f"<td>{_e(_when(g.last_at))}</td></tr>"
        for g in groups
    )
    note = _bi(
        "Le righe in quarantena sono escluse dai dati pubblicati e conservate nel magazzino dati "
        "con la regola violata e il motivo.",
        "Quarantined rows are left out of the published data and kept in the warehouse with "
        "the rule they broke and the reason.",
    )
    return (
        f"<section>{title}<p>{note}</p>"
        f"<table><thead>{head}</thead><tbody>{body}</tbody></table></section>"
    )


def render(runs: Sequence[SuiteRun], groups: Sequence[QuarantineGroup]) -> str:
    """The whole page."""
    if runs:
        content = (
            _summary(runs, groups)
            + _overview(runs)
            + f"<h2>{_bi('Regole per insieme di dati', 'Rules by dataset')}</h2>"
            + "".join(_suite_section(r) for r in runs)
            + _quarantine_section(groups)
        )
    else:
        content = (
            f"<section><h2>{_bi('Riepilogo', 'Summary')}</h2>"
            f'<p id="no-validation">'
            f"{_bi('Nessuna validazione è stata ancora eseguita.', 'No validation has run yet.')}"
            f"</p></section>" + _quarantine_section(groups)
        )
    return (
        '<!DOCTYPE html>\n<html lang="it">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Qualità dei dati · Data quality</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_bi('Qualità dei dati', 'Data quality')}</h1>\n"
        f"<p>{_bi(INTRO_IT, INTRO_EN)}</p>\n"
        f"{content}\n"
        f'<p class="meta">{_bi(CSV_NOTE_IT, CSV_NOTE_EN)}</p>\n'
        "</main>\n</body>\n</html>\n"
    )


INTRO_IT = (
    "Che cosa è stato verificato sui dati dell'Osservatorio della Città metropolitana di Milano "
    "prima della pubblicazione, e con quale esito: l'ultima validazione di ogni insieme di dati."
)
INTRO_EN = (
    "What was checked on the data of the Città metropolitana di Milano observatory before "
    "publication, and what was found: the latest validation of each dataset."
)
CSV_NOTE_IT = f"Gli stessi risultati, in formato leggibile da macchina: {RESULTS_CSV}."
CSV_NOTE_EN = f"The same results, machine-readable: {RESULTS_CSV}."


def results_csv(results: Sequence[RuleResult]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in sorted(results, key=lambda r: (r.suite, r.rule)):
        writer.writerow(
            [
                r.suite,
                r.asset,
                r.run_id,
                r.validated_at.astimezone(UTC).isoformat()
                if r.validated_at.tzinfo
                else r.validated_at.isoformat(),
                r.rule,
                r.expectation,
                r.column_name or "",
                r.family,
                r.severity,
                "true" if r.success else "false",
                r.result,
                r.observed,
                r.unexpected_count,
                r.quarantined_count,
            ]
        )
    return buffer.getvalue()


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_quality_report(warehouse: Path, out_dir: Path, suites: Sequence[Suite]) -> Path:
    """Write ``out_dir/quality/index.html`` and ``validation_results.csv`` from the audit
    trail of ``warehouse``; return the page's path."""
    with connect_read(warehouse) as con:
        results = latest_results(con)
        groups = quarantine_groups(con)
    folder = out_dir / FOLDER
    _write_atomic(folder / RESULTS_CSV, results_csv(results))
    page = folder / PAGE
    _write_atomic(page, render(suite_runs(results, suites), groups))
    return page
