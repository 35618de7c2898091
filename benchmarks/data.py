"""Full-size raw payloads for the benchmarks, written straight into a scratch raw archive.

Each large dataset is written in its source's real wire format, through the project's own
synthetic generators, as the retrievals the live client would archive (``view.json``, the
``page-NNNNN.json`` pages of at most 50,000 rows with the request that produces each,
``count.json``; the SDMX-CSV answer for ISTAT), so a benchmark can run the real path from
the archive on: ``Dataset.parse`` -> ``TableSchema.conform`` -> ``warehouse.loading``.

Volumes at real scale (``scale=1``; every volume is multiplied by ``scale``, and 10x is
what ``--scale 10`` asks for):

- energy certificates (CENED+2, ``bbky-sde5``): about 1,000,000 certificates of the province
  filed 2020-2025, from ``synthetic.certificate_rows`` at the scale that gives that total.
- air measurements (ARPA, ``g2hp-ar79``): a network of ``AIR_STATIONS`` stations, each with
  an hourly NO2 analyser, two in three with a daily PM10 sampler and one in three with a
  daily PM2.5 one, 2018-2025 (8 years): about 3 million validated values, from
  ``synthetic.measurement_rows`` run on that network (the generator's station list is
  swapped for it while it runs) in groups of stations, so a year is never held whole.
- labour contracts (comunicazioni obbligatorie): 1,500,000 events a year, 2021-2025.
  ``synthetic.labour_rows`` draws a sample of ``LABOUR_SAMPLE_ROWS`` events a year (it costs
  about 70 us a row, so the full volume would take 9 minutes per event type); each day's
  sampled events are then cycled until the day holds its share of the year's volume. The
  bytes per row, the distributions and the date order are the generator's.
- population (ISTAT ``22_289``): residents by comune, sex and single year of age, 2016-2025
  (10 years), for the 133 comuni (at 10x: 1,330 comuni, the real ones plus synthetic codes),
  from ``istat.synthetic.population_observations``, one SDMX-CSV answer.

Nothing here is a test, and nothing is written inside the repository: the archive lives in
a scratch directory (``$OSSERVATORIO_BENCH_DIR``, default ``/tmp/osservatorio-bench``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from ingestion.common.archive import RawArchive, Retrieval, StagedRetrieval
from ingestion.common.dataset import Dataset
from ingestion.istat import population
from ingestion.lombardia import air, energy, labour, soda
from ingestion.lombardia import synthetic as lombardia_synthetic
from ingestion.lombardia.spec import SodaSpec

BENCH_DIR_ENV = "OSSERVATORIO_BENCH_DIR"
DEFAULT_BENCH_DIR = Path("/tmp/osservatorio-bench")

CERTIFICATES_YEARS = tuple(range(2020, 2026))
CERTIFICATES_ROWS = 1_000_000  # over CERTIFICATES_YEARS, at real scale
AIR_YEARS = tuple(range(2018, 2026))
AIR_STATIONS = 40  # at real scale; each with hourly NO2, most with daily PM10/PM2.5
AIR_GROUP = 8  # stations generated at once (a group's rows are held in memory)
LABOUR_YEARS = tuple(range(2021, 2026))
LABOUR_ROWS_PER_YEAR = 1_500_000  # at real scale
LABOUR_SAMPLE_ROWS = 50_000  # drawn by the generator each year, then cycled day by day
POPULATION_YEARS = tuple(range(2016, 2026))
POPULATION_COMUNI = 133  # at real scale (the Città metropolitana)
SOURCE_MODE = "snapshot"  # synthetic payloads, as the bundled snapshot's are


def bench_dir() -> Path:
    """The scratch directory benchmarks write under (never inside the repository)."""
    return Path(os.environ.get(BENCH_DIR_ENV) or DEFAULT_BENCH_DIR)


@dataclass(frozen=True)
class Generated:
    """What a generator archived: the dataset that parses it and its retrievals."""

    key: str
    dataset: Dataset
    retrievals: tuple[Retrieval, ...]
    rows: int
    payload_format: str  # "json" (Socrata pages) or "csv" (SDMX-CSV)
    years: int  # years of data the retrievals hold

    def payload_files(self) -> list[Path]:
        """The data files (pages or CSV answers), without views, counts and manifests."""
        return [p for r in self.retrievals for p in payload_files(r, self.payload_format)]

    def payload_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.payload_files())

    def archive_bytes(self) -> int:
        """Bytes of every file of every retrieval (payloads, views, counts, manifests)."""
        return sum(retrieval_bytes(r) for r in self.retrievals)


def payload_files(retrieval: Retrieval, payload_format: str) -> list[Path]:
    """A retrieval's data files: Socrata pages (``json``) or SDMX-CSV answers (``csv``)."""
    if payload_format == "json":
        return [retrieval.file(f["name"]) for f in retrieval.files if f["name"].startswith("page-")]
    return [retrieval.file(f["name"]) for f in retrieval.files if f["name"].endswith(".csv")]


def retrieval_bytes(retrieval: Retrieval) -> int:
    return sum(p.stat().st_size for p in retrieval.path.iterdir() if p.is_file())


# -- writing Socrata retrievals -------------------------------------------------------------


def _record_bytes(staged: StagedRetrieval, name: str, payload: bytes, request: dict) -> None:
    staged.path_for(name).write_bytes(payload)
    staged.record(
        name,
        url=request["url"],
        params=request.get("params", {}),
        status=200,
        headers=request.get("headers", {}),
        sha256=hashlib.sha256(payload).hexdigest(),
        byte_size=len(payload),
    )


def _soda_array(serialised: Sequence[str]) -> bytes:
    """Rows already serialised as compact JSON objects, as a SODA answer (see soda_json)."""
    return ("[" + "\n,".join(serialised) + "]\n").encode()


def _serialise(row: dict[str, str]) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


class SodaPartitionWriter:
    """Writes one partition as the client archives it: view, full pages, a last shorter
    (possibly empty) page, then ``count(*)``; each file recorded under its real request."""

    def __init__(self, staged: StagedRetrieval, spec: SodaSpec, where: str | None) -> None:
        self.staged = staged
        self.where = where
        view = lombardia_synthetic.VIEWS[spec.view_id]
        self.select = lombardia_synthetic.selected(spec)
        self.url = soda.resource_url(soda.DEFAULT_BASE_URL, spec.view_id)
        self.page_headers = {
            "content-type": lombardia_synthetic.CONTENT_TYPE,
            "x-soda2-fields": json.dumps(self.select, separators=(",", ":")),
            "x-soda2-types": json.dumps(view.types(self.select), separators=(",", ":")),
        }
        document = json.dumps(view.document(), ensure_ascii=False, separators=(",", ":"))
        _record_bytes(
            staged,
            soda.VIEW_FILE,
            document.encode(),
            {
                "url": soda.view_url(soda.DEFAULT_BASE_URL, spec.view_id),
                "headers": {"content-type": lombardia_synthetic.CONTENT_TYPE},
            },
        )
        self.buffer: list[str] = []
        self.pages = 0
        self.rows = 0

    def add(self, serialised_rows: Iterable[str]) -> None:
        """Rows serialised by ``_serialise`` (compact JSON objects, keys in $select order)."""
        for row in serialised_rows:
            self.buffer.append(row)
            if len(self.buffer) == soda.PAGE_SIZE:
                self._flush()

    def add_rows(self, rows: Iterable[dict[str, str]]) -> None:
        self.add(_serialise(row) for row in rows)

    def _flush(self) -> None:
        params = soda.query_params(
            self.select, self.where, limit=soda.PAGE_SIZE, offset=self.pages * soda.PAGE_SIZE
        )
        self.pages += 1
        request = {"url": self.url, "params": params, "headers": self.page_headers}
        _record_bytes(self.staged, soda.page_name(self.pages), _soda_array(self.buffer), request)
        self.rows += len(self.buffer)
        self.buffer = []

    def close(self) -> int:
        """The last page (shorter than a page: the client's stop signal) and the count."""
        self._flush()
        count_headers = {
            "content-type": lombardia_synthetic.CONTENT_TYPE,
            "x-soda2-fields": f'["{soda.COUNT_ALIAS}"]',
            "x-soda2-types": '["number"]',
        }
        _record_bytes(
            self.staged,
            soda.COUNT_FILE,
            lombardia_synthetic.soda_json([{soda.COUNT_ALIAS: str(self.rows)}]),
            {"url": self.url, "params": soda.count_params(self.where), "headers": count_headers},
        )
        return self.rows


def _archive_soda_years(
    archive: RawArchive,
    spec: SodaSpec,
    years: Sequence[int],
    scale: float,
    write_year: Callable[[SodaPartitionWriter, int], None],
    where_for: Callable[[int], str | None],
) -> tuple[list[Retrieval], int]:
    retrievals, rows = [], 0
    for year in years:
        with archive.retrieve(
            soda.SOURCE,
            spec.name,
            source_mode=SOURCE_MODE,
            partition=str(year),
            extra={"synthetic": True, "benchmark_scale": scale},
        ) as staged:
            writer = SodaPartitionWriter(staged, spec, where_for(year))
            write_year(writer, year)
            rows += writer.close()
        assert staged.result is not None
        retrievals.append(staged.result)
    return retrievals, rows


def _soda_where(spec: SodaSpec, year: int, dynamic: str | None = None) -> str | None:
    window = soda.year_window(spec.year_field, year) if spec.year_field else None
    return soda.all_of(spec.where, dynamic, window)


# -- energy certificates --------------------------------------------------------------------


def certificates_scale(scale: float) -> float:
    """The ``certificate_rows`` scale that files ``CERTIFICATES_ROWS * scale`` certificates
    over ``CERTIFICATES_YEARS``."""
    cycle = sum(lombardia_synthetic.CERTIFICATES_CYCLE.get(y, 1.0) for y in CERTIFICATES_YEARS)
    return CERTIFICATES_ROWS * scale / (lombardia_synthetic.CERTIFICATES_BASE * cycle)


def generate_certificates(archive: RawArchive, scale: float) -> Generated:
    comuni = lombardia_synthetic.territory()
    generator_scale = certificates_scale(scale)

    def write_year(writer: SodaPartitionWriter, year: int) -> None:
        writer.add_rows(lombardia_synthetic.certificate_rows(comuni, year, generator_scale))

    retrievals, rows = _archive_soda_years(
        archive,
        energy.SPEC,
        CERTIFICATES_YEARS,
        scale,
        write_year,
        lambda year: _soda_where(energy.SPEC, year),
    )
    return Generated(
        "energy_certificates",
        energy.CERTIFICATES,
        tuple(retrievals),
        rows,
        "json",
        len(CERTIFICATES_YEARS),
    )


# -- air measurements -----------------------------------------------------------------------


def air_network(stations: int) -> tuple[lombardia_synthetic.Station, ...]:
    """A full network: every station with an hourly NO2 analyser, two in three with a daily
    PM10 sampler, one in three with a daily PM2.5 one; pollution levels vary by station."""
    network = []
    for i in range(stations):
        base = 30_000 + 10 * i
        sensors = [(str(base), lombardia_synthetic.NO2, "2000-01-01", None)]
        if i % 3 != 2:
            sensors.append((str(base + 1), lombardia_synthetic.PM10, "2000-01-01", None))
        if i % 3 == 0:
            sensors.append((str(base + 2), lombardia_synthetic.PM25, "2000-01-01", None))
        network.append(
            lombardia_synthetic.Station(
                idstazione=str(2_000 + i),
                name=f"Stazione {i + 1}",
                comune="Milano",
                quota=120,
                lat=45.46,
                lng=9.19,
                factor=0.85 + 0.3 * ((i * 37) % 100) / 100,
                sensors=tuple(sensors),
            )
        )
    return tuple(network)


def air_stations(scale: float) -> int:
    return max(1, round(AIR_STATIONS * scale))


def generate_air(archive: RawArchive, scale: float) -> Generated:
    network = air_network(air_stations(scale))
    sensors = sorted((s[0] for st in network for s in st.sensors), key=lambda s: (len(s), s))
    where = air.sensors_where(sensors)
    groups = [network[i : i + AIR_GROUP] for i in range(0, len(network), AIR_GROUP)]

    def write_year(writer: SodaPartitionWriter, year: int) -> None:
        for number, group in enumerate(groups):
            ids = [s[0] for station in group for s in station.sensors]
            # ``measurement_rows`` walks the generator's station list: swap in this group.
            with mock.patch.object(lombardia_synthetic, "STATIONS", group):
                rows = lombardia_synthetic.measurement_rows(
                    year, ids, seed=lombardia_synthetic.SEED + number
                )
            writer.add_rows(rows)

    retrievals, rows = _archive_soda_years(
        archive,
        air.MEASUREMENTS_SPEC,
        AIR_YEARS,
        scale,
        write_year,
        lambda year: _soda_where(air.MEASUREMENTS_SPEC, year, where),
    )
    return Generated(
        "air_measurements", air.MEASUREMENTS, tuple(retrievals), rows, "json", len(AIR_YEARS)
    )


# -- labour contracts -----------------------------------------------------------------------


def cycled_by_day(sample: Sequence[dict[str, str]], total: int) -> Iterator[str]:
    """``total`` rows from a date-ordered ``sample``: each day's sampled rows cycled until
    the day holds its share (the sample's) of ``total``; serialised, in date order."""
    days: dict[str, list[str]] = {}
    for row in sample:
        days.setdefault(row["data"], []).append(_serialise(row))
    seen = emitted = 0
    for rows in days.values():
        seen += len(rows)
        target = round(seen * total / len(sample))
        for i in range(target - emitted):
            yield rows[i % len(rows)]
        emitted = target


def generate_labour(archive: RawArchive, scale: float, event: str = "activated") -> Generated:
    spec = labour.ACTIVATED_SPEC if event == "activated" else labour.CEASED_SPEC
    dataset = labour.ACTIVATED if event == "activated" else labour.CEASED
    per_year = max(1, round(LABOUR_ROWS_PER_YEAR * scale))
    sample_scale = min(per_year, LABOUR_SAMPLE_ROWS) / lombardia_synthetic.LABOUR_BASE

    def write_year(writer: SodaPartitionWriter, year: int) -> None:
        sample = lombardia_synthetic.labour_rows(event, year, sample_scale)
        writer.add(cycled_by_day(sample, per_year))

    retrievals, rows = _archive_soda_years(
        archive, spec, LABOUR_YEARS, scale, write_year, lambda year: _soda_where(spec, year)
    )
    return Generated(f"labour_{event}", dataset, tuple(retrievals), rows, "json", len(LABOUR_YEARS))


# -- population -----------------------------------------------------------------------------


def population_codes(scale: float) -> list[str]:
    """The comuni of the Città metropolitana; beyond 133, synthetic codes (9xxxxx)."""
    from ingestion.istat import comuni

    real = comuni.metropolitan_codes(
        comuni.SCHEMA.conform(
            comuni.parse_file(comuni.snapshot()[0].path), source="istat", dataset="comuni"
        )
    )
    wanted = max(1, round(POPULATION_COMUNI * scale))
    return real[:wanted] + [f"{900_000 + i:06d}" for i in range(wanted - len(real))]


def generate_population(archive: RawArchive, scale: float) -> Generated:
    from ingestion.istat import sdmx
    from ingestion.istat import synthetic as istat_synthetic

    codes = population_codes(scale)
    observations = istat_synthetic.population_observations(codes, POPULATION_YEARS)
    payload = istat_synthetic.population_sdmx_csv(
        observations, provisional_year=max(POPULATION_YEARS)
    )
    request = {
        "url": sdmx.data_url(
            sdmx.DEFAULT_BASE_URL, population.FLOW, population.population_key(codes)
        ),
        "params": sdmx.PeriodBounds(start=min(POPULATION_YEARS)).params(),
        "headers": {"content-type": istat_synthetic.CSV_CONTENT_TYPE},
    }
    with archive.retrieve(
        population.SOURCE,
        population.NAME,
        source_mode=SOURCE_MODE,
        extra={"synthetic": True, "benchmark_scale": scale},
    ) as staged:
        _record_bytes(staged, population.PAYLOAD, payload, request)
    assert staged.result is not None
    return Generated(
        "population",
        population.DATASET,
        (staged.result,),
        observations.height,
        "csv",
        len(POPULATION_YEARS),
    )


GENERATORS: dict[str, Callable[[RawArchive, float], Generated]] = {
    "energy_certificates": generate_certificates,
    "air_measurements": generate_air,
    "labour_activated": lambda archive, scale: generate_labour(archive, scale, "activated"),
    "labour_ceased": lambda archive, scale: generate_labour(archive, scale, "ceased"),
    "population": generate_population,
}
DATASETS: dict[str, Dataset] = {
    "energy_certificates": energy.CERTIFICATES,
    "air_measurements": air.MEASUREMENTS,
    "labour_activated": labour.ACTIVATED,
    "labour_ceased": labour.CEASED,
    "population": population.DATASET,
}
FORMATS = {key: "csv" if key == "population" else "json" for key in GENERATORS}


def generate(key: str, scale: float, raw_dir: Path) -> Generated:
    """Archive ``key``'s full-size payloads at ``scale`` under ``raw_dir``."""
    if key not in GENERATORS:
        raise KeyError(f"no generator for {key!r}; known: {sorted(GENERATORS)}")
    return GENERATORS[key](RawArchive(raw_dir), scale)


def archived(key: str, raw_dir: Path) -> list[Retrieval]:
    """The retrievals of ``key`` already archived under ``raw_dir``, by partition."""
    dataset = DATASETS[key]
    found = RawArchive(raw_dir).retrievals(dataset.source, dataset.name)
    return sorted(found, key=lambda r: r.partition or "")
