"""One publication of the open data: the release and everything that describes it.

``publish_open_data`` is what the nightly Dagster job and ``osservatorio publish`` both run:
the dated release of every published dataset (``exports.release``), with, inside it, the
DCAT-AP_IT catalogue, the Frictionless data package, the data-quality report and the portal,
all written before ``SHA256SUMS`` and before ``latest`` moves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from exports.catalogue import DATASETS
from exports.datapackage import write_datapackage
from exports.dcat import (
    DEFAULT_BASE_URL,
    ReleaseInfo,
    coverage_from_warehouse,
    distributions_in,
    write_catalogue,
)
from exports.portal import build_portal
from exports.portal.build import scan_release_files
from exports.quality_report import write_quality_report
from exports.release import Release, publish_release
from osservatorio.settings import Settings
from warehouse.suites import SUITES

BASE_URL_ENV = "OSSERVATORIO_PUBLIC_BASE_URL"


def publish_open_data(
    settings: Settings,
    *,
    release_date: date | None = None,
    base_url: str = DEFAULT_BASE_URL,
    log: Callable[[str], None] = print,
) -> Release:
    """Publish a release of the published warehouse; ``latest`` moves only if all of it was
    written and verified."""
    published = settings.published_warehouse_path
    when = release_date or date.today()
    coverage = coverage_from_warehouse(published, DATASETS)

    def describe(staging: Path, name: str) -> None:
        log(f"release {name}: catalogue, data package, quality report, portal")
        write_catalogue(
            staging,
            DATASETS,
            ReleaseInfo(
                release_date=when,
                release_name=name,
                distributions=distributions_in(staging, DATASETS),
                coverage=coverage,
                base_url=base_url,
            ),
        )
        write_datapackage(
            staging,
            DATASETS,
            {d.slug: staging / "data" / f"{d.slug}.csv" for d in DATASETS},
            release_date=when,
            homepage=base_url,
        )
        report = write_quality_report(published, staging, SUITES)
        # Last: the portal lists every file written before it.
        build_portal(
            staging / "site",
            published,
            DATASETS,
            scan_release_files(staging),
            name,
            report,
            log=log,
        )

    return publish_release(
        published, settings.releases_dir, DATASETS, release_date=when, extra=describe
    )
