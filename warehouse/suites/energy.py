"""What the energy file drops (GSE photovoltaic, PUN charging points) must satisfy."""

from __future__ import annotations

from ingestion.energy import contracts
from warehouse.suites.filedrops import suites

# Series: every file holds every year and a new one adds a year (+1/6 of the rows).
SERIES = {"shrink": 0.1, "grow": 0.5}

SPECS: dict[str, dict[str, object]] = {
    "photovoltaic": {
        "row_rules": {"potenza_se_impianti": "(numero_impianti > 0) = (potenza_kw > 0)"},
        **SERIES,
    },
    "ev_charging": {
        "row_rules": {
            "veloci_entro_totale": "punti_ricarica_veloci <= punti_ricarica",
            "stazioni_entro_punti": "infrastrutture <= punti_ricarica",
            "punti_con_stazioni": "punti_ricarica = 0 or infrastrutture > 0",
        },
        **SERIES,
    },
}

SUITES = suites(contracts.CONTRACTS, SPECS)
