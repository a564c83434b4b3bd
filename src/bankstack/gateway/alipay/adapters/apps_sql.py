"""Alipay apps and gateway trade links on SQLAlchemy Core.

``SqlAlipayApps`` is both the ``AlipayApps`` the gateway asks on every request (active apps
only, keys parsed) and the ``AppRegistry`` the registration service writes. The row is read
on every request, so a rotated key or a suspension takes effect at once in every process;
parsed keys are cached by their PEM text, which costs nothing to compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from sqlalchemy import Engine, Row, select, update

from bankstack.gateway.adapters.tables import transaction
from bankstack.gateway.alipay.adapters.tables import apps, hex_id, trades
from bankstack.gateway.alipay.commands import SignType
from bankstack.gateway.alipay.ports import AlipayApp, AppRecord, AppStatus, TradeLink
from bankstack.gateway.alipay.signing import load_public_key
from bankstack.platform.sql import insert_absent


@lru_cache(maxsize=1024)
def _public_key(pem: str) -> RSAPublicKey:
    return load_public_key(pem)


def _record(row: Row[Any]) -> AppRecord:
    return AppRecord(
        app_id=row.app_id,
        merchant_id=row.merchant_id,
        rsa2_public_pem=row.rsa2_public_key,
        rsa_public_pem=row.rsa_public_key,
        notify_url=row.notify_url,
        status=AppStatus(row.status),
        created_at_ns=row.created_at,
        updated_at_ns=row.updated_at,
    )


def _values(record: AppRecord) -> dict[str, Any]:
    return {
        "app_id": record.app_id,
        "merchant_id": record.merchant_id,
        "rsa2_public_key": record.rsa2_public_pem,
        "rsa_public_key": record.rsa_public_pem,
        "notify_url": record.notify_url,
        "status": record.status.value,
        "created_at": record.created_at_ns,
        "updated_at": record.updated_at_ns,
    }


def app_of(record: AppRecord) -> AlipayApp:
    keys = {SignType.RSA2: _public_key(record.rsa2_public_pem)}
    if record.rsa_public_pem is not None:
        keys[SignType.RSA] = _public_key(record.rsa_public_pem)
    return AlipayApp(
        app_id=record.app_id,
        merchant_id=record.merchant_id,
        public_keys=keys,
        notify_url=record.notify_url,
    )


class SqlAlipayApps:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, app_id: str) -> AlipayApp | None:
        record = self.record(app_id)
        if record is None or record.status is not AppStatus.ACTIVE:
            return None
        return app_of(record)

    def record(self, app_id: str) -> AppRecord | None:
        with transaction(self._engine, write=False) as conn:
            row = conn.execute(select(apps).where(apps.c.app_id == app_id)).first()
        return None if row is None else _record(row)

    def insert(self, record: AppRecord) -> bool:
        with transaction(self._engine, write=True) as conn:
            return insert_absent(conn, apps, _values(record))

    def update(self, record: AppRecord) -> bool:
        values = _values(record)
        del values["app_id"], values["created_at"]
        with transaction(self._engine, write=True) as conn:
            changed = conn.execute(
                update(apps).where(apps.c.app_id == record.app_id).values(**values)
            )
            return changed.rowcount == 1


class SqlTradeLinks:
    """Which payments trades the gateway made, for which app, notified where."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def link(self, link: TradeLink) -> TradeLink:
        known = self.get(link.trade_id)  # a retry of the order: no write lock needed
        if known is not None:
            return known
        values = {
            "trade_id": hex_id(link.trade_id),
            "app_id": link.app_id,
            "notify_url": link.notify_url,
            "created_at": link.created_at_ns,
        }
        with transaction(self._engine, write=True) as conn:
            if insert_absent(conn, trades, values):
                return link
        found = self.get(link.trade_id)
        if found is None:  # pragma: no cover - links are never deleted
            raise RuntimeError("a trade link vanished")
        return found

    def get(self, trade_id: int) -> TradeLink | None:
        return self.get_many([trade_id]).get(trade_id)

    def get_many(self, trade_ids: Sequence[int]) -> dict[int, TradeLink]:
        if not trade_ids:
            return {}
        keys = sorted({hex_id(trade_id) for trade_id in trade_ids})
        with transaction(self._engine, write=False) as conn:
            found = conn.execute(select(trades).where(trades.c.trade_id.in_(keys))).all()
        return {
            int(row.trade_id, 16): TradeLink(
                trade_id=int(row.trade_id, 16),
                app_id=row.app_id,
                notify_url=row.notify_url,
                created_at_ns=row.created_at,
            )
            for row in found
        }
