"""What ATS's file drops must satisfy: their contracts, re-checked on the raw tables."""

from __future__ import annotations

from ingestion.ats import contracts
from warehouse.suites.filedrops import TODAY, suites


def opened(status: str, date_column: str) -> str:
    """An operating structure has its opening date, and it is not in the future."""
    return f"stato <> '{status}' or ({date_column} is not null and {date_column} <= {TODAY})"


SPECS: dict[str, dict[str, object]] = {
    "community_houses": {
        "row_rules": {"attiva_con_data": opened("attiva", "data_apertura")},
        # The registry fills up as houses open: the share of operating ones is what moves.
        "shares": [("stato", "attiva")],
    },
    "community_hospitals": {
        "row_rules": {
            "attiva_con_data": opened("attiva", "data_apertura"),
            "attiva_con_posti": "stato <> 'attiva' or posti_letto > 0",
        },
        "shares": [("stato", "attiva")],
    },
    "general_practitioners": {
        "row_rules": {
            "massimale": f"assistiti <= medici_mmg * {contracts.MAX_PATIENTS_PER_GP}",
        },
        # A series: every file holds every year, a new file adds one (+1/6 of the rows).
        "shrink": 0.1,
        "grow": 0.5,
    },
}

SUITES = suites(contracts.CONTRACTS, SPECS)
