"""Where things live and how sources are reached, read once from the environment.

Every path and mode the pipeline uses comes from here, so a deployment changes
behaviour through environment variables (or Dagster run config, which builds a
``Settings`` the same way) and never through code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

SourceMode = Literal["snapshot", "live"]
SOURCE_MODES: tuple[SourceMode, ...] = ("snapshot", "live")

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

ENV_PREFIX = "OSSERVATORIO_"
# ``OSSERVATORIO_*_URL`` variables that are not source endpoints (the alert webhook is a secret).
NOT_ENDPOINTS = frozenset({"OSSERVATORIO_ALERT_WEBHOOK_URL", "OSSERVATORIO_DAGSTER_URL"})


def _env(name: str, default: str) -> str:
    return os.environ.get(ENV_PREFIX + name, default)


@dataclass(frozen=True)
class Settings:
    """Paths and source options for one pipeline run."""

    data_dir: Path
    source_mode: SourceMode = "snapshot"
    base_urls: dict[str, str] = field(default_factory=dict)
    # Seconds between two requests to the same host, per source (0 = no pacing).
    min_intervals: dict[str, float] = field(default_factory=dict)
    # Per-source exceptions to ``source_mode`` (e.g. ISTAT live, the rest from the snapshot).
    source_modes: dict[str, SourceMode] = field(default_factory=dict)
    # Where analysts' warehouse and the open-data files go, when not under ``data_dir``.
    published_warehouse_override: Path | None = None
    exports_dir_override: Path | None = None
    # A secret: never printed (``repr=False``), never archived or logged.
    socrata_app_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for mode in (self.source_mode, *self.source_modes.values()):
            if mode not in SOURCE_MODES:
                raise ValueError(f"source mode {mode!r} is not one of {', '.join(SOURCE_MODES)}")

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from ``OSSERVATORIO_*`` variables, with local defaults."""
        data_dir = Path(_env("DATA_DIR", str(REPO_ROOT / "data"))).resolve()
        base_urls = {
            key[len(ENV_PREFIX) : -len("_URL")].lower(): value
            for key, value in os.environ.items()
            if key.startswith(ENV_PREFIX) and key.endswith("_URL") and key not in NOT_ENDPOINTS
        }
        intervals = {
            key[len(ENV_PREFIX) : -len("_MIN_INTERVAL")].lower(): float(value)
            for key, value in os.environ.items()
            if key.startswith(ENV_PREFIX) and key.endswith("_MIN_INTERVAL")
        }
        mode_prefix = ENV_PREFIX + "SOURCE_MODE_"
        modes = {
            key[len(mode_prefix) :].lower(): value
            for key, value in os.environ.items()
            if key.startswith(mode_prefix)
        }
        published = os.environ.get(ENV_PREFIX + "PUBLISHED_WAREHOUSE")
        exports = os.environ.get(ENV_PREFIX + "EXPORTS_DIR")
        return cls(
            data_dir=data_dir,
            published_warehouse_override=Path(published).resolve() if published else None,
            exports_dir_override=Path(exports).resolve() if exports else None,
            socrata_app_token=os.environ.get(ENV_PREFIX + "SOCRATA_APP_TOKEN") or None,
            source_mode=_env("SOURCE_MODE", "snapshot"),  # type: ignore[arg-type]
            base_urls=base_urls,
            min_intervals=intervals,
            source_modes=modes,  # type: ignore[arg-type]
        )

    def mode_for(self, source: str) -> SourceMode:
        """The mode of one source: its own setting if any, else the global one."""
        return self.source_modes.get(source, self.source_mode)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def base_url(self, name: str, default: str) -> str:
        """The base URL of endpoint ``name`` (``OSSERVATORIO_<NAME>_URL`` overrides it)."""
        return self.base_urls.get(name, default).rstrip("/")

    def min_interval(self, name: str, default: float) -> float:
        return self.min_intervals.get(name, default)

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file the pipeline builds into (engineers only)."""
        return self.data_dir / "build" / "warehouse.duckdb"

    @property
    def published_warehouse_path(self) -> Path:
        """The read-only copy analysts query, replaced whole after checks pass."""
        if self.published_warehouse_override is not None:
            return self.published_warehouse_override
        return self.data_dir / "warehouse" / "osservatorio.duckdb"

    @property
    def exports_dir(self) -> Path:
        return self.exports_dir_override or self.data_dir / "exports"

    @property
    def releases_dir(self) -> Path:
        """Dated open-data releases and their ``latest`` link (each holds its portal)."""
        return self.exports_dir / "releases"

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "state"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"
