"""What the marts must satisfy before they are published.

The marts are built by dbt from validated raw tables, so these suites check what the models
compute, not what the sources sent: every indicator value inside the plausible range of its
unit, no duplicated key, zona and Città metropolitana totals equal to the sums of their parts,
every value equal to its published ratio, and every indicator with a target tracked with its
latest value. Nothing is quarantined here (a mart is not altered after dbt built it): every
failure is an error that stops publication, except where marked as a warning.

Each suite is the asset check of its dbt model (asset key ``marts/<model>``). Derived columns
may read other tables through scalar subqueries, but only tables the model itself depends on
(its dbt parents), so a check never reads a table the same run has not built yet.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from osservatorio.settings import DBT_PROJECT_DIR
from warehouse.quality import History, Rule, Suite
from warehouse.suites import common

CM_CODE = "215"  # dbt var cm_uts_code: ISTAT code of the Città metropolitana di Milano
DBT_MARTS = DBT_PROJECT_DIR / "models" / "marts"
LEVELS = ("comune", "zona", "cm", "station", "cpi")
# The levels a value may be published at, given the finest level its source allows.
LEVELS_FOR_FINEST = {
    "comune": ("comune", "zona", "cm"),
    "station": ("station", "cm"),
    "cpi": ("cpi", "cm"),
    "cm": ("cm",),
    "zona": ("zona", "cm"),
}
TARGET_DIRECTIONS = ("at_least", "at_most", "increase", "decrease")
POLARITIES = ("higher_is_better", "lower_is_better", "neutral")
TRENDS = ("up", "down", "flat")
# Values are published rounded to 2 decimals: a value and its ratio differ by at most half a
# unit of the last decimal.
ROUNDING = 0.005
# Sums of parts against totals: relative tolerance (absolute below 1; float noise only).
SUM_TOLERANCE = 1e-6
FIRST_YEAR = 1990  # no source of the catalogue goes back further

# Plausible range of an indicator value by unit, (minimum, maximum), None for no bound. A value
# outside is not a fact about the territory but a bug in a model or a unit slip upstream.
UNIT_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "%": (0, 100),  # a share of a whole
    "count": (0, None),
    "beds": (0, None),
    # D10_04: days of the year with PM10 above the daily limit; a year has at most 366 days.
    "days": (0, 366),
    # D02_02, net new consumed soil: negative when more soil is restored than consumed. ISPRA
    # counts under a thousand hectares a year of net new consumption for the whole of Lombardy;
    # the snapshot's Città metropolitana (157,500 ha in all) adds 87-108 ha a year. More than
    # 1,000 ha either way in one year is a unit slip (m² read as ha), not a trend.
    "ha per year": (-1_000, 1_000),
    # D03_02, median EPgl,nren of residential certificates: class G dwellings sit at a few
    # hundred kWh/m² year; a comune's *median* above 1,500 is a unit slip (kWh, not kWh/m²).
    "kWh/m² year": (0, 1_500),
    # D04_02/D04_03: the comuni of the Città metropolitana produce roughly 350-600 kg of
    # municipal waste per resident a year (345-596 in the snapshot; ISPRA Catasto rifiuti);
    # 3,000, five times the highest, is a tonnes/kg slip or a wrong population.
    "kg per resident": (0, 3_000),
    # Annual means of NO2 and PM2.5 (D10_05a/b): limit values 40 and 25 (D.Lgs. 155/2010),
    # the snapshot's stations 19-46. The raw suite caps single values at 1,000; an annual mean
    # above 250 (six times NO2's limit, ten times PM2.5's) is a broken mean, not air.
    "µg/m³": (0, 250),
    # Rates per residents: never negative; no upper bound (a comune with few residents and a
    # hospital, a logistics hub or a solar farm has a high rate by construction).
    "kW per 1,000 residents": (0, None),
    "per 100": (0, None),  # D10_06 old-age index: 65+ per 100 aged 0-14, above 100 when old
    "per 1,000 residents": (0, None),
    "per 1,000 residents aged 14+": (0, None),
    "per 10,000 residents": (0, None),
    "per 50,000 residents": (0, None),
    "per 100,000 residents": (0, None),
}
# Indicators whose range is not their unit's.
INDICATOR_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    # Population change over five years, %: a loss cannot exceed the whole population (-100);
    # the snapshot's comuni range from -6.9 to +9.0, so doubling in five years (+100) is a
    # broken population count, not growth.
    "D09_03": (-100, 100),
    # Net balance of labour contracts (activated - ceased): either sign; checked against its
    # parts instead (see ``_net_balance_gap``).
    "D08_03c": (None, None),
}
NET_BALANCE = ("D08_03c", "D08_03a", "D08_03b")  # balance = activated - ceased (catalogue)


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _number(value: float | None) -> str:
    return "null" if value is None else repr(float(value))


def _bound(index: int, indicator: str, unit: str) -> str:
    """SQL: the plausible minimum (index 0) or maximum (1) for an indicator and unit."""
    cases = [
        f"when {indicator} = {_sql_literal(i)} then {_number(b[index])}"
        for i, b in INDICATOR_BOUNDS.items()
    ]
    cases += [
        f"when {unit} = {_sql_literal(u)} then {_number(b[index])}" for u, b in UNIT_BOUNDS.items()
    ]
    return f"(case {' '.join(cases)} end)::double"


def outside_plausible_range(value: str, indicator: str = "indicator_id", unit: str = "unit") -> str:
    """SQL: how far ``value`` lies outside its plausible range (0 inside, or when null)."""
    low, high = _bound(0, indicator, unit), _bound(1, indicator, unit)
    return f"greatest(coalesce({low} - {value}, 0), coalesce({value} - {high}, 0), 0)"


def _relative_gap(total: str, parts: str) -> str:
    """SQL: |total - parts| relative to the total (absolute below 1); missing parts = 0."""
    return f"abs({total} - coalesce({parts}, 0)) / greatest(abs({total}), 1)"


def _gxe():
    import great_expectations.expectations as gxe

    return gxe


def _zero(column: str, family: str, name: str, *, severity: str = "error") -> list[Rule]:
    """A derived per-row gap or flag that must be 0 on every row (null = not applicable)."""
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=0),
            family=family,  # type: ignore[arg-type]
            severity=severity,  # type: ignore[arg-type]
            name=name,
        )
    ]


def _within(column: str, tolerance: float, name: str) -> list[Rule]:
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=tolerance),
            family="consistency",
            name=name,
        )
    ]


def _none_missing(column: str, family: str, name: str) -> list[Rule]:
    """A derived whole-table count (the same on every row) that must be 0: its observed value
    is the count itself."""
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnMaxToBeBetween(column=column, min_value=0, max_value=0),
            family=family,  # type: ignore[arg-type]
            name=name,
        )
    ]


def _in(column: str, values: tuple[str, ...] | list[str]) -> list[Rule]:
    return common.in_set(column, values, quarantine=False)


def _rows_exactly(count: int, name: str) -> list[Rule]:
    gxe = _gxe()
    return [Rule(gxe.ExpectTableRowCountToEqual(value=count), family="completeness", name=name)]


@cache
def _declared_columns() -> dict[str, tuple[str, ...]]:
    """Each mart's columns as its dbt YAML declares them (the model's contract)."""
    import yaml

    declared: dict[str, tuple[str, ...]] = {}
    for path in (DBT_MARTS / "_marts__models.yml", DBT_MARTS / "drivers" / "_drivers__models.yml"):
        for model in yaml.safe_load(path.read_text("utf-8")).get("models", []):
            declared[model["name"]] = tuple(c["name"] for c in model.get("columns", []))
    return declared


def _structure(model: str) -> list[Rule]:
    """Every column the model declares is there (more columns pass: dbt contracts and the
    model's tests own the exact shape)."""
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectTableColumnsToMatchSet(
                column_set=list(_declared_columns()[model]), exact_match=False
            ),
            family="structure",
            name="declared_columns",
        )
    ]


# fct_indicator_value ----------------------------------------------------------------------

FCT = "fct_indicator_value"  # the outer table's name in correlated subqueries
# Scalar subqueries aggregate (max) even where one row is expected: a duplicate then fails the
# uniqueness rule instead of crashing the whole suite (DuckDB rejects a scalar subquery that
# returns several rows).


def _indicator_field(field: str, outer: str = FCT) -> str:
    return (
        f"(select max(i.{field}) from marts.dim_indicator i "
        f"where i.indicator_id = {outer}.indicator_id)"
    )


def _sum_of(field: str, level: str, *, join: str = "", where: str = "") -> str:
    """SQL: the sum of ``field`` over the rows of ``level`` of the same indicator and year."""
    return (
        f"(select sum(c.{field}) from marts.fct_indicator_value c {join} "
        f"where c.territory_level = {level} and c.indicator_id = {FCT}.indicator_id "
        f"and c.year = {FCT}.year {where})"
    )


def _zona_gap(field: str) -> str:
    """The zona's ``field`` against the sum over its comuni."""
    comuni = _sum_of(
        field,
        "'comune'",
        join="join marts.dim_comune d on d.comune_code = c.territory_code",
        where=f"and d.zona_code = {FCT}.territory_code",
    )
    return _relative_gap(field, comuni)


def _cm_gap(field: str) -> str:
    """The cm's ``field`` against the sum over the finest level (comuni or CPIs)."""
    return _relative_gap(field, _sum_of(field, _indicator_field("finest_level")))


def _aggregate_missing(level: str, condition: str) -> str:
    return (
        f"(case when exists (select 1 from marts.fct_indicator_value a {condition} "
        f"a.territory_level = '{level}' and a.indicator_id = {FCT}.indicator_id "
        f"and a.year = {FCT}.year) then 0 else 1 end)"
    )


def _value_of(indicator: str) -> str:
    return (
        f"(select max(p.value) from marts.fct_indicator_value p "
        f"where p.indicator_id = '{indicator}' "
        f"and p.territory_level = {FCT}.territory_level "
        f"and p.territory_code = {FCT}.territory_code and p.year = {FCT}.year)"
    )


_FINEST = _indicator_field("finest_level")
_ALLOWED_LEVELS = " ".join(
    f"when {_sql_literal(finest)} then territory_level in "
    f"({', '.join(_sql_literal(level) for level in levels)})"
    for finest, levels in LEVELS_FOR_FINEST.items()
)
_ZONA_CODES = "(select distinct d.zona_code from marts.dim_comune d)"

FCT_DERIVED: dict[str, str] = {
    # Validity.
    "_outside_plausible_range": outside_plausible_range("value"),
    "_indicator_unknown": (
        "case when exists (select 1 from marts.dim_indicator i "
        f"where i.indicator_id = {FCT}.indicator_id) then 0 else 1 end"
    ),
    "_territory_unknown": (
        "case when (case territory_level "
        "when 'comune' then exists (select 1 from marts.dim_comune d "
        f"where d.comune_code = {FCT}.territory_code) "
        f"when 'zona' then territory_code in {_ZONA_CODES} "
        f"when 'cm' then territory_code = '{CM_CODE}' "
        "else true end) then 0 else 1 end"
    ),
    "_level_finer_than_source": (
        f"case when (case {_FINEST} {_ALLOWED_LEVELS} else false end) then 0 else 1 end"
    ),
    "_unit_mismatch": f"case when unit is not distinct from {_indicator_field('unit')} "
    "then 0 else 1 end",
    # Consistency: the value is the ratio (or count) it says it is.
    "_ratio_gap": (
        "case when numerator is not null then abs(value - round("
        f"{_indicator_field('multiplier')} * numerator "
        "/ coalesce(nullif(denominator, 0), case when denominator is null then 1 end), 2)) end"
    ),
    # Consistency: zona and cm numerators and denominators are the sums of their parts
    # (comuni; for the CPI indicators, the CPIs), for the additive indicators (with a
    # numerator and a finer level).
    "_zona_sum_gap": (
        f"case when territory_level = 'zona' and numerator is not null "
        f"and {_FINEST} = 'comune' then greatest({_zona_gap('numerator')}, "
        f"coalesce({_zona_gap('denominator')}, 0)) end"
    ),
    "_cm_sum_gap": (
        f"case when territory_level = 'cm' and numerator is not null "
        f"and {_FINEST} in ('comune', 'cpi') then greatest({_cm_gap('numerator')}, "
        f"coalesce({_cm_gap('denominator')}, 0)) end"
    ),
    # Completeness: a value at a finer level comes with its zona and cm aggregates.
    "_aggregates_missing": (
        "case when territory_level = 'comune' then "
        + _aggregate_missing(
            "zona",
            f"join marts.dim_comune d on d.zona_code = a.territory_code "
            f"and d.comune_code = {FCT}.territory_code where",
        )
        + " + "
        + _aggregate_missing("cm", "where")
        + " when territory_level in ('station', 'cpi') then "
        + _aggregate_missing("cm", "where")
        + " end"
    ),
    # Consistency: net balance = activated - ceased (-1 when a part is missing).
    "_net_balance_gap": (
        f"case when indicator_id = '{NET_BALANCE[0]}' then coalesce(abs(value - "
        f"({_value_of(NET_BALANCE[1])} - {_value_of(NET_BALANCE[2])})), -1) end"
    ),
    # Completeness: every indicator of the catalogue with a source has values (a count,
    # the same on every row).
    "_indicators_without_values": (
        "(select count(*) from marts.dim_indicator i where i.source <> 'none' and not exists "
        "(select 1 from marts.fct_indicator_value c where c.indicator_id = i.indicator_id))"
    ),
}


def _fct_rules(history: History) -> list[Rule]:
    gxe = _gxe()
    keys = ("indicator_id", "territory_level", "territory_code", "year")
    return common.rows(
        _structure("fct_indicator_value"),
        common.not_null(*keys, "value", "unit", "source_release"),
        common.unique(*keys),
        _none_missing("_indicators_without_values", "completeness", "every_indicator_published"),
        _zero("_aggregates_missing", "completeness", "zona_and_cm_present"),
        _in("territory_level", LEVELS),
        _zero("_indicator_unknown", "validity", "indicator_in_catalogue"),
        _zero("_territory_unknown", "validity", "territory_known"),
        _zero("_level_finer_than_source", "validity", "level_allowed_by_source"),
        # Units whose plausible range this suite knows: a new unit needs its range here.
        _in("unit", list(UNIT_BOUNDS)),
        _zero("_outside_plausible_range", "validity", "plausible_value"),
        [
            Rule(
                gxe.ExpectColumnValuesToBeBetween(
                    column="year", min_value=FIRST_YEAR, max_value=datetime.now(UTC).year
                ),
                family="validity",
                name="year_not_in_future",
            )
        ],
        _zero("_unit_mismatch", "consistency", "unit_of_catalogue"),
        _within("_ratio_gap", ROUNDING, "value_is_ratio"),
        _within("_zona_sum_gap", SUM_TOLERANCE, "zona_is_sum_of_comuni"),
        _within("_cm_sum_gap", SUM_TOLERANCE, "cm_is_sum_of_parts"),
        _within("_net_balance_gap", ROUNDING, "net_balance_is_difference"),
        # New years add rows and a source may be dropped, but losing a quarter of the values
        # (or doubling them) between two builds is a broken model.
        common.volume(history, shrink=0.25, grow=1.0),
    )


FCT_INDICATOR_VALUE = Suite(
    name="marts__fct_indicator_value",
    table="marts.fct_indicator_value",
    description="Indicator values: keys unique and complete, every published indicator present "
    "with its zona and cm aggregates, every value inside the plausible range of its unit and "
    "equal to its ratio, zona and cm numerators and denominators equal to the sums of their "
    "comuni (or CPIs), row count within a tolerance of the previous build.",
    rules=_fct_rules,
    derived=FCT_DERIVED,
    asset=("marts", "fct_indicator_value"),
)


# fct_target_progress ----------------------------------------------------------------------

PROGRESS = "fct_target_progress"

PROGRESS_DERIVED: dict[str, str] = {
    # Completeness: an indicator with a target and a source has a latest value.
    "_latest_value_missing": (
        f"case when latest_value is null and {_indicator_field('source', PROGRESS)} <> 'none' "
        "then 1 else 0 end"
    ),
    # Completeness: every indicator with a target (or a direction) is tracked (a count).
    "_targets_untracked": (
        "(select count(*) from marts.dim_indicator i where (i.target is not null "
        "or i.target_direction is not null) and not exists (select 1 from "
        "marts.fct_target_progress p where p.indicator_id = i.indicator_id))"
    ),
    # Consistency: the latest year is the latest year the indicator has any value for...
    "_years_behind_latest": (
        "(select max(c.year) from marts.fct_indicator_value c "
        f"where c.indicator_id = {PROGRESS}.indicator_id) - latest_year"
    ),
    # ... and the latest value is the metropolitan value of that year (-1: no such value).
    "_latest_value_gap": (
        "case when latest_value is not null then coalesce(abs(latest_value - "
        "(select max(c.value) from marts.fct_indicator_value c where c.territory_level = 'cm' "
        f"and c.indicator_id = {PROGRESS}.indicator_id and c.year = {PROGRESS}.latest_year)), "
        "-1) end"
    ),
    # Consistency: a target value is met exactly when no distance is left to go.
    "_met_but_distance_left": (
        "case when target is not null and latest_value is not null "
        "and target_direction in ('at_least', 'at_most') then "
        "case when (distance_to_target = 0) is not distinct from is_target_met then 0 else 1 end "
        "end"
    ),
    "_years_since_reference": "latest_year - reference_year",
}


def _progress_rules(history: History) -> list[Rule]:
    return common.rows(
        _structure("fct_target_progress"),
        common.not_null("indicator_id", "driver_id", "target_direction"),
        common.unique("indicator_id"),
        _none_missing("_targets_untracked", "completeness", "every_target_tracked"),
        _zero("_latest_value_missing", "completeness", "latest_value_for_every_target"),
        _in("territory_level", ["cm"]),
        _in("territory_code", [CM_CODE]),
        _in("target_direction", TARGET_DIRECTIONS),
        _in("trend", TRENDS),
        common.between("distance_to_target", 0, quarantine=False),
        _zero("_years_behind_latest", "consistency", "latest_year_is_latest"),
        _within("_latest_value_gap", 0, "latest_value_is_cm_value"),
        _zero("_met_but_distance_left", "consistency", "target_met_iff_no_distance"),
        # A plan baseline newer than the latest data makes the trend meaningless: worth a look.
        [
            Rule(
                _gxe().ExpectColumnValuesToBeBetween(column="_years_since_reference", min_value=0),
                family="consistency",
                severity="warning",
                name="reference_before_latest",
            )
        ],
    )


FCT_TARGET_PROGRESS = Suite(
    name="marts__fct_target_progress",
    table="marts.fct_target_progress",
    description="Progress towards the plan's targets: one row per indicator with a target, "
    "each with a latest value (unless it has no source yet) that is the metropolitan value of "
    "the latest year published; distance to target never negative and zero exactly when the "
    "target is met.",
    rules=_progress_rules,
    derived=PROGRESS_DERIVED,
    asset=("marts", "fct_target_progress"),
)


# Dimensions -------------------------------------------------------------------------------


def _comune_rules(history: History) -> list[Rule]:
    gxe = _gxe()
    return common.rows(
        _structure("dim_comune"),
        common.not_null("comune_code", "comune_name", "zona_code", "cadastral_code"),
        common.unique("comune_code"),
        common.unique("cadastral_code"),
        _rows_exactly(common.METROPOLITAN_COMUNI, "metropolitan_comuni"),
        common.every_comune("comune_code"),
        [
            Rule(
                gxe.ExpectColumnValuesToBeInSet(
                    column="comune_code", value_set=list(common.metropolitan_codes())
                ),
                family="validity",
                name="comune_code:comune_code",
            )
        ],
        _zero("_zona_unknown", "validity", "zona_known"),
        [
            Rule(
                gxe.ExpectColumnSumToBeBetween(column="_is_capital", min_value=1, max_value=1),
                family="consistency",
                name="one_capital",
            )
        ],
    )


DIM_COMUNE = Suite(
    name="marts__dim_comune",
    table="marts.dim_comune",
    description="The comuni of the Città metropolitana: all 133 of ISTAT's list, once each, "
    "each in a known zona omogenea; one capital.",
    rules=_comune_rules,
    derived={
        "_zona_unknown": "case when exists (select 1 from reference.zona_omogenea z "
        "where z.zona_code = dim_comune.zona_code) then 0 else 1 end",
        "_is_capital": "is_capital::integer",
    },
    asset=("marts", "dim_comune"),
)


def _zona_rules(history: History) -> list[Rule]:
    gxe = _gxe()
    return common.rows(
        _structure("dim_zona_omogenea"),
        common.not_null("zona_code", "zona_name", "comuni_count"),
        common.unique("zona_code"),
        common.unique("zona_name"),
        _rows_exactly(8, "zone_and_milano"),  # the 7 zone omogenee and the Comune di Milano
        common.between("comuni_count", 1, quarantine=False),
        [
            Rule(
                gxe.ExpectColumnSumToBeBetween(
                    column="comuni_count",
                    min_value=common.METROPOLITAN_COMUNI,
                    max_value=common.METROPOLITAN_COMUNI,
                ),
                family="consistency",
                name="zone_cover_the_comuni",
            )
        ],
        _zero("_comuni_count_gap", "consistency", "comuni_count_of_dim_comune"),
    )


DIM_ZONA_OMOGENEA = Suite(
    name="marts__dim_zona_omogenea",
    table="marts.dim_zona_omogenea",
    description="The 8 territories of level zona: unique codes and names, each with comuni, "
    "together the 133 comuni of dim_comune.",
    rules=_zona_rules,
    derived={
        "_comuni_count_gap": "comuni_count - (select count(*) from marts.dim_comune d "
        "where d.zona_code = dim_zona_omogenea.zona_code)"
    },
    asset=("marts", "dim_zona_omogenea"),
)


def _indicator_rules(history: History) -> list[Rule]:
    gxe = _gxe()
    return common.rows(
        _structure("dim_indicator"),
        common.not_null(
            "indicator_id", "driver_id", "name_it", "name_en", "unit", "multiplier", "finest_level"
        ),
        common.unique("indicator_id"),
        common.matches("indicator_id", r"^D(?:0[1-9]|10)_\d{2}[a-z]?$", quarantine=False),
        common.matches("driver_id", r"^D(?:0[1-9]|10)$", quarantine=False),
        _zero("_driver_mismatch", "consistency", "driver_of_id"),
        [
            Rule(
                gxe.ExpectColumnValuesToBeBetween(
                    column="multiplier", min_value=0, strict_min=True
                ),
                family="validity",
            )
        ],
        _in("unit", list(UNIT_BOUNDS)),
        _in("polarity", POLARITIES),
        _in("finest_level", LEVELS),
        _in("target_direction", TARGET_DIRECTIONS),
        _zero("_target_outside_plausible_range", "validity", "plausible_target"),
        _zero("_baseline_outside_plausible_range", "validity", "plausible_baseline"),
        _zero("_target_without_direction", "consistency", "target_has_direction"),
    )


DIM_INDICATOR = Suite(
    name="marts__dim_indicator",
    table="marts.dim_indicator",
    description="The indicator catalogue: unique well-formed ids, each with its driver, a unit "
    "whose plausible range is known, a positive multiplier, and baselines and targets inside "
    "that range.",
    rules=_indicator_rules,
    derived={
        "_driver_mismatch": "case when driver_id = split_part(indicator_id, '_', 1) "
        "then 0 else 1 end",
        "_target_outside_plausible_range": outside_plausible_range("target"),
        "_baseline_outside_plausible_range": outside_plausible_range("baseline"),
        "_target_without_direction": "case when target is not null and target_direction "
        "is null then 1 else 0 end",
    },
    asset=("marts", "dim_indicator"),
)


def _driver_rules(history: History) -> list[Rule]:
    return common.rows(
        _structure("dim_driver"),
        common.not_null("driver_id", "driver_number", "title_it", "title_en", "mart_name"),
        common.unique("driver_id"),
        common.unique("driver_number"),
        common.unique("mart_name"),
        _rows_exactly(10, "ten_drivers"),  # the ten Drivers of the Strategic Plan
        common.between("driver_number", 1, 10, quarantine=False),
        common.matches("mart_name", r"^mart_driver_\d{2}_[a-z0-9_]+$", quarantine=False),
        common.between("missions_count", 1, 6, quarantine=False),
        common.between("indicators_count", 1, quarantine=False),
        _none_missing("_catalogue_indicators_uncounted", "consistency", "every_indicator_counted"),
    )


DIM_DRIVER = Suite(
    name="marts__dim_driver",
    table="marts.dim_driver",
    description="The ten Drivers of the Strategic Plan: unique ids, numbers and marts, each "
    "related to a PNRR mission and measured by indicators; every indicator of the catalogue "
    "counted under a driver.",
    rules=_driver_rules,
    derived={
        "_catalogue_indicators_uncounted": "(select count(*) from reference.indicator_catalogue) "
        "- (select sum(d.indicators_count) from marts.dim_driver d)::bigint"
    },
    asset=("marts", "dim_driver"),
)


def _mission_rules(history: History) -> list[Rule]:
    return common.rows(
        _structure("dim_pnrr_mission"),
        common.not_null("mission_id", "mission_number", "name_it", "name_en"),
        common.unique("mission_id"),
        _rows_exactly(6, "six_missions"),
        _in("mission_id", [f"M{n}" for n in range(1, 7)]),
        common.between("drivers_count", 1, 10, quarantine=False),
    )


DIM_PNRR_MISSION = Suite(
    name="marts__dim_pnrr_mission",
    table="marts.dim_pnrr_mission",
    description="The six PNRR missions, M1-M6, each related to at least one driver.",
    rules=_mission_rules,
    asset=("marts", "dim_pnrr_mission"),
)


# Driver marts -----------------------------------------------------------------------------


def driver_marts(folder: Path = DBT_MARTS / "drivers") -> list[tuple[str, str]]:
    """The driver marts (name, level) as the dbt project defines them."""
    marts = []
    for path in sorted(folder.glob("mart_driver_*.sql")):
        level = (
            "cm" if re.search(r"level\s*=\s*['\"]cm['\"]", path.read_text("utf-8")) else "comune"
        )
        marts.append((path.stem, level))
    return marts


def _driver_mart_suite(name: str, level: str) -> Suite:
    key = "comune_code" if level == "comune" else "territory_code"

    def rules(history: History) -> list[Rule]:
        gxe = _gxe()
        territory = (
            common.rows(
                common.every_comune("comune_code", per="year"),
                [
                    Rule(
                        gxe.ExpectColumnValuesToBeInSet(
                            column="comune_code", value_set=list(common.metropolitan_codes())
                        ),
                        family="validity",
                        name="comune_code:comune_code",
                    )
                ],
            )
            if level == "comune"
            else _in("territory_code", [CM_CODE])
        )
        return common.rows(
            _structure(name),
            common.not_null(key, "year"),
            common.unique(key, "year"),
            territory,
        )

    what = (
        "one row per comune of the Città metropolitana (all 133) and year"
        if level == "comune"
        else "one row per year for the Città metropolitana"
    )
    return Suite(
        name=f"marts__{name}",
        table=f"marts.{name}",
        description=f"Wide mart of Driver {int(name.split('_')[2])}: declared columns, keys "
        f"not null and unique, {what}.",
        rules=rules,
        derived=common.comuni_per("comune_code", "year") if level == "comune" else {},
        asset=("marts", name),
    )


DRIVER_MARTS = tuple(_driver_mart_suite(name, level) for name, level in driver_marts())

SUITES: tuple[Suite, ...] = (
    DIM_COMUNE,
    DIM_ZONA_OMOGENEA,
    DIM_INDICATOR,
    DIM_DRIVER,
    DIM_PNRR_MISSION,
    FCT_INDICATOR_VALUE,
    FCT_TARGET_PROGRESS,
    *DRIVER_MARTS,
)
