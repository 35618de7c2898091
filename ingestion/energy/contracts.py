"""Energy tables per comune and year, as contracts (GSE's Atlaimpianti and the charging-point
registries have no public API; docs/sources.md section 4 recommends a file drop).

Both are series: each file holds every year (revisions included) and replaces the previous one.
Photovoltaic figures follow GSE's statistics (plants in operation and installed power on
31 December); charging points follow the national platform of public charging points (PUN).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.common.filedrop import (
    Column,
    Coverage,
    FileContract,
    RowRule,
    comune_column,
    year_column,
)

SOURCE = "energy"
SNAPSHOT_DIR = Path(__file__).parent / "snapshot"
YEAR_END = ("Anno (situazione al 31 dicembre)", "Year (as of 31 December)")

photovoltaic = FileContract(
    source=SOURCE,
    dataset="photovoltaic",
    stem="fotovoltaico_comuni",
    title_it="Impianti fotovoltaici e potenza installata per comune",
    title_en="Photovoltaic plants and installed power by comune",
    description_it="Impianti fotovoltaici in esercizio e potenza installata al 31 dicembre, per "
    "comune e anno (statistiche GSE); ogni file contiene tutti gli anni.",
    description_en="Photovoltaic plants in operation and installed power on 31 December, by "
    "comune and year (GSE statistics); each file holds every year.",
    sender="GSE (Gestore dei Servizi Energetici), estrazione per la Città metropolitana",
    landing_url="https://www.gse.it/dati-e-scenari/atlaimpianti",
    licence="CC BY-NC-SA 3.0 IT (GSE open data: non-commercial)",
    sheet="fotovoltaico",
    columns=(
        comune_column(),
        year_column(description_it=YEAR_END[0], description_en=YEAR_END[1]),
        Column(
            "numero_impianti",
            "integer",
            "Impianti fotovoltaici in esercizio",
            "Photovoltaic plants in operation",
            unit="impianti / plants",
            minimum=0,
            example="12850",
        ),
        Column(
            "potenza_kw",
            "decimal",
            "Potenza installata",
            "Installed power",
            unit="kW",
            minimum=0,
            example="98450.5",
        ),
    ),
    primary_key=("codice_comune", "anno"),
    coverage=(Coverage("codice_comune", per=("anno",)),),
    row_rules=(
        RowRule(
            "potenza_se_impianti",
            ("numero_impianti", "potenza_kw"),
            "potenza maggiore di zero se e solo se ci sono impianti",
            "power above zero if and only if there are plants",
            lambda today: (pl.col("numero_impianti") > 0) == (pl.col("potenza_kw") > 0),
        ),
    ),
)

ev_charging = FileContract(
    source=SOURCE,
    dataset="ev_charging",
    stem="punti_ricarica",
    title_it="Punti di ricarica pubblici per veicoli elettrici per comune",
    title_en="Public charging points for electric vehicles by comune",
    description_it="Punti di ricarica accessibili al pubblico e infrastrutture (stazioni) al 31 "
    "dicembre, per comune e anno (Piattaforma Unica Nazionale); ogni file contiene tutti gli "
    "anni.",
    description_en="Publicly accessible charging points and charging stations on 31 December, "
    "by comune and year (national single platform, PUN); each file holds every year.",
    sender="Piattaforma Unica Nazionale dei punti di ricarica (MASE), estrazione per comune",
    landing_url="https://www.piattaformaunicanazionale.it",
    licence="to be confirmed with the publisher (assumed open, with attribution)",
    columns=(
        comune_column(),
        year_column(description_it=YEAR_END[0], description_en=YEAR_END[1]),
        Column(
            "punti_ricarica",
            "integer",
            "Punti di ricarica accessibili al pubblico",
            "Publicly accessible charging points",
            unit="punti / points",
            minimum=0,
            example="2480",
        ),
        Column(
            "punti_ricarica_veloci",
            "integer",
            "Di cui veloci (potenza oltre 22 kW)",
            "Of which fast (power above 22 kW)",
            unit="punti / points",
            minimum=0,
            example="390",
        ),
        Column(
            "infrastrutture",
            "integer",
            "Infrastrutture (stazioni) di ricarica",
            "Charging stations",
            unit="stazioni / stations",
            minimum=0,
            example="1210",
        ),
    ),
    primary_key=("codice_comune", "anno"),
    coverage=(Coverage("codice_comune", per=("anno",)),),
    row_rules=(
        RowRule(
            "veloci_entro_totale",
            ("punti_ricarica_veloci", "punti_ricarica"),
            "i punti veloci non superano i punti totali",
            "fast points do not exceed the points in all",
            lambda today: pl.col("punti_ricarica_veloci") <= pl.col("punti_ricarica"),
        ),
        RowRule(
            "stazioni_entro_punti",
            ("infrastrutture", "punti_ricarica"),
            "le stazioni non superano i punti (ogni stazione ha almeno un punto)",
            "stations do not exceed points (each station has at least one point)",
            lambda today: pl.col("infrastrutture") <= pl.col("punti_ricarica"),
        ),
        RowRule(
            "punti_con_stazioni",
            ("infrastrutture", "punti_ricarica"),
            "se ci sono punti c'è almeno una stazione",
            "where there are points there is at least one station",
            lambda today: (pl.col("punti_ricarica") == 0) | (pl.col("infrastrutture") > 0),
        ),
    ),
)

CONTRACTS = (photovoltaic, ev_charging)
DATASETS = tuple(c.to_dataset(SNAPSHOT_DIR) for c in CONTRACTS)
