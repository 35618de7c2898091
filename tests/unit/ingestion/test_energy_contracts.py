"""Energy contracts: PV power and plants together; charging points, fast points, stations."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from ingestion.common.filedrop import (
    ContractError,
    check_bytes,
    metropolitan_comuni,
    to_csv,
    to_xlsx,
)
from ingestion.energy.contracts import ev_charging, photovoltaic

TODAY = date(2026, 1, 1)
CODES = list(metropolitan_comuni())
MILANO_ROW = CODES.index("015146") + 2  # 72nd code in ISTAT order, after the header: row 73


def problems(contract, frame: pl.DataFrame, name: str) -> list[tuple[str, tuple, tuple]]:
    payload = to_xlsx(contract, frame) if name.endswith(".xlsx") else to_csv(contract, frame)
    try:
        check_bytes(contract, name, payload, today=TODAY)
    except ContractError as exc:
        return [(v.rule, v.rows, v.values) for v in exc.violations]
    return []


def per_comune(milano: dict, other: dict) -> pl.DataFrame:
    return pl.DataFrame(
        [{"codice_comune": c, "anno": 2024, **(milano if c == "015146" else other)} for c in CODES]
    )


@pytest.mark.parametrize(
    ("plants", "kw", "expected"),
    [
        (8417, 70619.1, []),
        (0, 0.0, []),  # a comune with no plant
        (0, 4.5, [("potenza_se_impianti", (MILANO_ROW,), ("0/4.5",))]),
        (3, 0.0, [("potenza_se_impianti", (MILANO_ROW,), ("3/0.0",))]),
    ],
)
def test_power_if_and_only_if_plants(plants: int, kw: float, expected: list) -> None:
    assert MILANO_ROW == 73
    frame = per_comune(
        {"numero_impianti": plants, "potenza_kw": kw}, {"numero_impianti": 10, "potenza_kw": 95.0}
    )
    assert problems(photovoltaic, frame, "fotovoltaico_comuni_2026-06-30.xlsx") == expected


def test_photovoltaic_may_also_come_as_csv_with_a_decimal_comma() -> None:
    frame = per_comune(
        {"numero_impianti": 1, "potenza_kw": 6.0}, {"numero_impianti": 10, "potenza_kw": 95.0}
    )
    text = to_csv(photovoltaic, frame).decode().replace("95.0", "95,0").replace(";6\r", ";6,0\r")
    table = check_bytes(
        photovoltaic, "fotovoltaico_comuni_2026-06-30.csv", text.encode(), today=TODAY
    )
    assert table["potenza_kw"].sum() == pytest.approx(95.0 * 132 + 6.0)


@pytest.mark.parametrize(
    ("points", "fast", "stations", "rule"),
    [
        (2513, 644, 1343, None),
        (0, 0, 0, None),
        (10, 11, 5, "veloci_entro_totale"),
        (10, 2, 11, "stazioni_entro_punti"),
        (10, 2, 0, "punti_con_stazioni"),
    ],
)
def test_charging_points_fast_points_and_stations(
    points: int, fast: int, stations: int, rule: str | None
) -> None:
    frame = per_comune(
        {"punti_ricarica": points, "punti_ricarica_veloci": fast, "infrastrutture": stations},
        {"punti_ricarica": 4, "punti_ricarica_veloci": 1, "infrastrutture": 2},
    )
    found = problems(ev_charging, frame, "punti_ricarica_2026-04-30.csv")
    assert [(r, rows) for r, rows, _ in found] == ([] if rule is None else [(rule, (MILANO_ROW,))])
