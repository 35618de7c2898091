"""Great Expectations suites as blocking Dagster asset checks, one per suite."""

import dagster as dg

from orchestration.resources import PipelineResource
from warehouse.quality import Suite, run_suite
from warehouse.suites import istat

SUITES: tuple[Suite, ...] = (*istat.SUITES,)


def build_validation_check(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(suite.table.split(".")),
        name=f"gx_{suite.name}",
        description=f"Great Expectations suite {suite.name}: {suite.description}",
        blocking=True,
    )
    def validate(pipeline: PipelineResource) -> dg.AssetCheckResult:
        outcome = run_suite(suite, pipeline.settings().warehouse_path)
        failures = "\n".join(
            f"| {o.expectation} | {o.column or ''} | {o.observed} |" for o in outcome.failed
        )
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=f"{len(outcome.outcomes) - len(outcome.failed)} of "
            f"{len(outcome.outcomes)} expectations met",
            metadata={
                "rows_validated": outcome.row_count,
                "expectations": len(outcome.outcomes),
                "failed_expectations": len(outcome.failed),
                "failures": dg.MetadataValue.md(
                    "| expectation | column | observed |\n|---|---|---|\n" + failures
                    if failures
                    else "none"
                ),
            },
        )

    return validate


VALIDATION_CHECKS = [build_validation_check(suite) for suite in SUITES]
