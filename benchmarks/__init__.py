"""Benchmarks of the ingest pipeline (not tests: they print figures)."""
