"""Fixtures for the gateway on both storage tiers: a migrated engine and a manual clock."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bankstack.gateway.adapters.apps_sql import SqlAppStore
from bankstack.gateway.adapters.keyring import open_secret_box
from bankstack.gateway.adapters.secret_box import SecretBox
from bankstack.gateway.service.apps import AppService
from bankstack.kernel.clock import ManualClock
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy import Engine

# The gateway's tables came with 0003; 0009 widened the webhook secret column for sealed
# tokens, so the fixtures migrate that far (through the other domains' revisions between).
GATEWAY_REVISION = "0009_webhook_secrets"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    upgrade(db_url, GATEWAY_REVISION)
    made = make_engine(db_url)
    try:
        yield made
    finally:
        made.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def isolated_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database of the test's own: for tests that scan whole tables (due
    deliveries, the outbox), which the session-wide PostgreSQL database would share."""
    url: str = request.getfixturevalue(
        "fresh_pg_url" if request.param == "postgres" else "sqlite_url"
    )
    upgrade(url, GATEWAY_REVISION)
    made = make_engine(url)
    try:
        yield made
    finally:
        made.dispose()


@pytest.fixture
def clock() -> ManualClock:
    # Real time at the start, so that receivers checking timestamps accept the first attempt.
    return ManualClock(time.time_ns())


@pytest.fixture
def secret_box(tmp_path: Path) -> SecretBox:
    """The webhook-secret keyring of a deployment whose key directory is ``tmp_path``."""
    return open_secret_box(tmp_path / "keys" / "webhook-secrets-keyring.json")


@pytest.fixture
def apps(engine: Engine, clock: ManualClock, secret_box: SecretBox) -> AppService:
    return AppService(SqlAppStore(engine, secret_box), clock=clock)


def raw_public_key() -> bytes:
    return Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
