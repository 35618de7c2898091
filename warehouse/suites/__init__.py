"""Validation suites kept as code: one module per source for its raw tables, one for marts."""

from __future__ import annotations

from warehouse.quality import Suite
from warehouse.suites import istat, lombardia, marts

SUITES: tuple[Suite, ...] = (*istat.SUITES, *lombardia.SUITES, *marts.SUITES)
