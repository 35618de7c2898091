"""A measured figure, its target and how to reproduce it: what every benchmark returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    benchmark: str  # e.g. "ingestion throughput: energy_certificates"
    scale: str  # "1x" (real scale) or "10x"
    value: float
    unit: str  # "ratio", "s", "MB", "ms"
    target: str | None = None  # e.g. ">= 0.5", "< 2048 MB"; None when there is none
    met: bool | None = None  # None when there is no target
    command: str = ""  # the command that reproduces this figure alone
    note: str = ""  # where a target is missed: why, and what would close it
