"""The pipeline's one configurable resource: where data lives and how sources are reached."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from osservatorio.settings import Settings

OWNER = "team:osservatorio-data"


class PipelineResource(dg.ConfigurableResource):
    """Data directory and source mode; the rest (base URLs, pacing) comes from ``OSSERVATORIO_*``.

    Set through environment variables (``OSSERVATORIO_DATA_DIR``, ``OSSERVATORIO_SOURCE_MODE``)
    or per run in the launchpad under ``resources.pipeline.config``.
    """

    data_dir: str
    source_mode: str = "snapshot"

    def settings(self) -> Settings:
        return Settings.from_env().with_overrides(
            data_dir=Path(self.data_dir).resolve(), source_mode=self.source_mode
        )


def pipeline_resource_from_env() -> PipelineResource:
    settings = Settings.from_env()
    return PipelineResource(data_dir=str(settings.data_dir), source_mode=settings.source_mode)
