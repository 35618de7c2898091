"""Synthetic dati.lombardia.it payloads in the real SODA wire format, for the bundled
snapshot and for benchmarks.

Values are invented (deterministic, seeded) but plausible and consistent with each other
and with the rest of the project: comuni are the real 133 of the Città metropolitana (names
and codes from ISTAT), volumes follow the residents of the bundled ISTAT population
snapshot, coordinates sit near each comune's centre (``comuni_centres.csv``: area centroids
of the Openpolis/ISTAT boundaries, CC BY 4.0 Openpolis), station names are those of real
ARPA stations. Identifiers (sensor, certificate, pharmacy, hospital codes), addresses and
postcodes are synthetic.

The wire format is Socrata's: a JSON array of flat objects, every scalar a string, keys in
``$select`` order, a missing value an omitted key, one row per line with the separating
comma leading the next line (``[{...}\\n,{...}]\\n``); ``/api/views`` metadata with
``columns``; response headers ``X-SODA2-Fields``/``X-SODA2-Types``.

What the snapshot holds, to stay within its 2 MB budget:
- air: a reduced network of 12 real ARPA stations of the province (the real one has about
  30), 2020-2025; PM10 and PM2.5 as daily values (as ARPA publishes them) at 11 and 4
  sensors, NO2 as hourly values at 2 stations (Milano - Senato, Milano - Pascal Città
  Studi); the other stations' NO2 analysers are absent or historical (closed before 2019).
- labour: a sample of about 2,000 activations and 1,900 cessations a year (the real service
  returns several hundred thousand a year for Milan), 2020-2025.
- energy certificates: about 2,500 certificates a year across the 133 comuni, 2020-2025.
- hospitals: the 212 hospitals of Lombardy (the real list's size); pharmacies: about one per
  3,300 residents of each comune, as in Italy.

``--scale`` multiplies the sampled volumes (labour events, certificates) so benchmarks can
generate full-size years with the same code. Run ``python -m ingestion.lombardia.synthetic``
to rewrite the bundled snapshot.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import gzip
import io
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ingestion.lombardia import air, energy, health, labour, soda
from ingestion.lombardia.spec import SNAPSHOT_DIR, SodaSpec

SEED = 2026
YEARS = tuple(range(2020, 2026))
CONTENT_TYPE = "application/json;charset=utf-8"
# rowsUpdatedAt of the bundled views: 1 October 2026, after the last bundled year.
ROWS_UPDATED_AT = int(datetime(2026, 10, 1, 6, 30, tzinfo=UTC).timestamp())
CENTRES_FILE = Path(__file__).with_name("comuni_centres.csv")

# Socrata column type (``dataTypeName`` in /api/views) -> type in ``X-SODA2-Types``.
SODA2_TYPES = {
    "text": "text",
    "number": "number",
    "calendar_date": "floating_timestamp",
    "checkbox": "checkbox",
    "point": "point",
    "location": "location",
    "url": "url",
}


# -- wire format ----------------------------------------------------------------------------


def soda_json(rows: Iterable[dict[str, Any]]) -> bytes:
    """Rows as a SODA 2.x JSON answer: compact objects, ``\\n,`` between rows."""
    body = "\n,".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
    return f"[{body}]\n".encode()


@dataclass(frozen=True)
class Column:
    field_name: str
    data_type: str  # Socrata dataTypeName: text, number, calendar_date, point, location ...
    name: str  # display name (the header of the CSV export)


@dataclass(frozen=True)
class View:
    """What ``/api/views/<id>.json`` says about a dataset."""

    view_id: str
    name: str
    columns: tuple[Column, ...]
    attribution: str
    license_id: str = "CC0_10"
    rows_updated_at: int = ROWS_UPDATED_AT

    def document(self) -> dict[str, Any]:
        return {
            "id": self.view_id,
            "name": self.name,
            "assetType": "dataset",
            "attribution": self.attribution,
            "displayType": "table",
            "licenseId": self.license_id,
            "license": {"name": LICENCE_NAMES.get(self.license_id, self.license_id)},
            "rowsUpdatedAt": self.rows_updated_at,
            "viewLastModified": self.rows_updated_at,
            "columns": [
                {
                    "id": 580_000_000 + position,
                    "name": column.name,
                    "dataTypeName": column.data_type,
                    "fieldName": column.field_name,
                    "position": position,
                    "renderTypeName": column.data_type,
                    **({"flags": ["hidden"]} if column.field_name.startswith(":") else {}),
                }
                for position, column in enumerate(self.columns, start=1)
            ],
        }

    def types(self, fields: Sequence[str]) -> list[str]:
        by_name = {c.field_name: SODA2_TYPES.get(c.data_type, c.data_type) for c in self.columns}
        return [by_name[f] for f in fields]


LICENCE_NAMES = {"CC0_10": "Creative Commons 1.0 Universal (Public Domain Dedication)"}


def _columns(*specs: str) -> tuple[Column, ...]:
    """``"fieldName:type"`` specs; the display name is the upper-cased field name."""
    out = []
    for spec in specs:
        field, kind = spec.rsplit(":", 1)
        out.append(Column(field, kind, field.upper().lstrip(":")))
    return tuple(out)


STATIONS_COLUMNS = _columns(
    "idsensore:number", "nometiposensore:text", "unitamisura:text", "idstazione:number",
    "nomestazione:text", "quota:number", "provincia:text", "comune:text", "storico:text",
    "datastart:calendar_date", "datastop:calendar_date", "utm_nord:number", "utm_est:number",
    "lat:number", "lng:number", "location:location",
)  # fmt: skip
MEASUREMENTS_COLUMNS = _columns(
    "idsensore:number", "data:calendar_date", "valore:number", "stato:text",
    "idoperatore:number",
)  # fmt: skip
LABOUR_COLUMNS = _columns(
    "data:calendar_date", "genere:text", "eta:number", "settoreeconomicodettaglio:text",
    "titolostudio:text", "contratto:text", "modalitalavoro:text", "provinciaimpresa:text",
    "italiano:text",
)  # fmt: skip
CERTIFICATES_COLUMNS = _columns(
    "cod_ape:number", "data_ins:calendar_date", "provincia:text", "comune:text",
    "indirizzo:text", "residenziale:checkbox", "classificazione_dpr:text",
    "nuova_costruzione:checkbox", "ristrutturazione_importante:checkbox",
    "classe_energetica:text", "ep_gl_nren:number", "ep_gl_ren:number", "ep_h_nd:number",
    "anno_costruzione:number", "superf_utile_riscaldata:number",
    "volume_lordo_riscaldato:number", "zona_climatica:text",
)  # fmt: skip
HOSPITALS_COLUMNS = _columns(
    "codice_struttura_di_ricovero:text", "descrizione_struttura_di:text", "ats_struttura:text",
    "indirizzo:text", "cap:text", "localita:text", "coordinata_geografica_x:number",
    "coordinata_geografica_y:number", "geocoded_column:point",
    ":@computed_region_ttgh_9sm5:number", ":@computed_region_6hky_swhk:number",
)  # fmt: skip
PHARMACIES_COLUMNS = _columns(
    "cod_farmacia:text", "descrizione_farmacia:text", "indirizzo:text", "cap:text",
    "comune:text", "frazione:text", "sigla_provincia:text", "descrizione_tipologia:text",
    "latitudine:number", "longitudine:number",
)  # fmt: skip

ARPA, REGIONE = "ARPA Lombardia", "Regione Lombardia"
VIEWS = {
    view.view_id: view
    for view in (
        View(air.STATIONS_VIEW, "Stazioni qualità dell'aria", STATIONS_COLUMNS, ARPA),
        View(air.HISTORY_VIEW, "Dati sensori aria dal 2018", MEASUREMENTS_COLUMNS, ARPA),
        View(air.CURRENT_VIEW, "Dati sensori aria", MEASUREMENTS_COLUMNS, ARPA),
        View(labour.ACTIVATED_VIEW, "Rapporti di lavoro attivati", LABOUR_COLUMNS, REGIONE),
        View(labour.CEASED_VIEW, "Rapporti di lavoro cessati", LABOUR_COLUMNS, REGIONE),
        View(
            energy.VIEW,
            "Database CENED+2 - Certificazione ENergetica degli EDifici",
            CERTIFICATES_COLUMNS,
            REGIONE,
        ),
        View(health.HOSPITALS_VIEW, "Georeferenziazione strutture", HOSPITALS_COLUMNS, REGIONE),
        View(health.PHARMACIES_VIEW, "Elenco Completo Farmacie", PHARMACIES_COLUMNS, "ARIA S.p.A."),
    )
}


def selected(spec: SodaSpec) -> list[str]:
    """The ``$select`` the client sends: declared fields the view publishes, in order."""
    published = {c.field_name for c in VIEWS[spec.view_id].columns}
    return [f.header for f in spec.schema.fields if f.header in published]


def timestamp(moment: date | datetime) -> str:
    """A Socrata floating timestamp: ``2024-01-01T00:00:00.000``."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000")


def number(value: float, decimals: int) -> str:
    """A number as Socrata writes it: no trailing zeros, no exponent."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# -- the territory --------------------------------------------------------------------------


@dataclass(frozen=True)
class Comune:
    code: str
    name: str
    residents: int
    lat: float
    lng: float


def territory() -> list[Comune]:
    """The 133 comuni with the residents of the bundled ISTAT snapshot (latest year)."""
    from ingestion.istat import comuni, population

    table = comuni.SCHEMA.conform(
        comuni.parse_file(comuni.snapshot()[0].path), source="istat", dataset="comuni"
    )
    names = dict(
        table.filter(pl.col("codice_uts") == "215")
        .select("codice_comune", "denominazione_it")
        .iter_rows()
    )
    with gzip.open(population.DATASET.snapshot(None)[0].path) as handle:
        pop = pl.read_csv(handle.read(), infer_schema=False)
    latest = pop["TIME_PERIOD"].max()
    residents = dict(
        pop.filter((pl.col("AGE") == "TOTAL") & (pl.col("TIME_PERIOD") == latest))
        .group_by("REF_AREA")
        .agg(pl.col("OBS_VALUE").cast(pl.Float64).sum().cast(pl.Int64))
        .iter_rows()
    )
    with CENTRES_FILE.open(encoding="utf-8") as handle:
        centres = {
            r["codice_comune"]: (float(r["lat"]), float(r["lng"])) for r in csv.DictReader(handle)
        }
    return [
        Comune(code, names[code], int(residents[code]), *centres[code]) for code in sorted(names)
    ]


# -- air ------------------------------------------------------------------------------------

UG = "µg/m³"
NO2, PM10, PM10_AUTO, PM25 = (
    "Biossido di Azoto",
    "PM10 (SM2005)",
    "PM10",
    "Particelle sospese PM2.5",
)
O3, CO, SO2, BENZENE, NH3 = (
    "Ozono",
    "Monossido di Carbonio",
    "Biossido di Zolfo",
    "Benzene",
    "Ammoniaca",
)
UNITS = {CO: "mg/m³"}


@dataclass(frozen=True)
class Station:
    idstazione: str
    name: str
    comune: str
    quota: int
    lat: float
    lng: float
    factor: float  # pollution level relative to an urban background station
    # (idsensore, sensor type, start, stop or None)
    sensors: tuple[tuple[str, str, str, str | None], ...]


STATIONS = (
    Station("548", "Milano - Senato", "Milano", 120, 45.470499, 9.197460, 1.15, (
        ("10273", NO2, "1990-01-01", None), ("10274", CO, "1990-01-01", None),
        ("20429", PM10, "2006-01-01", None), ("20432", PM25, "2012-01-01", None),
        ("10275", BENZENE, "2000-03-01", None))),
    Station("539", "Milano - Pascal Città Studi", "Milano", 122, 45.478347, 9.235491, 1.0, (
        ("6328", NO2, "1994-06-01", None), ("6326", O3, "1994-06-01", None),
        ("6956", PM10, "2007-01-01", None), ("6957", PM25, "2008-01-01", None),
        ("6330", SO2, "1994-06-01", "2016-12-31"))),
    Station("528", "Milano - Verziere", "Milano", 118, 45.463347, 9.195325, 1.1, (
        ("5504", PM10, "2001-01-01", None), ("5506", CO, "1989-01-01", None),
        ("5507", NO2, "1989-01-01", "2017-12-31"))),
    Station("501", "Milano - Marche", "Milano", 129, 45.496316, 9.190934, 1.12, (
        ("9963", PM10, "2008-01-01", None), ("17127", PM25, "2021-06-01", None),
        ("9965", CO, "2008-01-01", None))),
    Station("705", "Sesto San Giovanni", "Sesto San Giovanni", 138, 45.540513, 9.203688, 1.02, (
        ("6022", PM10_AUTO, "2003-01-01", None), ("6021", O3, "1998-01-01", None))),
    Station("642", "Pioltello Limito", "Pioltello", 123, 45.482197, 9.326923, 0.98, (
        ("6917", PM10, "2005-01-01", None), ("6918", PM25, "2009-01-01", None),
        ("6920", O3, "2005-01-01", None))),
    Station("581", "Magenta VF", "Magenta", 140, 45.463771, 8.880497, 0.93, (
        ("5733", PM10, "2002-01-01", None), ("5735", O3, "2002-01-01", None),
        ("5732", NO2, "1995-01-01", "2016-06-30"))),
    Station("571", "Legnano S.Magno", "Legnano", 199, 45.596115, 8.915830, 0.96, (
        ("5742", PM10, "2002-01-01", None), ("5744", CO, "1996-01-01", None))),
    Station("567", "Arconate", "Arconate", 182, 45.547944, 8.849205, 0.85, (
        ("5718", O3, "1997-01-01", None), ("5720", NH3, "2007-01-01", None))),
    Station("564", "Cassano d'Adda 2", "Cassano d'Adda", 133, 45.517262, 9.520902, 0.95, (
        ("5823", PM10, "2004-01-01", None), ("5825", O3, "2004-01-01", None))),
    Station("630", "Turbigo", "Turbigo", 148, 45.532643, 8.736860, 0.9, (
        ("5750", PM10_AUTO, "2002-01-01", "2022-12-31"), ("5752", SO2, "1999-01-01", None))),
    Station("697", "Motta Visconti", "Motta Visconti", 100, 45.288157, 8.993093, 0.88, (
        ("5758", PM10, "2003-01-01", None), ("5760", O3, "2003-01-01", None))),
)  # fmt: skip


def _utm32(lat: float, lng: float) -> tuple[float, float]:
    """WGS84 -> UTM zone 32N (easting, northing), Krüger series; metre accuracy."""
    a, f, k0 = 6378137.0, 1 / 298.257223563, 0.9996
    e2 = f * (2 - f)
    phi, lam = math.radians(lat), math.radians(lng - 9.0)
    n = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    t, c = math.tan(phi) ** 2, e2 / (1 - e2) * math.cos(phi) ** 2
    big_a = lam * math.cos(phi)
    e4, e6 = e2 * e2, e2 * e2 * e2
    m = a * (
        (1 - e2 / 4 - 3 * e4 / 64 - 5 * e6 / 256) * phi
        - (3 * e2 / 8 + 3 * e4 / 32 + 45 * e6 / 1024) * math.sin(2 * phi)
        + (15 * e4 / 256 + 45 * e6 / 1024) * math.sin(4 * phi)
        - (35 * e6 / 3072) * math.sin(6 * phi)
    )
    easting = 500000 + k0 * n * (big_a + (1 - t + c) * big_a**3 / 6)
    northing = k0 * (m + n * math.tan(phi) * (big_a**2 / 2 + (5 - t + 9 * c) * big_a**4 / 24))
    return easting, northing


def station_rows() -> list[dict[str, str]]:
    """The sensors registry of the province (what ``provincia='MI'`` answers)."""
    rows = []
    for station in STATIONS:
        easting, northing = _utm32(station.lat, station.lng)
        for idsensore, kind, start, stop in station.sensors:
            row = {
                "idsensore": idsensore,
                "nometiposensore": kind,
                "unitamisura": UNITS.get(kind, UG),
                "idstazione": station.idstazione,
                "nomestazione": station.name,
                "quota": str(station.quota),
                "provincia": "MI",
                "comune": station.comune,
                "storico": "S" if stop else "N",
                "datastart": timestamp(date.fromisoformat(start)),
            }
            if stop:
                row["datastop"] = timestamp(date.fromisoformat(stop))
            row |= {
                "utm_nord": str(round(northing)),
                "utm_est": str(round(easting)),
                "lat": number(station.lat, 6),
                "lng": number(station.lng, 6),
            }
            rows.append(row)
    return sorted(rows, key=lambda r: int(r["idsensore"]))


def _active_days(start: str, stop: str | None, year: int) -> tuple[date, date]:
    first = max(date(year, 1, 1), date.fromisoformat(start))
    last = min(date(year, 12, 31), date.fromisoformat(stop) if stop else date(year, 12, 31))
    return first, last


def _seasonal(day_of_year: np.ndarray, days: int) -> np.ndarray:
    """1 in mid-January, 0 in mid-July: Milan's winter inversions."""
    return 0.5 * (1 + np.cos(2 * np.pi * (day_of_year - 15) / days))


def measurement_rows(year: int, sensors: Sequence[str], seed: int = SEED) -> list[dict[str, str]]:
    """Validated values of ``sensors`` in ``year``: what the measurements query answers."""
    rng = np.random.default_rng([seed, year, 1])
    days = 366 if calendar.isleap(year) else 365
    # Slow improvement, as in the real series: about -2% a year for PM, -3% for NO2.
    pm_trend, no2_trend = 0.98 ** (year - 2020), 0.97 ** (year - 2020)
    # One weather signal shared by every station: episodes of stagnant air (AR(1) in logs),
    # scaled to the same spread every year so that the trend shows through.
    weather = np.zeros(days)
    for i in range(1, days):
        weather[i] = 0.75 * weather[i - 1] + rng.normal(0, 0.28)
    weather = (weather - weather.mean()) / weather.std() * 0.33
    doy = np.arange(1, days + 1)
    season = _seasonal(doy, days)
    rows: list[dict[str, str]] = []
    wanted = set(sensors)
    for station in STATIONS:
        for idsensore, kind, start, stop in station.sensors:
            if idsensore not in wanted:
                continue
            first, last = _active_days(start, stop, year)
            if first > last:
                continue
            local = rng.normal(0, 0.12, size=days)
            if kind in (PM10, PM10_AUTO, PM25):
                level = (12 + 35 * season) * station.factor * pm_trend * np.exp(weather + local)
                if kind == PM25:
                    level = level * rng.uniform(0.62, 0.74, size=days)
                for i in range(days):
                    day = date(year, 1, 1) + timedelta(days=i)
                    if not first <= day <= last or rng.random() < 0.03:
                        continue  # not measured, or not validated (filtered at the source)
                    rows.append(_value(idsensore, datetime(year, day.month, day.day), level[i], 0))
            elif kind == NO2:
                hours = np.arange(24)
                rush = (
                    1
                    + 0.45 * np.exp(-((hours - 8) ** 2) / 4)
                    + 0.55 * np.exp(-((hours - 19) ** 2) / 5)
                )
                night = np.where((hours >= 1) & (hours <= 5), 0.6, 1.0)
                gap_until = -1
                for i in range(days):
                    day = date(year, 1, 1) + timedelta(days=i)
                    if not first <= day <= last:
                        continue
                    if i <= gap_until:
                        continue  # analyser in maintenance
                    if rng.random() < 0.006:
                        gap_until = i + int(rng.integers(1, 5))
                        continue
                    weekday = 0.78 if day.weekday() == 6 else 0.9 if day.weekday() == 5 else 1.0
                    base = (26 + 22 * season[i]) * station.factor * no2_trend * weekday
                    noise = rng.normal(0, 0.2, size=24)
                    values = base * rush * night * np.exp(0.7 * weather[i] + noise)
                    for hour in range(24):
                        if rng.random() < 0.012:
                            continue
                        moment = datetime(year, day.month, day.day, hour)
                        rows.append(_value(idsensore, moment, values[hour], 1))
    return rows


def _value(idsensore: str, moment: datetime, value: float, decimals: int) -> dict[str, str]:
    return {
        "idsensore": idsensore,
        "data": timestamp(moment),
        "valore": number(max(value, 1.0), decimals),
        "stato": "VA",
        "idoperatore": "1",
    }


# -- labour ---------------------------------------------------------------------------------

TRANSPORT = {  # ATECO 2007 titles of divisions H49-H53, with relative weights
    "Trasporto di merci su strada": 2.6,
    "Magazzinaggio e custodia": 1.6,
    "Movimentazione merci": 1.0,
    "Altre attività di supporto connesse ai trasporti": 0.8,
    "Altre attività postali e di corriere senza obbligo di servizio universale": 1.0,
    "Trasporto terrestre di passeggeri in aree urbane e suburbane": 0.4,
    "Trasporto aereo di passeggeri": 0.3,
    "Attività dei servizi connessi al trasporto aereo": 0.3,
}
DOMESTIC = "Attività di famiglie e convivenze come datori di lavoro per personale domestico"
SHOWS = "Attività di supporto alle rappresentazioni artistiche"
OTHER_SECTORS = {
    "Ristorazione con somministrazione": 7.0,
    "Bar e altri esercizi simili senza cucina": 4.0,
    "Alberghi": 2.5,
    DOMESTIC: 6.0,
    "Attività delle agenzie di fornitura di lavoro temporaneo (interinale)": 5.0,
    "Pulizia generale (non specializzata) di edifici": 4.0,
    "Istruzione primaria": 3.0,
    "Istruzione secondaria di secondo grado di formazione generale": 2.0,
    "Organizzazione di convegni e fiere": 1.5,
    SHOWS: 3.0,
    "Produzione di software non connesso all'edizione": 2.5,
    "Consulenza nel settore delle tecnologie dell'informatica": 2.5,
    "Commercio al dettaglio in esercizi non specializzati con prevalenza di prodotti "
    "alimentari e bevande": 4.0,
    "Commercio al dettaglio di articoli di abbigliamento in esercizi specializzati": 2.0,
    "Costruzione di edifici residenziali e non residenziali": 3.0,
    "Installazione di impianti elettrici": 1.5,
    "Servizi ospedalieri": 2.0,
    "Strutture di assistenza residenziale per anziani e disabili": 1.5,
    "Altre attività di assistenza sociale non residenziale nca": 2.0,
    "Attività dei call center": 1.5,
    "Servizi di vigilanza privata": 1.0,
    "Agenzie pubblicitarie": 1.5,
    "Attività di produzione cinematografica, di video e di programmi televisivi": 1.5,
    "Attività degli studi legali": 1.0,
    "Altre attività di consulenza imprenditoriale e altra consulenza "
    "amministrativo-gestionale e pianificazione aziendale": 2.0,
    "Fabbricazione di prodotti farmaceutici di base": 0.8,
    "Confezione di altro abbigliamento esterno": 1.0,
    "Commercio all'ingrosso di prodotti farmaceutici": 1.0,
    "Intermediazione monetaria di istituti monetari diverse dalle Banche centrali": 1.0,
    "Servizi dei saloni di barbiere e parrucchiere": 0.8,
}
CONTRACTS = {
    "LAVORO A TEMPO DETERMINATO": 0.52,
    labour.OPEN_ENDED: 0.17,
    "APPRENDISTATO PROFESSIONALIZZANTE O CONTRATTO DI MESTIERE": 0.06,
    "LAVORO INTERMITTENTE": 0.10,
    "COLLABORAZIONE COORDINATA E CONTINUATIVA": 0.05,
    "TIROCINIO": 0.05,
}
SHOW_CONTRACT = "LAVORO AUTONOMO NELLO SPETTACOLO"
DOMESTIC_CONTRACT = "LAVORO DOMESTICO"
EDUCATION = {
    "NESSUN TITOLO DI STUDIO": 0.03,
    "LICENZA ELEMENTARE": 0.04,
    "LICENZA MEDIA": 0.33,
    "DIPLOMA DI QUALIFICA PROFESSIONALE": 0.07,
    "DIPLOMA DI ISTRUZIONE SECONDARIA SUPERIORE": 0.30,
    "LAUREA TRIENNALE": 0.07,
    "LAUREA - VECCHIO O NUOVO ORDINAMENTO": 0.13,
    "MASTER UNIVERSITARIO": 0.02,
    "DOTTORATO DI RICERCA": 0.01,
}
WORKING_TIME = {
    "TEMPO PIENO": 0.62,
    "TEMPO PARZIALE ORIZZONTALE": 0.25,
    "TEMPO PARZIALE VERTICALE": 0.05,
    "TEMPO PARZIALE MISTO": 0.05,
    None: 0.03,  # not declared: the key is omitted
}
CITIZENSHIP = {
    "ITALIA": 0.69, "ROMANIA": 0.04, "EGITTO": 0.04, "PERU'": 0.025, "FILIPPINE": 0.025,
    "ALBANIA": 0.02, "MAROCCO": 0.02, "UCRAINA": 0.02, "CINA": 0.02, "ECUADOR": 0.015,
    "BANGLADESH": 0.015, "SRI LANKA": 0.015, "PAKISTAN": 0.01, "INDIA": 0.01, "SENEGAL": 0.01,
    "MOLDOVA": 0.01, "BRASILE": 0.01, "NIGERIA": 0.01, "EL SALVADOR": 0.01,
}  # fmt: skip
DOMESTIC_CITIZENSHIP = {
    "ITALIA": 0.25, "UCRAINA": 0.14, "PERU'": 0.14, "FILIPPINE": 0.14, "ROMANIA": 0.1,
    "SRI LANKA": 0.08, "ECUADOR": 0.07, "MOLDOVA": 0.05, "EL SALVADOR": 0.03,
}  # fmt: skip
# Events a year relative to 2021 (activations, cessations): the 2020 slump and recovery.
LABOUR_CYCLE = {
    2019: (1.02, 0.96), 2020: (0.78, 0.84), 2021: (1.0, 0.93), 2022: (1.08, 1.0),
    2023: (1.1, 1.03), 2024: (1.09, 1.04), 2025: (1.07, 1.03), 2026: (1.06, 1.02),
}  # fmt: skip
MONTHS = {
    "activated": (1.3, 0.9, 1.0, 0.95, 1.0, 1.05, 0.9, 0.5, 1.35, 1.1, 0.95, 0.75),
    "ceased": (0.8, 0.8, 0.9, 0.9, 0.95, 1.25, 1.0, 1.0, 1.1, 0.95, 0.85, 1.5),
}
LABOUR_BASE = 2_000  # activations in 2021 in the sample


def _pick(rng: np.random.Generator, weights: dict[Any, float], size: int) -> list[Any]:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return [keys[i] for i in rng.choice(len(keys), size=size, p=p / p.sum())]


def labour_rows(
    event: str, year: int, scale: float = 1.0, seed: int = SEED
) -> list[dict[str, str]]:
    """A sample of contract events of employers of the province in ``year``."""
    rng = np.random.default_rng([seed, year, 2 if event == "activated" else 3])
    factor = LABOUR_CYCLE.get(year, (1.0, 1.0))[0 if event == "activated" else 1]
    size = max(1, round(LABOUR_BASE * scale * factor * rng.uniform(0.98, 1.02)))
    month_weights = np.array(MONTHS[event])
    month_days = np.array([calendar.monthrange(year, m)[1] for m in range(1, 13)])
    day_p = np.repeat(month_weights / month_days, month_days)
    day_numbers = np.sort(rng.choice(len(day_p), size=size, p=day_p / day_p.sum()))
    sectors = _pick(rng, {**TRANSPORT, **OTHER_SECTORS}, size)
    open_ended = CONTRACTS[labour.OPEN_ENDED] * (1 + 0.06 * (year - 2020))
    contract_weights = {**CONTRACTS, labour.OPEN_ENDED: open_ended}
    if event == "ceased":  # more fixed-term contracts end than start, relatively
        contract_weights["LAVORO A TEMPO DETERMINATO"] *= 1.15
    rows = []
    for i in range(size):
        sector = sectors[i]
        if sector == DOMESTIC:
            contract = DOMESTIC_CONTRACT
            citizenship = _pick(rng, DOMESTIC_CITIZENSHIP, 1)[0]
            sex = "F" if rng.random() < 0.85 else "M"
        else:
            contract = _pick(rng, contract_weights, 1)[0]
            if sector == SHOWS and rng.random() < 0.4:
                contract = SHOW_CONTRACT
            citizenship = _pick(rng, CITIZENSHIP, 1)[0]
            male = 0.8 if sector in TRANSPORT else 0.5
            sex = "M" if rng.random() < male else "F"
        age = int(np.clip(16 + rng.gamma(3.2, 6.5), 15, 74))
        if contract.startswith("APPRENDISTATO"):
            age = int(rng.integers(18, 30))
        elif contract == "TIROCINIO":
            age = int(rng.integers(17, 30))
        row = {
            "data": timestamp(date(year, 1, 1) + timedelta(days=int(day_numbers[i]))),
            "genere": sex,
            "eta": str(age),
            "settoreeconomicodettaglio": sector,
            "titolostudio": _pick(rng, EDUCATION, 1)[0],
            "contratto": contract,
        }
        working_time = _pick(rng, WORKING_TIME, 1)[0]
        if working_time is not None:
            row["modalitalavoro"] = working_time
        row["provinciaimpresa"] = labour.PROVINCE
        row["italiano"] = citizenship
        rows.append(row)
    return rows


# -- energy certificates --------------------------------------------------------------------

USES = {
    "E.1(1)": 0.855, "E.1(2)": 0.01, "E.1(3)": 0.005, "E.2": 0.05, "E.3": 0.005, "E.4": 0.005,
    "E.5": 0.04, "E.6": 0.005, "E.7": 0.015, "E.8": 0.01,
}  # fmt: skip
# Construction periods: (first year, last year, share of certificates).
PERIODS = (
    (1850, 1918, 0.08), (1919, 1945, 0.07), (1946, 1960, 0.15), (1961, 1975, 0.30),
    (1976, 1990, 0.15), (1991, 2005, 0.10), (2006, 2014, 0.07),
)  # fmt: skip
# Median EP/EP-reference ratio by period (higher is worse); new buildings near 0.55 (A).
PERIOD_RATIO = {1918: 2.9, 1945: 2.8, 1960: 2.6, 1975: 2.5, 1990: 2.0, 2005: 1.45, 2014: 1.05}
CERTIFICATES_BASE = 2_500
CERTIFICATES_CYCLE = {
    2019: 1.0,
    2020: 0.85,
    2021: 1.0,
    2022: 1.1,
    2023: 1.05,
    2024: 1.0,
    2025: 1.0,
    2026: 1.0,
}
FIRST_CERTIFICATE = 1_000_000  # synthetic numbering of COD_APE


def certificate_rows(
    comuni: Sequence[Comune], year: int, scale: float = 1.0, seed: int = SEED
) -> list[dict[str, str]]:
    """Certificates filed in ``year`` for buildings of the province."""
    rng = np.random.default_rng([seed, year, 4])
    size = max(
        1,
        round(
            CERTIFICATES_BASE * scale * CERTIFICATES_CYCLE.get(year, 1.0) * rng.uniform(0.98, 1.02)
        ),
    )
    weights = np.array([c.residents for c in comuni], dtype=float)
    where = rng.choice(len(comuni), size=size, p=weights / weights.sum())
    days = 366 if calendar.isleap(year) else 365
    day_numbers = np.sort(rng.integers(0, days, size=size))
    uses = _pick(rng, USES, size)
    new_share = 0.06 + 0.008 * (year - 2020)
    code = FIRST_CERTIFICATE + (year - 2015) * 400_000 * max(1, math.ceil(scale))
    rows = []
    for i in range(size):
        use = uses[i]
        comune = comuni[where[i]]
        code += int(rng.integers(1, 5))  # the other provinces' certificates fill the gaps
        issued = date(year, 1, 1) + timedelta(days=int(day_numbers[i]))
        if rng.random() < new_share:
            built = int(rng.integers(year - 3, year + 1))
            ratio = rng.lognormal(math.log(0.55), 0.25)
        else:
            first, last, _ = PERIODS[_pick(rng, {k: p[2] for k, p in enumerate(PERIODS)}, 1)[0]]
            built = int(rng.integers(first, last + 1))
            renovated = rng.random() < 0.12  # energy refurbishment: better than its age
            median = PERIOD_RATIO[last] * (0.55 if renovated else 1.0)
            ratio = rng.lognormal(math.log(median), 0.33)
        reference = {"E.7": 95.0, "E.2": 85.0, "E.5": 110.0, "E.8": 120.0}.get(use, 72.0)
        reference *= rng.uniform(0.82, 1.18)  # the reference building varies with shape
        ep = max(ratio * reference, 3.0)
        area = (
            rng.lognormal(math.log(2600), 0.5)
            if use == "E.7"
            else rng.lognormal(math.log(75), 0.4)
            if use.startswith("E.1")
            else rng.lognormal(math.log(180), 0.8)
        )
        row = {
            "cod_ape": str(code),
            "data_ins": timestamp(issued),
            "provincia": energy.PROVINCE,
            "comune": comune.name.upper(),
            "classificazione_dpr": use,
            "classe_energetica": energy.energy_class(ep, reference),
            "ep_gl_nren": number(ep, 2),
            "ep_gl_ren": number(rng.uniform(15, 45) if ratio < 0.8 else rng.uniform(0.5, 12), 2),
        }
        if rng.random() > 0.03:  # a few certificates omit the year of construction
            row["anno_costruzione"] = str(built)
        row["superf_utile_riscaldata"] = number(area, 2)
        row["zona_climatica"] = "E"
        rows.append(row)
    return rows


# -- hospitals and pharmacies ---------------------------------------------------------------

STREETS = (
    "VIA ROMA", "VIA GARIBALDI", "VIA MAZZINI", "VIA MATTEOTTI", "VIA DANTE", "CORSO ITALIA",
    "VIA VITTORIO EMANUELE II", "VIA CAVOUR", "VIA XXV APRILE", "VIALE LOMBARDIA",
    "VIA MANZONI", "VIA VERDI", "PIAZZA DELLA REPUBBLICA", "VIA SAN CARLO", "VIA GRAMSCI",
    "VIALE MONZA", "VIA PADOVA", "CORSO BUENOS AIRES", "VIA NOVARA", "VIA RIPAMONTI",
)  # fmt: skip
SURNAMES = (
    "ROSSI", "BIANCHI", "COLOMBO", "FERRARI", "BRAMBILLA", "RIVA", "FUMAGALLI", "GALLI",
    "VILLA", "SALA", "MAURI", "CATTANEO", "MARELLI", "BERETTA", "CRIPPA", "LONGONI",
)  # fmt: skip
PHARMACY_NAMES = (
    "SAN CARLO", "SANT'AMBROGIO", "CENTRALE", "DEL CORSO", "DELLA STAZIONE",
    "ALLA MADONNINA", "SAN GIUSEPPE", "DEL PONTE", "INTERNAZIONALE", "DELLA PIAZZA",
)  # fmt: skip
# Lombardy provinces: ATS [A], postcode of the capoluogo, capoluogo centre, hospitals, and
# the towns that have a hospital (real comuni; the capoluogo first).
PROVINCES: dict[str, tuple[str, str, tuple[float, float], int, tuple[str, ...]]] = {
    "MI": ("ATS DELLA CITTA' METROPOLITANA DI MILANO", "20121", (45.4682, 9.1733), 62, (
        "Milano", "Legnano", "Magenta", "Rho", "Garbagnate Milanese", "Sesto San Giovanni",
        "Cinisello Balsamo", "Vizzolo Predabissi", "Cernusco sul Naviglio", "Abbiategrasso",
        "Cuggiono", "Bollate", "Rozzano", "Cusano Milanino", "San Donato Milanese", "Segrate",
        "Paderno Dugnano", "Melzo", "Cassano d'Adda", "Bresso", "Parabiago", "Castano Primo",
        "Gorgonzola", "Melegnano")),
    "LO": ("ATS DELLA CITTA' METROPOLITANA DI MILANO", "26900", (45.3140, 9.5030), 5, (
        "Lodi", "Codogno", "Casalpusterlengo", "Sant'Angelo Lodigiano")),
    "MB": ("ATS DELLA BRIANZA", "20900", (45.5840, 9.2740), 14, (
        "Monza", "Vimercate", "Desio", "Carate Brianza", "Seregno", "Giussano", "Limbiate")),
    "LC": ("ATS DELLA BRIANZA", "23900", (45.8560, 9.3970), 7, ("Lecco", "Merate", "Bellano")),
    "VA": ("ATS DELL'INSUBRIA", "21100", (45.8200, 8.8250), 17, (
        "Varese", "Busto Arsizio", "Gallarate", "Saronno", "Tradate", "Luino", "Cittiglio",
        "Angera")),
    "CO": ("ATS DELL'INSUBRIA", "22100", (45.8080, 9.0850), 12, (
        "Como", "Cantù", "Erba", "Menaggio", "Gravedona ed Uniti")),
    "SO": ("ATS DELLA MONTAGNA", "23100", (46.1700, 9.8780), 6, (
        "Sondrio", "Sondalo", "Chiavenna", "Morbegno")),
    "BG": ("ATS DI BERGAMO", "24121", (45.6980, 9.6770), 24, (
        "Bergamo", "Seriate", "Treviglio", "Romano di Lombardia", "Alzano Lombardo",
        "Ponte San Pietro", "San Giovanni Bianco", "Piario", "Calcinate")),
    "BS": ("ATS DI BRESCIA", "25121", (45.5410, 10.2190), 30, (
        "Brescia", "Chiari", "Desenzano del Garda", "Gardone Val Trompia", "Manerbio", "Esine",
        "Iseo", "Gavardo", "Rovato")),
    "CR": ("ATS DELLA VAL PADANA", "26100", (45.1330, 10.0230), 9, (
        "Cremona", "Crema", "Casalmaggiore")),
    "MN": ("ATS DELLA VAL PADANA", "46100", (45.1560, 10.7910), 9, (
        "Mantova", "Asola", "Suzzara", "Borgo Mantovano")),
    "PV": ("ATS DI PAVIA", "27100", (45.1860, 9.1550), 17, (
        "Pavia", "Vigevano", "Voghera", "Broni", "Stradella", "Mede", "Varzi")),
}  # fmt: skip
HOSPITAL_KINDS = ("OSPEDALE", "PRESIDIO OSPEDALIERO", "CASA DI CURA", "ISTITUTO CLINICO")
SAINTS = ("SAN GIUSEPPE", "SAN RAFFAELE", "SANTA RITA", "SAN CAMILLO", "SANT'ANNA", "MADONNINA")


def _address(rng: np.random.Generator) -> str:
    return f"{STREETS[int(rng.integers(len(STREETS)))]}, {int(rng.integers(1, 180))}"


def _postcode(rng: np.random.Generator, comune: Comune | None, province: str) -> str:
    """A synthetic postcode with the province's real prefix (Milan city: 201xx)."""
    if comune is not None and comune.name == "Milano":
        return f"201{int(rng.integers(21, 63)):02d}"
    if comune is None:  # another province's comune: the capoluogo's prefix
        return PROVINCES[province][1][:3] + f"{int(rng.integers(10, 99)):02d}"
    return f"200{int(rng.integers(10, 99)):02d}"


def hospital_rows(comuni: Sequence[Comune], seed: int = SEED) -> list[dict[str, str]]:
    """The 212 hospitals of Lombardy, in real towns that have hospitals (half of those of
    the province in Milan itself)."""
    rng = np.random.default_rng([seed, 5])
    by_name = {c.name: c for c in comuni}
    rows = []
    for province, (ats, _, centre, count, towns) in PROVINCES.items():
        for n in range(count):
            town = towns[0] if n < count // 2 else towns[int(rng.integers(len(towns)))]
            comune = by_name.get(town) if province == "MI" else None
            lat, lng = (comune.lat, comune.lng) if comune else centre
            spread = 0.03 if town == "Milano" else 0.006 if comune or town == towns[0] else 0.2
            kind = HOSPITAL_KINDS[int(rng.integers(len(HOSPITAL_KINDS)))]
            saint = SAINTS[int(rng.integers(len(SAINTS)))]
            title = (
                f"{kind} DI {town.upper()}"
                if kind.startswith(("OSPEDALE", "PRESIDIO"))
                else f"{kind} {saint}"
            )
            rows.append(
                {
                    "descrizione_struttura_di": title,
                    "ats_struttura": ats,
                    "indirizzo": _address(rng),
                    "cap": _postcode(rng, comune, province),
                    "localita": town.upper(),
                    "coordinata_geografica_x": number(lng + rng.normal(0, spread), 6),
                    "coordinata_geografica_y": number(lat + rng.normal(0, spread * 0.7), 6),
                }
            )
    order = rng.permutation(len(rows))
    return [
        {"codice_struttura_di_ricovero": f"030{901 + i:03d}", **rows[j]}
        for i, j in enumerate(order)
    ]


def pharmacy_rows(comuni: Sequence[Comune], seed: int = SEED) -> list[dict[str, str]]:
    """About one pharmacy per 3,300 residents of each comune (at least one)."""
    rng = np.random.default_rng([seed, 6])
    rows = []
    code = 3000
    for comune in comuni:
        count = max(1, round(comune.residents / 3300 * rng.uniform(0.85, 1.15)))
        spread = 0.035 if comune.name == "Milano" else 0.006
        for n in range(count):
            code += int(rng.integers(1, 4))
            if comune.name == "Milano" or rng.random() < 0.6:
                name = f"FARMACIA {PHARMACY_NAMES[int(rng.integers(len(PHARMACY_NAMES)))]}"
            else:
                name = f"FARMACIA {SURNAMES[int(rng.integers(len(SURNAMES)))]}"
            if n == 0 and comune.residents > 20_000 and rng.random() < 0.5:
                name = f"FARMACIA COMUNALE {int(rng.integers(1, 4))}"
            kind = (
                "RURALE SUSSIDIATA"
                if comune.residents < 3000 and rng.random() < 0.7
                else "SUCCURSALE"
                if rng.random() < 0.01
                else "ORDINARIA"
            )
            rows.append(
                {
                    "cod_farmacia": str(code),
                    "descrizione_farmacia": name,
                    "indirizzo": _address(rng),
                    "cap": _postcode(rng, comune, "MI"),
                    "comune": comune.name.upper(),
                    "sigla_provincia": "MI",
                    "descrizione_tipologia": kind,
                    "latitudine": number(comune.lat + rng.normal(0, spread * 0.7), 6),
                    "longitudine": number(comune.lng + rng.normal(0, spread), 6),
                }
            )
    return rows


# -- writing the snapshot -------------------------------------------------------------------


def gzip_bytes(payload: bytes) -> bytes:
    """Gzip without a name or a time stamp, so reruns are byte-identical."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as out:
        out.write(payload)
    return buffer.getvalue()


def _write(directory: Path, name: str, payload: bytes, request: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.gz").write_bytes(gzip_bytes(payload))
    stem = name.removesuffix(".json")
    (directory / f"{stem}.request.json").write_text(
        json.dumps(request, indent=2, ensure_ascii=False) + "\n", "utf-8"
    )


def write_view(directory: Path, view_id: str) -> None:
    view = VIEWS[view_id]
    payload = json.dumps(view.document(), ensure_ascii=False, separators=(",", ":")).encode()
    request = {
        "url": soda.view_url(soda.DEFAULT_BASE_URL, view_id),
        "params": {},
        "headers": {"content-type": CONTENT_TYPE},
    }
    _write(directory, soda.VIEW_FILE, payload, request)


def write_partition(
    directory: Path, spec: SodaSpec, view_id: str, where: str | None, rows: list[dict[str, str]]
) -> None:
    """Pages and count as the client would fetch them for this partition."""
    select = selected(spec)
    types = VIEWS[view_id].types(select)
    url = soda.resource_url(soda.DEFAULT_BASE_URL, view_id)
    page_headers = {
        "content-type": CONTENT_TYPE,
        "x-soda2-fields": json.dumps(select, separators=(",", ":")),
        "x-soda2-types": json.dumps(types, separators=(",", ":")),
    }
    for stale in directory.glob("page-*"):
        stale.unlink()
    number_of_pages = len(rows) // soda.PAGE_SIZE + 1  # the last page is shorter than a page
    for page in range(number_of_pages):
        chunk = rows[page * soda.PAGE_SIZE : (page + 1) * soda.PAGE_SIZE]
        params = soda.query_params(
            select, where, limit=soda.PAGE_SIZE, offset=page * soda.PAGE_SIZE
        )
        _write(
            directory,
            soda.page_name(page + 1),
            soda_json(chunk),
            {"url": url, "params": params, "headers": page_headers},
        )
    count_headers = {
        "content-type": CONTENT_TYPE,
        "x-soda2-fields": f'["{soda.COUNT_ALIAS}"]',
        "x-soda2-types": '["number"]',
    }
    _write(
        directory,
        soda.COUNT_FILE,
        soda_json([{soda.COUNT_ALIAS: str(len(rows))}]),
        {"url": url, "params": soda.count_params(where), "headers": count_headers},
    )


def snapshot_where(spec: SodaSpec, year: int | None) -> str | None:
    """The ``$where`` the client sends in live mode, computed from the bundled stations."""
    dynamic = None
    if spec.dynamic_where is not None:
        dynamic = air.sensors_where(air.active_sensors(bundled_stations(), year or 0))
    window = soda.year_window(spec.year_field, year) if spec.year_field and year else None
    return soda.all_of(spec.where, dynamic, window)


def bundled_stations() -> pl.DataFrame:
    """The stations registry of the snapshot, conformed like the pipeline does."""
    frame = pl.from_dicts(
        station_rows(), schema=dict.fromkeys(selected(air.STATIONS_SPEC), pl.String)
    )
    frame = soda.parse_timestamps(frame, air.STATIONS_SCHEMA, dataset=air.STATIONS_SPEC.name)
    return air.STATIONS_SCHEMA.conform(frame, source=soda.SOURCE, dataset=air.STATIONS_SPEC.name)


def write_snapshot(
    target: Path = SNAPSHOT_DIR,
    *,
    years: Sequence[int] = YEARS,
    scale: float = 1.0,
    seed: int = SEED,
) -> dict[str, int]:
    """Rewrite every bundled payload; returns the rows written per dataset."""
    comuni = territory()
    yearly: dict[SodaSpec, Callable[[int], list[dict[str, str]]]] = {
        air.MEASUREMENTS_SPEC: lambda y: measurement_rows(
            y, air.active_sensors(bundled_stations(), y), seed
        ),
        labour.ACTIVATED_SPEC: lambda y: labour_rows("activated", y, scale, seed),
        labour.CEASED_SPEC: lambda y: labour_rows("ceased", y, scale, seed),
        energy.SPEC: lambda y: certificate_rows(comuni, y, scale, seed),
    }
    static: dict[SodaSpec, Callable[[], list[dict[str, str]]]] = {
        air.STATIONS_SPEC: station_rows,
        health.HOSPITALS_SPEC: lambda: hospital_rows(comuni, seed),
        health.PHARMACIES_SPEC: lambda: pharmacy_rows(comuni, seed),
    }
    written = {}
    for spec, make in static.items():
        directory = target / spec.name
        write_view(directory, spec.view_id)
        rows = make()
        write_partition(directory, spec, spec.view_id, snapshot_where(spec, None), rows)
        written[spec.name] = len(rows)
    for spec, make_year in yearly.items():
        directory = target / spec.name
        write_view(directory, spec.view_id)
        written[spec.name] = 0
        for year in years:
            rows = make_year(year)
            write_partition(
                directory / str(year), spec, spec.view_id, snapshot_where(spec, year), rows
            )
            written[spec.name] += len(rows)
    return written


def snapshot_bytes(target: Path = SNAPSHOT_DIR) -> int:
    return sum(p.stat().st_size for p in target.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--first-year", type=int, default=YEARS[0])
    parser.add_argument("--last-year", type=int, default=YEARS[-1])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply sampled volumes")
    parser.add_argument("--target", type=Path, default=SNAPSHOT_DIR)
    args = parser.parse_args()
    written = write_snapshot(
        args.target, years=range(args.first_year, args.last_year + 1), scale=args.scale
    )
    for name, rows in written.items():
        print(f"{name}: {rows:,} rows")
    print(f"wrote {args.target} ({snapshot_bytes(args.target):,} bytes)")


if __name__ == "__main__":
    main()
