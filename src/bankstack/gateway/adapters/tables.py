"""The gateway's tables as SQLAlchemy Core objects, and the SQL helpers shared by its
repositories.

The schema itself is created by the migration ``0003_gateway``; these definitions mirror it
(a test compares them with the migrated database) and are never used to create tables.
Times are BIGINT nanoseconds since the epoch, as everywhere in bankstack.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()

apps = Table(
    "gateway_apps",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("merchant_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("api_version", String(10), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

app_keys = Table(
    "gateway_app_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("app_id", String(40), ForeignKey("gateway_apps.id"), nullable=False),
    Column("algorithm", String(16), nullable=False),
    Column("public_key", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    Column("slot", SmallInteger),
    Column("livemode", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("retired_at", BigInteger),
)

api_keys = Table(
    "gateway_api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("app_id", String(40), ForeignKey("gateway_apps.id"), nullable=False),
    Column("secret_hash", LargeBinary, nullable=False, unique=True),
    Column("last4", String(4), nullable=False),
    Column("status", String(16), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
)

webhook_endpoints = Table(
    "gateway_webhook_endpoints",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("app_id", String(40), ForeignKey("gateway_apps.id"), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("secret", String(255), nullable=False),  # a secret_box token (legacy: plain)
    Column("enabled", Boolean, nullable=False),
    Column("event_types", Text, nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("disabled_reason", String(64)),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

events = Table(
    "gateway_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("app_id", String(40), ForeignKey("gateway_apps.id"), nullable=False),
    Column("type", String(100), nullable=False),
    Column("api_version", String(10), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("object_version", BigInteger),
    Column("source_event_id", String(200)),
    Column("body", LargeBinary, nullable=False),
)

deliveries = Table(
    "gateway_webhook_deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("event_id", String(40), ForeignKey("gateway_events.id"), nullable=False),
    Column("endpoint_id", String(40), ForeignKey("gateway_webhook_endpoints.id"), nullable=False),
    Column("app_id", String(40), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", BigInteger),
    Column("last_attempt_at", BigInteger),
    Column("last_status_code", Integer),
    Column("last_error", String(200)),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

idempotency_keys = Table(
    "gateway_idempotency_keys",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("token", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("completed_at", BigInteger),
    Column("response_status", Integer),
    Column("response_headers", Text),
    Column("response_body", LargeBinary),
)


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """A connection inside a transaction, committed when the block ends normally.

    On SQLite a writer takes the write lock at BEGIN (IMMEDIATE) and so waits its turn
    instead of failing later with SQLITE_BUSY when a read turns into a write.
    """
    options = {"sqlite_begin": "IMMEDIATE"} if write and engine.dialect.name == "sqlite" else {}
    with engine.connect() as raw:
        conn = raw.execution_options(**options) if options else raw
        with conn.begin():
            yield conn
