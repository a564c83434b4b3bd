"""The local Redis for tests that need a real one (``BANKSTACK_TEST_REDIS_URL`` or 6379/0).

``connect(purpose)`` answers a client, or skips the test, except under ``CI=true``, where a
missing Redis fails it: CI must never pass by skipping. Every test works under its own
``fresh_prefix`` and ``drop_prefix`` deletes what it wrote, so tests share one database safely.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis

REDIS_URL = os.environ.get("BANKSTACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def connect(purpose: str, *, timeout_s: float = 2.0) -> redis.Redis:
    made = redis.Redis.from_url(REDIS_URL, socket_timeout=timeout_s, socket_connect_timeout=2)
    try:
        made.ping()
    except redis.RedisError as error:
        reason = f"no Redis at {REDIS_URL} for {purpose}: {error}"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return made


def fresh_prefix() -> str:
    return f"bankstack:test:{uuid.uuid4().hex}:"


def drop_prefix(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=prefix + "*", count=1_000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
