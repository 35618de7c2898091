"""Dagster runs as engineers launch them: yearly partitions, blocking checks, the whole graph.

Each test runs real jobs of the code location in-process on an ephemeral instance, with the
data directory in a temporary folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.common.http import HostPacer
from ingestion.common.ingest import ingest
from ingestion.istat import comuni
from ingestion.registry import DATASETS, by_key
from osservatorio.settings import REPO_ROOT, Settings
from tests.replicas.istat import IstatReplica

pytestmark = pytest.mark.integration

LABOUR = dg.AssetKey(["raw", "lombardia__labour_activated"])
# Contracts activated and ceased: a small yearly job (a job, not an asset selection, so that
# dbt's source tests on the raw table stay in the build).
LABOUR_JOB = "refresh_labour_contracts"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OSSERVATORIO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OSSERVATORIO_SOURCE_MODE", "snapshot")
    return tmp_path


def run(job_name: str, **kwargs) -> dg.ExecuteInProcessResult:
    from orchestration.definitions import defs

    return defs.resolve_job_def(job_name).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False, **kwargs
    )


def rows_by_year(data_dir: Path) -> dict[str, int]:
    path = Settings(data_dir=data_dir).warehouse_path
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(
            con.execute(
                "select _partition, count(*) from raw.lombardia__labour_activated group by 1"
            ).fetchall()
        )


def test_a_range_of_years_loads_in_one_run_with_each_years_figures(data_dir: Path) -> None:
    result = run(
        LABOUR_JOB,
        tags={RANGE_START: "2020", RANGE_END: "2022"},
    )
    assert result.success
    loaded = rows_by_year(data_dir)
    assert sorted(loaded) == ["2020", "2021", "2022"]
    # Each year is an observation of its own partition, with its own row count and payload.
    observations = {
        e.asset_observation_data.asset_observation.partition: (
            e.asset_observation_data.asset_observation.metadata
        )
        for e in result.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
        and e.asset_observation_data.asset_observation.asset_key == LABOUR
    }
    assert sorted(observations) == ["2020", "2021", "2022"]
    for year, metadata in observations.items():
        assert metadata["dagster/row_count"].value == loaded[year]
        assert len(metadata["sha256"].value) == 64
    # Dagster records one materialization per year of the range.
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == LABOUR]
    assert sorted(e.partition for e in events) == ["2020", "2021", "2022"]
    summary = events[0].materialization.metadata
    assert summary["rows_in_run"].value == sum(loaded.values())


def test_one_year_carries_its_own_metadata(data_dir: Path) -> None:
    result = run(LABOUR_JOB, partition_key="2023")
    assert result.success
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == LABOUR]
    metadata = event.materialization.metadata
    assert event.partition == "2023"
    assert metadata["dagster/row_count"].value == rows_by_year(data_dir)["2023"]
    # A first load: everything is new.
    assert metadata["row_count_change"].value == metadata["dagster/row_count"].value
    # The real service's address for the dataset (the view the retrieval started from).
    assert metadata["source_url"].value == "https://www.dati.lombardia.it/api/views/qbau-cyuc.json"
    assert metadata["synthetic_values"].value is True
    assert "| " in metadata["preview"].value  # a Markdown table of the first rows


def test_a_year_outside_the_snapshot_is_skipped_and_said(data_dir: Path) -> None:
    # The bundled snapshot holds 2020-2025; the calendar starts in 2019.
    result = run(
        LABOUR_JOB,
        tags={RANGE_START: "2019", RANGE_END: "2020"},
    )
    assert result.success
    (summary, *_) = [
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key == LABOUR
    ]
    assert summary["partitions_not_published"].value == "2019"
    assert sorted(rows_by_year(data_dir)) == ["2020"]


def test_only_years_the_source_lacks_fail_with_a_clear_message(data_dir: Path) -> None:
    result = run(LABOUR_JOB, partition_key="2019")
    assert not result.success
    failure = next(e for e in result.get_step_failure_events() if "labour_activated" in e.step_key)
    message = str(failure.step_failure_data.error.cause or failure.step_failure_data.error)
    assert "lombardia/labour_activated" in message
    assert "2019" in message and "snapshot mode" in message


def test_a_failed_blocking_check_stops_everything_downstream(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ISTAT sends a comuni list missing one comune of the Città metropolitana: the list
    loads (it is well formed), its validation suite fails, and because that check is
    blocking neither dbt nor the publication runs."""
    real = comuni.snapshot()[0].path.read_bytes()
    lines = real.split(b"\n")
    # Drop Abbiategrasso (015002), one of the 133.
    broken = b"\n".join(line for line in lines if b";015002;" not in line)
    assert len(broken) < len(real)
    # Every other dataset as bundled, so only the comuni list can fail.
    for dataset in DATASETS:
        if dataset.key != "istat/comuni":
            ingest(dataset, Settings.from_env())
    HostPacer.reset()
    with IstatReplica(comuni_csv=broken, rate_limit=None) as replica:
        monkeypatch.setenv("OSSERVATORIO_ISTAT_WWW_URL", replica.base_url)
        monkeypatch.setenv("OSSERVATORIO_ISTAT_WWW_MIN_INTERVAL", "0")
        monkeypatch.setenv("OSSERVATORIO_SOURCE_MODE_ISTAT", "live")
        ingest(by_key("istat/comuni"), Settings.from_env())
    result = run("build")
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["gx_istat__comuni"]
    # The rule that failed is named, with what it observed: 132 comuni of the 133.
    assert "metropolitan_comuni | completeness | 132" in failed[0].metadata["failed_rules"].value
    # Nothing downstream of the check materialized: no model, no published warehouse.
    assert result.get_asset_materialization_events() == []
    assert not Settings(data_dir=data_dir).published_warehouse_path.exists()


def test_the_whole_graph_materializes_on_the_snapshot(snapshot_run) -> None:
    """``osservatorio run`` materializes every asset of the code location, in-process,
    and every check passes (the session's snapshot build)."""
    from orchestration.definitions import defs

    _settings, report = snapshot_run
    graph = defs.resolve_asset_graph()
    every_asset = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
    }
    assert set(report.materialized) == every_asset
    assert report.checks_failed == []
    assert len(report.checks_passed) > 1000


def test_dagster_validates_the_definitions(tmp_path: Path) -> None:
    dagster = Path(sys.executable).parent / "dagster"
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(tmp_path), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "All code locations passed validation" in completed.stderr + completed.stdout


def test_dbt_models_carry_their_row_count_and_column_types(snapshot_run) -> None:
    settings, _report = snapshot_run
    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))
    event = instance.get_latest_materialization_event(dg.AssetKey(["marts", "fct_indicator_value"]))
    metadata = event.asset_materialization.metadata
    with duckdb.connect(str(settings.published_warehouse_path), read_only=True) as con:
        rows = con.execute("select count(*) from marts.fct_indicator_value").fetchone()[0]
    assert metadata["dagster/row_count"].value == rows
    # A first build: every row is new.
    assert metadata["row_count_change"].value == rows
    columns = {c.name: c.type for c in metadata["dagster/column_schema"].value.columns}
    assert columns["indicator_id"] == "VARCHAR"
    assert columns["value"] == "DOUBLE"


def test_rows_failing_a_row_level_rule_are_quarantined_and_the_build_goes_on(
    data_dir: Path,
) -> None:
    """One labour contract with a sex outside {M, F}: that row moves to the quarantine with
    its rule and reason, the check warns (WARN: it blocks nothing), and the build publishes
    the warehouse from the valid rows, the quarantine and the audit trail included."""
    settings = Settings.from_env()
    for dataset in DATASETS:
        ingest(dataset, settings)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        before = con.execute("select count(*) from raw.lombardia__labour_activated").fetchone()[0]
        con.execute(
            "update raw.lombardia__labour_activated set genere = 'X' "
            "where rowid = (select min(rowid) from raw.lombardia__labour_activated)"
        )
    result = run("build")
    assert result.success
    (labour,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name.endswith("activated")
    ]
    assert not labour.passed and labour.severity.value == "WARN"
    assert labour.metadata["rows_quarantined"].value == 1
    with duckdb.connect(str(settings.published_warehouse_path), read_only=True) as con:
        kept = con.execute("select count(*) from raw.lombardia__labour_activated").fetchone()[0]
        quarantined = con.execute(
            "select genere, _rule from quarantine.lombardia__labour_activated"
        ).fetchall()
        audited = con.execute(
            "select quarantined_count from audit.validation_result "
            "where suite = 'lombardia__labour_activated' and quarantined_count > 0"
        ).fetchall()
    assert kept == before - 1
    assert quarantined == [("X", "expect_column_values_to_be_in_set:genere")]
    assert audited == [(1,)]
