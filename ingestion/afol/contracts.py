"""AFOL Metropolitana: the files it sends, as contracts (its reports are PDFs; no API exists).

``employment_centres`` is the catchment table of the public employment centres (CPI): one row
per comune, every one of the 133 in exactly one CPI, with the CPI's details repeated on each
of its comuni (the CPI list is derived in staging; the consistency rule keeps the copies equal).
``gol_beneficiaries`` is a monthly series per CPI since the GOL programme started; each file
carries every month and replaces the previous one.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.common.filedrop import (
    Column,
    Consistency,
    Coverage,
    FileContract,
    RowRule,
    comune_column,
)

SOURCE = "afol"
SNAPSHOT_DIR = Path(__file__).parent / "snapshot"
SENDER = "AFOL Metropolitana (Agenzia metropolitana per la formazione, l'orientamento e il lavoro)"
LANDING_URL = "https://www.afolmet.it"
LICENCE = "CC BY 4.0 (data-sharing agreement with AFOL, assumed)"
CPI_PATTERN = r"CPI\d{2}"
PATHS = (
    ("percorso_1_reinserimento", "Percorso 1: reinserimento lavorativo", "Path 1: job placement"),
    ("percorso_2_aggiornamento", "Percorso 2: aggiornamento (upskilling)", "Path 2: upskilling"),
    (
        "percorso_3_riqualificazione",
        "Percorso 3: riqualificazione (reskilling)",
        "Path 3: reskilling",
    ),
    (
        "percorso_4_lavoro_inclusione",
        "Percorso 4: lavoro e inclusione",
        "Path 4: work and inclusion",
    ),
    (
        "percorso_5_ricollocazione_collettiva",
        "Percorso 5: ricollocazione collettiva",
        "Path 5: collective reallocation",
    ),
)
PATH_EXAMPLES = ("310", "120", "45", "60", "5")


def _paths_add_up() -> pl.Expr:
    """True when the paths add up; null (no verdict) while any path value is missing."""
    paths = [pl.col(name) for name, _, _ in PATHS]
    return pl.when(pl.all_horizontal(p.is_not_null() for p in paths)).then(
        pl.sum_horizontal(paths) == pl.col("beneficiari_gol")
    )


def _cpi_code(description_it: str, description_en: str) -> Column:
    return Column(
        "codice_cpi",
        "string",
        description_it,
        description_en,
        pattern=CPI_PATTERN,
        example="CPI01",
    )


employment_centres = FileContract(
    source=SOURCE,
    dataset="employment_centres",
    stem="cpi_comuni",
    title_it="Centri per l'impiego e comuni di competenza",
    title_en="Public employment centres and their comuni",
    description_it="Bacini dei Centri per l'impiego (CPI): una riga per comune, ciascuno dei 133 "
    "comuni in un solo CPI, con i dati del CPI.",
    description_en="Catchment of the public employment centres (CPI): one row per comune, each of "
    "the 133 comuni in exactly one CPI, with the CPI's details.",
    sender=SENDER,
    landing_url=LANDING_URL,
    licence=LICENCE,
    columns=(
        comune_column(),
        _cpi_code("Codice del CPI competente", "Code of the competent CPI"),
        Column(
            "denominazione_cpi",
            "string",
            "Nome del CPI",
            "Name of the CPI",
            example="Centro per l'impiego di Milano",
        ),
        Column(
            "indirizzo_cpi",
            "string",
            "Indirizzo della sede del CPI",
            "Address of the CPI's office",
            example="Via Strozzi 11",
        ),
        comune_column(
            "codice_comune_sede_cpi",
            "Codice ISTAT del comune sede del CPI",
            "ISTAT code of the comune where the CPI's office is",
        ),
    ),
    primary_key=("codice_comune",),
    coverage=(Coverage("codice_comune"),),
    consistency=(
        Consistency("codice_cpi", ("denominazione_cpi", "indirizzo_cpi", "codice_comune_sede_cpi")),
    ),
)

gol_beneficiaries = FileContract(
    source=SOURCE,
    dataset="gol_beneficiaries",
    stem="gol_cpi",
    title_it="Presi in carico e beneficiari GOL per CPI e mese",
    title_en="People taken in charge and GOL beneficiaries by CPI and month",
    description_it="Persone prese in carico dai Centri per l'impiego e beneficiari del programma "
    "GOL (Garanzia Occupabilità Lavoratori) per percorso, per CPI e mese; ogni file contiene "
    "tutti i mesi dall'avvio del programma.",
    description_en="People taken in charge by the public employment centres and beneficiaries "
    "of the GOL programme (Guaranteed Employability of Workers) by path, per CPI and month; each "
    "file holds every month since the programme started.",
    sender=SENDER,
    landing_url=LANDING_URL,
    licence=LICENCE,
    columns=(
        _cpi_code("Codice del CPI", "Code of the CPI"),
        Column(
            "mese",
            "month",
            "Mese di riferimento (AAAA-MM)",
            "Reference month (YYYY-MM)",
            not_future=True,
            example="2025-03",
        ),
        Column(
            "presi_in_carico",
            "integer",
            "Persone prese in carico nel mese (patto di servizio sottoscritto)",
            "People taken in charge in the month (service agreement signed)",
            unit="persone / people",
            minimum=0,
            example="720",
        ),
        Column(
            "beneficiari_gol",
            "integer",
            "Nuovi beneficiari GOL nel mese",
            "New GOL beneficiaries in the month",
            unit="persone / people",
            minimum=0,
            example="540",
        ),
        *(
            Column(
                name,
                "integer",
                f"{it}: beneficiari",
                f"{en}: beneficiaries",
                unit="persone / people",
                minimum=0,
                example=example,
            )
            for (name, it, en), example in zip(PATHS, PATH_EXAMPLES, strict=True)
        ),
    ),
    primary_key=("codice_cpi", "mese"),
    row_rules=(
        RowRule(
            "beneficiari_tra_presi_in_carico",
            ("beneficiari_gol", "presi_in_carico"),
            "i beneficiari GOL non superano i presi in carico",
            "GOL beneficiaries do not exceed the people taken in charge",
            lambda today: pl.col("beneficiari_gol") <= pl.col("presi_in_carico"),
        ),
        RowRule(
            "somma_percorsi",
            ("beneficiari_gol", *(name for name, _, _ in PATHS)),
            "la somma dei cinque percorsi è uguale ai beneficiari GOL",
            "the five paths add up to the GOL beneficiaries",
            lambda today: _paths_add_up(),
        ),
    ),
)

CONTRACTS = (employment_centres, gol_beneficiaries)
DATASETS = tuple(c.to_dataset(SNAPSHOT_DIR) for c in CONTRACTS)
