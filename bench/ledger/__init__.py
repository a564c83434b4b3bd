"""Ledger throughput benchmark: ``.venv/bin/python -m bench.ledger --help``.

Measures transfers applied per second and batch latency of the group-commit ledger writer on
PostgreSQL and SQLite, in-process and through the HTTP API, for four account-contention shapes
and three request sizes, next to two baselines measured in the same run: the naive way (one
transaction per transfer with row locks, 16 clients) and the raw database limit (COPY plus one
set-based balance update per 8,190 transfers, no validation). Results go to a JSON file and,
with ``--write-docs``, to the generated section of ``docs/benchmarks.md``.
"""
