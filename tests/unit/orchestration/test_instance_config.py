"""The Dagster instance files: the local one and the production one load, and typos are caught.

Both are checked with Dagster's own schemas (the instance schema, then the config schema of
every class they name), with made-up values for the environment variables they reference.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestration.instance import (
    LOCAL_CONFIG,
    PRODUCTION_CONFIG,
    InstanceConfigError,
    install_instance_config,
    main,
    validate_instance_config,
)

PROD_ENV = {
    "DAGSTER_PG_USERNAME": "dagster",
    "DAGSTER_PG_PASSWORD": "not-a-real-password",
    "DAGSTER_PG_HOST": "postgresql.osservatorio.svc",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_PORT": "5432",
}
WAREHOUSE_WRITER_LIMIT = [{"key": "osservatorio/warehouse", "value": "write", "limit": 1}]


def local_env(home: Path) -> dict[str, str]:
    return {"DAGSTER_HOME": str(home)}


def test_the_local_template_is_valid_and_queues_one_warehouse_writer(tmp_path: Path) -> None:
    config = validate_instance_config(LOCAL_CONFIG, local_env(tmp_path))

    runs = config["concurrency"]["runs"]
    assert runs["tag_concurrency_limits"] == WAREHOUSE_WRITER_LIMIT
    assert 1 < runs["max_concurrent_runs"] <= 4
    assert config["storage"] == {"sqlite": {"base_dir": {"env": "DAGSTER_HOME"}}}
    assert config["run_monitoring"]["enabled"] is True
    assert config["retention"]["sensor"]["purge_after_days"]["skipped"] > 0
    assert config["telemetry"] == {"enabled": False}


def test_an_instance_built_from_the_local_template_applies_its_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import DagsterInstance
    from dagster._core.run_coordinator import QueuedRunCoordinator

    home = tmp_path / "dagster"
    install_instance_config(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    instance = DagsterInstance.from_config(str(home))
    try:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None
        assert queue.tag_concurrency_limits == WAREHOUSE_WRITER_LIMIT
        assert queue.max_concurrent_runs == 4
        assert instance.run_monitoring_enabled
        assert not instance.telemetry_enabled
        # Run history is SQLite inside DAGSTER_HOME.
        assert list(home.rglob("*.db"))
    finally:
        instance.dispose()


def test_the_production_config_is_valid_with_its_environment() -> None:
    config = validate_instance_config(PRODUCTION_CONFIG, PROD_ENV)

    assert set(config["storage"]) == {"postgres"}
    assert config["run_launcher"]["module"] == "dagster_k8s"
    assert config["run_launcher"]["class"] == "K8sRunLauncher"
    launcher = config["run_launcher"]["config"]
    assert launcher["env_secrets"] == ["osservatorio-secrets"]
    assert launcher["postgres_password_secret"]
    assert launcher["instance_config_map"]
    # The same queue as the local instance: one warehouse writer at a time.
    assert config["concurrency"]["runs"]["tag_concurrency_limits"] == WAREHOUSE_WRITER_LIMIT
    assert config["run_monitoring"]["enabled"] is True


def test_the_production_config_names_the_variables_it_lacks() -> None:
    environment = dict(os.environ)
    without_host = {k: v for k, v in PROD_ENV.items() if k != "DAGSTER_PG_HOST"}

    with pytest.raises(InstanceConfigError, match="DAGSTER_PG_HOST") as raised:
        validate_instance_config(PRODUCTION_CONFIG, without_host)

    assert str(PRODUCTION_CONFIG) in str(raised.value)
    assert dict(os.environ) == environment  # the process environment is given back intact


def test_the_production_config_holds_no_secret_values() -> None:
    document = yaml.safe_load(PRODUCTION_CONFIG.read_text("utf-8"))

    database = document["storage"]["postgres"]
    assert "postgres_url" not in database  # a URL would carry the password
    assert all(set(value) == {"env"} for value in database["postgres_db"].values())
    launcher = document["run_launcher"]["config"]
    assert "env_vars" not in launcher  # KEY=VALUE pairs would sit in the ConfigMap in clear

    def strings(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [s for value in node.values() for s in strings(value)]
        if isinstance(node, list):
            return [s for value in node for s in strings(value)]
        return [node] if isinstance(node, str) else []

    for value in strings(document):
        assert "://" not in value, value  # no URL, with or without credentials
    text = PRODUCTION_CONFIG.read_text("utf-8")
    for secret in ("OSSERVATORIO_SOCRATA_APP_TOKEN", "OSSERVATORIO_ALERT_WEBHOOK_URL"):
        assert f"{secret}:" not in text and f"{secret}=" not in text  # named, never valued


def _set(path: list[str | int], value: object) -> Callable[[dict], None]:
    def mutate(document: dict) -> None:
        node: Any = document
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


BROKEN = [
    # (which file, what breaks it, what the error must name)
    ("local", _set(["run_monitorin"], {"enabled": True}), "run_monitorin"),
    ("local", _set(["run_monitoring", "max_runtime_seconds"], "4h"), "max_runtime_seconds"),
    (
        "local",
        _set(["concurrency", "runs", "tag_concurrency_limits", 0, "limit"], "one"),
        "limit",
    ),
    ("local", _set(["run_launcher", "class"], "DefaultRunLaunchr"), "DefaultRunLaunchr"),
    (
        "local",
        _set(["run_coordinator", "config", "max_user_code_failure_retrys"], 2),
        "max_user_code_failure_retrys",
    ),
    ("prod", _set(["telemetri"], {"enabled": False}), "telemetri"),
    ("prod", _set(["run_monitoring", "start_timeout_seconds"], "soon"), "start_timeout_seconds"),
    ("prod", _set(["run_launcher", "class"], "K8sRunLaunchr"), "K8sRunLaunchr"),
    ("prod", _set(["run_launcher", "module"], "dagster_k9s"), "dagster_k9s"),
    ("prod", _set(["run_launcher", "config", "job_namespce"], "osservatorio"), "job_namespce"),
    (
        "prod",
        _set(["run_launcher", "config", "env_secrets"], "osservatorio-secrets"),
        "env_secrets",
    ),
    ("prod", _set(["storage", "postgres", "postgres_db", "hostnam"], "db"), "hostnam"),
]


@pytest.mark.parametrize(
    ("which", "mutate", "named"), BROKEN, ids=[f"{w}-{n}" for w, _, n in BROKEN]
)
def test_a_broken_copy_is_rejected_naming_the_key(
    which: str, mutate: Callable[[dict], None], named: str, tmp_path: Path
) -> None:
    source, env = (
        (LOCAL_CONFIG, local_env(tmp_path)) if which == "local" else (PRODUCTION_CONFIG, PROD_ENV)
    )
    document = yaml.safe_load(source.read_text("utf-8"))
    mutate(document)
    broken = tmp_path / "dagster.yaml"
    broken.write_text(yaml.safe_dump(document), "utf-8")

    with pytest.raises(InstanceConfigError) as raised:
        validate_instance_config(broken, env)

    assert str(broken) in str(raised.value)
    assert named in str(raised.value)


def test_install_copies_the_template_into_the_home(tmp_path: Path) -> None:
    home = tmp_path / "data" / "dagster"

    installed = install_instance_config(home)

    assert installed == home / "dagster.yaml"
    assert installed.read_bytes() == LOCAL_CONFIG.read_bytes()
    assert [p.name for p in home.iterdir()] == ["dagster.yaml"]  # no temporary file left


def test_install_leaves_an_identical_copy_untouched(tmp_path: Path) -> None:
    installed = install_instance_config(tmp_path)
    os.utime(installed, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))

    install_instance_config(tmp_path)

    assert installed.stat().st_mtime_ns == 1_000_000_000_000_000_000


def test_install_replaces_a_stale_copy(tmp_path: Path) -> None:
    stale = tmp_path / "dagster.yaml"
    stale.write_text("telemetry:\n  enabled: false\n", "utf-8")

    install_instance_config(tmp_path)

    assert stale.read_bytes() == LOCAL_CONFIG.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["dagster.yaml"]


def test_the_command_line_installs_and_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    assert main(["install", str(home)]) == 0
    assert (home / "dagster.yaml").read_bytes() == LOCAL_CONFIG.read_bytes()

    broken = tmp_path / "broken.yaml"
    broken.write_text("run_monitoring:\n  enabled: maybe\n", "utf-8")
    assert main(["check", str(broken)]) == 1
    assert "run_monitoring" in capsys.readouterr().err
