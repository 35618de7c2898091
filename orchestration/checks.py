"""Validation suites as blocking Dagster asset checks, one per suite.

Severity is explicit: a failed ``error`` rule fails the check with ERROR severity, which stops
everything downstream in the run; warnings and quarantined rows fail it with WARN severity,
shown on the asset but blocking nothing.
"""

import dagster as dg

from orchestration.resources import PipelineResource
from warehouse.quality import Outcome, Suite, SuiteOutcome, run_suite
from warehouse.suites import SUITES


def _table(outcomes: list[Outcome]) -> dg.MetadataValue:
    lines = ["| rule | family | observed |", "|---|---|---|"]
    lines += [f"| {o.rule} | {o.family} | {o.observed} |" for o in outcomes]
    return dg.MetadataValue.md("\n".join(lines))


def check_result(suite: Suite, outcome: SuiteOutcome) -> dg.AssetCheckResult:
    """The check's verdict, severity and metadata from a suite's outcome."""
    quarantined = outcome.quarantined
    met = sum(o.success for o in outcome.outcomes)
    description = f"{met} of {len(outcome.outcomes)} rules met"
    if quarantined:
        description += f"; {sum(quarantined.values()):,} rows quarantined"
    metadata: dict[str, object] = {
        "rows_validated": outcome.row_count,
        "rules": len(outcome.outcomes),
        "errors": len(outcome.errors),
        "warnings": len(outcome.warnings),
        "rows_quarantined": sum(quarantined.values()),
        "suite": suite.name,
    }
    if outcome.errors:
        metadata["failed_rules"] = _table(outcome.errors)
    if outcome.warnings:
        metadata["warning_rules"] = _table(outcome.warnings)
    if quarantined:
        metadata["quarantined_by_rule"] = dg.MetadataValue.json(quarantined)
        metadata["quarantine_table"] = f"quarantine.{suite.table.split('.')[1]}"
    return dg.AssetCheckResult(
        passed=not (outcome.errors or outcome.warnings or quarantined),
        severity=dg.AssetCheckSeverity.ERROR if outcome.errors else dg.AssetCheckSeverity.WARN,
        description=description,
        metadata=metadata,
    )


def build_validation_check(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(suite.asset_path)),
        name=f"gx_{suite.name}",
        description=f"Great Expectations suite {suite.name}: {suite.description}",
        blocking=True,
    )
    def validate(
        context: dg.AssetCheckExecutionContext, pipeline: PipelineResource
    ) -> dg.AssetCheckResult:
        outcome = run_suite(suite, pipeline.settings().warehouse_path, run_id=context.run.run_id)
        return check_result(suite, outcome)

    return validate


VALIDATION_CHECKS = [build_validation_check(suite) for suite in SUITES]
