"""Fixtures for payments integration tests: the runtime and the payments service on each tier.

The schema is migrated to the latest revision (payments reads its risk checks,
``0007_payments_risk_checks``, and customer transfers, ``0008_payments_transfers``).
Merchant and customer ids get a per-test suffix: the PostgreSQL database is shared by the
whole session.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.kernel.clock import ManualClock, datetime_to_ns
from bankstack.kernel.ids import new_id
from bankstack.kernel.money import Money
from bankstack.payments import (
    CreateTrade,
    EscrowTerms,
    FundWallet,
    Merchant,
    PaymentsConfig,
    PaymentsService,
    RegisterMerchant,
    Trade,
)
from bankstack.payments.adapters.factory import build_payments
from bankstack.platform.migrations import upgrade
from bankstack.platform.settings import load_settings

START = datetime_to_ns(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


@dataclass
class World:
    runtime: Runtime
    payments: PaymentsService
    clock: ManualClock
    tag: str = field(default_factory=lambda: f"{new_id():x}"[-10:])

    def name(self, base: str) -> str:
        return f"{base}-{self.tag}"

    def merchant(
        self,
        base: str = "shop",
        *,
        fee: str = "0.006",
        partner: str | None = "isv",
        commission: str = "0.001",
    ) -> Merchant:
        return self.payments.register_merchant(
            RegisterMerchant(
                merchant_id=self.name(base),
                name=f"Merchant {base}",
                currency="CNY",
                fee_rate=Decimal(fee),
                partner_id=self.name(partner) if partner else None,
                commission_rate=Decimal(commission) if partner else Decimal(0),
            )
        )

    def customer(self, base: str = "alice", funds: int = 100_000) -> str:
        customer_id = self.name(base)
        self.payments.open_wallet(customer_id, "CNY")
        if funds:
            self.fund(customer_id, funds)
        return customer_id

    def fund(self, customer_id: str, amount: int) -> None:
        self.payments.fund_wallet(
            FundWallet(customer_id=customer_id, amount=cny(amount), reference=f"top{new_id()}")
        )

    def trade(
        self,
        merchant: Merchant,
        amount: int,
        *,
        out_trade_no: str | None = None,
        escrow: EscrowTerms | None = None,
        buyer_id: str | None = None,
        timeout_s: int = 7200,
    ) -> Trade:
        return self.payments.create(
            CreateTrade(
                merchant_id=merchant.id,
                out_trade_no=out_trade_no or f"o{new_id()}",
                amount=cny(amount),
                subject="goods",
                escrow=escrow,
                buyer_id=buyer_id,
                timeout_s=timeout_s,
            )
        )

    def available(self, customer_id: str) -> int:
        return self.payments.wallet_balance(customer_id, "CNY").available.minor

    def posted(self, customer_id: str) -> int:
        return self.payments.wallet_balance(customer_id, "CNY").posted.minor

    def merchant_posted(self, merchant: Merchant) -> int:
        return self.payments.merchant_balance(merchant.id).posted.minor

    def account_net(self, account_id: int) -> tuple[int, int]:
        """(credits - debits posted, credits - debits pending) of a ledger account."""
        account = self.runtime.reader.account(account_id)
        assert account is not None
        return (
            account.credits_posted - account.debits_posted,
            account.credits_pending - account.debits_pending,
        )

    def events(self, key: int) -> list[tuple[str, dict[str, Any]]]:
        """The outbox records written for object ``key``, in order: (topic, data)."""
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT topic, payload FROM outbox WHERE key = :k ORDER BY id"),
                {"k": str(key)},
            ).all()
        return [(topic, json.loads(payload)["data"]) for topic, payload in rows]


def make_world(db_url: str, **config: object) -> tuple[World, Runtime]:
    upgrade(db_url)
    clock = ManualClock(START)
    settings = load_settings(database_url=db_url, expiry_interval_ms=50)
    runtime = build_runtime(settings, clock=clock, migrate=False, start_relay=False)
    payments = build_payments(
        runtime.engine,
        runtime.writer,
        runtime.reader,
        clock,
        PaymentsConfig(**config),  # type: ignore[arg-type]
    )
    return World(runtime, payments, clock), runtime


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    made, runtime = make_world(db_url)
    try:
        yield made
    finally:
        runtime.close()
