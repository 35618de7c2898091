"""Great Expectations suites run against warehouse tables, results shaped for Dagster checks.

Suites are plain code (``warehouse/suites/``), built on an ephemeral GX context each time:
nothing is generated into the repository and the outcome depends only on the data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse.duck import connect_read

if TYPE_CHECKING:  # GX takes seconds to import: only when a suite actually runs.
    import great_expectations.expectations as gxe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Suite:
    """A named set of expectations about one table."""

    name: str
    table: str  # schema-qualified, e.g. raw.istat__comuni
    description: str
    expectations: Callable[[], list[gxe.Expectation]]  # built lazily, see above


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    observed: str


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    success: bool
    row_count: int
    outcomes: list[ExpectationOutcome]

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]


def _observed(result: dict) -> str:
    info = result.get("result") or {}
    for key in ("observed_value", "unexpected_count", "partial_unexpected_list"):
        if key in info:
            return f"{key}={info[key]!r}"[:200]
    return ""


def run_suite(suite: Suite, db_path: Path) -> SuiteOutcome:
    """Validate ``suite.table`` as it is now in the warehouse at ``db_path``."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    with connect_read(db_path) as con:
        frame = con.sql(f"select * from {suite.table}").df()
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name=suite.name)
    asset = source.add_dataframe_asset(name=suite.table)
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )
    gx_suite = gx.ExpectationSuite(name=suite.name, expectations=suite.expectations())
    result = batch.validate(gx_suite).to_json_dict()
    outcomes = [
        ExpectationOutcome(
            expectation=r["expectation_config"]["type"],
            column=r["expectation_config"]["kwargs"].get("column"),
            success=bool(r["success"]),
            observed=_observed(r),
        )
        for r in result["results"]
    ]
    return SuiteOutcome(suite.name, bool(result["success"]), len(frame), outcomes)
