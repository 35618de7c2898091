"""ARPA air quality: which sensors the measurements query asks for, where each year is read
from, and the bundled snapshot as it lands in ``raw``."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.common.archive import RawArchive
from ingestion.common.dataset import FetchContext
from ingestion.common.errors import SourceError
from ingestion.common.ingest import ingest
from ingestion.lombardia import air, soda
from ingestion.lombardia.synthetic import STATIONS, soda_json
from osservatorio.settings import Settings
from tests.replicas.socrata import archive_answers

FIXTURES = Path(__file__).parents[2] / "fixtures" / "lombardia"


def stations_fixture() -> pl.DataFrame:
    rows = json.loads((FIXTURES / "ib47-atvt.page.json").read_bytes())
    for row in rows:
        del row["location"]
    frame = pl.from_dicts(rows, schema=dict.fromkeys(air.STATIONS_SCHEMA.names, pl.String))
    frame = soda.parse_timestamps(frame, air.STATIONS_SCHEMA, dataset="air_stations")
    return air.STATIONS_SCHEMA.conform(frame, source="lombardia", dataset="air_stations")


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        # 20429 PM10 and 10273 NO2 at Senato: always. 5732 NO2 Magenta: stopped mid-2016.
        # 17127 PM2.5 Marche: from June 2021. 5750 PM10 Turbigo: until the end of 2022.
        # 6326 is ozone: never asked for.
        (2016, ["5732", "5750", "10273", "20429"]),
        (2020, ["5750", "10273", "20429"]),
        (2021, ["5750", "10273", "17127", "20429"]),
        (2023, ["10273", "17127", "20429"]),
    ],
)
def test_sensors_of_the_three_pollutants_active_in_the_year(year: int, expected) -> None:
    assert air.active_sensors(stations_fixture(), year) == expected


def test_the_where_lists_the_sensors_and_keeps_validated_values_only() -> None:
    assert air.sensors_where(["10273", "20429"]) == (
        "idsensore in ('10273','20429') and stato='VA' and valore > -9999"
    )


def test_closed_years_come_from_the_history_dataset_the_current_one_from_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(soda, "current_year", lambda: 2026)
    spec = air.MEASUREMENTS_SPEC
    assert spec.view_for("2025") == "g2hp-ar79"
    assert spec.view_for("2026") == "nicp-bhqi"
    assert air.STATIONS_SPEC.view_for(None) == "ib47-atvt"


def test_live_partitions_run_from_2019_to_the_current_year(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(soda, "current_year", lambda: 2026)
    live = Settings(data_dir=tmp_path, source_mode="live")
    assert air.MEASUREMENTS.partition_keys(live) == [str(y) for y in range(2019, 2027)]
    snapshot = Settings(data_dir=tmp_path)
    assert air.MEASUREMENTS.partition_keys(snapshot) == [str(y) for y in range(2020, 2026)]
    assert air.STATIONS.partition_keys(snapshot) == [None]


def test_the_where_of_a_year_comes_from_the_archived_stations(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    context = FetchContext(Settings(data_dir=tmp_path), archive, partition="2021")
    with pytest.raises(SourceError, match="stations registry must be archived first"):
        air.MEASUREMENTS_SPEC.where_for(context)
    rows = json.loads((FIXTURES / "ib47-atvt.page.json").read_bytes())
    for row in rows:
        del row["location"]
    archive_answers(
        archive,
        "air_stations",
        [soda_json(rows)],
        select=air.STATIONS_SCHEMA.names,
        count=len(rows),
        view_id="ib47-atvt",
    )
    assert air.MEASUREMENTS_SPEC.where_for(context) == (
        "idsensore in ('5750','10273','17127','20429') and stato='VA' and valore > -9999 "
        "and data >= '2021-01-01T00:00:00' and data < '2022-01-01T00:00:00'"
    )
    too_early = FetchContext(Settings(data_dir=tmp_path), archive, partition="1980")
    with pytest.raises(SourceError, match=r"no PM10/PM2\.5/NO2 sensor of province MI"):
        air.MEASUREMENTS_SPEC.where_for(too_early)


# -- the bundled snapshot -------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    ingest(air.STATIONS, settings)
    ingest(air.MEASUREMENTS, settings)
    return settings.warehouse_path


def query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_snapshot_stations_are_real_arpa_stations_in_real_comuni(warehouse: Path) -> None:
    # 12 stations; sensors 5+5+3+3+2+3+3+2+2+2+2+2 = 34 (see synthetic.STATIONS).
    assert query(warehouse, "select count(*) from raw.lombardia__air_stations") == [(34,)]
    assert len(STATIONS) == 12
    from ingestion.istat import comuni

    table = comuni.SCHEMA.conform(
        comuni.parse_file(comuni.snapshot()[0].path), source="istat", dataset="comuni"
    )
    names = set(table.filter(pl.col("codice_uts") == "215")["denominazione_it"])
    found = {
        c for (c,) in query(warehouse, "select distinct comune from raw.lombardia__air_stations")
    }
    assert found <= names and "Cassano d'Adda" in found
    senato = query(
        warehouse,
        "select nomestazione, comune, unitamisura, datastop from raw.lombardia__air_stations "
        "where idsensore = '20429'",
    )
    assert senato == [("Milano - Senato", "Milano", "µg/m³", None)]


def test_snapshot_measurements_hold_the_sensors_active_each_year(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select _partition, count(distinct idsensore) from raw.lombardia__air_measurements "
        "group by 1 order by 1",
    )
    # 2020: PM10 at 11 stations, PM2.5 at 3 (Marche starts in June 2021), NO2 at 2 = 16.
    # 2021-2022: 17 (Marche PM2.5 added). 2023-2025: 16 (Turbigo PM10 closed end of 2022).
    assert rows == [
        ("2020", 16),
        ("2021", 17),
        ("2022", 17),
        ("2023", 16),
        ("2024", 16),
        ("2025", 16),
    ]


def test_snapshot_values_are_validated_and_inside_their_year(warehouse: Path) -> None:
    (bad,) = query(
        warehouse,
        "select count(*) from raw.lombardia__air_measurements where stato <> 'VA' "
        "or valore <= -9999 or year(data)::varchar <> _partition or idoperatore <> '1'",
    )
    assert bad == (0,)


def test_pm_is_daily_and_no2_hourly(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select s.nometiposensore, max(hour(m.data)), max(per_day) from ("
        "  select idsensore, data, count(*) over (partition by idsensore, data::date) per_day"
        "  from raw.lombardia__air_measurements) m "
        "join raw.lombardia__air_stations s using (idsensore) group by 1 order by 1",
    )
    assert rows == [
        ("Biossido di Azoto", 23, 24),
        ("PM10", 0, 1),
        ("PM10 (SM2005)", 0, 1),
        ("Particelle sospese PM2.5", 0, 1),
    ]


def test_pm10_exceedance_days_are_plausible_for_milan(warehouse: Path) -> None:
    # Stations of the province counted roughly 15-100 days above 50 µg/m³ a year in
    # 2020-2024 (the limit is 35): the synthetic series must stay in that range.
    rows = query(
        warehouse,
        "select count(*) filter (where valore > 50) from raw.lombardia__air_measurements m "
        "join raw.lombardia__air_stations s using (idsensore) "
        "where s.nometiposensore like 'PM10%' group by m.idsensore, m._partition",
    )
    days = [d for (d,) in rows]
    assert min(days) >= 10 and max(days) <= 110
