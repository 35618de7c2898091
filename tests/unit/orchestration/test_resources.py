"""The pipeline resource: environment first, then resource config, then run tags."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.resources import PipelineResource, pipeline_resource
from osservatorio.settings import Settings

TOKEN = "s3cr3t-app-token"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "OSSERVATORIO_SOURCE_MODE",
        "OSSERVATORIO_SOCRATA_APP_TOKEN",
        "OSSERVATORIO_PUBLISHED_WAREHOUSE",
        "OSSERVATORIO_EXPORTS_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OSSERVATORIO_DATA_DIR", str(tmp_path / "data"))


def test_set_variables_are_bound_as_env_vars_and_unset_ones_left_to_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OSSERVATORIO_SOCRATA_APP_TOKEN", TOKEN)
    resource = pipeline_resource()
    # The UI shows the variable's name, never the token.
    assert resource.socrata_app_token == dg.EnvVar("OSSERVATORIO_SOCRATA_APP_TOKEN")
    assert resource.data_dir == dg.EnvVar("OSSERVATORIO_DATA_DIR")
    assert resource.source_mode is None
    assert resource.exports_dir is None


def test_environment_gives_paths_token_and_modes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OSSERVATORIO_SOCRATA_APP_TOKEN", TOKEN)
    monkeypatch.setenv("OSSERVATORIO_EXPORTS_DIR", str(tmp_path / "public"))
    monkeypatch.setenv("OSSERVATORIO_SOURCE_MODE_ISTAT", "live")
    settings = PipelineResource().settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.exports_dir == tmp_path / "public"
    assert settings.published_warehouse_path == tmp_path / "data/warehouse/osservatorio.duckdb"
    assert settings.socrata_app_token == TOKEN
    assert settings.mode_for("istat") == "live"
    assert settings.mode_for("ats") == "snapshot"


def test_resource_config_overrides_the_environment(tmp_path: Path) -> None:
    resource = PipelineResource(
        data_dir=str(tmp_path / "other"),
        source_mode="live",
        source_modes={"ats": "snapshot"},
        base_urls={"lombardia": "http://127.0.0.1:9/"},
        published_warehouse=str(tmp_path / "analysts.duckdb"),
    )
    settings = resource.settings()
    assert settings.data_dir == tmp_path / "other"
    assert settings.mode_for("istat") == "live"
    assert settings.mode_for("ats") == "snapshot"
    assert settings.base_url("lombardia", "https://www.dati.lombardia.it") == "http://127.0.0.1:9"
    assert settings.published_warehouse_path == tmp_path / "analysts.duckdb"


def test_a_run_tag_switches_one_source_to_live_for_that_run() -> None:
    settings = PipelineResource().settings({"osservatorio/source_mode.ats": "live", "x": "y"})
    assert settings.mode_for("ats") == "live"
    assert settings.mode_for("istat") == "snapshot"


def test_secrets_stay_out_of_settings_repr_and_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = "https://hooks.example.org/T000/B000/XXXX"
    monkeypatch.setenv("OSSERVATORIO_SOCRATA_APP_TOKEN", TOKEN)
    monkeypatch.setenv("OSSERVATORIO_ALERT_WEBHOOK_URL", hook)
    settings = Settings.from_env()
    assert TOKEN not in repr(settings)
    assert hook not in repr(settings)
    assert "alert_webhook" not in settings.base_urls


def test_an_unknown_mode_in_a_run_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="source mode 'offline'"):
        PipelineResource().settings({"osservatorio/source_mode.ats": "offline"})
