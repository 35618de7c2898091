"""What AFOL's file drops must satisfy: their contracts, re-checked on the raw tables."""

from __future__ import annotations

from ingestion.afol import contracts
from warehouse.suites.filedrops import suites

PATHS = [name for name, _, _ in contracts.PATHS]

SPECS: dict[str, dict[str, object]] = {
    "employment_centres": {
        # One row per comune, always the 133: a row more or less is a broken file.
        "shrink": 0.05,
        "grow": 0.05,
        # A CPI's catchment changes only when the centres are reorganised.
        "derived": {"_comuni_per_cpi": "count(*) over (partition by codice_cpi)"},
        "drift": ["_comuni_per_cpi"],
    },
    "gol_beneficiaries": {
        "row_rules": {
            "beneficiari_tra_presi_in_carico": "beneficiari_gol <= presi_in_carico",
            "somma_percorsi": (
                f"case when {' and '.join(f'{p} is not null' for p in PATHS)} "
                f"then {' + '.join(PATHS)} = beneficiari_gol end"
            ),
        },
        # The paths are shares of the beneficiaries: their totals are what drift watches.
        "drift": ["presi_in_carico", "beneficiari_gol"],
        # A monthly series: a new file adds a month (1/50 of the rows); it never loses any.
        "shrink": 0.1,
        "grow": 0.5,
    },
}

SUITES = suites(contracts.CONTRACTS, SPECS)
