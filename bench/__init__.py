"""Benchmarks: measurement harnesses run by hand (``python -m bench.<name>``), not tests."""
