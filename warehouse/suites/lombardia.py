"""What Regione Lombardia's tables (dati.lombardia.it) must satisfy before anything is built on
them: ARPA air sensors and measurements, labour contracts activated and ceased, CENED energy
certificates, hospitals and pharmacies.

These sources carry comune *names*, not ISTAT codes: names are checked in the spelling the
dbt models join on (macro ``normalise_comune_name``: upper case, accents stripped, plain
apostrophes, single spaces) against ISTAT's list, so a name that passes here is a name the
marts can place. Vocabularies that are assumptions about the live source ([A]/[P] in the
ingestion modules: contract types, education levels, pharmacy kinds, ATS names) are checked
as warnings: a new value is news to look at, not a reason to drop rows; closed sets that are
confirmed or that the indicators depend on (sex, energy class, validation state) quarantine
the rows outside them.
"""

from __future__ import annotations

from functools import cache

from ingestion.common.dataset import Dataset
from ingestion.lombardia import air, energy, health, labour
from warehouse.quality import History, Rule, Severity, Suite
from warehouse.suites import common

# The dbt macro ``normalise_comune_name``, verbatim (U+2019 is the typographic apostrophe):
# what the marts join comune names on.
NORMALISED_NAME = (
    "upper(strip_accents(regexp_replace(trim(replace({column}, '\u2019', '''')), "
    r"'\s+', ' ', 'g')))"
)
LOMBARDIA_REGION = "03"  # ISTAT code of Regione Lombardia

# Lombardy's bounding box, WGS84, with a small margin: the region spans about lat 44.68-46.64
# (Po near Mantova / Passo dello Spluga) and lon 8.50-11.43 (Ticino / Lake Garda).
LATITUDE = (44.6, 46.7)
LONGITUDE = (8.4, 11.5)

# Plausible upper bounds per pollutant, µg/m³ (the unit of all three, checked on the sensors).
# PM10: a daily mean is an average of hourly concentrations, and hourly PM10 above
# 1,000 µg/m³ is not physical at a ground-level monitor; the Po valley's worst winter episodes
# give daily means of a few hundred. PM2.5 is a fraction of PM10, so PM10's bound holds for it.
# NO2 (hourly): 2.5 times the 400 µg/m³ alert threshold of D.Lgs. 155/2010 (Annex XII), itself
# twice the hourly limit value (200 µg/m³) that urban monitors exceed only a few hours a year;
# a higher value is an analyser fault or a unit slip, not air.
POLLUTANT_MAXIMA: dict[str, float] = {"PM10": 1_000.0, "PM2.5": 1_000.0, "NO2": 1_000.0}
MICROGRAMS = "µg/m³"
# Below this share of values with a known sensor, the registry is out of step, not a sensor.
REGISTERED_SHARE = 0.9
VALIDATED = "VA"  # ARPA ``stato``: only validated values are fetched
MEAN_OPERATOR = "1"  # ARPA ``idoperatore`` of a mean value [A]

# Comunicazioni obbligatorie. Sex is M/F (sources.md 2.3 [C]). Age: no one under 15 can be
# hired in Italy (16 is the minimum working age, L. 296/2006 art. 1 c. 622; apprenticeship for
# a vocational qualification from 15, D.Lgs. 81/2015 art. 43); above 100 is a typing slip.
SEXES = ("M", "F")
WORKING_AGE = (15, 100)
LABOUR_PROVINCE = labour.PROVINCE
# Vocabularies of the display CSV [P]: new values are a warning, not a quarantine.
CONTRACT_TYPES = (
    "APPRENDISTATO PROFESSIONALIZZANTE O CONTRATTO DI MESTIERE",
    "COLLABORAZIONE COORDINATA E CONTINUATIVA",
    "LAVORO A TEMPO DETERMINATO",
    labour.OPEN_ENDED,
    "LAVORO AUTONOMO NELLO SPETTACOLO",
    "LAVORO DOMESTICO",
    "LAVORO INTERMITTENTE",
    "TIROCINIO",
)
WORKING_TIMES = (
    "TEMPO PIENO",
    "TEMPO PARZIALE ORIZZONTALE",
    "TEMPO PARZIALE VERTICALE",
    "TEMPO PARZIALE MISTO",
)
EDUCATION_LEVELS = (
    "NESSUN TITOLO DI STUDIO",
    "LICENZA ELEMENTARE",
    "LICENZA MEDIA",
    "DIPLOMA DI QUALIFICA PROFESSIONALE",
    "DIPLOMA DI ISTRUZIONE SECONDARIA SUPERIORE",
    "LAUREA TRIENNALE",
    "LAUREA - VECCHIO O NUOVO ORDINAMENTO",
    "MASTER UNIVERSITARIO",
    "DOTTORATO DI RICERCA",
)

# CENED. Use categories of DPR 412/1993 art. 3, E.1 to E.8, with their sub-categories
# (E.1(1), E.4(2), E.6(3), ...). Climate zones A-F (DPR 412/1993 art. 2; the province is E).
USE_CATEGORY = r"^E\.[1-8](?:\(\d\))?$"
CLIMATE_ZONES = ("A", "B", "C", "D", "E", "F")
# A certificate is issued for a built building: the construction year is not after the issue
# year, and a gap over 1,000 years is a typing slip (a year like 19 or 197).
BUILDING_AGE = (0, 1_000)

# Health registries. ATS of Lombardy since L.R. 23/2015, as the list spells them [A].
ATS_NAMES = (
    "ATS DELLA CITTA' METROPOLITANA DI MILANO",
    "ATS DELL'INSUBRIA",
    "ATS DELLA MONTAGNA",
    "ATS DELLA BRIANZA",
    "ATS DI BERGAMO",
    "ATS DI BRESCIA",
    "ATS DELLA VAL PADANA",
    "ATS DI PAVIA",
)
# Lombardy's postcodes: 20xxx-27xxx, and 46xxx (province of Mantova).
LOMBARDY_POSTCODE = r"^(?:2[0-7]|46)\d{3}$"
METROPOLITAN_POSTCODE = r"^20\d{3}$"
# Kinds of pharmacy in the national register [A]: a new one is a warning.
PHARMACY_KINDS = (
    "ORDINARIA",
    "SUCCURSALE",
    "RURALE SUSSIDIATA",
    "RURALE NON SUSSIDIATA",
    "DISPENSARIO",
    "DISPENSARIO STAGIONALE",
)
# Lombardy had 212 hospitals in the list (sources.md 2.3); far from that is a broken answer.
HOSPITALS_RANGE = (150, 300)


def _gxe():
    import great_expectations.expectations as gxe

    return gxe


def _raw(dataset_table: str) -> str:
    return f"raw.{dataset_table}"


@cache
def comune_names(region: str | None = None) -> tuple[str, ...]:
    """Normalised names of the Città metropolitana's 133 comuni (default) or of a region's,
    from ISTAT's list, normalised by DuckDB with the expression the marts use."""
    import duckdb

    from ingestion.istat import comuni

    frame = comuni.SCHEMA.conform(
        comuni.parse_file(comuni.snapshot()[0].path), source="istat", dataset="comuni"
    )
    if region is None:
        names = frame.filter(frame["codice_uts"] == common.TERRITORY_UTS)["denominazione_it"]
    else:
        names = frame.filter(frame["codice_regione"] == region)["denominazione_it"]
    expression = NORMALISED_NAME.format(column="name")
    with duckdb.connect() as con:
        rows = con.execute(
            f"select distinct {expression} from (select unnest(?) as name)", [names.to_list()]
        ).fetchall()
    return tuple(sorted(row[0] for row in rows))


def normalised(column: str) -> dict[str, str]:
    """Derived ``_name_of_<column>``: the comune name in the marts' spelling."""
    return {f"_name_of_{column}": NORMALISED_NAME.format(column=column)}


def named_comuni(column: str, *, region: str | None = None) -> list[Rule]:
    """Comune names are names of the Città metropolitana's comuni (or of a region's): a row
    whose comune the marts cannot place is quarantined. Needs ``normalised(column)``."""
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnValuesToBeInSet(
                column=f"_name_of_{column}", value_set=list(comune_names(region))
            ),
            family="validity",
            quarantine=True,
            name=f"comune_name:{column}",
        )
    ]


def placed(column: str) -> list[Rule]:
    """A row has its comune: one without cannot be placed, it is set aside (not an error:
    the other rows are placed all the same)."""
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnValuesToNotBeNull(column=column),
            family="completeness",
            quarantine=True,
            name=f"placed:{column}",
        )
    ]


def every_named_comune(column: str, *, severity: Severity = "error") -> list[Rule]:
    """All 133 comuni appear by name (``every_comune`` for sources carrying names)."""
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnDistinctValuesToContainSet(
                column=f"_name_of_{column}", value_set=list(comune_names())
            ),
            family="completeness",
            severity=severity,
            name=f"every_comune:{column}",
        )
    ]


def in_lombardy(latitude: str, longitude: str) -> list[Rule]:
    """Coordinates inside Lombardy's bounding box (swapped or zero coordinates fall out)."""
    return common.rows(
        common.between(latitude, *LATITUDE, name=f"in_lombardy:{latitude}"),
        common.between(longitude, *LONGITUDE, name=f"in_lombardy:{longitude}"),
    )


def vocabulary(column: str, values: tuple[str, ...]) -> list[Rule]:
    """Values of an assumed vocabulary: an unknown one is a warning, the rows go on."""
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(values)),
            family="validity",
            severity="warning",
            name=f"vocabulary:{column}",
        )
    ]


def pattern_warning(column: str, regex: str) -> list[Rule]:
    """A format nothing downstream depends on (postcodes): a warning, the rows go on."""
    gxe = _gxe()
    return [
        Rule(
            gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex),
            family="validity",
            severity="warning",
            name=f"format:{column}",
        )
    ]


# ARPA air sensors -----------------------------------------------------------------------------


def pollutant_of(sensor_type: str) -> str:
    """SQL: PM10, PM2.5 or NO2 for a sensor type the indicators use (ARPA's names), else null."""
    cases = " ".join(
        f"when {sensor_type} = '{name}' then '{pollutant}'"
        for pollutant, names in air.POLLUTANTS.items()
        for name in names
    )
    return f"case {cases} end"


def _stations_rules(history: History) -> list[Rule]:
    gxe = _gxe()
    from great_expectations.expectations.row_conditions import Column

    return common.rows(
        common.not_null("idsensore", "idstazione", "nometiposensore"),
        common.unique("idsensore"),
        placed("comune"),
        [
            # The measurements are fetched for the registry's PM10, PM2.5 and NO2 sensors: a
            # registry without one of them is a broken answer (or ARPA renamed a sensor type).
            Rule(
                gxe.ExpectColumnDistinctValuesToContainSet(
                    column="_pollutant", value_set=sorted(air.POLLUTANTS)
                ),
                family="completeness",
                name="pollutants_present",
            )
        ],
        named_comuni("comune"),
        common.in_set("provincia", {air.PROVINCE}),
        common.in_set("storico", {"S", "N"}),
        in_lombardy("lat", "lng"),
        [
            # The bounds on the measurements assume µg/m³: a pollutant sensor in another unit
            # would make its values 1,000 times off.
            Rule(
                gxe.ExpectColumnValuesToBeInSet(
                    column="unitamisura",
                    value_set=[MICROGRAMS],
                    row_condition=Column("nometiposensore").is_in(list(air.SENSOR_TYPES)),
                ),
                family="validity",
                quarantine=True,
                name="pollutant_unit",
            ),
            # A sensor does not stop before it starts.
            Rule(
                gxe.ExpectColumnValuesToBeBetween(column="_days_active", min_value=0),
                family="consistency",
                quarantine=True,
                name="stops_after_start",
            ),
        ],
        # A registry keeps retired sensors (storico 'S'): losing a quarter is a broken answer.
        common.volume(history, shrink=0.25, grow=1.0),
    )


STATIONS = Suite(
    name="lombardia__air_stations",
    table=_raw(air.STATIONS.table),
    description="ARPA air-quality sensors of the province of Milan: one row per sensor, in a "
    "comune of the Città metropolitana, inside Lombardy, pollutants in µg/m³, active period "
    "in order.",
    rules=_stations_rules,
    derived={
        **normalised("comune"),
        "_pollutant": pollutant_of("nometiposensore"),
        "_days_active": "date_diff('day', datastart, datastop)",
    },
    schema=air.STATIONS_SCHEMA,
)


# ARPA air measurements ----------------------------------------------------------------------


def _pollutant_of_sensor() -> str:
    """SQL: the pollutant (PM10, PM2.5, NO2) of the row's sensor, from the sensors registry;
    null for a sensor the registry does not list among those pollutants."""
    return (
        f"(select any_value({pollutant_of('s.nometiposensore')}) "
        f"from {_raw(air.STATIONS.table)} s "
        f"where s.idsensore = {air.MEASUREMENTS.table}.idsensore)"
    )


def _measurements_rules(history: History) -> list[Rule]:
    gxe = _gxe()
    from great_expectations.expectations.row_conditions import Column

    return common.rows(
        common.not_null("idsensore", "data"),
        common.unique("idsensore", "data"),
        [
            # A row without its value says nothing (the query keeps values > -9999 only).
            Rule(
                gxe.ExpectColumnValuesToNotBeNull(column="valore"),
                family="completeness",
                quarantine=True,
                name="value_present",
            ),
            # Every value belongs to a PM10, PM2.5 or NO2 sensor of the registry: a value
            # whose sensor left the registry (or was quarantined there) cannot be placed, nor
            # held to its pollutant's bound, so it follows its sensor out.
            Rule(
                gxe.ExpectColumnValuesToNotBeNull(column="_pollutant"),
                family="consistency",
                quarantine=True,
                name="sensor_in_registry",
            ),
            # ... but when most values lack a sensor, the registry and the measurements are out
            # of step (a broken or renamed registry): an error, to reload the sensors.
            Rule(
                gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(
                    column="_pollutant", min_value=REGISTERED_SHARE
                ),
                family="consistency",
                name="registry_covers_values",
            ),
        ],
        common.in_partition_year("data"),
        # Concentrations are not negative; this also catches ARPA's -9999 (missing) marker,
        # should it get past the query's ``valore > -9999`` (the parser keeps it as a number).
        common.non_negative("valore"),
        [
            Rule(
                gxe.ExpectColumnValuesToBeBetween(
                    column="valore",
                    max_value=maximum,
                    row_condition=Column("_pollutant") == pollutant,
                ),
                family="validity",
                quarantine=True,
                name=f"plausible:{pollutant}",
            )
            for pollutant, maximum in POLLUTANT_MAXIMA.items()
        ],
        common.in_set("stato", {VALIDATED}),
        vocabulary("idoperatore", (MEAN_OPERATOR,)),
        common.volume(history),
        common.drift("valore", history),
    )


MEASUREMENTS = Suite(
    name="lombardia__air_measurements",
    table=_raw(air.MEASUREMENTS.table),
    description="Validated PM10, PM2.5 and NO2 values of the province's sensors: one per "
    "sensor and time, dated in the partition's year, physically plausible per pollutant, of a "
    "sensor the registry knows.",
    rules=_measurements_rules,
    derived={**common.year_of("data"), "_pollutant": _pollutant_of_sensor()},
    schema=air.MEASUREMENTS_SCHEMA,
)


# Comunicazioni obbligatorie --------------------------------------------------------------------


def _labour_rules(history: History) -> list[Rule]:
    gxe = _gxe()
    return common.rows(
        common.not_null("data"),
        common.in_partition_year("data"),
        common.in_set("genere", set(SEXES)),
        common.between("eta", *WORKING_AGE),
        common.in_set("provinciaimpresa", {LABOUR_PROVINCE}),
        [
            # D08_04 counts this value: if the source renamed it, the share would read 0.
            Rule(
                gxe.ExpectColumnDistinctValuesToContainSet(
                    column="contratto", value_set=[labour.OPEN_ENDED]
                ),
                family="completeness",
                name="open_ended_contracts_present",
            )
        ],
        vocabulary("contratto", CONTRACT_TYPES),
        vocabulary("modalitalavoro", WORKING_TIMES),
        vocabulary("titolostudio", EDUCATION_LEVELS),
        common.volume(history),
        common.drift("eta", history, tolerance=0.1),
    )


def _labour_suite(dataset: Dataset, event: str) -> Suite:
    return Suite(
        name=f"lombardia__{dataset.name}",
        table=_raw(dataset.table),
        description=f"Labour contracts {event} by employers of the province of Milan: dated "
        "in the partition's year, sex M/F, working age, province MILANO, open-ended contracts "
        "present.",
        rules=_labour_rules,
        derived=common.year_of("data"),
        schema=dataset.schema,
    )


LABOUR_ACTIVATED = _labour_suite(labour.ACTIVATED, "activated")
LABOUR_CEASED = _labour_suite(labour.CEASED, "ceased")


# CENED energy certificates -------------------------------------------------------------------


def _certificates_rules(history: History) -> list[Rule]:
    return common.rows(
        common.not_null("cod_ape", "data_ins"),
        common.unique("cod_ape"),
        common.in_partition_year("data_ins"),
        placed("comune"),
        named_comuni("comune"),
        every_named_comune("comune"),
        common.in_set("provincia", {energy.PROVINCE}),
        common.in_set("classe_energetica", set(energy.ENERGY_CLASSES)),
        common.matches("classificazione_dpr", USE_CATEGORY),
        common.in_set("zona_climatica", set(CLIMATE_ZONES)),
        # EP (kWh/m² year) and floor areas are not negative.
        common.non_negative("ep_gl_nren", "ep_gl_ren", "superf_utile_riscaldata"),
        common.between("_building_age", *BUILDING_AGE, name="built_before_issue"),
        common.volume(history),
        common.drift("ep_gl_nren", history),
    )


CERTIFICATES = Suite(
    name="lombardia__energy_certificates",
    table=_raw(energy.CERTIFICATES.table),
    description="CENED energy certificates of the province of Milan: one per APE code, issued "
    "in the partition's year, in a comune of the Città metropolitana (all 133 present), in an "
    "official energy class and use category, EP not negative.",
    rules=_certificates_rules,
    derived={
        **common.year_of("data_ins"),
        **normalised("comune"),
        "_building_age": "year(data_ins) - anno_costruzione",
    },
    schema=energy.SCHEMA,
)


# Hospitals and pharmacies --------------------------------------------------------------------


def _hospitals_rules(history: History) -> list[Rule]:
    gxe = _gxe()
    return common.rows(
        common.not_null("codice_struttura_di_ricovero"),
        common.unique("codice_struttura_di_ricovero"),
        placed("localita"),
        # The list covers the whole region: its localities are Lombardy's comuni.
        named_comuni("localita", region=LOMBARDIA_REGION),
        in_lombardy("coordinata_geografica_y", "coordinata_geografica_x"),
        vocabulary("ats_struttura", ATS_NAMES),
        pattern_warning("cap", LOMBARDY_POSTCODE),
        [
            Rule(
                gxe.ExpectTableRowCountToBeBetween(
                    min_value=HOSPITALS_RANGE[0], max_value=HOSPITALS_RANGE[1]
                ),
                family="volume",
                name="lombardy_hospitals",
            )
        ],
        common.volume(history, shrink=0.1, grow=0.5),
    )


HOSPITALS = Suite(
    name="lombardia__hospitals",
    table=_raw(health.HOSPITALS.table),
    description="Hospitals of Lombardy: one per code, in a Lombard comune, inside Lombardy, "
    "about 200 of them.",
    rules=_hospitals_rules,
    derived=normalised("localita"),
    schema=health.HOSPITALS_SCHEMA,
)


def _pharmacies_rules(history: History) -> list[Rule]:
    return common.rows(
        common.not_null("cod_farmacia"),
        common.unique("cod_farmacia"),
        placed("comune"),
        named_comuni("comune"),
        common.in_set("sigla_provincia", {health.PROVINCE}),
        in_lombardy("latitudine", "longitudine"),
        vocabulary("descrizione_tipologia", PHARMACY_KINDS),
        pattern_warning("cap", METROPOLITAN_POSTCODE),
        # A comune without a pharmacy is possible (D10_07 then counts 0): worth a look only.
        every_named_comune("comune", severity="warning"),
        common.volume(history, shrink=0.1, grow=0.5),
    )


PHARMACIES = Suite(
    name="lombardia__pharmacies",
    table=_raw(health.PHARMACIES.table),
    description="Pharmacies of the province of Milan: one per code, in a comune of the Città "
    "metropolitana, inside Lombardy.",
    rules=_pharmacies_rules,
    derived=normalised("comune"),
    schema=health.PHARMACIES_SCHEMA,
)

SUITES: tuple[Suite, ...] = (
    STATIONS,
    MEASUREMENTS,
    LABOUR_ACTIVATED,
    LABOUR_CEASED,
    CERTIFICATES,
    HOSPITALS,
    PHARMACIES,
)
