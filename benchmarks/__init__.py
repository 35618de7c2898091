"""Benchmarks: figures measured at real and tenfold scale, written to BENCHMARKS.md by
``make bench`` (``python -m benchmarks``). None of them is a test."""
