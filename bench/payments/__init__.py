"""Payments benchmark: ``.venv/bin/python -m bench.payments --help``.

Measures the QR flow (precreate a trade, then pay it from a test customer's wallet) end to end
over HTTP against ``bankstack serve`` on PostgreSQL: paid trades/s and latency p50/p99 per
trade and per request, at several concurrencies and server worker counts, with RFC 9421
signatures both ways (the partner signs with ``bankstack_sdk`` and verifies every answer) and,
in the same run, with signatures off (sandbox API key, unsigned answers): the price of
security. Next to it, the raw ledger rate of the same money movement (the paid trade's linked
chain through an in-process ``GroupCommitWriter``). CPU use of client, server, PostgreSQL and
Redis is read from ``/proc`` for every cell. With ``--profile``, when the signed flow misses
the target, py-spy says where the server's time goes. Results go to a JSON file and, with
``--write-docs``, to the generated section of ``docs/benchmarks.md``.
"""
