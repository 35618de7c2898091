"""``python -m benchmarks``: run the benchmarks and write ``BENCHMARKS.md``.

    python -m benchmarks                  # every benchmark at real scale (make bench)
    python -m benchmarks --scale 10       # the scale-dependent ones at 10x (make bench-10x)
    python -m benchmarks --only queries   # one benchmark (repeatable)
    python -m benchmarks --repeat 3       # median of 3 for the expensive timings too

Each benchmark module (``benchmarks.<name>``) has ``run(scale, work_dir) -> list[Figure]``;
they are imported lazily, one at a time, and a module that is missing or fails is recorded
as such in ``BENCHMARKS.md`` instead of stopping the others. ``--scale 10`` runs only the
modules whose figures depend on the scale (the pipeline, query and size figures are those of
the bundled snapshot whatever the scale) unless ``--only`` names them.

``BENCHMARKS.md`` keeps the figures of earlier runs that this run did not measure (another
module, or another scale): every run's figures, date, duration and machine are stored as
JSON in a comment at the end of the file, and the file is rewritten from them. Large data
goes under ``$OSSERVATORIO_BENCH_DIR`` (default ``/tmp/osservatorio-bench``), never into the
repository, and is removed at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from benchmarks.figures import Figure

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = REPO_ROOT / "BENCHMARKS.md"
BENCH_DIR_ENV = "OSSERVATORIO_BENCH_DIR"
DEFAULT_BENCH_DIR = Path("/tmp/osservatorio-bench")
# Run in this order: the pipeline's cold run leaves the snapshot build the queries and the
# sizes read.
MODULES = ("ingestion", "pipeline", "queries", "sizes")
SCALED = frozenset({"ingestion"})  # modules whose figures change with --scale
TITLES = {
    "ingestion": "Ingestion of the large datasets (`benchmarks/ingestion.py`)",
    "pipeline": "The pipeline: `make run` and `dbt build` (`benchmarks/pipeline.py`)",
    "queries": "Analyst queries on the published warehouse (`benchmarks/queries.py`)",
    "sizes": "Sizes: the open-data release and the raw archive (`benchmarks/sizes.py`)",
    "runner": "The benchmark run itself",
}
RUNNER_TARGET_S = 15 * 60
DATA_MARK = "<!-- benchmarks-data"
VERSIONS = ("duckdb", "polars", "pyarrow", "dbt-core", "dbt-duckdb", "dagster")


@dataclass
class Record:
    """One module's run: what ``BENCHMARKS.md`` is rewritten from."""

    module: str
    run_scale: int
    measured_at: str
    seconds: float
    status: str  # "ok", "missing" or "failed"
    error: str = ""
    machine: dict[str, str] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    load_after: str = ""  # load average when the module finished: was the machine shared?

    @property
    def key(self) -> tuple[str, int]:
        return (self.module, self.run_scale)

    def to_json(self) -> dict:
        return {**asdict(self), "figures": [asdict(f) for f in self.figures]}

    @classmethod
    def from_json(cls, data: dict) -> Record:
        figures = [Figure(**f) for f in data.pop("figures", [])]
        return cls(**data, figures=figures)


# -- the machine -----------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text("utf-8", errors="replace")
    except OSError:
        return ""


def machine() -> dict[str, str]:
    cpuinfo = _read("/proc/cpuinfo")
    models = [
        line.split(":", 1)[1].strip()
        for line in cpuinfo.splitlines()
        if line.startswith("model name")
    ]
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    mem_kb = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    release = dict(
        line.split("=", 1) for line in _read("/etc/os-release").splitlines() if "=" in line
    )
    os_name = release.get("PRETTY_NAME", platform.system()).strip('"')
    versions = {}
    for package in VERSIONS:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu": f"{models[0] if models else platform.processor() or 'unknown'}",
        "cpus": f"{cores} logical, {usable} usable by this process",
        "ram": f"{mem_kb / 2**20:.1f} GiB",
        "os": f"{os_name}, {platform.system()} {platform.release()} ({platform.machine()})",
        "python": platform.python_version(),
        **{package: version for package, version in versions.items()},
        "load": load_average(),
    }


def load_average() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return " / ".join(f"{x:.2f}" for x in load)


def same_machine(a: dict[str, str], b: dict[str, str]) -> bool:
    return all(a.get(k) == b.get(k) for k in ("cpu", "cpus", "ram"))


# -- running ---------------------------------------------------------------------------------


def run_module(name: str, scale: int, work_dir: Path, host: dict[str, str]) -> Record:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    start = time.perf_counter()
    print(f"[bench] {name}: running at scale {scale} ...", flush=True)
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"benchmarks.{name}":
            raise_note = f"{type(exc).__name__}: {exc}"
            print(f"[bench] {name}: cannot be imported ({raise_note})", flush=True)
            return Record(name, scale, started, 0.0, "failed", raise_note, host)
        print(f"[bench] {name}: no module benchmarks.{name}", flush=True)
        return Record(name, scale, started, 0.0, "missing", f"no module benchmarks.{name}", host)
    except Exception as exc:
        error = f"import failed: {type(exc).__name__}: {exc}"
        print(f"[bench] {name}: {error}", flush=True)
        return Record(name, scale, started, 0.0, "failed", error, host)
    try:
        figures = list(module.run(scale, work_dir))
    except Exception as exc:
        seconds = time.perf_counter() - start
        tail = traceback.format_exc().strip().splitlines()[-6:]
        error = f"{type(exc).__name__}: {exc} ({' / '.join(line.strip() for line in tail)})"
        print(f"[bench] {name}: FAILED after {seconds:.0f} s: {exc}", flush=True)
        return Record(name, scale, started, seconds, "failed", error, host)
    seconds = time.perf_counter() - start
    missed = [f for f in figures if f.met is False]
    print(
        f"[bench] {name}: {len(figures)} figures in {seconds:.0f} s"
        + (f", {len(missed)} targets missed" if missed else ""),
        flush=True,
    )
    return Record(name, scale, started, seconds, "ok", "", host, figures, load_average())


def selected(only: list[str] | None, scale: int) -> list[str]:
    if only:
        return [name for name in MODULES if name in only]
    return [name for name in MODULES if scale == 1 or name in SCALED]


# -- BENCHMARKS.md ---------------------------------------------------------------------------


def load_records(path: Path) -> list[Record]:
    if not path.exists():
        return []
    text = path.read_text("utf-8")
    start = text.rfind(DATA_MARK)
    if start < 0:
        return []
    body = text[start + len(DATA_MARK) :]
    body = body[: body.rfind("-->")]
    try:
        return [Record.from_json(item) for item in json.loads(body)["records"]]
    except (ValueError, KeyError, TypeError):
        return []


def merge(previous: list[Record], current: list[Record]) -> list[Record]:
    """This run's records replace earlier ones of the same module and scale."""
    replaced = {r.key for r in current}
    kept = [r for r in previous if r.key not in replaced]
    order = {name: i for i, name in enumerate((*MODULES, "runner"))}
    return sorted([*kept, *current], key=lambda r: (order.get(r.module, 99), r.run_scale))


def fmt_value(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    if magnitude >= 1:
        return (
            f"{value:.2f}".rstrip("0").rstrip(".")
            if not float(value).is_integer()
            else (f"{value:.0f}")
        )
    return f"{value:.3g}"


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def met_mark(figure: Figure) -> str:
    return "" if figure.met is None else ("✓" if figure.met else "✗")


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


def render(records: list[Record], host: dict[str, str], invocation: str, total_s: float) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`.venv/bin/python -m benchmarks`: every benchmark at real "
        "scale) and `make bench-10x` (`--scale 10`: adds the 10x figures); do not edit by "
        "hand. Each row's command reproduces that figure alone. None of these is a test: "
        "`make test` runs none of them. Scales: `1x` is the issue's real scale of a "
        "dataset, `10x` ten times that; `snapshot` is the bundled snapshot `make run` "
        "reads (real ISTAT comuni, reduced synthetic volumes elsewhere: see README.md).",
        "",
        f"Last run: {now}, `{invocation}`, {duration(total_s)}.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {cell(host.get('cpu', ''))} ({cell(host.get('cpus', ''))}) |",
        f"| RAM | {host.get('ram', '')} |",
        f"| OS | {cell(host.get('os', ''))} |",
        f"| Python | {host.get('python', '')} |",
        f"| DuckDB | {host.get('duckdb', '')} |",
        f"| polars | {host.get('polars', '')} (pyarrow {host.get('pyarrow', '')}) |",
        f"| dbt | dbt-core {host.get('dbt-core', '')}, dbt-duckdb {host.get('dbt-duckdb', '')} |",
        f"| Dagster | {host.get('dagster', '')} |",
        f"| load average when the run started | {host.get('load', '')} (1, 5, 15 min; the "
        "machine may be shared, so timings are medians where a run is cheap) |",
        "",
    ]
    targeted = [(r, f) for r in records for f in r.figures if f.target]
    missed = [(r, f) for r, f in targeted if f.met is False]
    if targeted:
        lines += [
            "## Targets",
            "",
            f"{len(targeted)} figures have a target: {len(targeted) - len(missed)} met, "
            f"{len(missed)} missed (see [Targets missed](#targets-missed)).",
            "",
            "| figure | scale | value | target | met |",
            "|---|---|---:|---|:---:|",
        ]
        for _, f in targeted:
            lines.append(
                f"| {cell(f.benchmark)} | {f.scale} | {fmt_value(f.value)} {f.unit} | "
                f"{cell(f.target or '')} | {met_mark(f)} |"
            )
        lines.append("")
    for module in dict.fromkeys(r.module for r in records):
        module_records = [r for r in records if r.module == module]
        lines += [f"## {TITLES.get(module, module)}", ""]
        for r in module_records:
            when = r.measured_at.replace("T", " ").replace("+00:00", " UTC")
            status = {"ok": "", "missing": " — **not measured**", "failed": " — **failed**"}
            text = f"Run at scale {r.run_scale}: {when}, {duration(r.seconds)}{status[r.status]}"
            if r.error:
                text += f": {r.error}"
            if r.load_after:
                text += f"; load average when it finished {r.load_after} (1, 5, 15 min)"
            if r.machine and not same_machine(r.machine, host):
                text += (
                    f" (on another machine: {r.machine.get('cpu')}, {r.machine.get('cpus')}, "
                    f"{r.machine.get('ram')})"
                )
            lines += [text + ".", ""]
        figures = [f for r in module_records for f in r.figures]
        if not figures:
            continue
        lines += [
            "| figure | scale | value | unit | target | met | command |",
            "|---|---|---:|---|---|:---:|---|",
        ]
        for f in figures:
            lines.append(
                f"| {cell(f.benchmark)} | {f.scale} | {fmt_value(f.value)} | {f.unit} | "
                f"{cell(f.target or '')} | {met_mark(f)} | `{cell(f.command)}` |"
            )
        notes = [f for f in figures if f.note and f.met is not False]
        if notes:
            lines += ["", "Notes:", ""]
            lines += [f"- **{cell(f.benchmark)}** ({f.scale}): {f.note}" for f in notes]
        lines.append("")
    lines += ["## Targets missed", ""]
    if missed:
        for _, f in missed:
            lines += [
                f"### {f.benchmark} ({f.scale}): {fmt_value(f.value)} {f.unit}, target {f.target}",
                "",
                f.note or "(no note: the benchmark gave no reason)",
                "",
            ]
    else:
        lines += ["None.", ""]
    absent = [r for r in records if r.status != "ok"]
    if absent:
        lines += ["## Not measured", ""]
        lines += [f"- `{r.module}` at scale {r.run_scale}: {r.status}: {r.error}" for r in absent]
        lines.append("")
    data = json.dumps(
        {"records": [r.to_json() for r in records]}, ensure_ascii=False, indent=1
    ).replace(">", "\\u003e")  # never closes the comment; valid JSON (only inside strings)
    lines += [DATA_MARK, data, "-->", ""]
    return "\n".join(lines)


def write(
    path: Path, current: list[Record], host: dict[str, str], invocation: str, total_s: float
) -> list[Record]:
    records = merge(load_records(path), current)
    text = render(records, host, invocation, total_s)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", type=int, default=1, help="1 (real scale) or 10")
    parser.add_argument(
        "--only",
        action="append",
        choices=MODULES,
        metavar="NAME",
        help=f"run only this benchmark ({', '.join(MODULES)}); repeatable",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of each expensive timing (cold run, dbt build); median",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: BENCHMARKS.md")
    parser.add_argument(
        "--work-dir", type=Path, default=Path(os.environ.get(BENCH_DIR_ENV, DEFAULT_BENCH_DIR))
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch data")
    args = parser.parse_args(argv)

    from benchmarks.pipeline import REPEAT_ENV, rmtree

    os.environ[REPEAT_ENV] = str(max(1, args.repeat))
    args.work_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="run-", dir=args.work_dir))
    names = selected(args.only, args.scale)
    given = sys.argv[1:] if argv is None else argv
    invocation = "python -m benchmarks" + "".join(f" {a}" for a in given)
    host = machine()
    print(
        f"[bench] {', '.join(names)} at scale {args.scale}; scratch data in {work_dir}", flush=True
    )
    start = time.perf_counter()
    records: list[Record] = []
    try:
        for name in names:
            records.append(run_module(name, args.scale, work_dir, host))
    finally:
        if args.keep:
            print(f"[bench] scratch data kept in {work_dir}", flush=True)
        else:
            rmtree(work_dir)
    total = time.perf_counter() - start
    if names == list(MODULES) and args.scale == 1:
        met = total < RUNNER_TARGET_S and all(r.status == "ok" for r in records)
        note = ", ".join(f"{r.module} {duration(r.seconds)}" for r in records)
        if not met:
            note += (
                ". Over the target, or a module did not complete: the slowest module is "
                + max(records, key=lambda r: r.seconds).module
            )
        records.append(
            Record(
                "runner",
                1,
                datetime.now(UTC).isoformat(timespec="seconds"),
                total,
                "ok",
                "",
                host,
                [
                    Figure(
                        "make bench, every benchmark at real scale",
                        "1x",
                        round(total),
                        "s",
                        f"< {RUNNER_TARGET_S} s",
                        met,
                        "make bench",
                        note,
                    )
                ],
            )
        )
    write(args.output, records, host, invocation, total)
    print(f"[bench] {args.output} written ({duration(total)})", flush=True)
    # A missing module is reported, not an error; a module that failed is both.
    return 1 if any(r.status == "failed" for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
