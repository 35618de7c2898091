"""``osservatorio run``: the whole pipeline in-process, skipping a build whose inputs are unchanged.

Two Dagster runs on a persistent instance (so the UI shows them): ``ingest`` (always; cheap,
it archives nothing new and reloads nothing when sources are unchanged) and ``build``
(checks, dbt, publication), which runs only when its inputs changed since the last
successful build: the retrievals loaded in ``raw``, the dbt project and the pipeline code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from osservatorio.settings import REPO_ROOT, Settings

CODE_DIRS = ("ingestion", "orchestration", "warehouse", "exports", "osservatorio")
DBT_INPUTS = ("models", "seeds", "macros", "tests", "dbt_project.yml", "profiles.yml")
STATE_FILE = "last_build.json"


@dataclass
class RunReport:
    materialized: list[str] = field(default_factory=list)
    checks_passed: list[str] = field(default_factory=list)
    checks_failed: list[str] = field(default_factory=list)
    # Failed with WARN severity (a warning, rows quarantined): shown, never blocking.
    checks_warned: list[str] = field(default_factory=list)
    build_skipped: bool = False
    success: bool = True
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def prepare_instance(settings: Settings) -> None:
    """Point Dagster at a persistent home in the data directory (runs stay visible in the UI)."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    from orchestration.instance import install_instance_config

    install_instance_config(home)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ["OSSERVATORIO_DATA_DIR"] = str(settings.data_dir)
    os.environ["OSSERVATORIO_SOURCE_MODE"] = settings.source_mode


def _hash_tree(
    digest: hashlib._Hash, root: Path, names: tuple[str, ...], suffixes: tuple[str, ...]
) -> None:
    for name in names:
        path = root / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and file.suffix in suffixes and "target" not in file.parts:
                digest.update(str(file.relative_to(root)).encode())
                digest.update(file.read_bytes())


def build_fingerprint(settings: Settings) -> str:
    """What the build depends on: loaded retrievals, dbt project, pipeline code."""
    from warehouse.duck import connect_write

    digest = hashlib.sha256()
    with connect_write(settings.warehouse_path) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
        ).fetchall()
        for (table,) in tables:
            # Every partition's retrieval: a table published by year holds several.
            retrievals = con.execute(
                f"select string_agg(distinct _retrieval_id, ',' order by _retrieval_id) "
                f'from raw."{table}"'
            ).fetchone()[0]
            digest.update(f"{table}={retrievals}\n".encode())
    _hash_tree(digest, REPO_ROOT / "dbt_project", DBT_INPUTS, (".sql", ".yml", ".csv", ".md"))
    _hash_tree(digest, REPO_ROOT, CODE_DIRS, (".py", ".json", ".gz"))
    return digest.hexdigest()


def _year_range(defs, job_name: str, settings: Settings) -> dict[str, str]:
    """Run tags covering every year the job's datasets hold in this mode (one ranged run)."""
    from ingestion.registry import DATASETS

    job = defs.resolve_job_def(job_name)
    keys = job.asset_layer.executable_asset_keys if job.asset_layer else set()
    years = [
        year
        for dataset in DATASETS
        if dataset.yearly and ["raw", dataset.table] in [k.path for k in keys]
        for year in dataset.partition_keys(settings)
    ]
    return {
        "dagster/asset_partition_range_start": min(years),
        "dagster/asset_partition_range_end": max(years),
    }


def _execute(
    defs,
    job_name: str,
    label: str,
    report: RunReport,
    log_path: Path,
    tags: dict[str, str] | None = None,
) -> bool:
    from dagster import DagsterInstance

    job = defs.resolve_job_def(job_name)
    total = len(job.asset_layer.executable_asset_keys) if job.asset_layer else 0
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"[{label}] {total} assets; tool output in {log_path}", flush=True)
    with log_path.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        result = job.execute_in_process(
            instance=DagsterInstance.get(),
            raise_on_error=False,
            tags=tags,
            run_config={"loggers": {"progress": {"config": {"label": label, "total": total}}}},
        )
    # A ranged run materializes each year of an asset: the asset counts once.
    report.materialized += list(
        dict.fromkeys(
            e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
        )
    )
    for evaluation in result.get_asset_check_evaluations():
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        if evaluation.passed:
            report.checks_passed.append(name)
        elif evaluation.severity.value == "WARN":
            detail = evaluation.description or ""
            report.checks_warned.append(f"{name} ({detail})" if detail else name)
        else:
            report.checks_failed.append(name)
    if not result.success:
        report.success = False
        from orchestration.alerts import step_error

        for event in result.get_step_failure_events():
            message = step_error(event)["error"]
            report.failures.append(f"{event.step_key}: {message} (details: {log_path})")
    return result.success


def run_pipeline(settings: Settings, *, force: bool = False) -> RunReport:
    started = time.monotonic()
    prepare_instance(settings)
    from orchestration.definitions import defs

    report = RunReport()
    logs = settings.data_dir / "logs"
    from orchestration.jobs import ingest_by_year_jobs

    ingested = _execute(defs, "ingest", "ingest", report, logs / "ingest.log")
    for job in ingest_by_year_jobs:
        ranged = _year_range(defs, job.name, settings)
        label = (
            f"ingest {ranged['dagster/asset_partition_range_start']}-"
            + ranged["dagster/asset_partition_range_end"]
        )
        ingested &= _execute(defs, job.name, label, report, logs / f"{job.name}.log", ranged)
    if ingested:
        state_path = settings.state_dir / STATE_FILE
        fingerprint = build_fingerprint(settings)
        previous = json.loads(state_path.read_text("utf-8")) if state_path.exists() else {}
        up_to_date = (
            previous.get("fingerprint") == fingerprint
            and settings.published_warehouse_path.exists()
            and not force
        )
        if up_to_date:
            report.build_skipped = True
            report.checks_passed = previous.get("checks_passed", [])
            print(
                f"[build] nothing changed since the build of {previous['finished_at']}: "
                "skipped (use --force to rebuild)",
                flush=True,
            )
        elif _execute(defs, "build", "build", report, logs / "build.log"):
            previous = {
                "fingerprint": fingerprint,
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "checks_passed": report.checks_passed,
            }
            _write_state(state_path, previous)
        # The open-data release follows a build, or replaces one that did not complete.
        built = previous.get("fingerprint") == fingerprint
        unreleased = not previous.get("released") or not latest_release(settings.releases_dir)
        if (
            built
            and unreleased
            and _execute(defs, "publish", "publish", report, logs / "publish.log")
        ):
            release = latest_release(settings.releases_dir)
            _write_state(state_path, {**previous, "released": release.name if release else ""})
    report.seconds = time.monotonic() - started
    return report


def _write_state(path: Path, state: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=2) + "\n", "utf-8")


def latest_release(releases: Path) -> Path | None:
    from exports.release import latest_release as latest

    return latest(releases)


def table_row_counts(published: Path) -> list[tuple[str, int]]:
    from warehouse.duck import connect_read

    if not published.exists():
        return []
    with connect_read(published) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        return [
            (
                f"{schema}.{name}",
                con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0],
            )
            for schema, name in tables
        ]


def format_summary(settings: Settings, report: RunReport) -> str:
    lines = ["", "Summary", "======="]
    status = "succeeded" if report.success else "FAILED"
    lines.append(f"run {status} in {report.seconds:.1f}s (source mode: {settings.source_mode})")
    lines.append(
        f"assets materialized: {len(report.materialized)}"
        + (" (build skipped: inputs unchanged)" if report.build_skipped else "")
    )
    lines.append(
        f"checks: {len(report.checks_passed)} passed, {len(report.checks_warned)} with "
        f"warnings, {len(report.checks_failed)} failed"
        + (" (from the last build)" if report.build_skipped else "")
    )
    for warned in report.checks_warned:
        lines.append(f"  warning: {warned}")
    for failed in report.checks_failed:
        lines.append(f"  failed check: {failed}")
    for failure in report.failures:
        lines.append(f"  failed step: {failure}")
    counts = table_row_counts(settings.published_warehouse_path)
    if counts:
        lines.append("rows per table (published warehouse):")
        width = max(len(name) for name, _ in counts)
        lines += [f"  {name:<{width}}  {rows:>10,}" for name, rows in counts]
    lines += [
        f"warehouse (analysts, read-only): {settings.published_warehouse_path}",
        f"warehouse (build):               {settings.warehouse_path}",
        f"raw archive:                     {settings.raw_dir}",
        f"exports:                         {settings.exports_dir}",
        f"open-data release (latest):      {settings.releases_dir / 'latest'}",
        f"portal (make serve):             {settings.releases_dir / 'latest/site/index.html'}",
        f"Dagster runs (make ui):          {settings.dagster_home}",
    ]
    return "\n".join(lines)
