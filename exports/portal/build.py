"""The static download portal of a release: plain HTML files, built once per publication.

The portal lives in ``site/`` inside the release folder and links to the release's files
with relative paths (``../data/fct_indicator_value.csv``), so it works opened from the file
system and from any static host, and a release's pages always point at that release's own
files. Italian pages are at the top of ``site/``, English ones under ``site/en/``, each with
a link to the other language. Charts are SVG drawn at build time: the pages need no
JavaScript and load nothing from the network.

The whole site is written in a staging folder beside ``site_dir`` and renamed into place,
so a reader never sees half a site. Identical data gives identical bytes: rows are sorted,
and the only date on a page is the release's own name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import posixpath
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from exports.catalogue import PublishedDataset
from exports.portal import charts
from exports.portal.data import (
    SERIES_LEVELS,
    Comune,
    Driver,
    Indicator,
    PortalData,
    TargetProgress,
    load_portal_data,
)
from exports.portal.i18n import (
    DASH,
    LANGS,
    Lang,
    format_number,
    format_release_date,
    format_size,
    quantity,
    t,
    unit_label,
)

PACKAGE_DIR = Path(__file__).resolve().parent
SITE = "site"  # the portal's folder inside a release
CHECKSUMS = "SHA256SUMS"  # every release holds it (the release mechanism writes it last)
LICENCE_URLS: dict[Lang, str] = {
    "it": "https://creativecommons.org/licenses/by/4.0/deed.it",
    "en": "https://creativecommons.org/licenses/by/4.0/deed.en",
}
# (extension, label, media type) of the per-dataset files, in the order a reader meets them.
DATA_FORMATS = (
    ("csv", "CSV", "text/csv"),
    ("parquet", "Parquet", "application/vnd.apache.parquet"),
    ("json", "JSON", "application/json"),
)
METADATA_FILES = (
    ("catalogue.ttl", "catalogue_ttl"),
    ("catalogue.jsonld", "catalogue_jsonld"),
    ("datapackage.json", "datapackage"),
    ("CHANGELOG.md", "changelog_md"),
    ("CHANGELOG.json", "changelog_json"),
    ("quality/validation_results.csv", "quality_csv"),
)
DUCKDB_FILE = "osservatorio.duckdb"


@dataclass(frozen=True)
class Download:
    """A link to one file of the release, with what the reader needs to choose it."""

    path: str  # relative to the release folder, POSIX separators
    label: str
    size: str
    sha256: str
    media_type: str = ""
    title: str = ""


def scan_release_files(release_root: Path) -> dict[str, tuple[int, str]]:
    """``files`` for :func:`build_portal`: every file already in the release (its portal
    excepted), by POSIX path relative to the release, with its size and SHA-256."""
    found: dict[str, tuple[int, str]] = {}
    for directory, subdirectories, names in os.walk(release_root):
        here = Path(directory)
        if here == release_root:
            subdirectories[:] = [d for d in subdirectories if d != SITE and not d.startswith(".")]
        subdirectories.sort()
        for name in sorted(names):
            path = here / name
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            relative = path.relative_to(release_root).as_posix()
            found[relative] = (path.stat().st_size, digest.hexdigest())
    return found


def site_page(lang: Lang, page: str) -> str:
    """Where a page lives inside the release: ``site/<page>`` (it) or ``site/en/<page>``."""
    return f"{SITE}/{page}" if lang == "it" else f"{SITE}/{lang}/{page}"


def relative_href(from_page: str, target: str) -> str:
    """The link from one release file to another, both given relative to the release."""
    return posixpath.relpath(target, posixpath.dirname(from_page) or ".")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class _Site:
    """Renders every page of one release into ``root`` (the staging copy of ``site/``)."""

    def __init__(
        self,
        root: Path,
        data: PortalData,
        datasets: Sequence[PublishedDataset],
        files: Mapping[str, tuple[int, str]],
        release_name: str,
        quality_path: str | None,
    ) -> None:
        self.root = root
        self.data = data
        self.datasets = tuple(datasets)
        self.files = files
        self.release_name = release_name
        self.quality_path = quality_path
        self.env = _environment()
        self.written: list[str] = []  # pages, relative to site/

    # -- links -------------------------------------------------------------------------

    def download(self, path: str, label: str, lang: Lang, **extra: str) -> Download | None:
        """A link to ``path`` when the release holds it; None otherwise (never a dead link)."""
        if path not in self.files:
            return None
        size, sha256 = self.files[path]
        return Download(path, label, format_size(size, lang), sha256, **extra)

    def dataset_downloads(self, ds: PublishedDataset, lang: Lang) -> list[Download]:
        title = ds.title_it if lang == "it" else ds.title_en
        found = (
            self.download(f"data/{ds.slug}.{ext}", label, lang, media_type=mtype, title=title)
            for ext, label, mtype in DATA_FORMATS
        )
        return [d for d in found if d is not None]

    def bundle_of(self, driver: Driver) -> str | None:
        """The release's zip bundle of a Driver, whatever the release names it after (the
        Driver id, its number or its mart)."""
        names = {
            driver.driver_id.lower(),
            driver.mart_name.lower(),
            f"driver_{driver.number:02d}",
            f"driver_{driver.driver_id.lower()}",
        }
        for path in sorted(self.files):
            if not (path.startswith("bundles/") and path.endswith(".zip")):
                continue
            stem = posixpath.basename(path)[: -len(".zip")].lower()
            if stem in names or any(stem.startswith(name + "_") for name in names):
                return path
        return None

    # -- rendering ---------------------------------------------------------------------

    def render(self, template: str, lang: Lang, page: str, **context: Any) -> None:
        here = site_page(lang, page)
        other: Lang = "en" if lang == "it" else "it"

        def href(target: str) -> str:
            return relative_href(here, target)

        def page_href(target_page: str) -> str:
            return href(site_page(lang, target_page))

        html = self.env.get_template(template).render(
            lang=lang,
            other_lang=other,
            other_href=href(site_page(other, page)),
            t=lambda key: t(key, lang),
            href=href,
            page_href=page_href,
            release_name=self.release_name,
            release_date=format_release_date(self.release_name, lang),
            release_iso=_iso_date(self.release_name),
            licence_url=LICENCE_URLS[lang],
            quality_href=href(self.quality_path) if self.quality_path else None,
            **context,
        )
        relative = here[len(SITE) + 1 :]
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8", newline="\n")
        self.written.append(relative)

    def home(self, lang: Lang) -> None:
        data = self.data
        found = (self.download(path, t(key, lang), lang) for path, key in METADATA_FILES)
        metadata = [d for d in found if d is not None]
        # The checksums file is written after every other file, so it cannot be in `files`:
        # every release holds it, and it is how a reader checks a download.
        metadata.append(Download(CHECKSUMS, t("checksums", lang), "", ""))
        bundles = []
        for driver in data.drivers:
            path = self.bundle_of(driver)
            if path is not None:
                title = driver.title_it if lang == "it" else driver.title_en
                label = f"{t('driver', lang)} {driver.number} — {title}"
                bundles.append(self.download(path, label, lang))
        known = {b.path for b in bundles if b is not None}
        for path in sorted(self.files):
            if path.startswith("bundles/") and path not in known:
                bundles.append(self.download(path, posixpath.basename(path), lang))
        datasets = [
            {
                "slug": ds.slug,
                "title": ds.title_it if lang == "it" else ds.title_en,
                "description": ds.description_it if lang == "it" else ds.description_en,
                "downloads": self.dataset_downloads(ds, lang),
            }
            for ds in self.datasets
        ]
        drivers = [
            {
                "driver_id": d.driver_id,
                "number": d.number,
                "title": d.title_it if lang == "it" else d.title_en,
                "subtitle": d.subtitle_it if lang == "it" else d.subtitle_en,
                "indicators": len(data.indicators_of(d.driver_id)),
            }
            for d in data.drivers
        ]
        self.render(
            "index.html",
            lang,
            "index.html",
            page_title=t("home", lang),
            duckdb=self.download(DUCKDB_FILE, t("duckdb", lang), lang),
            metadata=metadata,
            bundles=[b for b in bundles if b is not None],
            datasets=datasets,
            drivers=drivers,
            zone=_zone_groups(data),
        )

    def driver_context(
        self, driver: Driver, lang: Lang, pending: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """What a Driver's page shows; its charts join ``pending`` to be drawn together."""
        data = self.data
        title = driver.title_it if lang == "it" else driver.title_en
        downloads = [
            d
            for ds in self.datasets
            if ds.driver_id == driver.driver_id
            for d in self.dataset_downloads(ds, lang)
        ]
        bundle_path = self.bundle_of(driver)
        bundle = (
            self.download(bundle_path, f"{t('bundles', lang)}: {title}", lang)
            if bundle_path
            else None
        )
        indicators = data.indicators_of(driver.driver_id)
        targets = [
            _target_row(ind, data.targets[ind.indicator_id], lang)
            for ind in indicators
            if ind.indicator_id in data.targets
        ]
        return {
            "page_title": f"{t('driver', lang)} {driver.number} — {title}",
            "driver": {
                "number": driver.number,
                "title": title,
                "subtitle": driver.subtitle_it if lang == "it" else driver.subtitle_en,
                "description": driver.description_it if lang == "it" else driver.description_en,
            },
            "downloads": downloads,
            "bundle": bundle,
            "targets": targets,
            "indicators": [_indicator_block(data, ind, lang, pending) for ind in indicators],
        }

    def comune(self, comune: Comune, lang: Lang) -> None:
        self.render(
            "comune.html",
            lang,
            f"comuni/{comune.comune_code}.html",
            page_title=comune.comune_name,
            comune=comune,
            groups=_comune_groups(self.data, comune, lang),
        )


def _iso_date(release_name: str) -> str | None:
    """The date a release is named after (``2025-06-01.2`` -> ``2025-06-01``), if any."""
    try:
        return dt.date.fromisoformat(release_name[:10]).isoformat()
    except ValueError:
        return None


def _zone_groups(data: PortalData) -> list[dict[str, Any]]:
    """The comuni by zona omogenea, in the Città metropolitana's order of the zone."""
    names = {z.zona_code: z.zona_name for z in data.zone}
    order = [z.zona_code for z in data.zone]
    order += sorted({c.zona_code for c in data.comuni} - set(order))
    groups = []
    for code in order:
        members = [c for c in data.comuni if c.zona_code == code]
        if members:
            name = names.get(code) or members[0].zona_name
            groups.append({"code": code, "name": name, "comuni": members})
    return groups


def _name(ind: Indicator, lang: Lang) -> str:
    return ind.name_it if lang == "it" else ind.name_en


def _target_text(
    direction: str | None, target: float | None, year: int | None, unit: str | None, lang: Lang
) -> str:
    """``almeno 100 % entro il 2030``, ``aumentare``: how the Plan states the target."""
    parts = []
    if direction:
        parts.append(t(direction, lang))
    if target is not None:
        parts.append(quantity(target, unit, lang))
    if year is not None:
        parts.append(f"{t('by_year', lang)} {year}")
    return " ".join(parts) or t("not_available", lang)


def _status(progress: TargetProgress) -> str:
    """Met, on track (not met yet, moving the right way), off track, or no data."""
    if progress.latest_value is None:
        return "no_data"
    if progress.is_target_met:
        return "met"
    if progress.is_trend_right_direction is True:
        return "on_track"
    if progress.is_trend_right_direction is False:
        return "off_track"
    return "not_available"


def _value_year(value: float | None, year: int | None, lang: Lang) -> str:
    if value is None:
        return DASH
    return (
        f"{format_number(value, lang)} ({year})" if year is not None else format_number(value, lang)
    )


def _target_row(ind: Indicator, progress: TargetProgress, lang: Lang) -> dict[str, str]:
    unit = progress.unit or ind.unit
    reference = _value_year(progress.reference_value, progress.reference_year, lang)
    if progress.reference_value is not None:
        origin = "from_plan" if progress.is_reference_from_plan else "first_observed"
        reference += f" — {t(origin, lang)}"
    distance = quantity(progress.distance_to_target, unit, lang)
    status = _status(progress)
    return {
        "indicator_id": ind.indicator_id,
        "name": _name(ind, lang),
        "reference": reference,
        "latest": _value_year(progress.latest_value, progress.latest_year, lang),
        "target": _target_text(
            progress.target_direction, progress.target, progress.target_year, unit, lang
        ),
        "distance": distance,
        "status_key": status,
        "status": t(status, lang),
    }


def _territory_label(data: PortalData, level: str, code: str, lang: Lang) -> str:
    if level == "cm":
        return t("cm", lang)
    if level == "zona":
        return next((z.zona_name for z in data.zone if z.zona_code == code), code)
    if level == "comune":
        return next((c.comune_name for c in data.comuni if c.comune_code == code), code)
    return f"{t(level, lang)} {code}"


def _series_chart(
    data: PortalData, ind: Indicator, lang: Lang, pending: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The indicator over the years at the coarsest level it has (the metropolitan one
    wherever there is one), with the Plan's target when it is a metropolitan value."""
    levels = data.levels.get(ind.indicator_id, frozenset())
    level = next((lvl for lvl in SERIES_LEVELS if lvl in levels), None)
    if level is None:
        return None
    series = {
        _territory_label(data, level, code, lang): data.series[(ind.indicator_id, level, code)]
        for code in data.territories(ind.indicator_id, level)
    }
    unit = unit_label(ind.unit, lang)
    target_label = None
    target = ind.target if level == "cm" else None
    if target is not None:
        target_label = f"{t('target', lang)}: {format_number(target, lang)}"
        if ind.target_year is not None:
            target_label += f" ({ind.target_year})"
    title = (
        f"{t('series_title', lang)} — {', '.join(series) if len(series) < 4 else t(level, lang)}"
    )
    spec = charts.time_series_spec(
        series,
        title=title,
        unit=unit,
        lang=lang,
        year_label=t("year", lang),
        target=target,
        target_label=target_label,
    )
    if len(series) == 1:
        ((label, points),) = series.items()
        first, last = points[0], points[-1]
        caption = f"{label}: {quantity(first[1], ind.unit, lang)} ({first[0]})"
        if last != first:
            caption += f" → {quantity(last[1], ind.unit, lang)} ({last[0]})"
    else:
        years = sorted({y for points in series.values() for y, _ in points})
        caption = f"{', '.join(series)}: {years[0]}{DASH}{years[-1]}"
    if target_label:
        caption += f". {target_label}."
    chart_id = f"{ind.indicator_id}-series"
    return _chart(chart_id, "series", spec, f"{_name(ind, lang)} — {title}", caption, pending)


def _ranking_chart(
    data: PortalData, ind: Indicator, lang: Lang, pending: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The comuni (or, without comune values, the zone) ranked on the latest year, best first
    when the indicator has a better direction."""
    levels = data.levels.get(ind.indicator_id, frozenset())
    level = "comune" if "comune" in levels else "zona" if "zona" in levels else None
    if level is None:
        return None
    year = data.latest_year(ind.indicator_id, level)
    if year is None:
        return None
    zona_of = {c.comune_code: c.zona_name for c in data.comuni}
    rows = []
    for code in data.territories(ind.indicator_id, level):
        value = data.value(ind.indicator_id, level, code, year)
        if value is not None:
            group = zona_of.get(code, "") if level == "comune" else ""
            rows.append((_territory_label(data, level, code, lang), group, value))
    if len(rows) < 2:
        return None
    descending = ind.polarity != "lower_is_better"
    has_direction = ind.polarity in ("higher_is_better", "lower_is_better")
    order = "best_first" if has_direction else "highest_first"
    what = t("ranking_comuni" if level == "comune" else "ranking_zone", lang)
    title = f"{what}, {year} ({t(order, lang)})"
    unit = unit_label(ind.unit, lang)
    spec = charts.ranking_spec(
        rows, title=title, unit=unit, lang=lang, descending=descending, group_label=t("zona", lang)
    )
    ranked = sorted(rows, key=lambda r: (-r[2] if descending else r[2], r[0]))
    caption = (
        f"{ranked[0][0]}: {quantity(ranked[0][2], ind.unit, lang)} … "
        f"{ranked[-1][0]}: {quantity(ranked[-1][2], ind.unit, lang)} ({len(rows)})"
    )
    chart_id = f"{ind.indicator_id}-ranking"
    return _chart(chart_id, "ranking", spec, f"{_name(ind, lang)} — {title}", caption, pending)


def _chart(
    chart_id: str,
    kind: str,
    spec: dict[str, Any],
    label: str,
    caption: str,
    pending: list[dict[str, Any]],
) -> dict[str, Any]:
    """A chart of a page, its SVG still to draw (``_draw`` fills it in)."""
    chart = {
        "chart_id": chart_id,
        "kind": kind,
        "vega_lite": spec,
        "svg": "",
        "spec": charts.spec_json(spec),
        "label": label,
        "caption": caption,
    }
    pending.append(chart)
    return chart


def _draw(pending: Sequence[dict[str, Any]]) -> None:
    """Draw every chart of the site at once: the renderer releases the GIL, so threads draw
    side by side (the charts are most of the build time)."""

    def draw(chart: dict[str, Any]) -> str:
        return charts.render_svg(chart["vega_lite"], chart["chart_id"], chart["label"])

    workers = max(1, min(8, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for chart, svg in zip(pending, pool.map(draw, pending), strict=True):
            chart["svg"] = svg


def _indicator_block(
    data: PortalData, ind: Indicator, lang: Lang, pending: list[dict[str, Any]]
) -> dict[str, Any]:
    target = None
    if ind.target is not None or ind.target_direction:
        target = _target_text(ind.target_direction, ind.target, ind.target_year, ind.unit, lang)
    found = (_series_chart(data, ind, lang, pending), _ranking_chart(data, ind, lang, pending))
    return {
        "indicator_id": ind.indicator_id,
        "name": _name(ind, lang),
        "unit": unit_label(ind.unit, lang),
        "source": ind.source if ind.source and ind.source != "none" else None,
        "target": target,
        "definition": ind.definition,
        "formula": ind.formula,
        "charts": [chart for chart in found if chart is not None],
    }


def _comune_groups(data: PortalData, comune: Comune, lang: Lang) -> list[dict[str, Any]]:
    """Per Driver, the indicators with a value for the comune: its latest value beside its
    zona's and the Città metropolitana's of the same year, and a sparkline."""
    groups = []
    for driver in data.drivers:
        rows = []
        for ind in data.indicators_of(driver.driver_id):
            points = data.series.get((ind.indicator_id, "comune", comune.comune_code))
            if not points:
                continue
            year, value = points[-1]
            unit = unit_label(ind.unit, lang)
            zona_value = data.value(ind.indicator_id, "zona", comune.zona_code, year)
            cm_value = data.value(ind.indicator_id, "cm", "215", year)
            label = f"{_name(ind, lang)}, {comune.comune_name}: " + ", ".join(
                f"{y} {format_number(v, lang)}" for y, v in points
            )
            rows.append(
                {
                    "indicator_id": ind.indicator_id,
                    "name": _name(ind, lang),
                    "year": year,
                    "value": format_number(value, lang),
                    "unit": unit,
                    "zona_value": format_number(zona_value, lang),
                    "cm_value": format_number(cm_value, lang),
                    "sparkline": charts.sparkline_svg(points, label),
                }
            )
        if rows:
            groups.append(
                {
                    "driver_id": driver.driver_id,
                    "number": driver.number,
                    "title": driver.title_it if lang == "it" else driver.title_en,
                    "rows": rows,
                }
            )
    return groups


def _quality_path(quality_report: Path | None, release_root: Path, staging: Path) -> str | None:
    """Where the pages link for the data-quality report: the report's own place when it is
    inside the release, else a copy inside the site; None when there is no report."""
    if quality_report is None or not quality_report.is_file():
        return None
    try:
        inside = quality_report.resolve().relative_to(release_root.resolve())
    except ValueError:
        copy = staging / "quality" / "index.html"
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(quality_report, copy)
        return f"{SITE}/quality/index.html"
    return inside.as_posix()


def _swap_into_place(staging: Path, site_dir: Path) -> None:
    """Replace ``site_dir`` by ``staging`` with renames (a directory cannot be replaced by
    ``os.replace`` while it has files, so the old one is moved aside first)."""
    old = None
    if site_dir.exists():
        old = site_dir.with_name(f".{site_dir.name}.{os.getpid()}.{time.time_ns()}.old")
        os.replace(site_dir, old)
    try:
        os.replace(staging, site_dir)
    except BaseException:
        if old is not None:
            os.replace(old, site_dir)  # put the previous site back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_portal(
    site_dir: Path,
    published_warehouse: Path,
    datasets: Sequence[PublishedDataset],
    files: Mapping[str, tuple[int, str]],
    release_name: str,
    quality_report: Path | None = None,
    *,
    log: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the portal of a release into ``site_dir`` (``<release>/site``) and return the
    files written.

    ``files`` maps each release file (relative path, POSIX separators) to its ``(bytes,
    sha256)``: the pages link only to files listed there (plus ``SHA256SUMS``), with their
    sizes. ``quality_report`` is the data-quality report's HTML, linked from every page.
    """
    started = time.perf_counter()
    site_dir = Path(site_dir)
    release_root = site_dir.parent
    release_root.mkdir(parents=True, exist_ok=True)
    data = load_portal_data(published_warehouse)
    staging = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.", suffix=".tmp", dir=release_root))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; a static host must read it
        quality = _quality_path(quality_report, release_root, staging)
        site = _Site(staging, data, datasets, files, release_name, quality)
        static = staging / "static"
        static.mkdir()
        shutil.copyfile(PACKAGE_DIR / "static" / "style.css", static / "style.css")
        extra = ["static/style.css"]
        if quality == f"{SITE}/quality/index.html":
            extra.append("quality/index.html")
        pending: list[dict[str, Any]] = []
        driver_pages = [
            (lang, driver, site.driver_context(driver, lang, pending))
            for lang in LANGS
            for driver in data.drivers
        ]
        drawing = time.perf_counter()
        _draw(pending)
        drawn = time.perf_counter() - drawing
        for lang, driver, context in driver_pages:
            site.render("driver.html", lang, f"drivers/{driver.driver_id}.html", **context)
        for lang in LANGS:
            site.home(lang)
            for comune in data.comuni:
                site.comune(comune, lang)
        _swap_into_place(staging, site_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if log is not None:
        log(
            f"portal: {len(site.written)} pages, {len(pending)} charts ({drawn:.1f} s drawing "
            f"them) in {time.perf_counter() - started:.1f} s"
        )
    return sorted(site_dir / p for p in [*site.written, *extra])
