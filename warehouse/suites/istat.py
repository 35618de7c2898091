"""What ISTAT's tables must satisfy before anything is built on them.

One suite per raw table: the list of comuni, and the six SDMX dataflows (population, demographic
balance, foreign residents, labour force, road accidents, local units). The dataflows share
their structure and validity rules (``_sdmx``); each adds its completeness (every comune each
year where ISTAT publishes them all), its consistency (parts adding up to the published total)
and its volume and drift. Ranges and tolerances are explained where they are set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from ingestion.common.dataset import Dataset
from ingestion.istat import (
    balance,
    comuni,
    foreign_residents,
    labour_force,
    local_units,
    population,
    road_accidents,
)
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


# SDMX dataflows -----------------------------------------------------------------------------
#
# Every ISTAT dataflow lands in the same shape (``flows.table_schema``): the dataflow id, the
# key dimensions, the period (a year) and one value. What they share is held once here: the
# answer is the flow asked for, annual, keyed and valued on every row, one row per key, coded
# with the codes the request selects (a code outside them is a row nothing downstream expects:
# it is set aside rather than summed) and dated in a year the flow can cover.

# The year of ``time_period``; 0 when it is not a year, so the range rule rejects it.
PERIOD = {"_period_year": "coalesce(try_cast(time_period as integer), 0)"}
# Persons, events, accidents and local units are whole numbers (employees, annual averages,
# are not).
FRACTION = {"_fraction": "abs(obs_value - round(obs_value))"}


def _this_year() -> int:
    # A figure for the current year can exist (population on 1 January); a later one cannot.
    return date.today().year


def _sdmx(
    dataset: Dataset, flow_ids: Sequence[str], codes: Mapping[str, Iterable[str]], start: int
) -> list[Rule]:
    keys = dataset.schema.primary_key
    flows_re = "|".join(re.escape(flow) for flow in flow_ids)
    return common.rows(
        common.not_null(*keys, "obs_value"),
        common.unique(*keys),
        common.matches("dataflow", rf"^IT1:(?:{flows_re})\("),
        common.in_set("freq", {"A"}),
        *(common.in_set(column, values) for column, values in codes.items()),
        common.between("_period_year", start, _this_year(), name="period_year"),
    )


def _whole_numbers() -> list[Rule]:
    return common.between("_fraction", 0, 0, name="whole_number")


def _exactly(column: str, expected: int, *, name: str) -> list[Rule]:
    """Whole-table completeness on a derived count (e.g. events per comune and year): an error
    on every row of a group that lacks a member."""
    import great_expectations.expectations as gxe

    return [
        Rule(
            gxe.ExpectColumnValuesToBeBetween(
                column=column, min_value=expected, max_value=expected
            ),
            family="completeness",
            name=name,
        )
    ]


def _sum_gap(parts: str, total: str, group: str) -> str:
    """|sum of the parts - the total| over a group of rows; a missing side counts as 0, so a
    group without its total (or without its parts) shows the whole other side as the gap."""
    window = f"over (partition by {group})"
    return (
        f"abs(coalesce(sum(obs_value) filter (where {parts}) {window}, 0) "
        f"- coalesce(max(obs_value) filter (where {total}) {window}, 0))"
    )


def _listed(values: Iterable[str]) -> str:
    """SQL list of string literals."""
    return ", ".join(f"'{v}'" for v in values)


def _only(condition: str) -> str:
    """The value on the rows of one series, null elsewhere (a drift rule's column)."""
    return f"case when {condition} then obs_value end"


# Population on 1 January by comune, sex and single year of age (22_289) ---------------------

AGES = (*(f"Y{age}" for age in range(100)), "Y_GE100", "TOTAL")
# Milano, the largest comune, has 1.37 million residents (1.73 million at its 1971 peak): more
# than 2 million in one row is no comune of the Città metropolitana.
MAX_RESIDENTS = 2_000_000


def _population_rules(history: History) -> list[Rule]:
    return common.rows(
        _sdmx(
            population.DATASET,
            [population.FLOW],
            # The request asks for males and females (no 9) and every age (single years, 100+
            # and TOTAL), all marital statuses together.
            {"data_type": {"JAN"}, "sex": {"1", "2"}, "age": AGES, "marital_status": {"99"}},
            population.START_YEAR,
        ),
        # The request names the 133 comuni one by one, so no province or metropolitan aggregate
        # comes back (none in the data either): the territory is exactly the comuni.
        common.comune_codes("ref_area"),
        common.every_comune("ref_area", per="time_period"),
        common.between("obs_value", 0, MAX_RESIDENTS, name="residents_range"),
        _whole_numbers(),
        # The 101 single years of age add up to the published TOTAL (whole persons).
        common.equal_within("_ages_vs_total", 0.5),
        common.volume(history, shrink=0.1, grow=0.5),
        # Mean residents per comune and sex (TOTAL rows) moves slowly: 10% is a shift.
        common.drift("_residents", history, tolerance=0.1),
    )


POPULATION = Suite(
    name="istat__population",
    table="raw.istat__population",
    description="ISTAT residents on 1 January by comune, sex and age: every metropolitan comune "
    "each year, codes and ages as requested, whole counts in range, ages adding up to the total.",
    rules=_population_rules,
    derived={
        **PERIOD,
        **FRACTION,
        **common.comuni_per("ref_area", "time_period"),
        "_ages_vs_total": _sum_gap(
            "age <> 'TOTAL'",
            "age = 'TOTAL'",
            "ref_area, data_type, sex, marital_status, time_period",
        ),
        "_residents": _only("age = 'TOTAL'"),
    },
    schema=population.SCHEMA,
)


# Demographic balance by comune (22_315) ------------------------------------------------------
#
# The balance identity (population on 1 January t+1 = 1 January t + births - deaths +
# registrations - cancellations, approximate since the 2018 census adjustments) needs the
# population table too: it is a staging test, where both are joined. Here: every comune has
# all eight events every year.


def _balance_rules(history: History) -> list[Rule]:
    return common.rows(
        _sdmx(
            balance.DATASET,
            [balance.FLOW],
            {"data_type": balance.DATA_TYPES, "sex": {"9"}},
            balance.START_YEAR,
        ),
        common.comune_codes("ref_area"),
        common.every_comune("ref_area", per="time_period"),
        _exactly("_events", len(balance.DATA_TYPES), name="every_event"),
        common.non_negative("obs_value"),
        _whole_numbers(),
        common.volume(history, shrink=0.1, grow=0.5),
        common.drift("_births", history),
    )


BALANCE = Suite(
    name="istat__population_balance",
    table="raw.istat__population_balance",
    description="ISTAT demographic balance by comune: the eight events of every metropolitan "
    "comune each year, as whole non-negative counts.",
    rules=_balance_rules,
    derived={
        **PERIOD,
        **FRACTION,
        **common.comuni_per("ref_area", "time_period"),
        # Only the events asked for count: a stray code is quarantined, not an extra event.
        "_events": (
            f"count(distinct data_type) filter (where data_type in "
            f"({_listed(balance.DATA_TYPES)})) over (partition by ref_area, sex, time_period)"
        ),
        "_births": _only("data_type = 'LBIRTH'"),
    },
    schema=balance.SCHEMA,
)


# Foreign residents on 1 January by comune and sex (29_7) -------------------------------------


def _foreign_rules(history: History) -> list[Rule]:
    return common.rows(
        _sdmx(
            foreign_residents.DATASET,
            [foreign_residents.FLOW],
            {"data_type": {"JAN"}, "sex": foreign_residents.SEXES, "age": {"TOTAL"}},
            foreign_residents.START_YEAR,
        ),
        common.comune_codes("ref_area"),
        common.every_comune("ref_area", per="time_period"),
        common.between("obs_value", 0, MAX_RESIDENTS, name="residents_range"),
        _whole_numbers(),
        # Males + females = the published total (sex 9), whole persons.
        common.equal_within("_sexes_vs_total", 0.5),
        common.volume(history, shrink=0.1, grow=0.5),
        common.drift("_foreigners", history, tolerance=0.1),
    )


FOREIGN_RESIDENTS = Suite(
    name="istat__foreign_residents",
    table="raw.istat__foreign_residents",
    description="ISTAT foreign residents on 1 January by comune and sex: every metropolitan "
    "comune each year, whole counts in range, males and females adding up to the total.",
    rules=_foreign_rules,
    derived={
        **PERIOD,
        **FRACTION,
        **common.comuni_per("ref_area", "time_period"),
        "_sexes_vs_total": _sum_gap(
            "sex in ('1', '2')", "sex = '9'", "ref_area, data_type, age, time_period"
        ),
        "_foreigners": _only("sex = '9'"),
    },
    schema=foreign_residents.SCHEMA,
)


# Labour force survey, province of Milano (150_915 and 151_914) -------------------------------

# The series asked for: employment rate 20-64 and 15-64, unemployment rate 15-74 and 15-24.
LABOUR_SERIES = ("EMP_R:Y15-64", "EMP_R:Y20-64", "UNEM_R:Y15-24", "UNEM_R:Y15-74")
_LABOUR_BY = "over (partition by data_type, age, time_period)"
_LABOUR_TOTAL = f"max(obs_value) filter (where sex = '9') {_LABOUR_BY}"
_LABOUR_HIGH = f"max(obs_value) filter (where sex in ('1', '2')) {_LABOUR_BY}"
_LABOUR_LOW = f"min(obs_value) filter (where sex in ('1', '2')) {_LABOUR_BY}"
_LABOUR_SEXES = f"count(distinct sex) filter (where sex in ('1', '2')) {_LABOUR_BY}"


def _labour_rules(history: History) -> list[Rule]:
    return common.rows(
        _sdmx(
            labour_force.DATASET,
            [labour_force.EMPLOYMENT_FLOW, labour_force.UNEMPLOYMENT_FLOW],
            {
                "ref_area": {labour_force.TERRITORY},
                "ref_area_published": labour_force.TERRITORIES,
                "_series": LABOUR_SERIES,
                "sex": labour_force.SEXES,
                "edu_lev_highest": {"99"},
                "citizenship": {"TOTAL"},
                "duration_unemployment": {"TOTAL"},  # null on employment rates
            },
            labour_force.START_YEAR,
        ),
        # Every year carries the 4 series x 3 sexes (the indicators need them all).
        _exactly(
            "_series_per_year", len(LABOUR_SERIES) * len(labour_force.SEXES), name="every_series"
        ),
        common.percentage("obs_value"),
        # The rate of both sexes is a weighted mean of the two: between them, give or take
        # the rounding of three one-decimal figures (0.1).
        common.equal_within("_total_outside_sexes", 0.1),
        common.volume(history, shrink=0.1, grow=0.5),
        common.drift("_unemployment_rate", history),
    )


LABOUR_FORCE = Suite(
    name="istat__labour_force",
    table="raw.istat__labour_force",
    description="ISTAT labour force rates of the province of Milano: the four series by sex "
    "every year, rates in 0-100, the rate of both sexes between the males' and females'.",
    rules=_labour_rules,
    derived={
        **PERIOD,
        "_series": "data_type || ':' || age",
        # The series asked for by sex (stray codes are quarantined, they do not count).
        "_series_per_year": (
            f"count(distinct data_type || ':' || age || ':' || sex) filter (where "
            f"data_type || ':' || age in ({_listed(LABOUR_SERIES)}) and "
            f"sex in ({_listed(labour_force.SEXES)})) over (partition by time_period)"
        ),
        # Null unless both sexes are there (a missing one is ``every_series``'s to report).
        "_total_outside_sexes": (
            f"case when {_LABOUR_SEXES} = 2 then greatest(0, {_LABOUR_TOTAL} - {_LABOUR_HIGH}, "
            f"{_LABOUR_LOW} - {_LABOUR_TOTAL}) end"
        ),
        "_unemployment_rate": _only("data_type = 'UNEM_R' and age = 'Y15-74' and sex = '9'"),
    },
    schema=labour_force.SCHEMA,
)


# Road accidents with injuries, people killed and injured, by comune (41_983) ------------------
#
# Not every comune is required: a comune without accidents may be left out of the answer
# rather than published with 0 (road_accidents module, [A]), so a missing one is not a defect.

ROAD_SERIES = tuple(f"{data_type}.{result}" for data_type, result in road_accidents.SERIES)
_ROAD_GROUP = "ref_area, time_period"


def _road_rules(history: History) -> list[Rule]:
    return common.rows(
        _sdmx(
            road_accidents.DATASET,
            [road_accidents.FLOW],
            {"_series": ROAD_SERIES},
            road_accidents.START_YEAR,
        ),
        common.comune_codes("ref_area"),
        common.non_negative("obs_value"),
        _whole_numbers(),
        # An accident "with injuries" has at least one person killed or injured: a comune's
        # killed + injured is never below its accidents.
        common.equal_within("_accidents_without_casualty", 0),
        common.volume(history, shrink=0.1, grow=0.5),
        common.drift("_accidents", history),
    )


ROAD_ACCIDENTS = Suite(
    name="istat__road_accidents",
    table="raw.istat__road_accidents",
    description="ISTAT road accidents with injuries, killed and injured by comune: metropolitan "
    "codes, the three series, whole non-negative counts, at least one casualty per accident.",
    rules=_road_rules,
    derived={
        **PERIOD,
        **FRACTION,
        "_series": "data_type || '.' || result",
        "_accidents_without_casualty": (
            f"greatest(0, max(obs_value) filter (where data_type = 'ROADACC') "
            f"over (partition by {_ROAD_GROUP}) - sum(obs_value) filter "
            f"(where data_type = 'KILLINJ') over (partition by {_ROAD_GROUP}))"
        ),
        "_accidents": _only("data_type = 'ROADACC'"),
    },
    schema=road_accidents.SCHEMA,
)


# Local units and employees by comune and ATECO division (ASIA) -------------------------------

_LOCAL_GROUP = "ref_area, data_type, pers_empl_size_class, time_period"


def _local_units_rules(history: History) -> list[Rule]:
    return common.rows(
        _sdmx(
            local_units.DATASET,
            [local_units.FLOW],
            {
                "data_type": {"LU", "LUEMPDAA"},
                "econ_activity_nace_2007": {
                    local_units.TOTAL_ACTIVITY,
                    *local_units.TRANSPORT_DIVISIONS,
                },
                "pers_empl_size_class": {"TOTAL"},
            },
            local_units.START_YEAR,
        ),
        common.comune_codes("ref_area"),
        # Every comune has local units (all sectors) every year; a division may be absent.
        common.every_comune("ref_area", per="time_period"),
        common.non_negative("obs_value"),
        _whole_numbers(),  # local units only: employees are annual averages (see derived)
        # The transport divisions are part of all sectors: their sum never exceeds the total,
        # give or take the rounding of five two-decimal averages (employees, 5 x 0.005). Divisions
        # without the all-sector total show their whole sum as the excess.
        common.equal_within("_divisions_over_total", 0.05),
        common.volume(history, shrink=0.1, grow=0.5),
        common.drift("_employees", history, tolerance=0.1),
    )


LOCAL_UNITS = Suite(
    name="istat__local_units",
    table="raw.istat__local_units",
    description="ISTAT local units and employees by comune and ATECO division: every "
    "metropolitan comune each year, non-negative figures, whole local units, the transport "
    "divisions within the all-sector total.",
    rules=_local_units_rules,
    derived={
        **PERIOD,
        "_fraction": "case when data_type = 'LU' then abs(obs_value - round(obs_value)) end",
        **common.comuni_per("ref_area", "time_period"),
        "_divisions_over_total": (
            f"greatest(0, sum(obs_value) filter (where econ_activity_nace_2007 <> "
            f"'{local_units.TOTAL_ACTIVITY}') over (partition by {_LOCAL_GROUP}) - "
            f"coalesce(max(obs_value) filter (where econ_activity_nace_2007 = "
            f"'{local_units.TOTAL_ACTIVITY}') over (partition by {_LOCAL_GROUP}), 0))"
        ),
        "_employees": _only(
            f"data_type = 'LUEMPDAA' and econ_activity_nace_2007 = '{local_units.TOTAL_ACTIVITY}'"
        ),
    },
    schema=local_units.SCHEMA,
)

SUITES = (COMUNI, POPULATION, BALANCE, FOREIGN_RESIDENTS, LABOUR_FORCE, ROAD_ACCIDENTS, LOCAL_UNITS)
