"""Ingestion benchmarks: each large dataset from the raw archive into DuckDB.

For every large dataset (energy certificates, air measurements, labour contracts activated
(ceased on request: same shape and volume), population) ``benchmarks.data`` archives
full-size payloads at the run's scale; then, each in a fresh child process:

- *ours*: every partition through the path ``ingestion.common.ingest.ingest`` takes after
  acquiring it: ``raw_table_state`` -> ``extract`` (``Dataset.parse`` + ``conform``) ->
  ``warehouse.loading.load_raw_table`` into a DuckDB file (generation and archiving are
  not timed);
- *DuckDB*: ``create table t as select * from read_json(<the same page files>)`` (or
  ``read_csv`` of the same SDMX-CSV) into another DuckDB file: DuckDB's own reader on the
  same bytes, in the same run.

Figures: the ratio DuckDB time / our time (target >= 0.5: at most twice as slow), our
time and rows per second, the peak resident memory of our ingestion (``VmHWM`` of the
child, so the parent's memory does not count; target < 2 GB at 10x) and the raw archive's
bytes per year of data. A run that takes under ``CHEAP_S`` is repeated (median of 3,
spread reported). A child whose resident memory passes the cap is killed, so a run at 10x
cannot exhaust the machine; the figure then says "over the cap".

``python -m benchmarks.ingestion [--scale 10] [--dataset NAME ...]`` runs this module alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.figures import Figure

REPO_ROOT = Path(__file__).resolve().parents[1]
ALL_DATASETS = (
    "energy_certificates",
    "air_measurements",
    "labour_activated",
    "labour_ceased",
    "population",
)
# Cessations are the same payload shape and volume as activations: measuring them doubles
# the labour share of ``make bench`` (about 2 minutes at 1x) for the same figure, so they
# run only when asked (``--dataset labour_ceased``).
DEFAULT_DATASETS = tuple(key for key in ALL_DATASETS if key != "labour_ceased")
RATIO_TARGET = 0.5
MEMORY_TARGET_MB = 2048
MEMORY_TARGET_SCALE = 10  # the memory target applies from this scale on
CHEAP_S = 30.0  # runs shorter than this are repeated
REPEATS = 3
MEMORY_CAP_MB = 8192  # a child above this (or 70% of the available memory) is killed
POLL_S = 0.05


def scale_label(scale: float) -> str:
    return f"{scale:g}x"


def command(key: str, scale: float) -> str:
    return f".venv/bin/python -m benchmarks.ingestion --scale {scale:g} --dataset {key}"


# -- the children ---------------------------------------------------------------------------


def _status_mb(field_name: str, pid: int | str = "self") -> float | None:
    """A memory line of ``/proc/<pid>/status`` (``VmRSS``, ``VmHWM``) in MB."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(f"{field_name}:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None
    return None


def _peak_mb() -> float:
    """This process image's resident high-water mark.

    ``VmHWM`` rather than ``ru_maxrss``: the latter survives ``exec`` and so starts at the
    parent's own peak (``subprocess`` spawns through ``vfork``), which would charge the
    benchmark's generator to the child.
    """
    peak = _status_mb("VmHWM")
    if peak is None:  # not Linux: the kernel's maximum, in kilobytes
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak


def _rss_now_mb() -> float:
    return _status_mb("VmRSS") or 0.0


def _ours(key: str, raw_dir: Path, db_path: Path) -> dict:
    """Every archived partition of ``key`` as ``ingest`` handles it after ``acquire``."""
    from benchmarks import data
    from ingestion.common.ingest import extract
    from warehouse.loading import load_raw_table, raw_table_state

    dataset = data.DATASETS[key]
    retrievals = data.archived(key, raw_dir)
    baseline = _rss_now_mb()
    rows = 0
    parse_s = load_s = 0.0
    partitions = []
    start = time.perf_counter()
    for retrieval in retrievals:
        t0 = time.perf_counter()
        state = raw_table_state(db_path, dataset.table, retrieval.partition)
        if state.retrieval_id == retrieval.retrieval_id:
            raise RuntimeError(f"{key}: the benchmark database already holds this retrieval")
        frame = extract(dataset, retrieval)
        t1 = time.perf_counter()
        load_raw_table(
            db_path,
            dataset.table,
            frame,
            source=dataset.source,
            dataset=dataset.name,
            retrieval=retrieval,
        )
        t2 = time.perf_counter()
        rows += frame.height
        parse_s += t1 - t0
        load_s += t2 - t1
        partitions.append({"partition": retrieval.partition, "rows": frame.height, "s": t2 - t0})
        del frame
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": rows,
        "parse_s": parse_s,
        "load_s": load_s,
        "partitions": partitions,
        "baseline_mb": baseline,
        "maxrss_mb": _peak_mb(),
    }


def _duckdb(key: str, raw_dir: Path, db_path: Path) -> dict:
    """DuckDB's own reader on the same payload files, into a table of a DuckDB file."""
    import duckdb

    from benchmarks import data

    files = [
        str(path)
        for retrieval in data.archived(key, raw_dir)
        for path in data.payload_files(retrieval, data.FORMATS[key])
    ]
    reader = "read_json(?, format = 'array')" if data.FORMATS[key] == "json" else "read_csv(?)"
    baseline = _rss_now_mb()
    start = time.perf_counter()
    con = duckdb.connect(str(db_path))
    con.execute(f"create table t as select * from {reader}", [files]).fetchall()
    rows = con.execute("select count(*) from t").fetchone()[0]
    con.close()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": rows, "baseline_mb": baseline, "maxrss_mb": _peak_mb()}


CHILDREN = {"ours": _ours, "duckdb": _duckdb}


@dataclass
class ChildRun:
    mode: str
    ok: bool
    result: dict = field(default_factory=dict)
    peak_sampled_mb: float = 0.0
    killed_at_mb: float | None = None
    error: str = ""

    @property
    def seconds(self) -> float:
        return self.result["seconds"]

    @property
    def peak_mb(self) -> float:
        """The kernel's high-water mark when the child finished, else the sampled one."""
        return self.result.get("maxrss_mb") or self.peak_sampled_mb


def available_mb() -> float:
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float(MEMORY_CAP_MB)


def run_child(mode: str, key: str, raw_dir: Path, db_path: Path, cap_mb: float) -> ChildRun:
    """Run one measurement in a fresh interpreter, killing it if it passes ``cap_mb``."""
    for path in (db_path, db_path.with_name(db_path.name + ".wal")):
        path.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.ingestion",
        "--child",
        mode,
        "--dataset",
        key,
        "--raw-dir",
        str(raw_dir),
        "--db",
        str(db_path),
    ]
    proc = subprocess.Popen(
        cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    run = ChildRun(mode, ok=False)

    def watch() -> None:
        while proc.poll() is None:
            rss = _status_mb("VmRSS", proc.pid)
            if rss is not None:
                run.peak_sampled_mb = max(run.peak_sampled_mb, rss)
                if rss > cap_mb:
                    run.killed_at_mb = rss
                    proc.kill()
                    return
            time.sleep(POLL_S)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    watcher.join()
    for path in (db_path, db_path.with_name(db_path.name + ".wal")):
        path.unlink(missing_ok=True)
    if run.killed_at_mb is not None:
        run.error = f"killed: resident memory passed the cap of {cap_mb:,.0f} MB"
        return run
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        run.error = f"exit {proc.returncode}: {err.strip().splitlines()[-1:] or out[-300:]}"
        return run
    run.result = json.loads(lines[-1])
    run.ok = True
    return run


# -- measuring one dataset ------------------------------------------------------------------


@dataclass
class Measured:
    key: str
    ours: list[ChildRun]
    duck: list[ChildRun]
    rows: int
    payload_mb: float
    archive_mb: float
    years: int
    generate_s: float
    cap_mb: float


def _spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f} s (one run)"
    return (
        f"median {statistics.median(values):.2f} s of {len(values)} "
        f"(min {min(values):.2f}, max {max(values):.2f})"
    )


def _progress(message: str) -> None:
    print(f"[ingestion] {message}", file=sys.stderr, flush=True)


def measure(
    key: str,
    scale: float,
    work_dir: Path,
    *,
    repeats: int = REPEATS,
    cheap_s: float = CHEAP_S,
    cap_mb: float | None = None,
) -> Measured:
    """Generate ``key`` at ``scale`` under ``work_dir``, measure both paths, clean up."""
    from benchmarks import data

    root = work_dir / f"ingestion-{key}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    cap = cap_mb if cap_mb is not None else min(MEMORY_CAP_MB, 0.7 * available_mb())
    try:
        _progress(f"{key} at {scale_label(scale)}: generating the payloads")
        start = time.perf_counter()
        generated = data.generate(key, scale, root / "raw")
        generate_s = time.perf_counter() - start
        _progress(f"{key}: {generated.rows:,} rows archived in {generate_s:.0f} s; measuring")
        ours: list[ChildRun] = []
        duck: list[ChildRun] = []
        for attempt in range(repeats):
            if attempt == 0 or (ours[-1].ok and ours[-1].seconds < cheap_s):
                ours.append(run_child("ours", key, root / "raw", root / "ours.duckdb", cap))
            if attempt == 0 or (duck[-1].ok and duck[-1].seconds < cheap_s):
                duck.append(run_child("duckdb", key, root / "raw", root / "duckdb.duckdb", cap))
        return Measured(
            key=key,
            ours=ours,
            duck=duck,
            rows=generated.rows,
            payload_mb=generated.payload_bytes() / 2**20,
            archive_mb=generated.archive_bytes() / 2**20,
            years=generated.years,
            generate_s=generate_s,
            cap_mb=cap,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def figures(m: Measured, scale: float) -> list[Figure]:
    label, cmd = scale_label(scale), command(m.key, scale)
    out: list[Figure] = []
    ours_ok = [r for r in m.ours if r.ok]
    duck_ok = [r for r in m.duck if r.ok]
    failed = [r for r in m.ours if not r.ok]
    volume = (
        f"{m.rows:,} rows, {m.payload_mb:,.0f} MB of payload in {m.years} years "
        f"(generated in {m.generate_s:.0f} s, not timed)"
    )
    if ours_ok and duck_ok:
        ours_s = statistics.median(r.seconds for r in ours_ok)
        duck_s = statistics.median(r.seconds for r in duck_ok)
        split = ""
        if all(r.result.get("parse_s") is not None for r in ours_ok):
            parse_s = statistics.median(r.result["parse_s"] for r in ours_ok)
            load_s = statistics.median(r.result["load_s"] for r in ours_ok)
            split = f" (parse+conform {parse_s:.2f} s, load {load_s:.2f} s)"
        ratio = duck_s / ours_s
        reader = "read_csv" if m.key == "population" else "read_json"
        note = (
            f"{volume}. Ours {_spread([r.seconds for r in ours_ok])}{split}; DuckDB {reader} "
            f"{_spread([r.seconds for r in duck_ok])}."
        )
        out += [
            Figure(
                f"ingestion throughput: {m.key}",
                label,
                round(ratio, 3),
                "ratio",
                f">= {RATIO_TARGET}",
                ratio >= RATIO_TARGET,
                cmd,
                note,
            ),
            Figure(
                f"ingestion time: {m.key}", label, round(ours_s, 2), "s", command=cmd, note=note
            ),
            Figure(
                f"ingestion time, DuckDB {reader} of the same bytes: {m.key}",
                label,
                round(duck_s, 2),
                "s",
                command=cmd,
            ),
            Figure(
                f"ingestion rows per second: {m.key}",
                label,
                round(m.rows / ours_s),
                "rows/s",
                command=cmd,
            ),
        ]
    else:
        errors = "; ".join(r.error for r in [*m.ours, *m.duck] if not r.ok)
        duck = f" DuckDB alone: {_spread([r.seconds for r in duck_ok])}." if duck_ok else ""
        out.append(
            Figure(
                f"ingestion throughput: {m.key}",
                label,
                float("nan"),
                "ratio",
                f">= {RATIO_TARGET}",
                False,
                cmd,
                f"{volume}. No complete run of ours to compare: {errors}.{duck}",
            )
        )
    target = f"< {MEMORY_TARGET_MB} MB" if scale >= MEMORY_TARGET_SCALE else None
    killed = any(r.killed_at_mb is not None for r in failed)
    if killed:
        peak = max(r.killed_at_mb or 0.0 for r in failed)
        memory_note = (
            f"over the cap: the child was killed at {peak:,.0f} MB resident "
            f"(cap {m.cap_mb:,.0f} MB) before it finished"
        )
    else:
        peak = max((r.peak_mb for r in ours_ok), default=float("nan"))
        baseline = max((r.result["baseline_mb"] for r in ours_ok), default=float("nan"))
        duck_peak = max((r.peak_mb for r in duck_ok), default=float("nan"))
        largest = max((p["rows"] for r in ours_ok for p in r.result["partitions"]), default=0)
        memory_note = (
            f"peak resident set (VmHWM) of the child ({baseline:,.0f} MB after imports); the "
            f"largest partition holds {largest:,} rows; DuckDB {duck_peak:,.0f} MB on the same "
            "bytes"
        )
    if target is None:
        memory_note += f"; the target (< {MEMORY_TARGET_MB} MB) applies at 10x"
    out.append(
        Figure(
            f"ingestion peak RSS: {m.key}",
            label,
            round(peak),
            "MB",
            target,
            (peak < MEMORY_TARGET_MB and not killed) if target else None,
            cmd,
            memory_note,
        )
    )
    out.append(
        Figure(
            f"raw archive per year of data: {m.key}",
            label,
            float(f"{m.archive_mb / m.years:.3g}"),
            "MB",
            command=cmd,
            note=f"{m.archive_mb:,.1f} MB for {m.years} years (payloads, views, counts, "
            "manifests; uncompressed, as archived)",
        )
    )
    return out


def run(
    scale: float,
    work_dir: Path,
    *,
    datasets: tuple[str, ...] = DEFAULT_DATASETS,
    repeats: int = REPEATS,
    cheap_s: float = CHEAP_S,
    cap_mb: float | None = None,
) -> list[Figure]:
    """Every ingestion figure at ``scale`` (1: real scale, 10: tenfold)."""
    out: list[Figure] = []
    for key in datasets:
        measured = measure(key, scale, work_dir, repeats=repeats, cheap_s=cheap_s, cap_mb=cap_mb)
        out += figures(measured, scale)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--dataset", action="append", choices=ALL_DATASETS)
    parser.add_argument("--work-dir", type=Path)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--raw-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        (key,) = args.dataset
        print(json.dumps(CHILDREN[args.child](key, args.raw_dir, args.db)))
        return
    from benchmarks import data

    work_dir = args.work_dir or data.bench_dir()
    for figure in run(
        args.scale, work_dir, datasets=tuple(args.dataset or DEFAULT_DATASETS), repeats=args.repeats
    ):
        met = "" if figure.met is None else (" ok" if figure.met else " MISSED")
        target = f" (target {figure.target}{met})" if figure.target else ""
        print(f"{figure.benchmark} [{figure.scale}]: {figure.value:,} {figure.unit}{target}")
        if figure.note:
            print(f"    {figure.note}")


if __name__ == "__main__":
    main()
