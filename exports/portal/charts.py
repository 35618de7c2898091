"""The portal's charts: Vega-Lite specs built with altair, drawn to SVG offline.

A page carries the SVG inline, so it shows its charts with no JavaScript and no network, and
carries the spec beside it as JSON for anyone who wants to redraw or restyle the chart. The
comune pages' sparklines are a few hand-written SVG lines: 133 pages of tiny charts would
cost more through Vega than the whole rest of the site.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import vl_convert
from altair.utils.schemapi import debug_mode

from exports.portal.i18n import Lang

# Text is measured when the SVG is drawn, here, and shown later by the reader's browser. The
# renderer measures generic fonts with its own Arial-compatible metrics (fast; naming an
# installed font makes it load and measure that font, five times slower), and Arial,
# Helvetica and Liberation Sans share those metrics; a wider fallback is absorbed by the
# rankings' left padding, where long comune names sit.
FONT = "Arial, Helvetica, 'Liberation Sans', sans-serif"
ACCENT = "#0b5cad"
TARGET_COLOUR = "#b3261e"
SERIES_WIDTH = 420
SERIES_HEIGHT = 220
RANKING_WIDTH = 320
RANKING_STEP = 11  # pixels per bar of a ranking

# d3-format locales: Italian pages group thousands with "." and write decimals with ",".
FORMAT_LOCALES: dict[Lang, str] = {"it": "it-IT", "en": "en-US"}

CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "titleFontWeight": "normal"},
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom", "columns": 3},
    "title": {"fontSize": 13, "anchor": "start", "fontWeight": "bold"},
}


def time_series_spec(
    series: Mapping[str, Sequence[tuple[int, float]]],
    *,
    title: str,
    unit: str,
    lang: Lang,
    year_label: str,
    target: float | None = None,
    target_label: str | None = None,
) -> dict[str, Any]:
    """A line per territory (usually the one metropolitan line), with the target as a dashed
    rule when the Plan gives a value."""
    with debug_mode(False):
        return _time_series(series, title, unit, lang, year_label, target, target_label)


def _time_series(
    series: Mapping[str, Sequence[tuple[int, float]]],
    title: str,
    unit: str,
    lang: Lang,
    year_label: str,
    target: float | None,
    target_label: str | None,
) -> dict[str, Any]:
    values = [
        {"territory": territory, "year": year, "value": value}
        for territory, points in series.items()
        for year, value in points
    ]
    years = sorted({year for points in series.values() for year, _ in points})
    # Years on a linear axis, so a gap in the data shows as a gap; one tick per year at most.
    x = alt.X(
        "year:Q",
        title=year_label,
        scale=alt.Scale(zero=False, nice=False, padding=12),
        axis=alt.Axis(format="d", values=years, labelAngle=0),
    )
    y = alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False))
    colour: Any = (
        alt.Color("territory:N", title=None, legend=alt.Legend(orient="bottom"))
        if len(series) > 1
        else alt.value(ACCENT)
    )
    base = alt.Chart(alt.Data(values=values))
    line = base.mark_line(point=True, strokeWidth=2).encode(x=x, y=y, color=colour)
    layers: list[alt.Chart | alt.LayerChart] = [line]
    if target is not None:
        # The rule and its label share one inline row: the target appears once in the spec.
        rule = alt.Chart().mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4])
        text = alt.Chart().mark_text(
            color=TARGET_COLOUR, align="left", baseline="bottom", dx=4, dy=-3, x=0
        )
        target_row = alt.Data(values=[{"value": target, "label": target_label or ""}])
        layers.append(
            alt.layer(
                rule.encode(y="value:Q"),
                text.encode(y="value:Q", text="label:N"),
                data=target_row,
            )
        )
    chart = alt.layer(*layers).properties(
        width=SERIES_WIDTH, height=SERIES_HEIGHT, title=title, description=title
    )
    return _finish(chart, lang)


def ranking_spec(
    rows: Sequence[tuple[str, str, float]],
    *,
    title: str,
    unit: str,
    lang: Lang,
    descending: bool,
    group_label: str,
) -> dict[str, Any]:
    """Horizontal bars, one per territory, sorted by value; coloured by group (the zona
    omogenea of each comune) so the map's geography shows through the ranking."""
    with debug_mode(False):
        return _ranking(rows, title, unit, lang, descending, group_label)


def _ranking(
    rows: Sequence[tuple[str, str, float]],
    title: str,
    unit: str,
    lang: Lang,
    descending: bool,
    group_label: str,
) -> dict[str, Any]:
    values = [{"name": name, "group": group, "value": value} for name, group, value in rows]
    order = "descending" if descending else "ascending"
    many_groups = len({group for _, group, _ in rows}) > 1
    colour: Any = (
        alt.Color(
            "group:N",
            title=group_label,
            scale=alt.Scale(scheme="tableau10"),
            legend=alt.Legend(orient="top", columns=3, columnPadding=24),
        )
        if many_groups
        else alt.value(ACCENT)
    )
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            y=alt.Y(
                "name:N",
                sort=alt.EncodingSortField(field="value", order=order),
                title=None,
                axis=alt.Axis(labelFontSize=9, labelLimit=150),
            ),
            # The value axis on top: a long ranking scrolls, and its scale stays in view.
            x=alt.X("value:Q", title=unit, axis=alt.Axis(orient="top")),
            color=colour,
        )
        .properties(
            width=RANKING_WIDTH,
            height=alt.Step(RANKING_STEP),
            title=title,
            description=title,
            # Room on the left for a comune's name drawn wider than it was measured.
            padding={"left": 20, "top": 5, "right": 5, "bottom": 5},
        )
    )
    return _finish(chart, lang)


def _finish(chart: alt.TopLevelMixin, lang: Lang) -> dict[str, Any]:
    # Unvalidated: altair's JSON-schema check costs more than drawing the chart, and the
    # unit tests validate each kind of spec against the Vega-Lite schema once.
    spec = chart.configure(**CONFIG).to_dict(validate=False)
    spec["usermeta"] = {"formatLocale": FORMAT_LOCALES[lang]}
    return spec


_ID = re.compile(r'\bid="([^"]+)"')


def render_svg(spec: Mapping[str, Any], chart_id: str, label: str) -> str:
    """The chart as an inline ``<svg>``: ids made unique to the chart (several SVGs share one
    page, and Vega numbers its clip paths from 1 in each), labelled for screen readers."""
    locale = spec.get("usermeta", {}).get("formatLocale", "en-US")
    svg = vl_convert.vegalite_to_svg(
        dict(spec), format_locale=locale, allowed_base_urls=[], show_warnings=False
    )
    ids = set(_ID.findall(svg))
    for old in sorted(ids, key=len, reverse=True):
        new = f"{chart_id}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"')
        svg = svg.replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    title_id = f"{chart_id}-title"
    opening = svg.index(">", svg.index("<svg")) + 1
    head = svg[: opening - 1]
    head = re.sub(r'\s(role|aria-label|aria-labelledby|aria-roledescription)="[^"]*"', "", head)
    head += f' role="img" aria-labelledby="{title_id}" data-chart="{html.escape(chart_id)}">'
    return f'{head}<title id="{title_id}">{html.escape(label)}</title>{svg[opening:]}'


def spec_json(spec: Mapping[str, Any]) -> str:
    """The spec as JSON safe inside ``<script type="application/json">``: no ``<`` at all, so
    no ``</script>`` or ``<!--`` can end the element early."""
    text = json.dumps(spec, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def sparkline_svg(
    points: Sequence[tuple[int, float]], label: str, width: int = 120, height: int = 28
) -> str:
    """A tiny line of the values over the years, the last one marked; a single year is a dot.

    Hand-written: a polyline over the points scaled into the box, with a 3-pixel margin so
    the end dot is never cut.
    """
    margin = 3.0
    escaped = html.escape(label)
    head = (
        f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{escaped}">'
        f"<title>{escaped}</title>"
    )
    if not points:
        return head + "</svg>"
    years = [year for year, _ in points]
    values = [value for _, value in points]
    y0, y1 = min(years), max(years)
    v0, v1 = min(values), max(values)

    def place(year: int, value: float) -> tuple[float, float]:
        x = margin + (width - 2 * margin) * ((year - y0) / (y1 - y0) if y1 > y0 else 0.5)
        y = margin + (height - 2 * margin) * ((v1 - value) / (v1 - v0) if v1 > v0 else 0.5)
        return round(x, 1), round(y, 1)

    placed = [place(year, value) for year, value in points]
    body = ""
    if len(placed) > 1:
        coords = " ".join(f"{x:g},{y:g}" for x, y in placed)
        body += f'<polyline fill="none" stroke="{ACCENT}" stroke-width="1.5" points="{coords}"/>'
    x, y = placed[-1]
    body += f'<circle cx="{x:g}" cy="{y:g}" r="2.5" fill="{ACCENT}"/>'
    return head + body + "</svg>"
