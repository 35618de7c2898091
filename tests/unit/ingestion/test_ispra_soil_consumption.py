"""ISPRA soil consumption: an XLSX contract whose figures must agree with each other."""

from __future__ import annotations

import gzip
from datetime import date

import polars as pl
import pytest

from ingestion.common.filedrop import ContractError, check_bytes, metropolitan_comuni, to_xlsx
from ingestion.ispra.soil_consumption import CONTRACT, DATASET

TODAY = date(2026, 1, 1)
NAME = "consumo_suolo_comuni_2025-10-28.xlsx"
CODES = list(metropolitan_comuni())
MILANO = CODES.index("015146")  # 71: Milano's rows are 2 x 71 + 2 = 144 (2023) and 145 (2024)


def soil(milano_2024: dict) -> pl.DataFrame:
    """Every comune: 200 ha, 50.00 ha consumed in 2023 (25.00 %), 51.50 in 2024 (net 1.50)."""
    rows = []
    for code in CODES:
        for year, consumed, percent, net in ((2023, 50.0, 25.0, 0.8), (2024, 51.5, 25.75, 1.5)):
            row = {
                "codice_comune": code,
                "anno": year,
                "superficie_ha": 200.0,
                "suolo_consumato_ha": consumed,
                "suolo_consumato_percentuale": percent,
                "consumo_netto_ha": net,
            }
            if code == "015146" and year == 2024:
                row.update(milano_2024)
            rows.append(row)
    return pl.DataFrame(rows)


def problems(frame: pl.DataFrame) -> list[tuple[str, tuple]]:
    try:
        check_bytes(CONTRACT, NAME, to_xlsx(CONTRACT, frame), today=TODAY)
    except ContractError as exc:
        return [(v.rule, v.rows) for v in exc.violations]
    return []


@pytest.mark.parametrize(
    ("milano_2024", "expected"),
    [
        ({}, []),
        # 51.50 - 50.00 = 1.50, declared 1.51: within the rounding tolerance (0.011)
        ({"consumo_netto_ha": 1.51}, []),
        # declared 1.60: 0.10 off the change from 2023
        ({"consumo_netto_ha": 1.6}, [("netto_coerente", (145,))]),
        # 100 * 51.5 / 200 = 25.75; 25.76 is rounding, 25.90 is not
        ({"suolo_consumato_percentuale": 25.76}, []),
        ({"suolo_consumato_percentuale": 25.9}, [("percentuale_coerente", (145,))]),
        # more consumed than the whole comune (the share, 100.5 %, is over 100 as well)
        (
            {
                "suolo_consumato_ha": 201.0,
                "suolo_consumato_percentuale": 100.5,
                "consumo_netto_ha": 151.0,
            },
            [("maximum", (145,)), ("consumato_entro_superficie", (145,))],
        ),
    ],
)
def test_consumed_soil_share_and_net_change_agree(milano_2024: dict, expected: list) -> None:
    assert 2 * MILANO + 3 == 145
    assert problems(soil(milano_2024)) == expected


def test_the_first_year_net_is_not_judged() -> None:
    # 2023 has no 2022 row to compare with: its net 0.8 stands as declared.
    assert problems(soil({})) == []


def test_only_xlsx_with_the_comuni_sheet_is_accepted() -> None:
    assert CONTRACT.formats == ("xlsx",)
    assert CONTRACT.sheet == "Comuni"
    bundled = gzip.decompress(DATASET.snapshot(None)[0].path.read_bytes())
    table = check_bytes(CONTRACT, NAME, bundled)
    assert table.height == 133 * 6
    assert sorted(table["anno"].unique()) == [2019, 2020, 2021, 2022, 2023, 2024]
