"""AFOL contracts: each comune in exactly one CPI; GOL paths that add up."""

from __future__ import annotations

from datetime import date

import polars as pl

from ingestion.afol.contracts import PATHS, employment_centres, gol_beneficiaries
from ingestion.common.filedrop import ContractError, check_bytes, metropolitan_comuni, to_csv

TODAY = date(2026, 1, 1)
CENTRES = "cpi_comuni_2026-01-15.csv"
GOL = "gol_cpi_2025-12-10.csv"


def problems(contract, frame: pl.DataFrame, name: str) -> list[tuple[str, tuple, tuple]]:
    """(rule, rows, values) of every violation of ``frame`` sent as CSV; [] when it passes."""
    try:
        check_bytes(contract, name, to_csv(contract, frame), today=TODAY)
    except ContractError as exc:
        return [(v.rule, v.rows, v.values) for v in exc.violations]
    return []


def catchment() -> pl.DataFrame:
    """Milano in CPI01, every other comune in CPI02 (seated in Sesto San Giovanni)."""
    codes = list(metropolitan_comuni())
    return pl.DataFrame(
        {
            "codice_comune": codes,
            "codice_cpi": ["CPI01" if c == "015146" else "CPI02" for c in codes],
            "denominazione_cpi": ["CPI Milano" if c == "015146" else "CPI Sesto" for c in codes],
            "indirizzo_cpi": ["Via Strozzi 11" if c == "015146" else "Via Roma 1" for c in codes],
            "codice_comune_sede_cpi": ["015146" if c == "015146" else "015209" for c in codes],
        }
    )


def test_a_complete_catchment_passes() -> None:
    assert problems(employment_centres, catchment(), CENTRES) == []


def test_a_comune_in_two_cpis_is_a_repeated_key() -> None:
    frame = catchment()
    twice = frame.filter(pl.col("codice_comune") == "015146")
    frame = pl.concat([frame, twice.with_columns(pl.lit("CPI02").alias("codice_cpi"))])
    # Milano is row 73 (72nd code) and again row 135 (appended after the 133 rows).
    found = problems(employment_centres, frame, CENTRES)
    assert ("primary_key", (73, 135), ("015146", "015146")) in found


def test_a_comune_in_no_cpi_is_missing() -> None:
    frame = catchment().filter(pl.col("codice_comune") != "015002")
    assert problems(employment_centres, frame, CENTRES) == [("coverage", (), ("015002",))]


def test_a_cpi_described_two_ways_is_inconsistent() -> None:
    frame = catchment().with_columns(
        pl.when(pl.col("codice_comune") == "015002")  # Abbiategrasso, row 2
        .then(pl.lit("CPI di Sesto"))
        .otherwise(pl.col("denominazione_cpi"))
        .alias("denominazione_cpi")
    )
    ((rule, rows, values),) = problems(employment_centres, frame, CENTRES)
    assert rule == "consistency"
    assert rows[:2] == (2, 3)  # every CPI02 row is listed (up to ten), starting at row 2
    assert values[:2] == ("CPI di Sesto", "CPI Sesto")


def gol(**overrides: int) -> pl.DataFrame:
    # 310 + 120 + 45 + 60 + 5 = 540 beneficiaries, out of 720 taken in charge
    row = {
        "codice_cpi": "CPI01",
        "mese": "2025-03",
        "presi_in_carico": 720,
        "beneficiari_gol": 540,
        **dict(zip((p[0] for p in PATHS), (310, 120, 45, 60, 5), strict=True)),
    }
    return pl.DataFrame([row, {**row, "mese": "2025-04", **overrides}])


def test_paths_that_add_up_pass() -> None:
    assert problems(gol_beneficiaries, gol(), GOL) == []


def test_paths_that_do_not_add_up_are_named() -> None:
    # 311 + 120 + 45 + 60 + 5 = 541, not 540
    ((rule, rows, values),) = problems(gol_beneficiaries, gol(percorso_1_reinserimento=311), GOL)
    assert (rule, rows) == ("somma_percorsi", (3,))
    assert values == ("540/311/120/45/60/5",)


def test_more_beneficiaries_than_people_taken_in_charge() -> None:
    found = problems(gol_beneficiaries, gol(presi_in_carico=539), GOL)
    assert found == [("beneficiari_tra_presi_in_carico", (3,), ("540/539",))]


def test_months_are_cpi_keys_and_not_in_the_future() -> None:
    frame = gol().with_columns(pl.Series("mese", ["2025-03", "2026-02"]))
    assert problems(gol_beneficiaries, frame, GOL) == [("future", (3,), ("2026-02",))]
    frame = gol().with_columns(pl.Series("mese", ["2025-03", "03/2025"]))  # same month twice
    assert problems(gol_beneficiaries, frame, GOL) == [
        ("primary_key", (2, 3), ("CPI01/2025-03-01", "CPI01/2025-03-01"))
    ]
