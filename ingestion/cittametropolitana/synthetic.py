"""Synthetic registries of the Città metropolitana, in the contracts' own formats.

Invented (deterministic, seeded) but anchored on the plan's baselines: 70 of the 133 comuni had
signed the fibre-network agreement by the end of 2021 and more joined after; 55 5G sites were
active by the end of 2023; the Città metropolitana runs 156 upper secondary schools, most of them
in Milano, connected to ultra-broadband progressively since 2019. Student-housing projects sit
mostly in Milano. Run ``python -m ingestion.cittametropolitana.synthetic`` to rewrite them.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from ingestion.cittametropolitana.contracts import (
    SNAPSHOT_DIR,
    fibre_agreements,
    schools,
    sites_5g,
    student_housing,
)
from ingestion.common.filedrop import synthetic_address, synthetic_territory, write_snapshot

MILANO = "015146"
REFERENCE = date(2026, 9, 30)
SCHOOLS_REFERENCE = date(2026, 9, 15)
FIBRE_BASELINE = 70  # comuni with a signed agreement at the end of 2021 (plan)
SITES_BASELINE = 55  # active 5G sites at the end of 2023 (plan)
SCHOOLS_COUNT = 156  # schools run by the Città metropolitana (plan)
OPERATORS = ("INWIT", "Cellnex", "Vantage Towers", "TIM", "WindTre", "Iliad")
SCHOOL_KINDS = {
    "liceo": ("PS", "Liceo"),
    "istituto tecnico": ("TD", "Istituto tecnico"),
    "istituto professionale": ("RI", "Istituto professionale"),
    "istruzione superiore": ("IS", "IIS"),
}
HOUSING_PLACES = {  # comune -> projects (Milano hosts the universities; others host campuses)
    "015146": 12,
    "015209": 2,  # Sesto San Giovanni
    "015189": 1,  # Rozzano
    "015205": 1,  # Segrate
    "015173": 1,  # Pieve Emanuele
    "015077": 1,  # Cinisello Balsamo
}


def _day(rng: np.random.Generator, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _weights(territory: pl.DataFrame) -> np.ndarray:
    residents = territory["residenti_2025"].to_numpy().astype(float)
    return residents / residents.sum()


def fibre_frame(territory: pl.DataFrame, seed: int = 21, joined_since: int = 26) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    codes = territory["codice_comune"].to_list()
    chosen = rng.permutation(len(codes))[: FIBRE_BASELINE + joined_since]
    rows = []
    for n, index in enumerate(chosen):
        early = n < FIBRE_BASELINE
        signed = (
            _day(rng, date(2017, 3, 1), date(2021, 12, 31))
            if early
            else _day(rng, date(2022, 1, 10), REFERENCE)
        )
        age = (REFERENCE - signed).days
        status = "attivo" if age > 900 else "in realizzazione" if age > 300 else "da avviare"
        rows.append((codes[index], signed, status))
    return pl.DataFrame(rows, schema=[c.name for c in fibre_agreements.columns], orient="row").sort(
        "codice_comune"
    )


def sites_frame(territory: pl.DataFrame, seed: int = 22) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    codes = territory["codice_comune"].to_list()
    names = dict(territory.select("codice_comune", "comune").iter_rows())
    plan = (
        [("attivo", date(2020, 9, 1), date(2023, 12, 31))] * SITES_BASELINE
        + [("attivo", date(2024, 1, 8), REFERENCE)] * 14
        + [("autorizzato", None, None)] * 6
        + [("in istruttoria", None, None)] * 4
    )
    rows = []
    for i, (status, start, end) in enumerate(plan, 1):
        code = codes[int(rng.choice(len(codes), p=_weights(territory)))]
        kind = str(
            rng.choice(list(sites_5g.column("tipo_immobile").allowed), p=[0.6, 0.15, 0.2, 0.05])
        )
        label = {
            "scuola": f"Istituto superiore di {names[code]} - copertura",
            "sede istituzionale": f"Sede della Città metropolitana a {names[code]}",
            "strada provinciale": f"SP {int(rng.integers(11, 240))} km {int(rng.integers(1, 30))}",
            "altro": f"Magazzino provinciale di {names[code]}",
        }[kind]
        rows.append(
            {
                "id_sito": f"5G-{i:03d}",
                "denominazione": label,
                "indirizzo": synthetic_address(rng),
                "codice_comune": code,
                "tipo_immobile": kind,
                "operatore": str(rng.choice(OPERATORS)),
                "stato": status,
                "data_attivazione": _day(rng, start, end) if start and end else None,
            }
        )
    return pl.DataFrame(rows).select(c.name for c in sites_5g.columns)


def schools_frame(territory: pl.DataFrame, seed: int = 23) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    codes = territory["codice_comune"].to_list()
    names = dict(territory.select("codice_comune", "comune").iter_rows())
    others = np.array([c != MILANO for c in codes], dtype=float) * _weights(territory)
    others = others / others.sum()
    places = [MILANO] * 72 + [codes[int(i)] for i in rng.choice(len(codes), 84, p=others)]
    rows = []
    for n, code in enumerate(places, 1):
        kind = str(rng.choice(list(SCHOOL_KINDS), p=[0.35, 0.25, 0.15, 0.25]))
        prefix, label = SCHOOL_KINDS[kind]
        letter = "ABCDEFGHLMNPQRSTVZ"[n % 18]
        connected_on = _day(rng, date(2019, 1, 7), date(2026, 9, 1))
        connected = rng.random() < 0.93
        rows.append(
            {
                # synthetic: the real codes start MI<kind>0...; 9xxxx keeps these apart
                "codice_meccanografico": f"MI{prefix}9{n:04d}{letter}",
                "denominazione": f"{label} {names[code]} {n}",
                "indirizzo": synthetic_address(rng),
                "codice_comune": code,
                "tipologia": kind,
                "studenti": int(rng.integers(350, 1900)),
                "banda_ultralarga": "si" if connected else "no",
                "data_attivazione_bul": connected_on if connected else None,
                "velocita_mbps": int(rng.choice([1000, 1000, 10000])) if connected else 100,
            }
        )
    return pl.DataFrame(rows).select(c.name for c in schools.columns)


def housing_frame(territory: pl.DataFrame, seed: int = 24) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    names = dict(territory.select("codice_comune", "comune").iter_rows())
    rows = []
    n = 0
    for code, count in HOUSING_PLACES.items():
        for _ in range(count):
            n += 1
            status = str(rng.choice(["attivo", "in costruzione", "programmato"], p=[0.5, 0.3, 0.2]))
            beds = int(rng.integers(8, 60)) * 10
            available = (
                _day(rng, date(2021, 9, 1), REFERENCE)
                if status == "attivo"
                else _day(rng, REFERENCE + timedelta(days=60), date(2028, 9, 1))
            )
            rows.append(
                {
                    "id_intervento": f"RU-{n:03d}",
                    "denominazione": f"Residenza universitaria {names[code]} {n}",
                    "indirizzo": synthetic_address(rng),
                    "codice_comune": code,
                    "stato": status,
                    "posti_letto": beds,
                    "posti_canone_moderato": int(beds * rng.uniform(0.3, 0.8)),
                    "data_disponibilita": available,
                    "finanziamento": str(
                        rng.choice(["PNRR", "L. 338/2000", "altro"], p=[0.6, 0.3, 0.1])
                    ),
                }
            )
    return pl.DataFrame(rows).select(c.name for c in student_housing.columns)


def write_snapshots(target: Path = SNAPSHOT_DIR, *, scale: int = 1) -> list[Path]:
    """Rewrite the four bundled registries (``scale`` is accepted for symmetry: registries
    have the size of the territory, not of a period)."""
    territory = synthetic_territory()
    return [
        write_snapshot(
            fibre_agreements, target, fibre_frame(territory), reference=REFERENCE, fmt="csv"
        ),
        write_snapshot(sites_5g, target, sites_frame(territory), reference=REFERENCE, fmt="csv"),
        write_snapshot(
            schools, target, schools_frame(territory), reference=SCHOOLS_REFERENCE, fmt="xlsx"
        ),
        write_snapshot(
            student_housing, target, housing_frame(territory), reference=REFERENCE, fmt="csv"
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--target", type=Path, default=SNAPSHOT_DIR)
    args = parser.parse_args()
    for path in write_snapshots(args.target, scale=args.scale):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
