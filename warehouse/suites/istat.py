"""What ISTAT's tables must satisfy before anything is built on them."""

from __future__ import annotations

from ingestion.istat import comuni
from warehouse.quality import History, Rule, Suite
from warehouse.suites import common

METROPOLITAN_UTS = common.TERRITORY_UTS
METROPOLITAN_COMUNI = common.METROPOLITAN_COMUNI


def _comuni_rules(history: History) -> list[Rule]:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    return common.rows(
        common.not_null("codice_comune", "denominazione_it"),
        common.unique("codice_comune"),
        [
            Rule(gxe.ExpectColumnValuesToMatchRegex(column=c, regex=regex), family="validity")
            for c, regex in (
                ("codice_comune", r"^\d{6}$"),
                ("codice_catastale", r"^[A-Z]\d{3}$"),
                ("codice_regione", r"^(?:0[1-9]|1\d|20)$"),
            )
        ],
        [
            # Italy has had 7,890-8,100 comuni since 2010; far outside that is a broken file.
            Rule(
                gxe.ExpectTableRowCountToBeBetween(min_value=7_500, max_value=8_200),
                family="volume",
                name="italian_comuni",
            ),
            # The Città metropolitana is there, whole: 133 comuni, all coded 015xxx.
            Rule(
                gxe.ExpectColumnValuesToMatchRegex(
                    column="codice_comune",
                    regex=r"^015\d{3}$",
                    row_condition=Column("codice_uts") == METROPOLITAN_UTS,
                ),
                family="validity",
                name="metropolitan_codes_are_015",
            ),
            Rule(
                gxe.ExpectTableRowCountToEqual(
                    value=METROPOLITAN_COMUNI,
                    row_condition=Column("codice_uts") == METROPOLITAN_UTS,
                ),
                family="completeness",
                name="metropolitan_comuni",
            ),
            Rule(
                gxe.ExpectColumnValueLengthsToEqual(column="codice_uts", value=3),
                family="validity",
            ),
        ],
        common.volume(history, shrink=0.05, grow=0.05),
    )


COMUNI = Suite(
    name="istat__comuni",
    table="raw.istat__comuni",
    description="ISTAT list of comuni: codes present, unique and well-formed; the Città "
    "metropolitana's comuni all coded 015xxx, all 133 of them.",
    rules=_comuni_rules,
    schema=comuni.SCHEMA,
)

SUITES = (COMUNI,)
