"""The DuckDB warehouse: where it lives, how raw tables land in it, how it is read and published."""
