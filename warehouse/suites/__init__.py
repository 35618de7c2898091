"""Validation suites kept as code, one module per source."""
