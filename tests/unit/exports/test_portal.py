"""The download portal: a static site per release, Italian first, English beside it.

A hand-made published warehouse with the real marts' shapes stands in for the real one: three
comuni in two zone, two Drivers, three indicators, a handful of values chosen so every figure
a page shows can be checked by hand. The site is built once per module into a fake release
folder that holds every file the pages may link to.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import altair as alt
import duckdb
import pytest

from exports.catalogue import PublishedDataset
from exports.portal import build_portal, charts
from exports.portal.build import LICENCE_URLS, relative_href, scan_release_files, site_page
from exports.portal.i18n import format_number, format_release_date, format_size, quantity
from exports.portal.serve import latest_release_dir, make_server

RELEASE = "2025-06-01"
TRICKY = "Borgo <Test> & Figli"  # a comune name that must be escaped everywhere

# --- a published warehouse shaped like the real marts ---------------------------------------

MARTS_DDL = """
create schema marts;
create table marts.dim_zona_omogenea (
    zona_code varchar, zona_name varchar, comuni_count integer, sort_order integer);
create table marts.dim_comune (
    comune_code varchar, comune_name varchar, zona_code varchar, zona_name varchar,
    cadastral_code varchar, nuts3_code varchar, historic_province_code varchar,
    is_capital boolean);
create table marts.dim_driver (
    driver_id varchar, driver_number integer, title_it varchar, title_en varchar,
    subtitle_it varchar, subtitle_en varchar, description_it varchar, description_en varchar,
    mart_name varchar, mission_ids varchar, missions_count integer, indicators_count integer);
create table marts.dim_indicator (
    indicator_id varchar, driver_id varchar, name_it varchar, name_en varchar,
    definition varchar, formula varchar, unit varchar, multiplier double, polarity varchar,
    source varchar, frequency varchar, finest_level varchar, baseline double, target double,
    target_year integer, citation varchar, baseline_year integer, target_direction varchar);
create table marts.fct_indicator_value (
    indicator_id varchar, territory_level varchar, territory_code varchar, year integer,
    value double, numerator double, denominator double, unit varchar, source_release varchar);
create table marts.fct_target_progress (
    indicator_id varchar, driver_id varchar, territory_level varchar, territory_code varchar,
    unit varchar, reference_year integer, reference_value double,
    is_reference_from_plan boolean, latest_year integer, latest_value double, target double,
    target_direction varchar, target_year integer, distance_to_target double,
    is_target_met boolean, trend varchar, is_trend_right_direction boolean);
"""

ZONE = [("alto_milanese", "Alto Milanese", 2, 2), ("milano", "Milano", 1, 8)]
COMUNI = [
    ("015146", "Milano", "milano", "Milano", "F205", "ITC4C", "015", True),
    ("015007", "Arconate", "alto_milanese", "Alto Milanese", "A375", "ITC4C", "015", False),
    ("015999", TRICKY, "alto_milanese", "Alto Milanese", "Z999", "ITC4C", "015", False),
]
DRIVERS = [
    ("D01", 1, "Campus Metropolitano Smart", "Smart Metropolitan Campus", "Servizi digitali",
     "Digital services", "Il Campus.", "The Campus.", "mart_driver_01_campus_smart", "M1", 1, 2),
    ("D02", 2, "Politiche verdi e blu", "Green and blue policies", "Ambiente", "Environment",
     "Le politiche.", "The policies.", "mart_driver_02_verde_blu", "M2", 1, 1),
]  # fmt: skip
INDICATORS = [
    ("D01_01", "D01", "Comuni in fibra", "Comuni on fibre", "Share of comuni.", "100 * a / b",
     "%", 100.0, "higher_is_better", "cittametropolitana/fibre", "annual", "comune", 52.63,
     100.0, 2030, "plan", 2022, "at_least"),
    ("D01_02", "D01", "Siti 5G", "5G sites", "Active sites.", "count", "count", 1.0,
     "higher_is_better", "cittametropolitana/sites_5g", "annual", "cm", None, None, None,
     None, None, None),
    ("D02_01", "D02", "Suolo consumato", "Consumed soil", "Consumed soil.", "100 * a / b", "%",
     100.0, "lower_is_better", "ispra/soil", "annual", "comune", None, None, None, None, None,
     None),
]  # fmt: skip
# (indicator, level, code, year, value)
VALUES = [
    ("D01_01", "comune", "015146", 2023, 40.5),
    ("D01_01", "comune", "015146", 2024, 45.25),
    ("D01_01", "comune", "015007", 2023, 10.0),
    ("D01_01", "comune", "015007", 2024, 12.5),
    ("D01_01", "comune", "015999", 2024, 1234.5),
    ("D01_01", "zona", "alto_milanese", 2023, 18.0),
    ("D01_01", "zona", "alto_milanese", 2024, 20.0),
    ("D01_01", "zona", "milano", 2024, 45.25),
    ("D01_01", "cm", "215", 2023, 30.0),
    ("D01_01", "cm", "215", 2024, 33.33),
    ("D01_02", "cm", "215", 2022, 55.0),
    ("D01_02", "cm", "215", 2024, 68.0),
]
# D01_01 against the Plan: 52.63 % in 2022, 33.33 % in 2024, at least 100 % by 2030.
# Distance 100 - 33.33 = 66.67; down from the reference while higher is better: off track.
TARGETS = [
    ("D01_01", "D01", "cm", "215", "%", 2022, 52.63, True, 2024, 33.33, 100.0, "at_least", 2030,
     66.67, False, "down", False),
]  # fmt: skip


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"insert into marts.{table} values ({marks})", rows)


def make_warehouse(
    path: Path,
    *,
    zone: list[tuple] = ZONE,
    comuni: list[tuple] = COMUNI,
    drivers: list[tuple] = DRIVERS,
    indicators: list[tuple] = INDICATORS,
    values: list[tuple] = VALUES,
    targets: list[tuple] = TARGETS,
) -> Path:
    """A published warehouse with the marts the portal reads (values: (indicator, level,
    code, year, value), the other columns filled as the real fact table would)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(MARTS_DDL).fetchall()
        insert(con, "dim_zona_omogenea", zone)
        insert(con, "dim_comune", comuni)
        insert(con, "dim_driver", drivers)
        insert(con, "dim_indicator", indicators)
        units = {row[0]: row[6] for row in indicators}
        facts = [(*v, None, None, units[v[0]], "r1") for v in values]
        insert(con, "fct_indicator_value", facts)
        insert(con, "fct_target_progress", targets)
    finally:
        con.close()
    return path


def published(slug: str, driver_id: str | None = None) -> PublishedDataset:
    return PublishedDataset(
        slug=slug,
        table=f"marts.{slug}",
        title_it=f"Titolo {slug}",
        title_en=f"Title {slug}",
        description_it=f"Descrizione di {slug} <con markup>.",
        description_en=f"Description of {slug}.",
        themes=("REGI",),
        periodicity="ANNUAL",
        keywords_it=(),
        keywords_en=(),
        key=("id",),
        driver_id=driver_id,
    )


DATASETS = (published("fct_indicator_value"), published("mart_driver_01_campus_smart", "D01"))


def fake_release(root: Path) -> dict[str, tuple[int, str]]:
    """The files a release holds before its portal: data, a bundle, the analysts' database,
    metadata, the quality report. Returns ``files`` as the release mechanism passes it."""
    contents = {
        "data/fct_indicator_value.csv": b"indicator_id,value\nD01_01,33.33\n",
        "data/fct_indicator_value.parquet": b"PAR1 not really",
        "data/fct_indicator_value.json": b'[{"indicator_id":"D01_01"}]',
        "data/mart_driver_01_campus_smart.csv": b"comune_code,year\n015146,2024\n",
        "bundles/D01.zip": b"PK not really",
        "osservatorio.duckdb": b"DUCK" * 300_000,  # 1.2 MB
        "catalogue.ttl": b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n",
        "catalogue.jsonld": b"{}",
        "datapackage.json": b"{}",
        "CHANGELOG.md": b"# Changes\n",
        "quality/index.html": b"<!DOCTYPE html><html lang='it'><title>Q</title></html>",
    }
    for relative, content in contents.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return scan_release_files(root)


def write_checksums(root: Path) -> dict[str, str]:
    """SHA256SUMS over every file of the release, as the release mechanism writes it last."""
    sums = {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "SHA256SUMS"
    }
    text = "".join(f"{digest}  {relative}\n" for relative, digest in sums.items())
    (root / "SHA256SUMS").write_text(text, encoding="utf-8")
    return sums


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("portal")
    warehouse = make_warehouse(base / "osservatorio.duckdb")
    root = base / "releases" / RELEASE
    files = fake_release(root)
    build_portal(root / "site", warehouse, DATASETS, files, RELEASE, root / "quality/index.html")
    write_checksums(root)
    return root


def page(release: Path, relative: str) -> str:
    return (release / relative).read_text(encoding="utf-8")


class Links(HTMLParser):
    """Every href and src of a page, and every id it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)
            if name == "id" and value is not None:
                self.ids.add(value)


def parse(text: str) -> Links:
    parser = Links()
    parser.feed(text)
    return parser


def pages_of(release: Path) -> list[Path]:
    return sorted((release / "site").rglob("*.html"))


# --- pages ------------------------------------------------------------------------------------


def test_every_driver_and_comune_has_a_page_in_italian_and_in_english(release: Path) -> None:
    expected = {"index.html", "drivers/D01.html", "drivers/D02.html"} | {
        f"comuni/{code}.html" for code in ("015146", "015007", "015999")
    }
    found = {p.relative_to(release / "site").as_posix() for p in pages_of(release)}
    assert found == expected | {f"en/{p}" for p in expected}
    assert '<html lang="it">' in page(release, "site/index.html")
    assert '<html lang="en">' in page(release, "site/en/drivers/D01.html")


def test_every_page_links_to_the_same_page_in_the_other_language(release: Path) -> None:
    it = parse(page(release, "site/comuni/015007.html")).links
    en = parse(page(release, "site/en/comuni/015007.html")).links
    assert "../en/comuni/015007.html" in it
    assert "../../comuni/015007.html" in en


def test_every_link_of_every_page_resolves_to_a_file_of_the_release(release: Path) -> None:
    root = release.resolve()
    checked: set[str] = set()
    for html_page in pages_of(release):
        parsed = parse(html_page.read_text(encoding="utf-8"))
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme:
                assert link in LICENCE_URLS.values(), f"{html_page}: external link {link}"
                continue
            if not parts.path:  # "#D01_01": an anchor of this very page
                assert parts.fragment in parsed.ids, f"{html_page}: no id {parts.fragment}"
                continue
            target = (html_page.parent / parts.path).resolve()
            assert target.is_relative_to(root), f"{html_page}: {link} leaves the release"
            assert target.is_file(), f"{html_page}: {link} does not exist"
            if parts.fragment:
                assert parts.fragment in parse(target.read_text(encoding="utf-8")).ids, link
            checked.add(target.relative_to(root).as_posix())
    # Every kind of target was among them: data, bundle, database, metadata, report, pages.
    assert {
        "data/fct_indicator_value.csv",
        "data/fct_indicator_value.parquet",
        "data/fct_indicator_value.json",
        "data/mart_driver_01_campus_smart.csv",
        "bundles/D01.zip",
        "osservatorio.duckdb",
        "catalogue.ttl",
        "catalogue.jsonld",
        "datapackage.json",
        "CHANGELOG.md",
        "SHA256SUMS",
        "quality/index.html",
        "site/static/style.css",
        "site/drivers/D02.html",
        "site/en/comuni/015999.html",
    } <= checked


def test_the_home_page_links_data_relatively_with_sizes_and_checksums(release: Path) -> None:
    home = page(release, "site/index.html")
    csv = hashlib.sha256(b"indicator_id,value\nD01_01,33.33\n").hexdigest()
    # 19 + 13 = 32 bytes; the database is 4 * 300,000 = 1,200,000 bytes = 1.2 MB.
    assert f'href="../data/fct_indicator_value.csv" data-sha256="{csv}"' in home
    assert '<span class="size">32 B</span>' in home
    assert "(1,2 MB)" in home
    assert "(1.2 MB)" in page(release, "site/en/index.html")
    assert 'href="../../data/fct_indicator_value.csv"' in page(release, "site/en/index.html")


def test_the_home_page_lists_each_dataset_with_update_formats_and_licence(release: Path) -> None:
    home = page(release, "site/index.html")
    rows = re.findall(r'<tr id="dataset-([^"]+)">(.*?)</tr>', home, flags=re.S)
    assert [slug for slug, _ in rows] == ["fct_indicator_value", "mart_driver_01_campus_smart"]
    first = rows[0][1]
    assert "Titolo fct_indicator_value" in first
    assert "Descrizione di fct_indicator_value &lt;con markup&gt;." in first
    assert '<time datetime="2025-06-01">1 giugno 2025</time>' in first
    assert re.findall(r">(CSV|Parquet|JSON)</a>", first) == ["CSV", "Parquet", "JSON"]
    assert f'href="{LICENCE_URLS["it"]}" rel="license">CC BY 4.0</a>' in first
    # The driver mart has only its CSV in this release: no link to files it does not hold.
    assert re.findall(r">(CSV|Parquet|JSON)</a>", rows[1][1]) == ["CSV"]


def test_the_home_page_lists_drivers_and_comuni_by_zona(release: Path) -> None:
    home = page(release, "site/index.html")
    assert 'href="drivers/D01.html">Campus Metropolitano Smart</a>' in home
    assert 'href="drivers/D02.html">Politiche verdi e blu</a>' in home
    zone = re.findall(r'<h3 id="zona-([a-z_]+)">', home)
    assert zone == ["alto_milanese", "milano"]  # the zone's sort_order, not the alphabet
    alto = home.split('id="zona-alto_milanese"')[1].split("</section>")[0]
    assert re.findall(r'href="comuni/(\d+)\.html"', alto) == ["015007", "015999"]


def test_no_dataset_declared_lists_nothing(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    build_portal(tmp_path / "r" / "site", warehouse, (), {}, RELEASE, None)
    home = page(tmp_path / "r", "site/index.html")
    assert "Nessun dataset pubblicato." in home
    assert 'id="dataset-' not in home
    assert "Qualità dei dati" not in home  # no report, no link to one


def test_the_comune_page_shows_its_latest_values_beside_its_zona_and_the_cm(
    release: Path,
) -> None:
    # Arconate, D01_01, latest year 2024: 12.5; Alto Milanese 20.0; Città metropolitana 33.33.
    it = page(release, "site/comuni/015007.html")
    row = it.split('<tr data-indicator="D01_01">')[1].split("</tr>")[0]
    assert '<td class="num">2024</td>' in row
    assert '<td class="num value">12,5</td>' in row
    assert '<td class="num zona-value">20</td>' in row
    assert '<td class="num cm-value">33,33</td>' in row
    assert 'href="../drivers/D01.html#D01_01"' in row
    en = page(release, "site/en/comuni/015007.html")
    assert '<td class="num cm-value">33.33</td>' in en
    # D01_02 has no comune values: not on a comune page. D02_01 has no values at all.
    assert 'data-indicator="D01_02"' not in it
    assert "D02_01" not in it


def test_a_comune_value_in_a_year_without_zona_value_shows_a_dash(release: Path) -> None:
    # The tricky comune's only value is 1234.5 in 2024; its zona has a 2024 value (20.0).
    row = page(release, "site/comuni/015999.html").split('data-indicator="D01_01">')[1]
    assert '<td class="num value">1.234,5</td>' in row
    en_row = page(release, "site/en/comuni/015999.html").split('data-indicator="D01_01">')[1]
    assert '<td class="num value">1,234.5</td>' in en_row


def test_the_comune_sparkline_draws_each_year(release: Path) -> None:
    # Milano D01_01: 40.5 (2023), 45.25 (2024): two points, the later one higher.
    row = page(release, "site/comuni/015146.html").split('data-indicator="D01_01">')[1]
    assert '<polyline fill="none" stroke="#0b5cad" stroke-width="1.5" points="3,25 117,3"/>' in row
    assert "<title>Comuni in fibra, Milano: 2023 40,5, 2024 45,25</title>" in row


def test_the_driver_page_shows_the_distance_to_the_plans_targets(release: Path) -> None:
    row = page(release, "site/drivers/D01.html").split('<tr data-indicator="D01_01">')[1]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.split("</tr>")[0])
    assert cells == [
        "52,63 (2022) — dal Piano",
        "33,33 (2024)",
        "almeno 100 % entro il 2030",
        "66,67 %",
        '<span class="status off_track">Non in linea</span>',
    ]
    en = page(release, "site/en/drivers/D01.html").split('<tr data-indicator="D01_01">')[1]
    assert "at least 100 % by 2030" in en
    assert "Off track" in en
    assert "Il Piano non fissa obiettivi" in page(release, "site/drivers/D02.html")


def specs(text: str) -> dict[str, dict]:
    found = re.findall(
        r'<script type="application/json" class="vega-lite-spec" id="spec-([^"]+)">(.*?)</script>',
        text,
    )
    return {chart_id: json.loads(body) for chart_id, body in found}


def spec_values(spec: dict) -> list[dict]:
    """Every inline data row of a spec, wherever altair put it (top level, layers, datasets)."""
    rows = [row for values in spec.get("datasets", {}).values() for row in values]
    rows += spec.get("data", {}).get("values", [])
    for layer in spec.get("layer", []):
        rows += spec_values(layer)
    return rows


def test_the_driver_page_draws_a_time_series_and_a_ranking_per_indicator(release: Path) -> None:
    text = page(release, "site/drivers/D01.html")
    found = specs(text)
    # D01_01 has cm and comune values: both charts; D01_02 only cm values: no ranking.
    assert sorted(found) == ["D01_01-ranking", "D01_01-series", "D01_02-series"]
    series = [r for r in spec_values(found["D01_01-series"]) if "territory" in r]
    assert series == [
        {"territory": "Città metropolitana", "year": 2023, "value": 30.0},
        {"territory": "Città metropolitana", "year": 2024, "value": 33.33},
    ]
    targets = [r for r in spec_values(found["D01_01-series"]) if "label" in r]
    assert targets == [{"value": 100.0, "label": "Obiettivo: 100 (2030)"}]
    ranking = spec_values(found["D01_01-ranking"])
    assert sorted((r["name"], r["value"]) for r in ranking) == [
        ("Arconate", 12.5),
        (TRICKY, 1234.5),
        ("Milano", 45.25),
    ]
    assert "Graduatoria dei comuni, 2024 (dal migliore)" in text
    # Captions say what the chart shows; a count is a bare number, a share has its unit.
    assert "<figcaption>Città metropolitana: 55 (2022) → 68 (2024)</figcaption>" in text
    assert (
        "<figcaption>Città metropolitana: 30 % (2023) → 33,33 % (2024). "
        "Obiettivo: 100 (2030).</figcaption>"
    ) in text
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    assert 'role="img" aria-labelledby="D01_01-series-title"' in text
    assert "Nessun valore pubblicato per ora." in page(release, "site/drivers/D02.html")


def test_ids_in_the_inline_charts_are_unique_across_the_page(release: Path) -> None:
    for html_page in pages_of(release):
        ids = re.findall(r'\bid="([^"]+)"', html_page.read_text(encoding="utf-8"))
        assert len(ids) == len(set(ids)), html_page


def test_names_are_escaped_in_pages_and_in_embedded_specs(release: Path) -> None:
    for relative in ("site/index.html", "site/comuni/015999.html", "site/drivers/D01.html"):
        text = page(release, relative)
        assert "Borgo <Test>" not in text, relative
    assert "Borgo &lt;Test&gt; &amp; Figli" in page(release, "site/comuni/015999.html")
    assert "Borgo \\u003cTest\\u003e \\u0026 Figli" in page(release, "site/drivers/D01.html")


def test_the_site_is_the_same_bytes_for_the_same_data(release: Path, tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    root = tmp_path / RELEASE
    files = fake_release(root)
    build_portal(root / "site", warehouse, DATASETS, files, RELEASE, root / "quality/index.html")
    for html_page in pages_of(release):
        relative = html_page.relative_to(release)
        assert (root / relative).read_bytes() == html_page.read_bytes(), relative


def test_a_failed_build_leaves_the_previous_site_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    root = tmp_path / "release"
    build_portal(root / "site", warehouse, DATASETS, {}, RELEASE, None)
    before = {p: p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()}

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(charts, "render_svg", broken)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        build_portal(root / "site", warehouse, DATASETS, {}, "2025-07-01", None)
    after = {p: p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in root.iterdir()) == ["site"]  # no staging folder left


def test_build_portal_returns_every_file_it_wrote(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    written = build_portal(tmp_path / "r" / "site", warehouse, (), {}, RELEASE, None)
    on_disk = sorted(p for p in (tmp_path / "r" / "site").rglob("*") if p.is_file())
    assert written == on_disk
    assert len(written) == 2 * (1 + 2 + 3) + 1  # (home, 2 drivers, 3 comuni) x 2, the CSS


def test_a_quality_report_outside_the_release_is_copied_into_the_site(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    report = tmp_path / "elsewhere.html"
    report.write_text("<html>report</html>", encoding="utf-8")
    build_portal(tmp_path / "r" / "site", warehouse, (), {}, RELEASE, report)
    assert (tmp_path / "r/site/quality/index.html").read_text() == "<html>report</html>"
    assert 'href="../quality/index.html"' in page(tmp_path / "r", "site/drivers/D01.html")


# --- helpers -----------------------------------------------------------------------------------


def test_relative_links_between_release_files() -> None:
    assert site_page("it", "drivers/D01.html") == "site/drivers/D01.html"
    assert site_page("en", "drivers/D01.html") == "site/en/drivers/D01.html"
    assert relative_href("site/index.html", "data/x.csv") == "../data/x.csv"
    assert relative_href("site/en/drivers/D01.html", "data/x.csv") == "../../../data/x.csv"
    assert relative_href("site/en/index.html", "site/comuni/1.html") == "../comuni/1.html"
    assert posixpath.normpath(posixpath.join("site/en", "../../data/x.csv")) == "data/x.csv"


@pytest.mark.parametrize(
    ("value", "lang", "text"),
    [
        (1234.5, "it", "1.234,5"),
        (1234.5, "en", "1,234.5"),
        (10.260000000000005, "it", "10,26"),  # a float sum from fct_target_progress
        (55.0, "it", "55"),
        (-0.001, "en", "0"),
        (None, "it", "\u2013"),
    ],
)
def test_numbers_are_written_as_each_language_reads_them(
    value: float | None, lang: str, text: str
) -> None:
    assert format_number(value, lang) == text  # type: ignore[arg-type]


def test_a_count_is_a_bare_number_and_other_values_carry_their_unit() -> None:
    assert quantity(1590.0, "count", "it") == "1.590"
    assert quantity(66.67, "%", "it") == "66,67 %"
    assert quantity(3.5, "per 10,000 residents", "it") == "3,5 per 10.000 residenti"
    assert quantity(3.5, "per 10,000 residents", "en") == "3.5 per 10,000 residents"
    assert quantity(None, "%", "en") == "\u2013"


def test_sizes_and_release_dates() -> None:
    assert format_size(999, "it") == "999 B"
    assert format_size(1_234_567, "it") == "1,2 MB"
    assert format_size(1_500, "en") == "1.5 kB"
    assert format_release_date("2025-06-01", "it") == "1 giugno 2025"
    assert format_release_date("2025-06-01.2", "en") == "1 June 2025"
    assert format_release_date("nightly", "en") == "nightly"


def test_the_sparkline_scales_points_into_its_box() -> None:
    # Box 120 x 28 with a 3-pixel margin: 2020 -> x 3, 2022 -> x 117; value 0 -> y 25, 10 -> y 3.
    svg = charts.sparkline_svg([(2020, 0.0), (2021, 5.0), (2022, 10.0)], "a <b>")
    assert 'points="3,25 60,14 117,3"' in svg
    assert '<circle cx="117" cy="3" r="2.5"' in svg
    assert "<title>a &lt;b&gt;</title>" in svg
    single = charts.sparkline_svg([(2024, 7.0)], "one")
    assert "polyline" not in single
    assert '<circle cx="60" cy="14"' in single


def test_chart_specs_are_valid_vega_lite() -> None:
    series = charts.time_series_spec(
        {"cm": [(2020, 1.0), (2021, 2.0)]},
        title="t",
        unit="%",
        lang="it",
        year_label="Anno",
        target=3.0,
        target_label="Obiettivo: 3",
    )
    alt.LayerChart.from_dict(series)  # raises on a spec the schema rejects
    ranking = charts.ranking_spec(
        [("A", "z1", 1.0), ("B", "z2", 2.0)],
        title="r",
        unit="%",
        lang="en",
        descending=True,
        group_label="Zona",
    )
    alt.Chart.from_dict(ranking)
    assert ranking["usermeta"] == {"formatLocale": "en-US"}


def test_rendered_svg_ids_are_prefixed_with_the_chart_id() -> None:
    spec = {
        "data": {"values": [{"x": 1, "y": 2}, {"x": 3, "y": 9}]},
        "mark": {"type": "line", "clip": True},  # a clip path: Vega gives it an id
        "encoding": {"x": {"field": "x", "type": "quantitative", "scale": {"domain": [0, 2]}}},
    }
    svg = charts.render_svg(spec, "c7", "A <line>")
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert "c7-title" in ids
    assert len(ids) > 1, "the spec should have produced a clip path id"
    assert all(i.startswith("c7-") for i in ids)
    assert all(ref in ids for ref in re.findall(r"url\(#([^)]+)\)", svg))
    assert '<title id="c7-title">A &lt;line&gt;</title>' in svg


def test_embedded_specs_cannot_close_their_script_element() -> None:
    text = charts.spec_json({"title": "</script><!-- & >"})
    assert "<" not in text and ">" not in text
    assert json.loads(text) == {"title": "</script><!-- & >"}


# --- serving --------------------------------------------------------------------------------


@pytest.fixture
def server(release: Path) -> Iterator[str]:
    httpd = make_server(release, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_server_serves_the_release_and_sends_the_root_to_the_portal(
    server: str, release: Path
) -> None:
    with urllib.request.urlopen(server + "/") as response:  # follows the redirect
        assert response.url == server + "/site/"
        assert b'<html lang="it">' in response.read()
    with urllib.request.urlopen(server + "/data/fct_indicator_value.csv") as response:
        assert response.read() == (release / "data/fct_indicator_value.csv").read_bytes()
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(server + "/data/missing.csv")


def test_the_latest_release_is_served_through_the_symlink(tmp_path: Path) -> None:
    (tmp_path / "2025-06-01" / "site").mkdir(parents=True)
    os.symlink("2025-06-01", tmp_path / "latest")
    assert latest_release_dir(tmp_path) == tmp_path / "latest"  # not resolved: follows switches
    os.unlink(tmp_path / "latest")
    (tmp_path / "LATEST").write_text("2025-06-01\n", encoding="utf-8")
    assert latest_release_dir(tmp_path) == tmp_path / "2025-06-01"
    (tmp_path / "LATEST").unlink()
    with pytest.raises(FileNotFoundError, match="no published release"):
        latest_release_dir(tmp_path)
