"""The pipeline's one configurable resource: where data lives and how sources are reached."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from osservatorio.settings import Settings

OWNER = "team:osservatorio-data"


class PipelineResource(dg.ConfigurableResource):
    """Data directory and source mode, read from ``OSSERVATORIO_*`` when each run starts.

    Leave a field empty to use the environment (``OSSERVATORIO_DATA_DIR``,
    ``OSSERVATORIO_SOURCE_MODE``, per-source ``OSSERVATORIO_SOURCE_MODE_<SOURCE>``, base URLs
    and pacing); set it in the launchpad (``resources.pipeline.config``) to override one run.
    Nothing is read at import time, so loading the definitions never fixes a path.
    """

    data_dir: str | None = Field(
        default=None, description="Data directory (default: $OSSERVATORIO_DATA_DIR or ./data)"
    )
    source_mode: str | None = Field(
        default=None,
        description="snapshot or live (default: $OSSERVATORIO_SOURCE_MODE or snapshot)",
    )

    def settings(self) -> Settings:
        settings = Settings.from_env()
        if self.data_dir:
            settings = settings.with_overrides(data_dir=Path(self.data_dir).resolve())
        if self.source_mode:
            settings = settings.with_overrides(source_mode=self.source_mode)
        return settings
