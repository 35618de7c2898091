"""One error type for bad input, so every failure names source, dataset and cause."""

from __future__ import annotations


class SourceError(Exception):
    """Input from a source could not be fetched, parsed or trusted."""

    def __init__(self, source: str, dataset: str, cause: str) -> None:
        self.source = source
        self.dataset = dataset
        self.cause = cause
        super().__init__(f"{source}/{dataset}: {cause}")


class NoRecordsFound(SourceError):
    """The service answered that the query matches no data (ISTAT: HTTP 404 NoRecordsFound)."""
