"""Command line: ``osservatorio run`` builds everything; ``osservatorio summary`` reports."""

from __future__ import annotations

import argparse
import sys

from osservatorio.settings import SOURCE_MODES, Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="osservatorio", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="ingest, validate, build, publish and export")
    run.add_argument("--mode", choices=SOURCE_MODES, help="override OSSERVATORIO_SOURCE_MODE")
    run.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    commands.add_parser(
        "publish", help="publish a dated open-data release from the published warehouse"
    )
    commands.add_parser("summary", help="print tables, row counts and paths")
    commands.add_parser("prepare", help="parse the dbt project (writes its manifest)")
    sql = commands.add_parser("sql", help="query the published warehouse (read-only)")
    sql.add_argument("query", help='SQL, e.g. "select * from marts.dim_driver"')
    sql.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    if getattr(args, "mode", None):
        settings = settings.with_overrides(source_mode=args.mode)

    if args.command == "sql":
        import polars as pl

        from warehouse.read import query

        result = query(args.query, settings)
        if args.csv:
            sys.stdout.write(result.write_csv())
        else:
            with pl.Config(tbl_rows=200, tbl_cols=30, fmt_str_lengths=60, tbl_width_chars=200):
                print(result)
        return 0

    if args.command == "publish":
        import os

        from exports.dcat import DEFAULT_BASE_URL
        from exports.open_data import BASE_URL_ENV, publish_open_data

        release = publish_open_data(
            settings, base_url=os.environ.get(BASE_URL_ENV, DEFAULT_BASE_URL)
        )
        print(f"release {release.name}: {release.path} ({len(release.files)} files)")
        print(f"portal: {release.path / 'site' / 'index.html'} (make serve)")
        return 0

    from orchestration.runner import RunReport, format_summary, run_pipeline

    if args.command == "prepare":
        from orchestration.dbt import ensure_manifest

        print(f"dbt manifest: {ensure_manifest()}")
        return 0
    if args.command == "summary":
        print(format_summary(settings, RunReport()))
        return 0
    report = run_pipeline(settings, force=args.force)
    print(format_summary(settings, report))
    return 0 if report.success and not report.checks_failed else 1


if __name__ == "__main__":
    sys.exit(main())
