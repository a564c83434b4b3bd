"""The payments repositories on one SQLAlchemy connection (SQLite or PostgreSQL).

``lock=True`` reads take the row lock on PostgreSQL (``SELECT ... FOR UPDATE``); on SQLite
the write unit of work began with ``BEGIN IMMEDIATE`` and already holds the database's one
write lock, so there SQLAlchemy rightly renders no ``FOR UPDATE``. Updates are conditional on
the version read (optimistic check behind the lock): a mismatch means a writer skipped the
lock, a bug, and raises ``StaleWrite`` so the transaction rolls back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, literal, select, tuple_, update

from bankstack.payments.adapters import rows
from bankstack.payments.adapters.tables import (
    codes,
    merchants,
    refunds,
    risk_checks,
    trades,
    wallets,
)
from bankstack.payments.domain import Trade, TradeStatus
from bankstack.payments.fees import Split
from bankstack.payments.records import (
    Merchant,
    PaymentCode,
    Refund,
    RefundStatus,
    RiskCheck,
    Wallet,
)
from bankstack.platform.sql import insert_absent, update_versioned

# The hot statements, built once (platform/sql.py says why); executed with parameter dicts.
_MERCHANT = select(merchants).where(merchants.c.id == bindparam("p_id"))
_WALLET = select(wallets).where(
    wallets.c.customer_id == bindparam("p_customer"), wallets.c.currency == bindparam("p_currency")
)
_TRADE = select(trades).where(trades.c.id == bindparam("p_id"))
_TRADE_LOCKED = _TRADE.with_for_update()
_TRADE_BY_NO = select(trades).where(
    trades.c.merchant_id == bindparam("p_merchant"),
    trades.c.out_trade_no == bindparam("p_out_trade_no"),
)
_TRADE_BY_NO_LOCKED = _TRADE_BY_NO.with_for_update()
_RISK_CHECK = select(risk_checks).where(
    risk_checks.c.trade_id == bindparam("p_trade"), risk_checks.c.payer_id == bindparam("p_payer")
)
_RISK_CHECK_LOCKED = _RISK_CHECK.with_for_update()


class StaleWrite(RuntimeError):
    """A conditional update found another version than the one read."""


def locked(query: Select[Any], lock: bool) -> Select[Any]:
    return query.with_for_update() if lock else query


class SqlMerchants:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, merchant_id: str) -> Merchant | None:
        row = self._conn.execute(_MERCHANT, {"p_id": merchant_id}).first()
        return None if row is None else rows.merchant_from(row)

    def add(self, merchant: Merchant) -> bool:
        return insert_absent(self._conn, merchants, rows.merchant_row(merchant))


class SqlWallets:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, customer_id: str, currency: str) -> Wallet | None:
        params = {"p_customer": customer_id, "p_currency": currency}
        row = self._conn.execute(_WALLET, params).first()
        return None if row is None else rows.wallet_from(row)

    def add(self, wallet: Wallet) -> bool:
        return insert_absent(self._conn, wallets, rows.wallet_row(wallet))


class SqlTrades:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _one(self, query: Select[Any], params: dict[str, Any]) -> Trade | None:
        row = self._conn.execute(query, params).first()
        return None if row is None else rows.trade_from(row)

    def get(self, trade_id: int, *, lock: bool = False) -> Trade | None:
        query = _TRADE_LOCKED if lock else _TRADE
        return self._one(query, {"p_id": rows.hex_id(trade_id)})

    def get_by_out_trade_no(
        self, merchant_id: str, out_trade_no: str, *, lock: bool = False
    ) -> Trade | None:
        query = _TRADE_BY_NO_LOCKED if lock else _TRADE_BY_NO
        return self._one(query, {"p_merchant": merchant_id, "p_out_trade_no": out_trade_no})

    def add(self, trade: Trade) -> bool:
        return insert_absent(self._conn, trades, rows.trade_row(trade))

    def update(self, trade: Trade) -> None:
        state = rows.trade_state(trade)
        if not update_versioned(
            self._conn, trades, rows.hex_id(trade.id), trade.version - 1, state
        ):
            raise StaleWrite(f"trade {trade.id} is not at version {trade.version - 1}")

    def reserve_refund(self, trade: Trade, legs: Split) -> bool:
        c, total = trades.c, legs.total.minor
        statement = (
            update(trades)
            .where(
                c.id == rows.hex_id(trade.id),
                c.version == trade.version,
                c.status == TradeStatus.SUCCEEDED.value,
                c.refunded_amount + total <= c.paid_amount,
            )
            .values(
                refunded_amount=c.refunded_amount + total,
                refunded_net=c.refunded_net + legs.net.minor,
                refunded_fee=c.refunded_fee + legs.fee.minor,
                refunded_commission=c.refunded_commission + legs.commission.minor,
                version=c.version + 1,
            )
        )
        return self._conn.execute(statement).rowcount == 1

    def _ids(self, query: Select[Any]) -> list[int]:
        return [rows.int_id(value) for value in self._conn.execute(query).scalars()]

    def due_for_expiry(self, now: int, limit: int) -> list[int]:
        c = trades.c
        query = select(c.id).where(c.status == TradeStatus.WAITING.value, c.expires_at <= now)
        return self._ids(query.order_by(c.expires_at).limit(limit))

    def escrow_due(self, now: int, limit: int) -> list[int]:
        c = trades.c
        query = select(c.id).where(c.escrow_status == "held", c.escrow_deadline_at <= now)
        return self._ids(query.order_by(c.escrow_deadline_at).limit(limit))

    def in_flight(self, started_before: int, limit: int) -> list[int]:
        c, held = trades.c, risk_checks.c
        # A payment held for risk review is claimed but waits for a person, not for the
        # ledger: the worker must not resubmit it as a payment.
        under_review = (
            select(held.trade_id).where(held.trade_id == c.id, held.status == "held").exists()
        )
        query = select(c.id).where(c.processing_since < started_before, ~under_review)
        return self._ids(query.order_by(c.processing_since).limit(limit))

    def settled_between(self, merchant_id: str, start: int, end: int) -> list[Trade]:
        c = trades.c
        query = select(trades).where(
            c.merchant_id == merchant_id, c.settled_at >= start, c.settled_at < end
        )
        result = self._conn.execute(query.order_by(c.settled_at, c.id))
        return [rows.trade_from(row) for row in result]

    def page(self, merchant_id: str, before: tuple[int, int] | None, limit: int) -> list[Trade]:
        c = trades.c
        query = select(trades).where(c.merchant_id == merchant_id)
        if before is not None:
            created_at, trade_id = before
            query = query.where(
                tuple_(c.created_at, c.id)
                < tuple_(literal(created_at), literal(rows.hex_id(trade_id)))
            )
        result = self._conn.execute(query.order_by(c.created_at.desc(), c.id.desc()).limit(limit))
        return [rows.trade_from(row) for row in result]


class SqlRefunds:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _one(self, query: Select[Any], lock: bool) -> Refund | None:
        row = self._conn.execute(locked(query, lock)).first()
        return None if row is None else rows.refund_from(row)

    def get(self, refund_id: int, *, lock: bool = False) -> Refund | None:
        return self._one(select(refunds).where(refunds.c.id == rows.hex_id(refund_id)), lock)

    def get_by_out_refund_no(
        self, trade_id: int, out_refund_no: str, *, lock: bool = False
    ) -> Refund | None:
        query = select(refunds).where(
            refunds.c.trade_id == rows.hex_id(trade_id), refunds.c.out_refund_no == out_refund_no
        )
        return self._one(query, lock)

    def add(self, refund: Refund) -> None:
        self._conn.execute(refunds.insert().values(rows.refund_row(refund)))

    def update(self, refund: Refund) -> None:
        values = rows.refund_row(refund)
        key = values.pop("id")
        if not update_versioned(self._conn, refunds, key, refund.version - 1, values):
            raise StaleWrite(f"refund {refund.id} is not at version {refund.version - 1}")

    def for_trade(self, trade_id: int) -> list[Refund]:
        c = refunds.c
        query = select(refunds).where(c.trade_id == rows.hex_id(trade_id))
        return [rows.refund_from(r) for r in self._conn.execute(query.order_by(c.created_at, c.id))]

    def count_processing(self, trade_id: int) -> int:
        c = refunds.c
        query = select(func.count()).where(
            c.trade_id == rows.hex_id(trade_id), c.status == RefundStatus.PROCESSING.value
        )
        return int(self._conn.execute(query).scalar_one())

    def in_flight(self, started_before: int, limit: int) -> list[int]:
        c = refunds.c
        query = select(c.id).where(c.processing_since < started_before)
        ids = self._conn.execute(query.order_by(c.processing_since).limit(limit)).scalars()
        return [rows.int_id(value) for value in ids]

    def succeeded_between(self, merchant_id: str, start: int, end: int) -> list[Refund]:
        c = refunds.c
        query = select(refunds).where(
            c.merchant_id == merchant_id,
            c.status == RefundStatus.SUCCEEDED.value,
            c.succeeded_at >= start,
            c.succeeded_at < end,
        )
        result = self._conn.execute(query.order_by(c.succeeded_at, c.id))
        return [rows.refund_from(row) for row in result]


class SqlCodes:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, code: PaymentCode) -> bool:
        return insert_absent(self._conn, codes, rows.code_row(code))

    def get(self, code_hash: str, *, lock: bool = False) -> PaymentCode | None:
        query = locked(select(codes).where(codes.c.code_hash == code_hash), lock)
        row = self._conn.execute(query).first()
        return None if row is None else rows.code_from(row)

    def mark_used(self, code_hash: str, trade_id: int, now: int) -> bool:
        statement = (
            update(codes)
            .where(codes.c.code_hash == code_hash, codes.c.used_at.is_(None))
            .values(used_at=now, trade_id=rows.hex_id(trade_id))
        )
        return self._conn.execute(statement).rowcount == 1


class SqlRiskChecks:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, trade_id: int, payer_id: str, *, lock: bool = False) -> RiskCheck | None:
        query = _RISK_CHECK_LOCKED if lock else _RISK_CHECK
        params = {"p_trade": rows.hex_id(trade_id), "p_payer": payer_id}
        row = self._conn.execute(query, params).first()
        return None if row is None else rows.risk_check_from(row)

    def put(self, check: RiskCheck) -> None:
        values = rows.risk_check_row(check)
        if not insert_absent(self._conn, risk_checks, values):
            c = risk_checks.c
            self._conn.execute(
                update(risk_checks)
                .where(c.trade_id == values["trade_id"], c.payer_id == check.payer_id)
                .values(values)
            )

    def delete(self, check: RiskCheck) -> None:
        c = risk_checks.c
        self._conn.execute(
            risk_checks.delete().where(
                c.trade_id == rows.hex_id(check.trade_id), c.payer_id == check.payer_id
            )
        )
