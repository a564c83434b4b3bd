"""Webhook endpoint secrets as stored: sealed with the row's identity, legacy rows in plain.

The ``secret`` column of ``gateway_webhook_endpoints`` holds a ``secret_box`` token whose
associated data is the app and endpoint ids, so a token pasted into another endpoint's row
(or another app's) does not open. Rows written before encryption hold the ``whsec_`` secret
itself: they are read as is, sealed again on the next write of the row, and all at once by
``reseal_endpoint_secrets`` (run at every start, so it also moves rows to the newest key
after a rotation). ``count_endpoint_secrets`` tells how many rows each key still seals, so
that a key is retired only once no row needs it (``bankstack keys``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import ColumnElement, Engine, case, func, select, update

from bankstack.gateway.adapters.secret_box import (
    TOKEN_PREFIX,
    SecretBox,
    SecretBoxError,
    is_sealed,
)
from bankstack.gateway.adapters.tables import transaction
from bankstack.gateway.adapters.tables import webhook_endpoints as we
from bankstack.platform.logging import get_logger

AAD_LABEL: Final = b"bankstack/gateway_webhook_endpoints.secret"

_log = get_logger(__name__)


def endpoint_aad(app_id: str, endpoint_id: str) -> bytes:
    return b"\x00".join((AAD_LABEL, app_id.encode("utf-8"), endpoint_id.encode("utf-8")))


def seal_secret(box: SecretBox, app_id: str, endpoint_id: str, secret: str) -> str:
    return box.seal(secret, endpoint_aad(app_id, endpoint_id))


def open_secret(box: SecretBox, app_id: str, endpoint_id: str, stored: str) -> str:
    """The plaintext secret of a row; a legacy (unsealed) value is the secret itself."""
    if not is_sealed(stored):
        return stored
    return box.open(stored, endpoint_aad(app_id, endpoint_id))


def reseal_endpoint_secrets(engine: Engine, box: SecretBox) -> int:
    """Seal every row not yet sealed with the newest key; the number of rows changed.

    Each row is updated only if it still holds what was read (compare and set), so processes
    starting together, or a concurrent edit of the endpoint, never lose a write. A row that
    does not open (a key missing from this keyring) is left as is and logged, so that one bad
    row does not stop the process from starting; its deliveries fail until the key is back.
    """
    current = f"{box.newest_prefix()}%"
    with transaction(engine, write=True) as conn:
        rows = conn.execute(
            select(we.c.id, we.c.app_id, we.c.secret).where(we.c.secret.not_like(current))
        ).all()
        changed = 0
        for row in rows:
            try:
                plaintext = open_secret(box, row.app_id, row.id, row.secret)
            except SecretBoxError as exc:
                _log.warning(
                    "webhook secret does not open, left as is", endpoint_id=row.id, reason=str(exc)
                )
                continue
            result = conn.execute(
                update(we)
                .where(we.c.id == row.id, we.c.secret == row.secret)
                .values(secret=seal_secret(box, row.app_id, row.id, plaintext))
            )
            changed += result.rowcount
    return changed


@dataclass(frozen=True, slots=True)
class SecretCounts:
    """How the stored endpoint secrets stand against a keyring's key ids."""

    by_key: Mapping[str, int]  # sealed under each key asked about (0 included)
    legacy: int  # plaintext rows from before sealing
    unknown: int  # sealed under a key id not asked about (e.g. removed from the ring)

    @property
    def total(self) -> int:
        return sum(self.by_key.values()) + self.legacy + self.unknown


def count_endpoint_secrets(engine: Engine, key_ids: Sequence[str]) -> SecretCounts:
    """Count the rows per key id in one read, without opening (or reading) any secret."""
    sealed = [_starts_with(f"{TOKEN_PREFIX}{key_id}:") for key_id in key_ids]
    columns = [func.count(), _count_where(_starts_with(TOKEN_PREFIX))]
    with transaction(engine, write=False) as conn:
        total, tokens, *per_key = conn.execute(
            select(*columns, *(_count_where(c) for c in sealed)).select_from(we)
        ).one()
    by_key = dict(zip(key_ids, (int(n) for n in per_key), strict=True))
    return SecretCounts(by_key, int(total) - int(tokens), int(tokens) - sum(by_key.values()))


def _starts_with(prefix: str) -> ColumnElement[bool]:
    # substr and =, not LIKE: SQLite's LIKE ignores case, and a key id is matched exactly.
    return func.substr(we.c.secret, 1, len(prefix)) == prefix


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
