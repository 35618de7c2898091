"""The pipeline benchmark's parts at a tiny scale: the run's lines cut into phases, the 10x
warehouse, the child's environment and the clean-up (the real runs take minutes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from benchmarks import pipeline

LINES = [
    (4.0, "[ingest] 22 assets; tool output in /d/logs/ingest.log"),
    (4.5, "[ingest] finished raw__istat__comuni in 0.2s"),
    (9.0, "[ingest 2020-2025] 4 assets; tool output in /d/logs/ingest_lombardia_by_year.log"),
    (9.8, "[ingest 2020-2025] finished raw__lombardia__air_measurements in 0.7s"),
    (12.0, "[build] 96 assets; tool output in /d/logs/build.log"),
    (80.0, "[build] finished dbt_models in 66.0s, 1043 checks passed"),
    (81.0, "[build] finished raw__istat__comuni_gx_istat__comuni in 0.7s, 1 checks passed"),
    (99.0, "[build] finished exports__dbt_docs in 18.0s"),
    (100.0, "[publish] 1 assets; tool output in /d/logs/publish.log"),
    (108.0, "[publish] finished exports__open_data_release in 7.8s"),
    (110.0, ""),
    (110.0, "Summary"),
]


def fake_run(tmp_path: Path, lines=LINES, seconds: float = 112.0) -> pipeline.PipelineRun:
    logs = tmp_path / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "build.log").write_text(
        "Running with dbt=1.11\nFinished running 6 seeds, 17 table models in 0 hours 0 minutes "
        "and 36.81 seconds (36.81s).\nFinished running 87 models in 0 hours 0 minutes and "
        "9.5 seconds (9.50s).\n",
        "utf-8",
    )
    return pipeline.PipelineRun(seconds, 0, list(lines), tmp_path)


def test_phases_cut_the_run_at_each_job(tmp_path: Path) -> None:
    phases = pipeline.phases(fake_run(tmp_path))
    names = [p.name for p in phases]
    assert names[0].startswith("start-up")
    assert names[1:5] == ["job ingest", "job ingest 2020-2025", "job build", "job publish"]
    assert names[5].startswith("summary")
    assert [round(p.seconds, 1) for p in phases] == [4.0, 5.0, 3.0, 88.0, 10.0, 2.0]
    build = phases[3]
    assert [name for name, _ in build.steps] == [
        "dbt_models",
        "raw__istat__comuni_gx_istat__comuni",
        "exports__dbt_docs",
    ]
    assert round(build.steps_s, 1) == 84.7


def test_breakdown_and_the_note_of_a_missed_target(tmp_path: Path) -> None:
    run = fake_run(tmp_path)
    text = pipeline.breakdown(run)
    assert "job build 88.0 s (3 steps, 84.7 s in steps)" in text
    assert "Biggest steps: dbt_models 66.0 s, exports__dbt_docs 18.0 s" in text
    assert "1 GX check steps 0.7 s" in text
    assert "36.8 s (6 seeds, 17 table models)" in text
    assert pipeline.dbt_times(tmp_path)[1][1] == 9.5
    missed = pipeline._cold_note([run], met=False)
    assert "Why:" in missed and "What would close it" in missed
    assert "Why:" not in pipeline._cold_note([run], met=True)


def dbt_event(code: str, ts: str, msg: str = "", **data) -> str:
    info = {"code": code, "ts": ts, "invocation_id": "inv-1", "msg": msg, "name": code}
    return json.dumps({"data": data, "info": info}) + "\n"


def test_the_dbt_step_is_cut_by_dbt_s_own_log(tmp_path: Path) -> None:
    target = tmp_path / "dbt" / "target"
    target.mkdir(parents=True)
    # Rotated: dbt.log.1 is older than dbt.log.
    (target / "dbt.log.1").write_text(
        dbt_event("A001", "2026-01-01T00:00:13Z", "Running with dbt=1.11")
        + dbt_event("I024", "2026-01-01T00:00:14Z", "Unable", reason="profile has changed")
        + '{"not": "an event of interest"}\n'
        + dbt_event("W006", "2026-01-01T00:00:19Z", "Found 87 models"),
        "utf-8",
    )
    (target / "dbt.log").write_text(
        dbt_event("E047", "2026-01-01T00:00:56Z", "Finished running 6 seeds")
        + dbt_event("Q039", "2026-01-01T00:00:57Z", "Command `dbt build` succeeded"),
        "utf-8",
    )
    [inv] = pipeline.dbt_invocations(target)
    assert inv.command == "dbt build"
    assert (inv.parse_s, inv.execution_s, inv.seconds) == (6.0, 37.0, 44.0)
    lines = [*LINES[:5], (12.5, "[build] running dbt_models ..."), *LINES[5:]]
    run = fake_run(tmp_path, lines)
    run.started_at = pipeline._epoch("2026-01-01T00:00:00Z")
    text = pipeline.dbt_step_breakdown(run)
    assert text.startswith("dbt_models 67.5 s = 0.5 s before dbt started + dbt 44.0 s")
    assert "full parse: partial parsing refused because the profile has changed" in text
    assert "execution 37.0 s) + 23.0 s after dbt exited" in text
    assert text in pipeline.breakdown(run)


def test_a_skipped_build_is_recognised(tmp_path: Path) -> None:
    lines = [*LINES[:4], (10.0, "[build] nothing changed since the build of x: skipped")]
    run = fake_run(tmp_path, lines, seconds=11.0)
    assert run.build_skipped
    assert pipeline.phases(run)[-1].name == "build skipped"


def test_run_osservatorio_time_stamps_every_line(tmp_path: Path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "osservatorio"
    script.write_text(
        '#!/bin/sh\necho "[ingest] 1 assets; tool output in x"\n'
        'echo "data=$OSSERVATORIO_DATA_DIR published=${OSSERVATORIO_PUBLISHED_WAREHOUSE:-}"\n'
        "exit 3\n",
        "utf-8",
    )
    script.chmod(0o755)
    monkeypatch.setattr(pipeline, "BIN", bin_dir)
    monkeypatch.setenv("OSSERVATORIO_PUBLISHED_WAREHOUSE", "/somewhere/else.duckdb")
    run = pipeline.run_osservatorio(tmp_path / "data")
    assert run.returncode == 3 and not run.ok
    assert [line for _, line in run.lines] == [
        "[ingest] 1 assets; tool output in x",
        f"data={tmp_path / 'data'} published=",  # the caller's override does not leak in
    ]
    assert all(0 <= t <= run.seconds for t, _ in run.lines)


def test_multiply_raw_keeps_keys_unique_and_sensors_known(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        """
        create schema raw;
        create table raw.lombardia__air_stations as select * from (values
            ('s1', 'st1', 'Milano Senato', 'x'), ('s2', 'st1', 'Milano Senato', 'y'))
            t(idsensore, idstazione, nomestazione, _source);
        create table raw.lombardia__air_measurements as
            select 's' || (i % 2 + 1) as idsensore, timestamp '2024-01-01' + i * interval 1 hour
                   as data, 1.0 * i as valore
            from range(6) t(i);
        create table raw.lombardia__energy_certificates as
            select 'c' || i as cod_ape, 'MILANO' as comune from range(3) t(i);
        create table raw.lombardia__labour_activated as select 1 as eta from range(4);
        create table raw.istat__population as select '015146' as ref_area from range(5);
        """
    )
    con.close()
    counts = pipeline.multiply_raw(db, 10)
    assert counts["lombardia__air_measurements"] == (6, 60)
    assert counts["lombardia__energy_certificates"] == (3, 30)
    assert counts["lombardia__labour_activated"] == (4, 40)
    assert "lombardia__labour_ceased" not in counts  # absent tables are skipped
    con = duckdb.connect(str(db), read_only=True)
    one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    assert (
        one("select count(distinct (idsensore, data)) from raw.lombardia__air_measurements") == 60
    )
    assert one("select count(distinct cod_ape) from raw.lombardia__energy_certificates") == 30
    assert one("select count(distinct idstazione) from raw.lombardia__air_stations") == 10
    assert one("select count(distinct nomestazione) from raw.lombardia__air_stations") == 10
    orphans = one(
        "select count(*) from raw.lombardia__air_measurements m anti join "
        "raw.lombardia__air_stations s using (idsensore)"
    )
    assert orphans == 0
    assert one("select count(*) from raw.istat__population") == 5  # not multiplied
    con.close()
    assert pipeline.raw_rows(db) == 20 + 60 + 30 + 40 + 5


def test_rmtree_removes_read_only_releases(tmp_path: Path) -> None:
    release = tmp_path / "releases" / "2026-01-01"
    (release / "data").mkdir(parents=True)
    (release / "data" / "a.csv").write_text("x", "utf-8")
    (release.parent / "latest").symlink_to(release.name)
    (release / "data" / "a.csv").chmod(0o444)  # as a release leaves them: read-only
    (release / "data").chmod(0o555)
    release.chmod(0o555)
    pipeline.rmtree(tmp_path / "releases")
    assert not (tmp_path / "releases").exists()


def test_clean_env_is_snapshot_mode_without_overrides(monkeypatch) -> None:
    monkeypatch.setenv("OSSERVATORIO_EXPORTS_DIR", "/elsewhere")
    monkeypatch.setenv("OSSERVATORIO_SOURCE_MODE", "live")
    monkeypatch.setenv("DAGSTER_HOME", "/repo/data/dagster")
    env = pipeline.clean_env(OSSERVATORIO_DATA_DIR="/tmp/x")
    assert env["OSSERVATORIO_SOURCE_MODE"] == "snapshot"
    assert env["OSSERVATORIO_DATA_DIR"] == "/tmp/x"
    assert "OSSERVATORIO_EXPORTS_DIR" not in env and "DAGSTER_HOME" not in env
    assert env["PATH"] == os.environ["PATH"]


def test_node_kinds_sum_dbt_s_time_by_what_is_tested(tmp_path: Path) -> None:
    manifest = {
        "nodes": {
            "model.p.int_a": {
                "resource_type": "model",
                "fqn": ["p", "intermediate", "int_a"],
                "config": {"materialized": "view"},
            },
            "model.p.fct": {
                "resource_type": "model",
                "fqn": ["p", "marts", "fct"],
                "config": {"materialized": "table"},
            },
            "test.p.not_null_int_a_x.abc": {
                "resource_type": "test",
                "depends_on": {"nodes": ["model.p.int_a"]},
            },
            "test.p.unique_fct_y.def": {
                "resource_type": "test",
                "depends_on": {"nodes": ["model.p.fct"]},
            },
        }
    }
    results = {
        "results": [
            {"unique_id": "model.p.int_a", "execution_time": 0.1},
            {"unique_id": "model.p.fct", "execution_time": 0.5},
            {"unique_id": "test.p.not_null_int_a_x.abc", "execution_time": 0.3},
            {"unique_id": "test.p.unique_fct_y.def", "execution_time": 0.2},
            {"unique_id": "unit_test.p.fct.t1", "execution_time": 0.4},
        ]
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (tmp_path / "run_results.json").write_text(json.dumps(results), "utf-8")
    kinds, slowest = pipeline.node_kinds(tmp_path)
    assert kinds[0] == ("marts table builds", 1, 0.5)
    assert ("data tests on intermediate views", 1, 0.3) in kinds
    assert ("data tests on marts tables", 1, 0.2) in kinds
    assert ("unit tests", 1, 0.4) in kinds
    assert slowest[0] == ("fct", 0.5) and slowest[2] == ("not_null_int_a_x", 0.3)


def test_dagster_events_counts_each_job_s_latest_run(tmp_path: Path) -> None:
    import sqlite3

    history = tmp_path / "dagster" / "history"
    (history / "runs").mkdir(parents=True)
    con = sqlite3.connect(history / "runs.db")
    con.execute("create table runs (run_id text, pipeline_name text, create_timestamp real)")
    con.executemany(
        "insert into runs values (?, ?, ?)", [("r1", "build", 1.0), ("r2", "ingest", 2.0)]
    )
    con.commit()
    con.close()
    for run_id, types in (
        ("r1", ["ASSET_CHECK_EVALUATION_PLANNED", "ASSET_CHECK_EVALUATION", "STEP_OUTPUT"]),
        ("r2", ["STEP_START"]),
    ):
        con = sqlite3.connect(history / "runs" / f"{run_id}.db")
        con.execute("create table event_logs (dagster_event_type text)")
        con.executemany("insert into event_logs values (?)", [(t,) for t in types])
        con.commit()
        con.close()
    assert pipeline.dagster_events(tmp_path) == {"build": (3, 2), "ingest": (1, 0)}
    assert pipeline.dagster_events(tmp_path / "nowhere") == {}
