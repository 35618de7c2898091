"""ARPA Lombardia air quality: the sensors registry and the measurements of the Milan sensors.

- ``air_stations`` (``ib47-atvt``): one row per sensor (a station carries several), filtered
  to ``provincia='MI'``. The ``location`` object repeats ``lat``/``lng`` and is not fetched.
- ``air_measurements``: validated values of the province's PM10, PM2.5 and NO2 sensors,
  one partition per year. Closed years come from ``g2hp-ar79`` (2018 onward), the current
  year from ``nicp-bhqi``. The ``$where`` lists the sensors (``idsensore in (...)``) taken
  from the archived stations retrieval, only those active during the year, and keeps
  validated values: ``stato='VA' and valore > -9999`` (``-9999`` marks a missing value).
  PM10 and PM2.5 are published as daily values (timestamp at 00:00), NO2 as hourly values.

Assumptions [A]: the sensor-type names below (``PM10 (SM2005)``, ``Particelle sospese
PM2.5``, ``Biossido di Azoto``; [P] from public code), that ``idoperatore`` is ``1`` (mean)
for these series, the licence (CC0 1.0; the archived ``view.json`` records ``licenseId``),
and the hour convention of NO2 timestamps (the synthetic snapshot uses 00:00-23:00).
"""

from __future__ import annotations

import polars as pl

from ingestion.common.dataset import FetchContext
from ingestion.common.errors import SourceError
from ingestion.common.ingest import extract
from ingestion.common.schema import Field, TableSchema
from ingestion.lombardia import soda
from ingestion.lombardia.spec import SodaSpec, build

S = pl.String
F = pl.Float64
TS = pl.Datetime("us")
LICENCE = "CC0 1.0 (assumed; the archived view.json records the licenseId)"

STATIONS_VIEW = "ib47-atvt"
HISTORY_VIEW = "g2hp-ar79"  # measurements from 2018, closed years
CURRENT_VIEW = "nicp-bhqi"  # measurements of the current year
PROVINCE = "MI"
# Sensor types (``nometiposensore``) of the pollutants the indicators need, as ARPA names them.
POLLUTANTS: dict[str, tuple[str, ...]] = {
    "PM10": ("PM10 (SM2005)", "PM10"),
    "PM2.5": ("Particelle sospese PM2.5",),
    "NO2": ("Biossido di Azoto",),
}
SENSOR_TYPES = tuple(name for names in POLLUTANTS.values() for name in names)
MISSING = -9999

STATIONS_SCHEMA = TableSchema(
    fields=(
        Field("idsensore", S, "ARPA sensor id (one per pollutant and station)"),
        Field("nometiposensore", S, "What the sensor measures, as ARPA names it"),
        Field("unitamisura", S, "Unit of the values (µg/m³, mg/m³, ng/m³)"),
        Field("idstazione", S, "ARPA station id"),
        Field("nomestazione", S, "Station name, e.g. 'Milano - Senato'"),
        Field("quota", pl.Int64, "Altitude of the station, m above sea level"),
        Field("provincia", S, "Province abbreviation (MI)"),
        Field("comune", S, "Comune of the station, as ARPA writes its name"),
        Field("storico", S, "'S' for a sensor no longer active, 'N' otherwise"),
        Field("datastart", TS, "First day of measurement"),
        Field("datastop", TS, "Last day of measurement (empty while active)"),
        Field("utm_nord", F, "UTM 32N northing, m"),
        Field("utm_est", F, "UTM 32N easting, m"),
        Field("lat", F, "Latitude, WGS84"),
        Field("lng", F, "Longitude, WGS84"),
    ),
    primary_key=("idsensore",),
    ignored=("location",),
)

MEASUREMENTS_SCHEMA = TableSchema(
    fields=(
        Field("idsensore", S, "ARPA sensor id (see air_stations)"),
        Field("data", TS, "Time of the value: the day (00:00) for daily series, the hour for NO2"),
        Field("valore", F, "Value in the sensor's unit (µg/m³ for PM10, PM2.5, NO2)"),
        Field("stato", S, "Validation state; only 'VA' (validated) is fetched"),
        Field("idoperatore", S, "Aggregation operator of the value (1 = mean)"),
    ),
    primary_key=("idsensore", "data"),
)


def active_sensors(stations: pl.DataFrame, year: int) -> list[str]:
    """Sensors of the wanted pollutants that measured at some time during ``year``.

    ``stations`` is the conformed stations table (typed ``datastart``/``datastop``).
    """
    start = pl.datetime(year, 1, 1)
    end = pl.datetime(year + 1, 1, 1)
    chosen = stations.filter(
        pl.col("nometiposensore").is_in(SENSOR_TYPES)
        & (pl.col("provincia") == PROVINCE)
        & (pl.col("datastart").is_null() | (pl.col("datastart") < end))
        & (pl.col("datastop").is_null() | (pl.col("datastop") >= start))
    )
    return sorted(chosen["idsensore"].unique().to_list(), key=lambda s: (len(s), s))


def sensors_where(sensors: list[str]) -> str:
    """The sensors, and only validated values (``-9999`` marks a missing one)."""
    return f"{soda.in_list('idsensore', sensors)} and stato='VA' and valore > {MISSING}"


def _where_from_archive(ctx: FetchContext) -> str:
    latest = ctx.archive.latest(soda.SOURCE, STATIONS.name)
    if latest is None:
        raise SourceError(
            soda.SOURCE, MEASUREMENTS_SPEC.name, "the stations registry must be archived first"
        )
    year = int(ctx.partition or soda.current_year())
    sensors = active_sensors(extract(STATIONS, latest), year)
    if not sensors:
        raise SourceError(
            soda.SOURCE,
            MEASUREMENTS_SPEC.name,
            f"no {'/'.join(POLLUTANTS)} sensor of province {PROVINCE} was active in {year} "
            f"according to stations retrieval {latest.retrieval_id}",
        )
    return sensors_where(sensors)


STATIONS_SPEC = SodaSpec(
    name="air_stations",
    view_id=STATIONS_VIEW,
    title="Stazioni qualità dell'aria (sensori ARPA), provincia di Milano",
    description="ARPA Lombardia air-quality sensors of the province of Milan: pollutant, unit, "
    "station, comune, coordinates, active period.",
    schema=STATIONS_SCHEMA,
    licence=LICENCE,
    where=f"provincia={soda.quote(PROVINCE)}",
)
STATIONS = build(STATIONS_SPEC)

MEASUREMENTS_SPEC = SodaSpec(
    name="air_measurements",
    view_id=HISTORY_VIEW,
    current_view_id=CURRENT_VIEW,
    title="Dati sensori aria: PM10, PM2.5 e NO2 validati, provincia di Milano",
    description="Validated values of the ARPA PM10 and PM2.5 (daily) and NO2 (hourly) sensors "
    "of the province of Milan, one partition per year (closed years from g2hp-ar79, the "
    "current year from nicp-bhqi).",
    schema=MEASUREMENTS_SCHEMA,
    licence=LICENCE,
    year_field="data",
    first_year=2019,
    dynamic_where=_where_from_archive,
    depends_on=(f"{soda.SOURCE}/{STATIONS_SPEC.name}",),
)
MEASUREMENTS = build(MEASUREMENTS_SPEC)
