"""Comunicazioni obbligatorie: labour contracts activated and ceased, province of Milan.

One row per contract event, from the employers' mandatory notices (``qbau-cyuc``
activations, ``nwz3-p6vm`` cessations), filtered to ``provinciaimpresa='MILANO'`` (the
province of the employer) and published by year on ``data``.

Assumptions, to check in live mode:
- [A] on the SODA JSON endpoint ``data`` is a ``floating_timestamp``
  (``2024-03-15T00:00:00.000``); the display CSV shows ``DATA`` as dd/mm/yyyy. If the
  endpoint sent dd/mm/yyyy strings, the year ``$where`` would not match and parsing would
  fail naming the column, rather than load wrong dates.
- [P] field names are the lower-cased display headers; ``eta`` and ``contratto`` are
  partly confirmed; ``italiano`` holds the worker's citizenship (a country name).
- [A] the cessations dataset has the same columns as the activations one.
- [A] licence CC0 1.0 (the archived ``view.json`` records ``licenseId``).
"""

from __future__ import annotations

import polars as pl

from ingestion.common.schema import Field, TableSchema
from ingestion.lombardia import soda
from ingestion.lombardia.spec import SodaSpec, build

S = pl.String
LICENCE = "CC0 1.0 (assumed; the archived view.json records the licenseId)"
PROVINCE = "MILANO"
ACTIVATED_VIEW = "qbau-cyuc"
CEASED_VIEW = "nwz3-p6vm"
OPEN_ENDED = "LAVORO A TEMPO INDETERMINATO"


def _schema(event: str) -> TableSchema:
    return TableSchema(
        fields=(
            Field("data", pl.Datetime("us"), f"Date the contract was {event}"),
            Field("genere", S, "Sex of the worker: M or F"),
            Field("eta", pl.Int64, "Age of the worker in years"),
            Field(
                "settoreeconomicodettaglio",
                S,
                "Economic activity of the employer: ATECO 2007 title (e.g. 'Trasporto di "
                "merci su strada', division 49)",
            ),
            Field("titolostudio", S, "Highest education level of the worker"),
            Field("contratto", S, f"Type of contract (e.g. '{OPEN_ENDED}')"),
            Field(
                "modalitalavoro",
                S,
                "Working time (full time, part time ...); empty when not declared",
            ),
            Field("provinciaimpresa", S, "Province of the employer (MILANO)"),
            Field("italiano", S, "Citizenship of the worker (country name, e.g. ITALIA)"),
        ),
    )


def _spec(name: str, view_id: str, event: str, title: str) -> SodaSpec:
    return SodaSpec(
        name=name,
        view_id=view_id,
        title=title,
        description=f"Labour contracts {event} by employers of the province of Milan, one row "
        "per event (comunicazioni obbligatorie, Regione Lombardia), one partition per year.",
        schema=_schema(event),
        licence=LICENCE,
        where=f"provinciaimpresa={soda.quote(PROVINCE)}",
        year_field="data",
    )


ACTIVATED_SPEC = _spec(
    "labour_activated",
    ACTIVATED_VIEW,
    "activated",
    "Rapporti di lavoro attivati, provincia di Milano",
)
CEASED_SPEC = _spec(
    "labour_ceased", CEASED_VIEW, "ceased", "Rapporti di lavoro cessati, provincia di Milano"
)
ACTIVATED = build(ACTIVATED_SPEC)
CEASED = build(CEASED_SPEC)
