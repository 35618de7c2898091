"""ATS Città Metropolitana di Milano: the files it sends, as contracts (no public API exists).

Case and Ospedali di Comunità are registries: each file is the whole registry as of the date in
its name, and the opening date of every structure lets the warehouse count what was open at any
past date, so one current file carries the history. General practitioners are a series: each
file carries every year (revisions of past years included) and replaces the previous one.
"""

from __future__ import annotations

from datetime import date
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

SOURCE = "ats"
SNAPSHOT_DIR = Path(__file__).parent / "snapshot"
SENDER = "ATS Città Metropolitana di Milano"
LANDING_URL = "https://www.ats-milano.it"
LICENCE = "CC BY 4.0 (data-sharing agreement with ATS, assumed)"
STATUS = ("programmata", "attiva")


def _structure_columns(prefix: str, kind_it: str, kind_en: str, example_name: str) -> list[Column]:
    return [
        Column(
            "id_struttura",
            "string",
            f"Codice {kind_it} assegnato da ATS",
            f"Code of the {kind_en} assigned by ATS",
            pattern=rf"{prefix}-\d{{3}}",
            example=f"{prefix}-001",
        ),
        Column(
            "denominazione",
            "string",
            "Nome della struttura",
            "Name of the facility",
            example=example_name,
        ),
        Column(
            "indirizzo",
            "string",
            "Indirizzo (via e numero civico)",
            "Address (street and number)",
            example="Via Rugabella 4/6",
        ),
        comune_column(
            description_it="Codice ISTAT del comune in cui si trova",
            description_en="ISTAT code of the comune where it is",
        ),
        Column(
            "stato",
            "string",
            "Stato: programmata (non ancora aperta) o attiva",
            "Status: programmata (planned, not open yet) or attiva (operating)",
            allowed=STATUS,
            example="attiva",
        ),
        Column(
            "data_apertura",
            "date",
            "Data di apertura: effettiva se attiva, prevista se programmata",
            "Opening date: actual if operating, expected if planned",
            required=False,
            example="2024-03-18",
        ),
    ]


def _opened(today: date) -> pl.Expr:
    """An operating structure has an opening date, and it is not in the future."""
    return (pl.col("stato") != "attiva") | (
        pl.col("data_apertura").is_not_null() & (pl.col("data_apertura") <= today)
    )


OPENED = RowRule(
    "attiva_con_data",
    ("stato", "data_apertura"),
    "una struttura attiva ha la data di apertura, non nel futuro",
    "an operating facility has an opening date, not in the future",
    _opened,
)

community_houses = FileContract(
    source=SOURCE,
    dataset="community_houses",
    stem="case_comunita",
    title_it="Case della Comunità",
    title_en="Community Houses",
    description_it="Registro delle Case della Comunità (DM 77/2022) nei comuni della Città "
    "metropolitana: una riga per struttura, programmata o attiva, con la data di apertura.",
    description_en="Registry of the Community Houses (DM 77/2022) in the comuni of the Città "
    "metropolitana: one row per facility, planned or operating, with its opening date.",
    sender=SENDER,
    landing_url=LANDING_URL,
    licence=LICENCE,
    columns=(
        *_structure_columns(
            "CDC", "della Casa della Comunità", "Community House", "Casa della Comunità Rugabella"
        ),
        Column(
            "tipologia",
            "string",
            "Tipologia DM 77: hub (sede principale) o spoke",
            "DM 77 type: hub (main site) or spoke",
            allowed=("hub", "spoke"),
            example="hub",
        ),
    ),
    primary_key=("id_struttura",),
    row_rules=(OPENED,),
)

community_hospitals = FileContract(
    source=SOURCE,
    dataset="community_hospitals",
    stem="ospedali_comunita",
    title_it="Ospedali di Comunità",
    title_en="Community Hospitals",
    description_it="Registro degli Ospedali di Comunità (DM 77/2022) nei comuni della Città "
    "metropolitana: una riga per struttura, con i posti letto.",
    description_en="Registry of the Community Hospitals (DM 77/2022) in the comuni of the "
    "Città metropolitana: one row per facility, with its beds.",
    sender=SENDER,
    landing_url=LANDING_URL,
    licence=LICENCE,
    columns=(
        *_structure_columns(
            "ODC",
            "dell'Ospedale di Comunità",
            "Community Hospital",
            "Ospedale di Comunità Cuggiono",
        ),
        Column(
            "posti_letto",
            "integer",
            "Posti letto (attivi se la struttura è attiva, previsti se programmata)",
            "Beds (in use if operating, planned if planned)",
            unit="posti letto / beds",
            minimum=0,
            maximum=100,
            example="20",
        ),
    ),
    primary_key=("id_struttura",),
    row_rules=(
        OPENED,
        RowRule(
            "attiva_con_posti",
            ("stato", "posti_letto"),
            "una struttura attiva ha almeno un posto letto",
            "an operating facility has at least one bed",
            lambda today: (pl.col("stato") != "attiva") | (pl.col("posti_letto") > 0),
        ),
    ),
)

# The "massimale": a GP may take at most 1,500 patients, raised to 1,800 by regional rules [A].
MAX_PATIENTS_PER_GP = 1800

general_practitioners = FileContract(
    source=SOURCE,
    dataset="general_practitioners",
    stem="medici_medicina_generale",
    title_it="Medici di medicina generale per comune",
    title_en="General practitioners by comune",
    description_it="Medici di medicina generale con ambulatorio nel comune e assistiti in carico "
    "(14 anni e oltre) al 31 dicembre di ogni anno; ogni file contiene tutti gli anni.",
    description_en="General practitioners with a surgery in the comune and their registered "
    "patients (aged 14 and over) on 31 December of each year; each file holds every year.",
    sender=SENDER,
    landing_url=LANDING_URL,
    licence=LICENCE,
    columns=(
        comune_column(),
        year_column(
            description_it="Anno (situazione al 31 dicembre)",
            description_en="Year (as of 31 December)",
        ),
        Column(
            "medici_mmg",
            "integer",
            "Medici di medicina generale con ambulatorio nel comune",
            "General practitioners with a surgery in the comune",
            unit="medici / doctors",
            minimum=0,
            example="912",
        ),
        Column(
            "assistiti",
            "integer",
            "Assistiti (14 anni e oltre) in carico ai medici del comune",
            "Patients (aged 14 and over) registered with the comune's GPs",
            unit="persone / people",
            minimum=0,
            example="1205330",
        ),
    ),
    primary_key=("codice_comune", "anno"),
    coverage=(Coverage("codice_comune", per=("anno",)),),
    row_rules=(
        RowRule(
            "massimale",
            ("medici_mmg", "assistiti"),
            f"assistiti non oltre {MAX_PATIENTS_PER_GP} per medico (massimale)",
            f"no more than {MAX_PATIENTS_PER_GP} patients per doctor (the legal ceiling)",
            lambda today: pl.col("assistiti") <= pl.col("medici_mmg") * MAX_PATIENTS_PER_GP,
        ),
    ),
)

CONTRACTS = (community_houses, community_hospitals, general_practitioners)
DATASETS = tuple(c.to_dataset(SNAPSHOT_DIR) for c in CONTRACTS)
