"""The pipeline's one configurable resource: where data lives and how sources are reached."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
from pydantic import Field

from osservatorio.settings import ENV_PREFIX, Settings

OWNER = "team:osservatorio-data"
# Run tag ``osservatorio/source_mode.<source>: live`` switches one source's mode for one run
# (the file-drop sensors use it so a dropped file is read from its inbox). One "/" only: Dagster
# deprecates tag keys with more than one namespace.
SOURCE_MODE_TAG = "osservatorio/source_mode."


class PipelineResource(dg.ConfigurableResource):
    """Data directory, source modes, endpoints and publication paths for a run.

    Each field left empty falls back to the environment (``OSSERVATORIO_*``, read when the run
    starts: ``Settings.from_env``); ``definitions.py`` binds the variables that are set to
    ``EnvVar`` so the UI shows which variable configures what, never a secret's value. In the
    launchpad, ``resources.pipeline.config`` overrides fields for one run.
    """

    data_dir: str | None = Field(
        default=None, description="Data directory (default: $OSSERVATORIO_DATA_DIR or ./data)"
    )
    source_mode: str | None = Field(
        default=None,
        description="snapshot or live (default: $OSSERVATORIO_SOURCE_MODE or snapshot)",
    )
    source_modes: dict[str, str] = Field(
        default_factory=dict,
        description="Per-source mode, e.g. {istat: live} (default: "
        "$OSSERVATORIO_SOURCE_MODE_<SOURCE>)",
    )
    base_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Endpoint base URLs by name, e.g. {lombardia: https://...} (default: "
        "$OSSERVATORIO_<NAME>_URL, else the real service)",
    )
    socrata_app_token: str | None = Field(
        default=None,
        description="dati.lombardia.it app token (default: $OSSERVATORIO_SOCRATA_APP_TOKEN)",
    )
    published_warehouse: str | None = Field(
        default=None,
        description="Analysts' DuckDB file (default: $OSSERVATORIO_PUBLISHED_WAREHOUSE or "
        "<data_dir>/warehouse/osservatorio.duckdb)",
    )
    exports_dir: str | None = Field(
        default=None,
        description="Open-data files (default: $OSSERVATORIO_EXPORTS_DIR or <data_dir>/exports)",
    )

    def settings(self, run_tags: Mapping[str, str] | None = None) -> Settings:
        """Settings for this run: environment, then resource config, then run tags."""
        settings = Settings.from_env()
        changes: dict[str, object] = {}
        if self.data_dir:
            changes["data_dir"] = Path(self.data_dir).resolve()
        if self.source_mode:
            changes["source_mode"] = self.source_mode
        modes = {**settings.source_modes, **self.source_modes}
        for tag, value in (run_tags or {}).items():
            if tag.startswith(SOURCE_MODE_TAG):
                modes[tag.removeprefix(SOURCE_MODE_TAG)] = value
        changes["source_modes"] = modes
        if self.base_urls:
            changes["base_urls"] = {**settings.base_urls, **self.base_urls}
        if self.socrata_app_token:
            changes["socrata_app_token"] = self.socrata_app_token
        if self.published_warehouse:
            changes["published_warehouse_override"] = Path(self.published_warehouse).resolve()
        if self.exports_dir:
            changes["exports_dir_override"] = Path(self.exports_dir).resolve()
        return settings.with_overrides(**changes)


# Resource fields bound to environment variables when those are set.
ENV_FIELDS = {
    "data_dir": "DATA_DIR",
    "source_mode": "SOURCE_MODE",
    "socrata_app_token": "SOCRATA_APP_TOKEN",
    "published_warehouse": "PUBLISHED_WAREHOUSE",
    "exports_dir": "EXPORTS_DIR",
}


def pipeline_resource() -> PipelineResource:
    """The resource with every set ``OSSERVATORIO_*`` variable bound as ``EnvVar``: Dagster
    resolves it when a run starts, and the UI shows the variable's name, not its value."""
    bound = {
        field: dg.EnvVar(ENV_PREFIX + name)
        for field, name in ENV_FIELDS.items()
        if os.environ.get(ENV_PREFIX + name)
    }
    return PipelineResource(**bound)
