"""Validation suites kept as code: one module per source for its raw tables, one for marts."""

from __future__ import annotations

from warehouse.quality import Suite
from warehouse.suites import afol, ats, cittametropolitana, energy, ispra, istat, lombardia, marts

SUITES: tuple[Suite, ...] = (
    *istat.SUITES,
    *lombardia.SUITES,
    *ispra.SUITES,
    *ats.SUITES,
    *afol.SUITES,
    *cittametropolitana.SUITES,
    *energy.SUITES,
    *marts.SUITES,
)
