"""The portal's two languages: Italian first, English available.

Every word a page shows that does not come from the warehouse is here, so a page template
never holds prose, and numbers are written the way each language reads them
(``1.234,5`` in Italian, ``1,234.5`` in English).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

Lang = Literal["it", "en"]
LANGS: tuple[Lang, ...] = ("it", "en")

TEXT: dict[str, dict[Lang, str]] = {
    "site_title": {
        "it": "Osservatorio del Piano strategico — Città metropolitana di Milano",
        "en": "Strategic Plan Observatory — Città metropolitana di Milano",
    },
    "site_short": {"it": "Osservatorio del Piano strategico", "en": "Strategic Plan Observatory"},
    "tagline": {
        "it": "Gli indicatori dei dieci Driver del Piano strategico triennale del territorio "
        "metropolitano, come dati aperti.",
        "en": "The indicators of the ten Drivers of the metropolitan Strategic Plan, as open data.",
    },
    "other_language": {"it": "English", "en": "Italiano"},
    "navigation": {"it": "Navigazione principale", "en": "Main navigation"},
    "skip": {"it": "Vai al contenuto", "en": "Skip to content"},
    "home": {"it": "Home", "en": "Home"},
    "release": {"it": "Rilascio", "en": "Release"},
    "datasets": {"it": "Dataset", "en": "Datasets"},
    "no_datasets": {"it": "Nessun dataset pubblicato.", "en": "No dataset published."},
    "dataset": {"it": "Dataset", "en": "Dataset"},
    "last_update": {"it": "Ultimo aggiornamento", "en": "Last update"},
    "formats": {"it": "Formati e dimensioni", "en": "Formats and sizes"},
    "licence": {"it": "Licenza", "en": "Licence"},
    "licence_name": {"it": "CC BY 4.0", "en": "CC BY 4.0"},
    "licence_note": {
        "it": "Dati rilasciati con licenza Creative Commons Attribuzione 4.0 Internazionale "
        "(CC BY 4.0). Titolare: Città metropolitana di Milano.",
        "en": "Data released under the Creative Commons Attribution 4.0 International licence "
        "(CC BY 4.0). Rights holder: Città metropolitana di Milano.",
    },
    "drivers": {"it": "I dieci Driver del Piano", "en": "The ten Drivers of the Plan"},
    "indicators_count": {"it": "indicatori", "en": "indicators"},
    "comuni": {"it": "I comuni", "en": "The comuni"},
    "comuni_intro": {
        "it": "I 133 comuni della Città metropolitana, per zona omogenea.",
        "en": "The 133 comuni of the Città metropolitana, by zona omogenea.",
    },
    "downloads": {"it": "Scarica tutto", "en": "Download everything"},
    "bundles": {"it": "Pacchetti per Driver (zip)", "en": "Bundles per Driver (zip)"},
    "duckdb": {
        "it": "Tutte le tabelle pubblicate in un file DuckDB",
        "en": "Every published table in one DuckDB file",
    },
    "metadata": {"it": "Metadati", "en": "Metadata"},
    "catalogue_ttl": {"it": "Catalogo DCAT-AP_IT (Turtle)", "en": "DCAT-AP_IT catalogue (Turtle)"},
    "catalogue_jsonld": {
        "it": "Catalogo DCAT-AP_IT (JSON-LD)",
        "en": "DCAT-AP_IT catalogue (JSON-LD)",
    },
    "datapackage": {"it": "Data package Frictionless", "en": "Frictionless data package"},
    "changelog_md": {
        "it": "Modifiche rispetto al rilascio precedente (CHANGELOG.md)",
        "en": "Changes since the previous release (CHANGELOG.md)",
    },
    "changelog_json": {
        "it": "Modifiche rispetto al rilascio precedente (CHANGELOG.json)",
        "en": "Changes since the previous release (CHANGELOG.json)",
    },
    "quality_csv": {
        "it": "Esiti dei controlli di qualità (CSV)",
        "en": "Data-quality check results (CSV)",
    },
    "checksums": {"it": "Impronte SHA-256 (SHA256SUMS)", "en": "SHA-256 checksums (SHA256SUMS)"},
    "quality": {"it": "Qualità dei dati", "en": "Data quality"},
    "quality_link": {
        "it": "Rapporto sulla qualità dei dati di questo rilascio",
        "en": "Data-quality report of this release",
    },
    "driver": {"it": "Driver", "en": "Driver"},
    "driver_data": {"it": "Dati del Driver", "en": "The Driver's data"},
    "indicators": {"it": "Indicatori", "en": "Indicators"},
    "indicator": {"it": "Indicatore", "en": "Indicator"},
    "definition": {"it": "Definizione (in inglese)", "en": "Definition"},
    "formula": {"it": "Formula (in inglese)", "en": "Formula"},
    "source": {"it": "Fonte", "en": "Source"},
    "unit": {"it": "Unità", "en": "Unit"},
    "no_values": {
        "it": "Nessun valore pubblicato per ora.",
        "en": "No value published yet.",
    },
    "targets": {"it": "Distanza dagli obiettivi del Piano", "en": "Distance to the Plan's targets"},
    "no_targets": {
        "it": "Il Piano non fissa obiettivi per gli indicatori di questo Driver.",
        "en": "The Plan sets no target for this Driver's indicators.",
    },
    "reference": {"it": "Riferimento", "en": "Reference"},
    "from_plan": {"it": "dal Piano", "en": "from the Plan"},
    "first_observed": {"it": "primo anno osservato", "en": "first year observed"},
    "latest": {"it": "Ultimo valore", "en": "Latest value"},
    "target": {"it": "Obiettivo", "en": "Target"},
    "distance": {"it": "Distanza", "en": "Distance"},
    "status": {"it": "Stato", "en": "Status"},
    "met": {"it": "Raggiunto", "en": "Met"},
    "on_track": {"it": "In linea", "en": "On track"},
    "off_track": {"it": "Non in linea", "en": "Off track"},
    "no_data": {"it": "Nessun dato", "en": "No data"},
    "not_available": {"it": "n.d.", "en": "n/a"},
    "at_least": {"it": "almeno", "en": "at least"},
    "at_most": {"it": "al massimo", "en": "at most"},
    "increase": {"it": "aumentare", "en": "increase"},
    "decrease": {"it": "diminuire", "en": "decrease"},
    "by_year": {"it": "entro il", "en": "by"},
    "year": {"it": "Anno", "en": "Year"},
    "value": {"it": "Valore", "en": "Value"},
    "comune": {"it": "Comune", "en": "Comune"},
    "zona": {"it": "Zona omogenea", "en": "Zona omogenea"},
    "cm": {"it": "Città metropolitana", "en": "Città metropolitana"},
    "cpi": {"it": "Centro per l'impiego", "en": "Employment centre"},
    "station": {"it": "Stazione", "en": "Station"},
    "trend_chart": {"it": "Andamento", "en": "Trend"},
    "ranking_chart": {"it": "Graduatoria", "en": "Ranking"},
    "series_title": {"it": "Andamento nel tempo", "en": "Over time"},
    "ranking_comuni": {"it": "Graduatoria dei comuni", "en": "Ranking of the comuni"},
    "ranking_zone": {"it": "Graduatoria delle zone omogenee", "en": "Ranking of the zone omogenee"},
    "best_first": {"it": "dal migliore", "en": "best first"},
    "highest_first": {"it": "dal più alto", "en": "highest first"},
    "comune_intro": {
        "it": "Gli indicatori disponibili per comune, confrontati con la zona omogenea e "
        "con la Città metropolitana nello stesso anno.",
        "en": "The indicators available per comune, compared with the zona omogenea and "
        "with the Città metropolitana in the same year.",
    },
    "no_comune_values": {
        "it": "Nessun indicatore ha ancora valori per questo comune.",
        "en": "No indicator has values for this comune yet.",
    },
    "istat_code": {"it": "Codice ISTAT", "en": "ISTAT code"},
    "cadastral_code": {"it": "Codice catastale", "en": "Cadastral code"},
    "footer": {
        "it": "Città metropolitana di Milano — dati aperti del Piano strategico.",
        "en": "Città metropolitana di Milano — open data of the Strategic Plan.",
    },
    "chart_fallback": {
        "it": "Il grafico è un'immagine SVG; i valori sono nei file di dati.",
        "en": "The chart is an SVG image; the values are in the data files.",
    },
    "spec_note": {
        "it": "Specifica Vega-Lite del grafico",
        "en": "Vega-Lite specification of the chart",
    },
}

UNITS_IT = {
    "count": "numero",
    "days": "giorni",
    "beds": "posti letto",
    "ha per year": "ha all'anno",
    "kg per resident": "kg per residente",
    "kWh/m² year": "kWh/m² anno",
    "kW per 1,000 residents": "kW per 1.000 residenti",
    "per 1,000 residents": "per 1.000 residenti",
    "per 1,000 residents aged 14+": "per 1.000 residenti di 14 anni e più",
    "per 10,000 residents": "per 10.000 residenti",
    "per 50,000 residents": "per 50.000 residenti",
    "per 100,000 residents": "per 100.000 residenti",
}

MONTHS_IT = (
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# What a table shows for a missing value, and between two years of a range.
DASH = "\u2013"


def t(key: str, lang: Lang) -> str:
    return TEXT[key][lang]


def unit_label(unit: str | None, lang: Lang) -> str:
    """The unit as the reader's language writes it (the warehouse stores English)."""
    if not unit:
        return ""
    return UNITS_IT.get(unit, unit) if lang == "it" else unit


def format_number(value: float | None, lang: Lang, decimals: int = 2) -> str:
    """At most ``decimals`` decimals, no trailing zeros, grouped thousands in the reader's
    convention; ``None`` is an en dash."""
    if value is None:
        return DASH
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if lang == "it":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def quantity(value: float | None, unit: str | None, lang: Lang) -> str:
    """A value with its unit (``66,67 %``); a count is just its number (``1.590``)."""
    number = format_number(value, lang)
    if value is None or not unit or unit == "count":
        return number
    return f"{number} {unit_label(unit, lang)}"


def format_size(size: int, lang: Lang) -> str:
    """Bytes in decimal units (kB = 1000 B), one decimal above a kilobyte."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            break
        value /= 1000
    if unit == "B":
        return f"{size} B"
    return f"{format_number(round(value, 1), lang, decimals=1)} {unit}"


def format_release_date(release_name: str, lang: Lang) -> str:
    """``2025-06-01`` as ``1 giugno 2025`` / ``1 June 2025``; any other name as it is."""
    try:
        day = dt.date.fromisoformat(release_name[:10])
    except ValueError:
        return release_name
    if lang == "it":
        return f"{day.day} {MONTHS_IT[day.month - 1]} {day.year}"
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
