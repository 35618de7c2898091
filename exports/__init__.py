"""Open-data exports: files the public downloads, written whole or not at all."""
