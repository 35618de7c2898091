"""What the Città metropolitana's registries must satisfy: their contracts, re-checked."""

from __future__ import annotations

from ingestion.cittametropolitana import contracts
from warehouse.suites.filedrops import TODAY, suites


def dated_when(status_column: str, status: str, date_column: str) -> str:
    """Rows in ``status`` carry ``date_column``, not in the future (``contracts.dated_when``)."""
    return (
        f"{status_column} <> '{status}' or ({date_column} is not null and {date_column} <= {TODAY})"
    )


SPECS: dict[str, dict[str, object]] = {
    "fibre_agreements": {
        # The comuni joining the network, and how far their connection has got.
        "shares": [("stato_collegamento", "attivo")],
    },
    "sites_5g": {
        "row_rules": {"attivo_con_data": dated_when("stato", "attivo", "data_attivazione")},
        "shares": [("stato", "attivo")],
    },
    "schools": {
        "row_rules": {
            "bul_con_data": dated_when("banda_ultralarga", "si", "data_attivazione_bul"),
            "data_solo_se_bul": "banda_ultralarga <> 'no' or data_attivazione_bul is null",
        },
        "shares": [("banda_ultralarga", "si")],
    },
    "student_housing": {
        "row_rules": {
            "canone_moderato_entro_totale": "posti_canone_moderato <= posti_letto",
            "attivo_con_data": dated_when("stato", "attivo", "data_disponibilita"),
        },
        "shares": [("stato", "attivo")],
    },
}

SUITES = suites(contracts.CONTRACTS, SPECS)
