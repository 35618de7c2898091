"""Hospitals (the whole regional list) and pharmacies (the province) from the snapshot."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from ingestion.common.ingest import ingest
from ingestion.istat import comuni
from ingestion.lombardia import health
from ingestion.lombardia.synthetic import PROVINCES, territory
from osservatorio.settings import Settings


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    ingest(health.HOSPITALS, settings)
    ingest(health.PHARMACIES, settings)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {
            name: pl.from_arrow(con.sql(f"select * from raw.lombardia__{name}").to_arrow_table())
            for name in ("hospitals", "pharmacies")
        }


@pytest.fixture(scope="module")
def lombardy() -> pl.DataFrame:
    table = comuni.SCHEMA.conform(
        comuni.parse_file(comuni.snapshot()[0].path), source="istat", dataset="comuni"
    )
    return table.filter(pl.col("codice_regione") == "03")


def test_the_hospital_list_is_regional_and_has_its_real_size(tables, lombardy) -> None:
    hospitals = tables["hospitals"]
    assert hospitals.height == 212  # the real list's size
    assert hospitals["codice_struttura_di_ricovero"].n_unique() == 212
    assert set(hospitals["localita"]) <= {n.upper() for n in lombardy["denominazione_it"]}
    assert hospitals["ats_struttura"].n_unique() == 8  # the eight ATS of Lombardy


def test_the_provinces_hospitals_are_found_by_their_comune(tables, lombardy) -> None:
    # No province column: those of the Città metropolitana are the ones in its 133 comuni.
    # The snapshot puts PROVINCES["MI"] = 62 there: half (31) in Milan itself, the others
    # drawn among the province's hospital towns, Milan included.
    metro = {n.upper() for n in lombardy.filter(pl.col("codice_uts") == "215")["denominazione_it"]}
    in_metro = tables["hospitals"].filter(pl.col("localita").is_in(list(metro)))
    assert in_metro.height == PROVINCES["MI"][3] == 62
    assert (in_metro["localita"] == "MILANO").sum() >= 31
    lodi = tables["hospitals"].filter(pl.col("localita") == "LODI")
    assert set(lodi["ats_struttura"]) == {"ATS DELLA CITTA' METROPOLITANA DI MILANO"}


def test_pharmacies_cover_every_comune_at_about_one_per_3300_residents(tables) -> None:
    pharmacies = tables["pharmacies"]
    assert set(pharmacies["sigla_provincia"]) == {"MI"}
    assert pharmacies["cod_farmacia"].n_unique() == pharmacies.height
    residents = {c.name.upper(): c.residents for c in territory()}
    assert set(pharmacies["comune"]) == set(residents)  # every one of the 133 has one
    # 3,182,313 residents / 3,300 ≈ 964; each comune's count is drawn within ±15%.
    assert 900 <= pharmacies.height <= 1_050
    per_10k = pharmacies.height / sum(residents.values()) * 10_000
    assert 2.7 < per_10k < 3.3  # D10_07


def test_coordinates_sit_in_the_province(tables) -> None:
    pharmacies = tables["pharmacies"]
    # The Città metropolitana spans about 45.16-45.65 N and 8.70-9.55 E.
    assert pharmacies["latitudine"].is_between(45.1, 45.7).all()
    assert pharmacies["longitudine"].is_between(8.65, 9.6).all()
