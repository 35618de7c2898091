"""Synthetic ISPRA payloads in the real wire format, for the bundled snapshot and benchmarks.

The values are invented (deterministic, seeded) but hold together: the fractions of each
row add up to ``Totale RD`` exactly, ``Totale RD + Ingombranti a smaltimento +
Indifferenziato = Totale RU``, ``Percentuale RD`` is RD / RU rounded to 2 decimals, the
population is the synthetic ISTAT one (``ingestion/istat/snapshot/population.csv.gz``) on
31 December of the year, i.e. 1 January of the next [A], and collection rates stay in
60-85% with about 480 kg per resident in Milano. Codes and names are real (ISTAT's list).

The shape is ISPRA's dettaglio comunale: UTF-8 with BOM, a title line, the header, data
lines with four leading TABs and a trailing ``;``, Italian numbers, ``%`` rates, ``-`` and
empty cells for NULL, a footnote line. The whole-Italy file is too big to bundle: a year
holds the 133 comuni of province 015, a few other Lombard comuni and a Trentino aggregation
(one ``Aggregazione`` row and its ``Vedi aggregazione`` members), so every filter of the
parser is exercised. ``scale`` adds that share of every other Italian comune (1.0 = the
whole country, the real volume) for benchmarks.

Run ``python -m ingestion.ispra.synthetic`` to rewrite the bundled waste snapshot. Each
dataset of the source has its own generator in ``GENERATORS``.
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import polars as pl

from ingestion.ispra import waste

# Wire details that are assumptions [A]: the title's wording, the footnote's, the leading
# TAB count (sources.md: "about 4"), the years whose header has " Carta e cartone (t)", the
# BOM ("possibly"), LF line ends, a header without trailing ";", the Content-Type.
TITLE = "Produzione e raccolta differenziata dei rifiuti urbani - Dettaglio comunale - Anno {year}"
FOOTNOTE = (
    "(1) Frazione umida: rifiuti biodegradabili di cucine e mense, compresa la quantità "
    "avviata a compostaggio domestico ove rilevata. Il simbolo - indica un dato non "
    "disponibile o nullo."
)
LEADING = "\t\t\t\t"
BOM = "\ufeff"
SPACED_PAPER_HEADER_YEARS = frozenset({2019, 2020, 2021})
CONTENT_TYPE = "text/csv; charset=UTF-8"
MILANO = "015146"
SEED = 2026

# Separate-collection fractions, in file order, with a typical share of the total in
# Lombardy and whether small comuni often have none (written "-").
FRACTIONS: tuple[tuple[str, float, bool], ...] = (
    ("Frazione umida(1) (t)", 0.255, False),
    ("Verde (t)", 0.105, False),
    ("Carta e cartone (t)", 0.195, False),
    ("Vetro (t)", 0.150, False),
    ("Legno (t)", 0.055, False),
    ("Metallo (t)", 0.022, False),
    ("Plastica (t)", 0.105, False),
    ("RAEE (t)", 0.017, False),
    ("Tessili (t)", 0.010, True),
    ("Selettiva (t)", 0.004, True),
    ("Rifiuti da C e D (t)", 0.032, True),
    ("Pulizia stradale a recupero (t)", 0.025, True),
    ("Ingombranti misti a recupero (t)", 0.020, False),
    ("Altro (t)", 0.005, True),
)
# Waste per resident relative to 2019 (the 2020 lockdown dip, then a slow decline).
YEAR_FACTOR = {2019: 1.0, 2020: 0.962, 2021: 0.99, 2022: 0.972, 2023: 0.966, 2024: 0.972}

# A handful of rows outside province 015 (real codes), so the filter has something to drop.
OTHER_COMUNI = {"013041": 40_000, "097042": 47_000, "108033": 123_000}  # Cantù, Lecco, Monza
AGGREGATION = "Comunità della Paganella"
AGGREGATION_LEAD = "022005"  # Andalo: the aggregation's row goes under its code [A]
AGGREGATION_MEMBERS = {  # members and their (invented) residents
    "022005": 1_050,
    "022052": 560,  # Cavedago
    "022081": 950,  # Fai della Paganella
    "022120": 1_150,  # Molveno
    "022180": 1_250,  # Spormaggiore
}


# -- formatting -----------------------------------------------------------------------------


def italian(units: int, decimals: int) -> str:
    """An integer count of 10^-decimals units in Italian format: 657674492, 3 -> 657.674,492."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 10**decimals)
    text = f"{whole:,}".replace(",", ".")
    return f"{sign}{text},{frac:0{decimals}d}" if decimals else f"{sign}{text}"


def tonnes(kg: int | None, *, dash_if_zero: bool = False) -> str:
    if kg is None:
        return ""
    if kg == 0 and dash_if_zero:
        return "-"
    return italian(kg, 3)


def percent(hundredths: int) -> str:
    """``6479`` -> ``  64,79%``: right-aligned in 7 characters, as ISPRA writes it."""
    return f"{italian(hundredths, 2):>7}%"


def rate_hundredths(rd_kg: int, ru_kg: int) -> int:
    """RD / RU in hundredths of a percent, rounded half up (exact, no float)."""
    value = (Decimal(rd_kg) * 100 / Decimal(ru_kg)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return int(value * 100)


def header_line(year: int) -> str:
    headers = list(waste.HEADERS)
    if year in SPACED_PAPER_HEADER_YEARS:
        headers[headers.index("Carta e cartone (t)")] = " Carta e cartone (t)"
    return ";".join(headers)


# -- values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    code: str  # 6-digit ISTAT code
    region_code: str
    region: str
    province: str
    name: str


@dataclass(frozen=True)
class Row:
    place: Place
    population: int | None
    kind: str  # "Comune", "Aggregazione: ...", "Vedi aggregazione: ..."
    fractions_kg: tuple[int, ...] | None  # None: no values (a Vedi aggregazione row)
    bulky_disposal_kg: int = 0
    unsorted_kg: int = 0

    @property
    def rd_kg(self) -> int:
        return sum(self.fractions_kg or ())

    @property
    def ru_kg(self) -> int:
        return self.rd_kg + self.bulky_disposal_kg + self.unsorted_kg

    def line(self) -> str:
        place = self.place
        cells = [
            place.region_code + place.code,
            place.region,
            place.province,
            place.name,
            "" if self.population is None else italian(self.population, 0),
            self.kind,
        ]
        if self.fractions_kg is None:
            cells += [""] * (len(waste.HEADERS) - len(cells))
        else:
            cells += [
                tonnes(kg, dash_if_zero=optional)
                for kg, (_, _, optional) in zip(self.fractions_kg, FRACTIONS, strict=True)
            ]
            cells += [
                tonnes(self.rd_kg),
                tonnes(self.bulky_disposal_kg, dash_if_zero=True),
                tonnes(self.unsorted_kg),
                tonnes(self.ru_kg),
                percent(rate_hundredths(self.rd_kg, self.ru_kg)),
            ]
        return LEADING + ";".join(cells) + ";"


def split_exactly(total: int, shares: np.ndarray) -> tuple[int, ...]:
    """Integers proportional to ``shares`` that add up to ``total`` (largest remainder)."""
    raw = shares / shares.sum() * total
    parts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - parts), kind="stable")
    parts[order[: total - int(parts.sum())]] += 1
    return tuple(int(p) for p in parts)


@dataclass(frozen=True)
class Habits:
    """What stays with a comune from year to year."""

    kg_per_resident: float
    rate: float
    rate_trend: float
    shares: np.ndarray
    bulky_share: float


def habits(rng: np.random.Generator, code: str, population: int) -> Habits:
    base = np.array([share for _, share, _ in FRACTIONS])
    shares = rng.dirichlet(base * 300)
    for i, (_, _, optional) in enumerate(FRACTIONS):
        if optional and population < 8_000 and rng.random() < 0.35:
            shares[i] = 0.0  # small comuni often collect no such fraction
    if code == MILANO:  # about 480 kg per resident and 62-63% in 2024 (sources.md 3)
        return Habits(495.0, 0.614, 0.003, shares, 0.012)
    return Habits(
        kg_per_resident=float(np.clip(rng.lognormal(np.log(455), 0.10), 360, 620)),
        rate=float(rng.uniform(0.64, 0.80)),
        rate_trend=float(rng.normal(0.003, 0.002)),
        shares=shares,
        bulky_share=float(rng.uniform(0.003, 0.02)),
    )


def comune_row(
    rng: np.random.Generator, place: Place, habit: Habits, population: int, year: int, kind: str
) -> Row:
    step = year - min(YEAR_FACTOR)
    per_resident = habit.kg_per_resident * YEAR_FACTOR.get(year, 0.97) * rng.normal(1, 0.012)
    ru_kg = round(population * per_resident)
    rate = float(np.clip(habit.rate + habit.rate_trend * step + rng.normal(0, 0.006), 0.605, 0.845))
    rd_kg = round(ru_kg * rate)
    bulky = round(ru_kg * habit.bulky_share)
    return Row(
        place, population, kind, split_exactly(rd_kg, habit.shares), bulky, ru_kg - rd_kg - bulky
    )


# -- inputs: the real comuni, the synthetic ISTAT population ----------------------------------


def places() -> dict[str, Place]:
    from ingestion.istat import comuni

    table = comuni.SCHEMA.conform(
        comuni.parse_file(comuni.snapshot()[0].path), source=comuni.SOURCE, dataset=comuni.NAME
    )
    return {
        row["codice_comune"]: Place(
            row["codice_comune"],
            row["codice_regione"],
            row["denominazione_regione"],
            row["denominazione_uts"],
            row["denominazione_it"],
        )
        for row in table.iter_rows(named=True)
    }


def istat_population(path: Path | None = None) -> dict[tuple[str, int], int]:
    """Residents on 1 January by (comune, year), from the synthetic ISTAT snapshot."""
    if path is None:
        from ingestion.istat.population import SNAPSHOT_DIR

        path = SNAPSHOT_DIR / "population.csv.gz"
    frame = (
        pl.read_csv(path, infer_schema=False)
        .filter((pl.col("AGE") == "TOTAL") & pl.col("SEX").is_in(["1", "2"]))
        .group_by("REF_AREA", "TIME_PERIOD")
        .agg(pl.col("OBS_VALUE").cast(pl.Int64).sum())
    )
    return {
        (code, int(period)): int(value)
        for code, period, value in frame.select("REF_AREA", "TIME_PERIOD", "OBS_VALUE").iter_rows()
    }


def waste_population(residents: dict[tuple[str, int], int], code: str, year: int) -> int:
    """Residents on 31 December of ``year`` = ISTAT's 1 January of ``year + 1`` [A]."""
    try:
        return residents[(code, year + 1)]
    except KeyError:
        raise ValueError(
            f"no synthetic ISTAT population for {code} on 1 January {year + 1}: regenerate "
            "the ISTAT snapshot with later years first"
        ) from None


# -- the waste file -------------------------------------------------------------------------


def waste_rows(
    years: Sequence[int], *, scale: float = 0.0, seed: int = SEED
) -> dict[int, list[Row]]:
    """Every row of each year's file, in ISPRA's order (region, province, comune)."""
    known = places()
    residents = istat_population()
    metro = sorted(c for c in known if c.startswith(waste.PROVINCE))
    rng = np.random.default_rng(seed)
    others = [c for c in sorted(known) if not c.startswith(waste.PROVINCE)]
    others = [c for c in others if c not in OTHER_COMUNI and c not in AGGREGATION_MEMBERS]
    extra = (
        sorted(rng.choice(others, size=round(len(others) * scale), replace=False)) if scale else []
    )
    sizes = {
        **{c: waste_population(residents, c, min(years)) for c in metro},
        **OTHER_COMUNI,
        **{c: int(np.clip(rng.lognormal(8.0, 1.1), 100, 300_000)) for c in extra},
    }
    traits = {c: habits(rng, c, sizes[c]) for c in sorted(sizes)}
    members = sum(AGGREGATION_MEMBERS.values())
    group = habits(rng, AGGREGATION_LEAD, members)

    by_year: dict[int, list[Row]] = {}
    for year in years:
        growth = 1 + 0.003 * (year - min(years))
        rows = [
            comune_row(
                rng,
                known[c],
                traits[c],
                waste_population(residents, c, year) if c in metro else int(sizes[c] * growth),
                year,
                waste.COMUNE_KIND,
            )
            for c in sorted(sizes)
        ]
        lead = comune_row(
            rng, known[AGGREGATION_LEAD], group, members, year, f"Aggregazione: {AGGREGATION}"
        )
        rows.append(lead)
        rows += [
            Row(known[c], size, f"Vedi aggregazione: {AGGREGATION}", None)
            for c, size in AGGREGATION_MEMBERS.items()
            if c != AGGREGATION_LEAD
        ]
        rows.sort(key=lambda r: (r.place.region_code, r.place.province, r.place.name, r.kind))
        by_year[year] = rows
    return by_year


def waste_csv(rows: Sequence[Row], year: int, *, footnote: bool = True) -> bytes:
    """One year's file exactly as the service sends it (an empty list: the unpublished year)."""
    lines = [TITLE.format(year=year), header_line(year), *(r.line() for r in rows)]
    if footnote and rows:
        lines.append(FOOTNOTE)
    return (BOM + "\n".join(lines) + "\n").encode("utf-8")


def write_gzip(path: Path, payload: bytes) -> None:
    """Gzip with no name and mtime 0, so reruns are byte-identical."""
    with path.open("wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as out:
        out.write(payload)


def write_waste_snapshot(target: Path, years: Sequence[int], *, scale: float = 0.0) -> list[Path]:
    """Rewrite ``waste-<year>.csv.gz`` and ``waste-<year>.request.json`` for each year."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for year, rows in waste_rows(years, scale=scale).items():
        data = target / f"waste-{year}.csv.gz"
        write_gzip(data, waste_csv(rows, year))
        request = {
            "url": waste.file_url(waste.DEFAULT_BASE_URL),
            "params": {"aa": str(year)},
            "headers": {"content-type": CONTENT_TYPE},
        }
        (target / f"waste-{year}.request.json").write_text(json.dumps(request, indent=2) + "\n")
        written.append(data)
    return written


GENERATORS: dict[str, Callable[..., list[Path]]] = {"waste": write_waste_snapshot}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", nargs="?", default="waste", choices=sorted(GENERATORS))
    parser.add_argument("--first-year", type=int, default=2019)
    parser.add_argument("--last-year", type=int, default=2024)
    parser.add_argument(
        "--scale",
        type=float,
        default=0.0,
        help="share of the other Italian comuni to add (1.0 = the real whole-Italy volume)",
    )
    parser.add_argument("--target", type=Path, default=waste.SNAPSHOT_DIR)
    args = parser.parse_args()
    years = range(args.first_year, args.last_year + 1)
    for path in GENERATORS[args.dataset](args.target, years, scale=args.scale):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
