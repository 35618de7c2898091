"""Regione Lombardia open data (dati.lombardia.it, Socrata SODA 2.x): air quality, labour
flows, energy certificates, hospitals and pharmacies, for the province of Milan."""

from ingestion.lombardia import air, energy, health, labour

DATASETS = (
    air.STATIONS,
    air.MEASUREMENTS,
    labour.ACTIVATED,
    labour.CEASED,
    energy.CERTIFICATES,
    health.HOSPITALS,
    health.PHARMACIES,
)

# The Socrata spec of each dataset, for what needs the view ids (the update sensors).
SPECS = {
    spec.name: spec
    for spec in (
        air.STATIONS_SPEC,
        air.MEASUREMENTS_SPEC,
        labour.ACTIVATED_SPEC,
        labour.CEASED_SPEC,
        energy.SPEC,
        health.HOSPITALS_SPEC,
        health.PHARMACIES_SPEC,
    )
}
