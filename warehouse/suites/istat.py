"""What ISTAT's tables must satisfy before anything is built on them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from warehouse.quality import Suite

if TYPE_CHECKING:
    import great_expectations.expectations as gxe

METROPOLITAN_UTS = "215"
METROPOLITAN_COMUNI = 133


def _comuni_expectations() -> list[gxe.Expectation]:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    return [
        # Structure: the columns every later step relies on.
        *(
            gxe.ExpectColumnToExist(column=c)
            for c in (
                "codice_comune",
                "denominazione_it",
                "codice_uts",
                "codice_catastale",
                "nuts3_2021",
            )
        ),
        # Completeness and validity of the key.
        gxe.ExpectColumnValuesToNotBeNull(column="codice_comune"),
        gxe.ExpectColumnValuesToBeUnique(column="codice_comune"),
        gxe.ExpectColumnValuesToMatchRegex(column="codice_comune", regex=r"^\d{6}$"),
        gxe.ExpectColumnValuesToNotBeNull(column="denominazione_it"),
        gxe.ExpectColumnValuesToMatchRegex(column="codice_catastale", regex=r"^[A-Z]\d{3}$"),
        gxe.ExpectColumnValuesToMatchRegex(column="codice_regione", regex=r"^(?:0[1-9]|1\d|20)$"),
        # Italy has had 7,890-8,100 comuni since 2010; far outside that is a broken file.
        gxe.ExpectTableRowCountToBeBetween(min_value=7_500, max_value=8_200),
        # The Città metropolitana is there, whole: 133 comuni, all coded 015xxx.
        gxe.ExpectColumnValuesToMatchRegex(
            column="codice_comune",
            regex=r"^015\d{3}$",
            row_condition=Column("codice_uts") == METROPOLITAN_UTS,
        ),
        gxe.ExpectTableRowCountToEqual(
            value=METROPOLITAN_COMUNI,
            row_condition=Column("codice_uts") == METROPOLITAN_UTS,
        ),
        gxe.ExpectColumnValueLengthsToEqual(column="codice_uts", value=3),
    ]


COMUNI = Suite(
    name="istat__comuni",
    table="raw.istat__comuni",
    description="ISTAT list of comuni: codes present, unique and well-formed; the Città "
    "metropolitana's comuni all coded 015xxx.",
    expectations=_comuni_expectations,
)

SUITES = (COMUNI,)
