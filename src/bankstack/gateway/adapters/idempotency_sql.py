"""Idempotency records on SQLAlchemy Core; the claim is atomic on SQLite and PostgreSQL.

``begin`` tries, in order, each in its own short transaction:

1. ``INSERT ... ON CONFLICT DO NOTHING``: a new key; the inserter holds the lease.
2. ``UPDATE ... WHERE expires_at <= now``: take over an expired lease or an expired record.
   The condition is re-checked under the row lock, so of two racing requests one wins.
3. Read the record: another fingerprint -> mismatch; completed -> replay; else in progress.

``complete`` and ``abandon`` act only while the caller's ``token`` still holds the lease, so
a request overtaken after its lease expired cannot overwrite its successor's record.

Each write is one statement, run as its own transaction (``one_statement``), and the two on
every request (the claim and the completion) are built once.
"""

from __future__ import annotations

import json
import secrets
from typing import Final

from sqlalchemy import Engine, bindparam, delete, select, tuple_, update

from bankstack.gateway.adapters.tables import idempotency_keys as t
from bankstack.gateway.adapters.tables import transaction
from bankstack.gateway.domain.idempotency import (
    LEASE_S,
    RETENTION_S,
    ConflictInProgress,
    Decision,
    FingerprintMismatch,
    Proceed,
    Replay,
    StoredResponse,
)
from bankstack.kernel.clock import NS_PER_SECOND, Clock, SystemClock
from bankstack.platform.database import one_statement
from bankstack.platform.sql import insert_absent

IN_PROGRESS: Final = "in_progress"
COMPLETED: Final = "completed"
_HELD_BY = (
    t.c.scope == bindparam("p_scope"),
    t.c.key == bindparam("p_key"),
    t.c.token == bindparam("p_token"),
    t.c.state == IN_PROGRESS,
)
_COMPLETE = update(t).where(*_HELD_BY)  # SET: the parameters named after columns


class SqlIdempotencyStore:
    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock | None = None,
        lease_s: int = LEASE_S,
        retention_s: int = RETENTION_S,
    ) -> None:
        self._engine = engine
        self._clock = clock or SystemClock()
        self._lease_ns = lease_s * NS_PER_SECOND
        self._retention_ns = retention_s * NS_PER_SECOND

    def begin(self, scope: str, key: str, fingerprint: str) -> Decision:
        # A purge may delete an expired record between steps 2 and 3; then start over once.
        for _ in range(2):
            now = self._clock.now_ns()
            token = secrets.token_hex(16)
            claim = {
                "fingerprint": fingerprint,
                "state": IN_PROGRESS,
                "token": token,
                "created_at": now,
                "expires_at": now + self._lease_ns,
                "completed_at": None,
                "response_status": None,
                "response_headers": None,
                "response_body": None,
            }
            with one_statement(self._engine) as conn:
                if insert_absent(conn, t, {"scope": scope, "key": key, **claim}):
                    return Proceed(token)
            with one_statement(self._engine) as conn:
                taken = conn.execute(
                    update(t)
                    .where(t.c.scope == scope, t.c.key == key, t.c.expires_at <= now)
                    .values(**claim)
                )
                if taken.rowcount == 1:
                    return Proceed(token)
            decision = self._existing(scope, key, fingerprint)
            if decision is not None:
                return decision
        return ConflictInProgress()

    def _existing(self, scope: str, key: str, fingerprint: str) -> Decision | None:
        with transaction(self._engine, write=False) as conn:
            row = conn.execute(
                select(
                    t.c.fingerprint,
                    t.c.state,
                    t.c.response_status,
                    t.c.response_headers,
                    t.c.response_body,
                ).where(t.c.scope == scope, t.c.key == key)
            ).first()
        if row is None:
            return None
        if row.fingerprint != fingerprint:
            return FingerprintMismatch()
        if row.state != COMPLETED:
            return ConflictInProgress()
        headers = tuple((str(k), str(v)) for k, v in json.loads(row.response_headers or "[]"))
        return Replay(StoredResponse(row.response_status, headers, bytes(row.response_body)))

    def complete(self, scope: str, key: str, token: str, response: StoredResponse) -> bool:
        now = self._clock.now_ns()
        params = {
            "p_scope": scope,
            "p_key": key,
            "p_token": token,
            "state": COMPLETED,
            "completed_at": now,
            "expires_at": now + self._retention_ns,
            "response_status": response.status,
            "response_headers": json.dumps([list(h) for h in response.headers]),
            "response_body": response.body,
        }
        with one_statement(self._engine) as conn:
            return conn.execute(_COMPLETE, params).rowcount == 1

    def abandon(self, scope: str, key: str, token: str) -> bool:
        with one_statement(self._engine) as conn:
            gone = conn.execute(
                delete(t).where(
                    t.c.scope == scope,
                    t.c.key == key,
                    t.c.token == token,
                    t.c.state == IN_PROGRESS,
                )
            )
            return gone.rowcount == 1

    def purge(self, limit: int = 10_000) -> int:
        """Delete up to ``limit`` expired records (past retention, or dead leases)."""
        now = self._clock.now_ns()
        with transaction(self._engine, write=True) as conn:
            expired = (
                select(t.c.scope, t.c.key)
                .where(t.c.expires_at <= now)
                .order_by(t.c.expires_at)
                .limit(limit)
            )
            gone = conn.execute(
                delete(t).where(
                    tuple_(t.c.scope, t.c.key).in_(expired),
                    t.c.expires_at <= now,
                )
            )
            return gone.rowcount
