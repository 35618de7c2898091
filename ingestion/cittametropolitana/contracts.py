"""The Città metropolitana di Milano's own registries, as contracts for the offices keeping them.

Each is a registry: a file is the whole registry as of the date in its name, and the dates in
it (agreement signed, site activated, school connected, beds available) let the warehouse count
the state at any past date, so one current file carries the history of the indicators.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from ingestion.common.filedrop import Column, FileContract, RowRule, comune_column

SOURCE = "cittametropolitana"
SNAPSHOT_DIR = Path(__file__).parent / "snapshot"
SENDER = "Città metropolitana di Milano"
LANDING_URL = "https://www.cittametropolitana.mi.it"
LICENCE = "CC BY 4.0 (the Città metropolitana's own data, assumed)"


def dated_when(status_column: str, status: str, date_column: str) -> Callable[[date], pl.Expr]:
    """Rows in ``status`` carry ``date_column``, and it is not in the future."""

    def valid(today: date) -> pl.Expr:
        return (pl.col(status_column) != status) | (
            pl.col(date_column).is_not_null() & (pl.col(date_column) <= today)
        )

    return valid


def _address(example: str) -> Column:
    return Column("indirizzo", "string", "Indirizzo", "Address", example=example)


fibre_agreements = FileContract(
    source=SOURCE,
    dataset="fibre_agreements",
    stem="convenzioni_fibra",
    title_it="Convenzioni dei comuni per la rete metropolitana in fibra",
    title_en="Comuni's agreements for the metropolitan fibre network",
    description_it="Comuni che hanno sottoscritto la convenzione per l'adesione alla rete "
    "metropolitana in fibra ottica, con la data di sottoscrizione: una riga per comune aderente.",
    description_en="Comuni that signed the agreement joining the metropolitan fibre-optic "
    "network, with the signature date: one row per joined comune.",
    sender=SENDER + " — Settore sistemi informativi",
    landing_url=LANDING_URL,
    licence=LICENCE,
    columns=(
        comune_column(),
        Column(
            "data_sottoscrizione",
            "date",
            "Data di sottoscrizione della convenzione",
            "Date the agreement was signed",
            not_future=True,
            example="2021-05-12",
        ),
        Column(
            "stato_collegamento",
            "string",
            "Stato del collegamento delle sedi comunali alla rete",
            "Status of the connection of the comune's offices to the network",
            required=False,
            allowed=("da avviare", "in realizzazione", "attivo"),
            example="attivo",
        ),
    ),
    primary_key=("codice_comune",),
)

sites_5g = FileContract(
    source=SOURCE,
    dataset="sites_5g",
    stem="siti_5g",
    title_it="Siti per stazioni radio base 5G su immobili della Città metropolitana",
    title_en="5G radio base station sites on Città metropolitana property",
    description_it="Siti su immobili e aree della Città metropolitana concessi per stazioni "
    "radio base 5G: una riga per sito, con stato e data di attivazione.",
    description_en="Sites on Città metropolitana buildings and land granted for 5G radio base "
    "stations: one row per site, with status and activation date.",
    sender=SENDER + " — Settore patrimonio",
    landing_url=LANDING_URL,
    licence=LICENCE,
    columns=(
        Column(
            "id_sito",
            "string",
            "Codice del sito",
            "Site code",
            pattern=r"5G-\d{3}",
            example="5G-001",
        ),
        Column(
            "denominazione",
            "string",
            "Immobile che ospita il sito",
            "Property hosting the site",
            example="IIS Cremona - copertura",
        ),
        _address("Viale Marche 71"),
        comune_column(),
        Column(
            "tipo_immobile",
            "string",
            "Tipo di immobile",
            "Kind of property",
            allowed=("scuola", "sede istituzionale", "strada provinciale", "altro"),
            example="scuola",
        ),
        Column(
            "operatore",
            "string",
            "Operatore di telecomunicazioni concessionario",
            "Telecom operator holding the concession",
            required=False,
            example="INWIT",
        ),
        Column(
            "stato",
            "string",
            "Stato del sito",
            "Status of the site",
            allowed=("in istruttoria", "autorizzato", "attivo"),
            example="attivo",
        ),
        Column(
            "data_attivazione",
            "date",
            "Data di attivazione (per i siti attivi)",
            "Activation date (for active sites)",
            required=False,
            not_future=True,
            example="2022-06-30",
        ),
    ),
    primary_key=("id_sito",),
    row_rules=(
        RowRule(
            "attivo_con_data",
            ("stato", "data_attivazione"),
            "un sito attivo ha la data di attivazione",
            "an active site has its activation date",
            dated_when("stato", "attivo", "data_attivazione"),
        ),
    ),
)

schools = FileContract(
    source=SOURCE,
    dataset="schools",
    stem="scuole_secondarie",
    title_it="Scuole secondarie di secondo grado della Città metropolitana e banda ultralarga",
    title_en="Upper secondary schools of the Città metropolitana and ultra-broadband",
    description_it="Istituti secondari di secondo grado di competenza della Città metropolitana, "
    "con il collegamento in banda ultralarga e la sua data di attivazione.",
    description_en="Upper secondary schools the Città metropolitana is responsible for, with "
    "their ultra-broadband connection and its activation date.",
    sender=SENDER + " — Settore edilizia scolastica",
    landing_url=LANDING_URL,
    licence=LICENCE,
    sheet="scuole",
    columns=(
        Column(
            "codice_meccanografico",
            "string",
            "Codice meccanografico dell'istituto (Ministero dell'istruzione)",
            "School code of the Ministry of Education",
            pattern=r"MI[A-Z]{2}[0-9A-Z]{6}",
            example="MIIS00900T",
        ),
        Column(
            "denominazione",
            "string",
            "Nome dell'istituto",
            "Name of the school",
            example="IIS Galileo Galilei",
        ),
        _address("Via Paolo Sarpi 1"),
        comune_column(),
        Column(
            "tipologia",
            "string",
            "Tipo di istituto",
            "Kind of school",
            allowed=("liceo", "istituto tecnico", "istituto professionale", "istruzione superiore"),
            example="istruzione superiore",
        ),
        Column(
            "studenti",
            "integer",
            "Studenti iscritti nell'anno scolastico in corso",
            "Students enrolled in the current school year",
            unit="studenti / students",
            required=False,
            minimum=0,
            maximum=5000,
            example="1150",
        ),
        Column(
            "banda_ultralarga",
            "string",
            "Collegamento in banda ultralarga (almeno 1 Gbit/s) attivo",
            "Ultra-broadband connection (at least 1 Gbit/s) in service",
            allowed=("si", "no"),
            example="si",
        ),
        Column(
            "data_attivazione_bul",
            "date",
            "Data di attivazione del collegamento in banda ultralarga",
            "Date the ultra-broadband connection went into service",
            required=False,
            not_future=True,
            example="2023-09-11",
        ),
        Column(
            "velocita_mbps",
            "integer",
            "Velocità nominale del collegamento",
            "Nominal speed of the connection",
            unit="Mbit/s",
            required=False,
            minimum=0,
            maximum=100_000,
            example="1000",
        ),
    ),
    primary_key=("codice_meccanografico",),
    row_rules=(
        RowRule(
            "bul_con_data",
            ("banda_ultralarga", "data_attivazione_bul"),
            "una scuola collegata in banda ultralarga ha la data di attivazione",
            "a school with ultra-broadband has its activation date",
            dated_when("banda_ultralarga", "si", "data_attivazione_bul"),
        ),
        RowRule(
            "data_solo_se_bul",
            ("banda_ultralarga", "data_attivazione_bul"),
            "una scuola non collegata non ha data di attivazione",
            "a school without ultra-broadband has no activation date",
            lambda today: (
                (pl.col("banda_ultralarga") != "no") | pl.col("data_attivazione_bul").is_null()
            ),
        ),
    ),
)

student_housing = FileContract(
    source=SOURCE,
    dataset="student_housing",
    stem="residenze_universitarie",
    title_it="Posti letto per studenti a canone moderato",
    title_en="Student housing beds at moderate rent",
    description_it="Interventi del programma metropolitano di residenze universitarie: posti "
    "letto totali e a canone moderato, stato e data di disponibilità (effettiva o prevista).",
    description_en="Projects of the metropolitan student-housing programme: total beds and beds "
    "at moderate rent, status and availability date (actual or expected).",
    sender=SENDER + " — Settore politiche abitative",
    landing_url=LANDING_URL,
    licence=LICENCE,
    columns=(
        Column(
            "id_intervento",
            "string",
            "Codice dell'intervento",
            "Project code",
            pattern=r"RU-\d{3}",
            example="RU-001",
        ),
        Column(
            "denominazione",
            "string",
            "Nome della residenza",
            "Name of the residence",
            example="Residenza universitaria Bovisa",
        ),
        _address("Via Durando 10"),
        comune_column(),
        Column(
            "stato",
            "string",
            "Stato dell'intervento",
            "Status of the project",
            allowed=("programmato", "in costruzione", "attivo"),
            example="attivo",
        ),
        Column(
            "posti_letto",
            "integer",
            "Posti letto totali",
            "Beds in all",
            unit="posti letto / beds",
            minimum=0,
            maximum=2000,
            example="320",
        ),
        Column(
            "posti_canone_moderato",
            "integer",
            "Posti letto a canone moderato",
            "Beds at moderate rent",
            unit="posti letto / beds",
            minimum=0,
            example="240",
        ),
        Column(
            "data_disponibilita",
            "date",
            "Data di disponibilità dei posti: effettiva se attivo, prevista altrimenti",
            "Date the beds are available: actual if active, expected otherwise",
            required=False,
            example="2025-09-01",
        ),
        Column(
            "finanziamento",
            "string",
            "Fonte di finanziamento principale",
            "Main source of funding",
            required=False,
            allowed=("PNRR", "L. 338/2000", "altro"),
            example="PNRR",
        ),
    ),
    primary_key=("id_intervento",),
    row_rules=(
        RowRule(
            "canone_moderato_entro_totale",
            ("posti_canone_moderato", "posti_letto"),
            "i posti a canone moderato non superano i posti totali",
            "beds at moderate rent do not exceed the beds in all",
            lambda today: pl.col("posti_canone_moderato") <= pl.col("posti_letto"),
        ),
        RowRule(
            "attivo_con_data",
            ("stato", "data_disponibilita"),
            "un intervento attivo ha la data di disponibilità, non nel futuro",
            "an active project has its availability date, not in the future",
            dated_when("stato", "attivo", "data_disponibilita"),
        ),
    ),
)

CONTRACTS = (fibre_agreements, sites_5g, schools, student_housing)
DATASETS = tuple(c.to_dataset(SNAPSHOT_DIR) for c in CONTRACTS)
