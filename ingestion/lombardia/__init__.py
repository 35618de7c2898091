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
