"""Città metropolitana registries: dated events that let the warehouse count the past."""

from __future__ import annotations

from datetime import date

import polars as pl

from ingestion.cittametropolitana.contracts import (
    fibre_agreements,
    schools,
    sites_5g,
    student_housing,
)
from ingestion.common.filedrop import ContractError, check_bytes, to_csv, to_xlsx

TODAY = date(2026, 1, 1)


def problems(contract, frame: pl.DataFrame, name: str) -> list[tuple[str, tuple, tuple]]:
    payload = to_xlsx(contract, frame) if name.endswith(".xlsx") else to_csv(contract, frame)
    try:
        check_bytes(contract, name, payload, today=TODAY)
    except ContractError as exc:
        return [(v.rule, v.rows, v.values) for v in exc.violations]
    return []


def school(code: str, connected: str, on: date | None, speed: int | None = 1000) -> dict:
    return {
        "codice_meccanografico": code,
        "denominazione": "IIS Prova",
        "indirizzo": "Via Roma 1",
        "codice_comune": "015146",
        "tipologia": "istruzione superiore",
        "studenti": 900,
        "banda_ultralarga": connected,
        "data_attivazione_bul": on,
        "velocita_mbps": speed,
    }


def test_school_broadband_and_its_date_go_together() -> None:
    frame = pl.DataFrame(
        [
            school("MIIS00900T", "si", date(2023, 9, 11)),  # row 2: fine
            school("MIPS01000A", "no", None, None),  # row 3: fine
            school("MITD02000B", "si", None),  # row 4: connected, no date
            school("MIRI03000C", "no", date(2024, 1, 8)),  # row 5: a date but not connected
        ]
    )
    assert problems(schools, frame, "scuole_secondarie_2025-09-15.xlsx") == [
        ("bul_con_data", (4,), ("si/",)),
        ("data_solo_se_bul", (5,), ("no/2024-01-08",)),
    ]


def test_school_codes_follow_the_ministry_format() -> None:
    frame = pl.DataFrame([school("MI-IS-009", "si", date(2023, 9, 11))])
    assert problems(schools, frame, "scuole_secondarie_2025-09-15.xlsx") == [
        ("pattern", (2,), ("MI-IS-009",))
    ]


def test_the_schools_sheet_is_found_by_name() -> None:
    assert schools.sheet == "scuole"
    frame = pl.DataFrame([school("MIIS00900T", "si", date(2023, 9, 11))])
    assert problems(schools, frame, "scuole_secondarie_2025-09-15.xlsx") == []


def test_an_agreement_cannot_be_signed_tomorrow() -> None:
    frame = pl.DataFrame(
        {
            "codice_comune": ["015146", "015002"],
            "data_sottoscrizione": [date(2021, 5, 12), date(2026, 1, 2)],
            "stato_collegamento": ["attivo", None],  # optional
        }
    )
    assert problems(fibre_agreements, frame, "convenzioni_fibra_2025-12-31.csv") == [
        ("future", (3,), ("2026-01-02",))
    ]


def test_an_active_5g_site_has_its_activation_date() -> None:
    base = {
        "id_sito": "5G-001",
        "denominazione": "Sede",
        "indirizzo": "Via Vivaio 1",
        "codice_comune": "015146",
        "tipo_immobile": "sede istituzionale",
        "operatore": None,
        "stato": "attivo",
        "data_attivazione": None,
    }
    frame = pl.DataFrame([base, {**base, "id_sito": "5G-002", "stato": "autorizzato"}])
    assert problems(sites_5g, frame, "siti_5g_2025-12-31.csv") == [
        ("attivo_con_data", (2,), ("attivo/",))
    ]


def test_moderate_rent_beds_are_part_of_the_beds() -> None:
    base = {
        "id_intervento": "RU-001",
        "denominazione": "Residenza",
        "indirizzo": "Via Durando 10",
        "codice_comune": "015146",
        "stato": "in costruzione",
        "posti_letto": 320,
        "posti_canone_moderato": 320,  # all of them: allowed
        "data_disponibilita": date(2027, 9, 1),  # expected, so it may lie ahead
        "finanziamento": "PNRR",
    }
    frame = pl.DataFrame([base, {**base, "id_intervento": "RU-002", "posti_canone_moderato": 321}])
    assert problems(student_housing, frame, "residenze_universitarie_2025-12-31.csv") == [
        ("canone_moderato_entro_totale", (3,), ("321/320",))
    ]
