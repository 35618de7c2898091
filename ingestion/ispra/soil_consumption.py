"""ISPRA soil consumption per comune (Rapporto "Consumo di suolo"), as an XLSX file drop.

ISPRA publishes the comune-level data as spreadsheets with one edition a year, each carrying the
whole series, so the contract is XLSX only and each file replaces the previous one. ISPRA's own
sheet is wide (a column per year); the contract asks for the long form (a row per comune and
year), which the office preparing the drop derives with one pivot [A: the real sheet's layout
differs between editions, so we publish a stable contract rather than chase it].
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

SOURCE = "ispra"
NAME = "soil_consumption"
SNAPSHOT_DIR = Path(__file__).parent / "snapshot"
# Values come rounded to 0.01: a difference or ratio of rounded values may be off by one unit
# in the last place either way.
TOLERANCE = 0.011


def _net_is_the_change() -> pl.Expr:
    """Net new consumption equals the change of consumed soil from the previous year."""
    previous = pl.col("suolo_consumato_ha").shift(1).over("codice_comune", order_by="anno")
    previous_year = pl.col("anno").shift(1).over("codice_comune", order_by="anno")
    change = pl.col("suolo_consumato_ha") - previous
    return pl.when(previous_year == pl.col("anno") - 1).then(
        (change - pl.col("consumo_netto_ha")).abs() <= TOLERANCE
    )


CONTRACT = FileContract(
    source=SOURCE,
    dataset=NAME,
    stem="consumo_suolo_comuni",
    title_it="Consumo di suolo per comune",
    title_en="Soil consumption by comune",
    description_it="Suolo consumato (ettari e percentuale della superficie comunale) e consumo "
    "netto annuo per comune e anno, dal rapporto ISPRA-SNPA 'Consumo di suolo, dinamiche "
    "territoriali e servizi ecosistemici'; ogni file contiene tutti gli anni.",
    description_en="Consumed soil (hectares and share of the comune's area) and net new "
    "consumption per year, by comune and year, from the ISPRA-SNPA report on soil consumption; "
    "each file holds every year.",
    sender="ISPRA (Istituto superiore per la protezione e la ricerca ambientale), dati comunali",
    landing_url="https://www.isprambiente.gov.it/it/attivita/suolo-e-territorio/il-consumo-di-suolo",
    licence="CC BY 4.0",
    formats=("xlsx",),
    sheet="Comuni",
    columns=(
        comune_column(),
        year_column(
            description_it="Anno (situazione a fine anno)",
            description_en="Year (as of the end of the year)",
            example="2023",
        ),
        Column(
            "superficie_ha",
            "decimal",
            "Superficie del comune",
            "Area of the comune",
            unit="ha",
            minimum=1,
            maximum=100_000,
            example="18167.94",
        ),
        Column(
            "suolo_consumato_ha",
            "decimal",
            "Suolo consumato",
            "Consumed soil",
            unit="ha",
            minimum=0,
            example="10402.08",
        ),
        Column(
            "suolo_consumato_percentuale",
            "decimal",
            "Suolo consumato in percentuale della superficie comunale",
            "Consumed soil as a share of the comune's area",
            unit="%",
            minimum=0,
            maximum=100,
            example="57.26",
        ),
        Column(
            "consumo_netto_ha",
            "decimal",
            "Consumo di suolo netto nell'anno (nuovo consumo meno ripristini)",
            "Net new soil consumption in the year (new consumption less restored soil)",
            unit="ha",
            required=False,
            minimum=-1000,
            maximum=1000,
            example="11.35",
        ),
    ),
    primary_key=("codice_comune", "anno"),
    coverage=(Coverage("codice_comune", per=("anno",)),),
    row_rules=(
        RowRule(
            "consumato_entro_superficie",
            ("suolo_consumato_ha", "superficie_ha"),
            "il suolo consumato non supera la superficie del comune",
            "consumed soil does not exceed the comune's area",
            lambda today: pl.col("suolo_consumato_ha") <= pl.col("superficie_ha"),
        ),
        RowRule(
            "percentuale_coerente",
            ("suolo_consumato_percentuale", "suolo_consumato_ha", "superficie_ha"),
            f"la percentuale è 100 * suolo consumato / superficie (±{TOLERANCE})",
            f"the share is 100 * consumed soil / area (±{TOLERANCE})",
            lambda today: (
                (
                    pl.col("suolo_consumato_percentuale")
                    - 100 * pl.col("suolo_consumato_ha") / pl.col("superficie_ha")
                ).abs()
                <= TOLERANCE
            ),
        ),
        RowRule(
            "netto_coerente",
            ("consumo_netto_ha", "suolo_consumato_ha", "anno"),
            "il consumo netto è la variazione del suolo consumato dall'anno precedente "
            f"(±{TOLERANCE} ha)",
            f"net consumption is the change of consumed soil from the previous year "
            f"(±{TOLERANCE} ha)",
            lambda today: _net_is_the_change(),
        ),
    ),
)

CONTRACTS = (CONTRACT,)
DATASET = CONTRACT.to_dataset(SNAPSHOT_DIR)
