"""What ISPRA's tables must satisfy: municipal waste (by year) and soil consumption (a drop).

Waste (Catasto rifiuti, one file a year for the whole of Italy, the 133 comuni kept): every
comune in every year, codes and years right, tonnages non-negative, the separate-collection rate
a percentage, and the figures adding up as ISPRA defines them (docs/sources.md, section 3):

    Totale RD = the 14 fractions collected separately (umido ... altro)
    Totale RU = Totale RD + ingombranti a smaltimento + indifferenziato
    Percentuale RD = Totale RD / Totale RU x 100

Tonnages carry 3 decimals (kilograms) and the rate 2, so a sum of rounded values may miss its
rounded total by a few kilograms and the rate by half a hundredth: the tolerances below allow
that much and nothing more.
"""

from __future__ import annotations

from ingestion.ispra import soil_consumption, waste
from warehouse.quality import History, Rule, Suite
from warehouse.suites import common
from warehouse.suites.filedrops import suite_from_contract, valid_value

TONNES = [f.name for f in waste.SCHEMA.fields if f.name.endswith("_t")]
# The fractions collected separately: the columns before their total, in file order.
FRACTIONS = TONNES[: TONNES.index("totale_rd_t")]
COMUNE = "right(istat_comune, 6)"  # 03015146 -> 015146
# 14 fractions and a total, each rounded to the kilogram: at most 15 x 0.0005 t apart.
TONNES_TOLERANCE = 0.01
# The rate is rounded to 0.01 (at most 0.005 off); a little room for the division in doubles.
RATE_TOLERANCE = 0.011
# Municipal waste per resident [A]: ISPRA reports 470-500 kg a year for Lombardy and Italy,
# single comuni from about 300 to about 1,000 (shopping and business districts, such as the
# Assago-Milanofiori area, above the average). Under 150 or over 1,500 is more likely a unit
# (kilograms for tonnes) or population error than a fact: a warning to look at the comune.
KG_PER_RESIDENT = (150, 1_500)
# Milano, the largest comune, has had 1.2-1.4 million residents since the 1990s (1.73 at its
# 1971 peak): 2 million is beyond any comune of the territory.
MAX_POPULATION = 2_000_000
# The 133 comuni are today's territory, in place since Vermezzo and Zelo Surrigone merged
# into Vermezzo con Zelo (1 February 2019). Years before it list the two former comuni and
# not the new one: every comune is required from that year on, and the former comuni's rows
# are set aside by the code rule (they belong to no comune of today's list).
TERRITORY_SINCE = 2019

WASTE_DERIVED: dict[str, str] = {
    "_codice_comune": COMUNE,
    **{
        name: f"case when anno >= {TERRITORY_SINCE} then {sql} end"
        for name, sql in common.comuni_per(COMUNE, "anno").items()
    },
    "_year_of_anno": "cast(anno as varchar)",  # compared with _partition (in_partition_year)
    "_gap_rd_t": f"abs(({' + '.join(f'coalesce({c}, 0)' for c in FRACTIONS)}) - totale_rd_t)",
    "_gap_ru_t": (
        "abs(totale_rd_t + coalesce(ingombranti_a_smaltimento_t, 0) "
        "+ coalesce(indifferenziato_t, 0) - totale_ru_t)"
    ),
    "_gap_percentuale_rd": "abs(percentuale_rd - 100 * totale_rd_t / nullif(totale_ru_t, 0))",
    "_kg_per_abitante": "1000 * totale_ru_t / nullif(popolazione, 0)",
}


def _waste_rules(history: History) -> list[Rule]:
    import great_expectations.expectations as gxe

    return common.rows(
        # Completeness: the key, the figures every indicator needs, the 133 comuni each year
        # (since TERRITORY_SINCE).
        common.not_null("anno", "istat_comune"),
        common.unique("anno", "istat_comune"),
        [
            Rule(gxe.ExpectColumnValuesToNotBeNull(column=c), "completeness", quarantine=True)
            for c in ("comune", "popolazione", "totale_rd_t", "totale_ru_t", "percentuale_rd")
        ],
        common.every_comune("_codice_comune", per="anno"),
        # Validity (row-level).
        common.in_set("dato_riferito_a", {waste.COMUNE_KIND}),
        common.matches("istat_comune", rf"^03{waste.PROVINCE}\d{{3}}$"),
        common.comune_codes("_codice_comune"),
        common.in_partition_year("anno"),
        common.between("popolazione", 1, MAX_POPULATION),
        common.non_negative(*TONNES),
        common.percentage("percentuale_rd"),
        [
            Rule(
                gxe.ExpectColumnValuesToBeBetween(
                    column="_kg_per_abitante",
                    min_value=KG_PER_RESIDENT[0],
                    max_value=KG_PER_RESIDENT[1],
                ),
                family="validity",
                severity="warning",
                name="plausible_kg_per_resident",
            )
        ],
        # Consistency (row-level): parts add up to their totals, the rate is their ratio.
        common.equal_within("_gap_rd_t", TONNES_TOLERANCE, quarantine=True),
        common.equal_within("_gap_ru_t", TONNES_TOLERANCE, quarantine=True),
        common.equal_within("_gap_percentuale_rd", RATE_TOLERANCE, quarantine=True),
        # Volume: one year is 1/6 of the snapshot; losing a tenth of the rows loses a year.
        common.volume(history, shrink=0.1, grow=1.0),
        # Drift: the rate moves a point or two a year, waste per resident a few percent.
        common.drift("percentuale_rd", history, tolerance=0.1),
        common.drift("_kg_per_abitante", history, tolerance=0.15),
    )


WASTE = Suite(
    name="ispra__waste",
    table="raw.ispra__waste",
    description="ISPRA municipal waste per comune and year: all 133 comuni each year, codes "
    "and years right, tonnages non-negative, the rate a percentage, fractions adding up to "
    "the separate collection, the total and the rate within rounding.",
    rules=_waste_rules,
    derived=WASTE_DERIVED,
    schema=waste.SCHEMA,
)

SOIL = soil_consumption.CONTRACT
# The previous year of the same comune, on the values the contract's rules accept.
_PREVIOUS = f"over (partition by codice_comune order by {valid_value(SOIL, 'anno')} nulls first)"

SOIL_CONSUMPTION = suite_from_contract(
    SOIL,
    row_rules={
        "consumato_entro_superficie": "suolo_consumato_ha <= superficie_ha",
        "percentuale_coerente": (
            "abs(suolo_consumato_percentuale - 100 * suolo_consumato_ha / superficie_ha) "
            f"<= {soil_consumption.TOLERANCE}"
        ),
        "netto_coerente": (
            f"case when lag({valid_value(SOIL, 'anno')}) {_PREVIOUS} = anno - 1 "
            f"then abs((suolo_consumato_ha - lag({valid_value(SOIL, 'suolo_consumato_ha')}) "
            f"{_PREVIOUS}) - consumo_netto_ha) <= {soil_consumption.TOLERANCE} end"
        ),
    },
    # The area does not move and net consumption hovers around zero: consumed soil does.
    drift=["suolo_consumato_ha", "suolo_consumato_percentuale"],
    # A series: every file holds every year, a new edition adds one (+1/6 of the rows).
    shrink=0.1,
    grow=0.5,
)

SUITES = (WASTE, SOIL_CONSUMPTION)
