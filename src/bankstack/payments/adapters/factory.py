"""Build a ``PaymentsService`` on an engine: what the composition root calls.

``build_payments(runtime.engine, runtime.writer, runtime.reader, clock)`` wires payments
into the runtime that ``entrypoints.bootstrap.build_runtime`` made; the schema comes from
migration ``0002_payments``, which ``build_runtime`` applies with the others.
"""

from __future__ import annotations

from sqlalchemy import Engine

from bankstack.kernel.clock import Clock
from bankstack.payments.adapters.uow import SqlPaymentsStore
from bankstack.payments.ports import (
    BalanceReader,
    CodeSender,
    LedgerWriter,
    PaymentsConfig,
    RiskDecider,
)
from bankstack.payments.service import PaymentsService


def build_payments(
    engine: Engine,
    ledger: LedgerWriter,
    balances: BalanceReader,
    clock: Clock,
    config: PaymentsConfig | None = None,
    *,
    risk: RiskDecider | None = None,
    codes: CodeSender | None = None,
) -> PaymentsService:
    return PaymentsService(
        store=SqlPaymentsStore(engine),
        ledger=ledger,
        balances=balances,
        clock=clock,
        config=config,
        risk=risk,
        codes=codes,
    )
