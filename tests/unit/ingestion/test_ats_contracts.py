"""ATS contracts: the rules specific to Case and Ospedali di Comunità and to GPs."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from ingestion.ats.contracts import community_hospitals, community_houses, general_practitioners
from ingestion.common.filedrop import ContractError, check_bytes, metropolitan_comuni, to_csv

TODAY = date(2026, 1, 1)


def problems(contract, frame: pl.DataFrame, name: str) -> list[tuple[str, tuple[int, ...]]]:
    """(rule, rows) of every violation of ``frame`` sent as a CSV drop; [] when it passes."""
    try:
        check_bytes(contract, name, to_csv(contract, frame), today=TODAY)
    except ContractError as exc:
        return [(v.rule, v.rows) for v in exc.violations]
    return []


def hospitals(*rows: tuple[str, int, date | None]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            (f"ODC-{i:03d}", f"Ospedale di Comunità {i}", "Via Roma 1", "015146", status, d, beds)
            for i, (status, beds, d) in enumerate(rows, 1)
        ],
        schema=[c.name for c in community_hospitals.columns],
        orient="row",
    )


def test_an_operating_hospital_needs_beds_and_a_past_opening() -> None:
    frame = hospitals(
        ("attiva", 20, date(2024, 5, 2)),  # row 2: fine
        ("programmata", 0, None),  # row 3: planned, beds not yet known: fine
        ("attiva", 0, date(2024, 5, 2)),  # row 4: operating with no bed
        ("attiva", 20, date(2026, 6, 1)),  # row 5: 'operating' from a future date
    )
    assert problems(community_hospitals, frame, "ospedali_comunita_2025-12-31.csv") == [
        ("attiva_con_data", (5,)),
        ("attiva_con_posti", (4,)),
    ]


def test_beds_stay_within_the_declared_range() -> None:
    frame = hospitals(("attiva", 101, date(2024, 5, 2)), ("attiva", -2, date(2024, 5, 2)))
    assert problems(community_hospitals, frame, "ospedali_comunita_2025-12-31.csv") == [
        ("minimum", (3,)),
        ("maximum", (2,)),
    ]


def test_a_planned_house_may_open_in_the_future() -> None:
    frame = pl.DataFrame(
        [("CDC-001", "Casa", "Via Roma 1", "015146", "programmata", date(2027, 3, 1), "hub")],
        schema=[c.name for c in community_houses.columns],
        orient="row",
    )
    assert problems(community_houses, frame, "case_comunita_2025-12-31.csv") == []


def practitioners(doctors: int, patients: int) -> pl.DataFrame:
    """All 133 comuni in 2024 with 1 GP and 1,000 patients; Milano gets the figures given."""
    codes = list(metropolitan_comuni())
    return pl.DataFrame(
        {
            "codice_comune": codes,
            "anno": [2024] * len(codes),
            "medici_mmg": [doctors if c == "015146" else 1 for c in codes],
            "assistiti": [patients if c == "015146" else 1000 for c in codes],
        }
    )


@pytest.mark.parametrize(
    ("doctors", "patients", "expected"),
    [
        (2, 3600, []),  # 2 x 1,800 = 3,600: at the ceiling
        (2, 3601, [("massimale", (73,))]),  # one over; Milano is the 72nd code: row 73
        (0, 0, []),  # no GP, no patient
        (0, 12, [("massimale", (73,))]),  # patients with no GP
    ],
)
def test_patients_per_gp_stay_under_the_ceiling(doctors: int, patients: int, expected) -> None:
    assert list(metropolitan_comuni()).index("015146") == 71  # codes in ISTAT order
    frame = practitioners(doctors, patients)
    assert problems(general_practitioners, frame, "medici_medicina_generale_2025-03-31.csv") == (
        expected
    )


def test_every_comune_every_year() -> None:
    frame = practitioners(700, 1_000_000).filter(pl.col("codice_comune") != "015002")
    found = problems(general_practitioners, frame, "medici_medicina_generale_2025-03-31.csv")
    assert found == [("coverage", ())]
