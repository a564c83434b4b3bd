"""The composition root: builds engines, stores, the ledger writer and reader from settings.

Everything with a lifetime (the writer thread, connections) is created here and handed down;
nothing else reads settings or opens connections of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from bankstack.entrypoints.partners import Partners, build_partners
from bankstack.entrypoints.risk_wiring import RiskParts, build_risk
from bankstack.kernel.clock import NS_PER_SECOND, Clock, SystemClock
from bankstack.ledger.adapters.factory import open_ledger_store
from bankstack.ledger.adapters.journal import batch_events
from bankstack.ledger.adapters.reads import SqlLedgerReader
from bankstack.ledger.events import BATCH_EVENT_TOPICS, BATCH_SEALED
from bankstack.ledger.ports import LedgerStore
from bankstack.ledger.writer import GroupCommitWriter
from bankstack.payments import PaymentsService
from bankstack.payments.adapters.codes import CodeInbox
from bankstack.payments.adapters.factory import build_payments
from bankstack.payments.adapters.risk_events import AmlFeed, ReviewOutcomes
from bankstack.payments.ports import PaymentsConfig
from bankstack.platform.database import make_engine
from bankstack.platform.migrations import upgrade
from bankstack.platform.outbox import Expansion, OutboxRelay, Subscriber
from bankstack.platform.periodic import Periodic
from bankstack.platform.retention import purge_delivered
from bankstack.platform.settings import Settings
from bankstack.risk.features.memory import InMemoryFeatureSource

PRUNE_FEATURES_EVERY_S = 600.0
PURGE_EVERY_S = 3_600.0
DAY_NS = 86_400 * NS_PER_SECOND


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    store: LedgerStore
    writer: GroupCommitWriter
    reader: SqlLedgerReader
    relay: OutboxRelay
    payments: PaymentsService
    partners: Partners
    clock: Clock = field(default_factory=SystemClock)
    workers: list[Periodic] = field(default_factory=list)
    risk: RiskParts | None = None  # None: BANKSTACK_RISK_ENABLED=false
    codes: CodeInbox | None = None  # where one-time codes go (the demo shows them)

    def start_workers(self) -> None:
        for worker in self.workers:
            worker.start()

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.partners.alipay.close()
        self.relay.stop()
        self.writer.stop()
        self.store.close()
        self.engine.dispose()


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    subscribers: Sequence[Subscriber] = (),
    start_relay: bool = True,
    start_workers: bool = True,
) -> Runtime:
    """Wire the platform for ``settings``; migrate the schema first unless told not to.

    The outbox relay delivers ledger events to ``subscribers`` after each commit; with
    ``start_relay=False`` a test drives it by calling ``runtime.relay.relay_once()``. The
    background workers (payments deadlines) likewise run only with ``start_workers``; a test
    calls ``worker.run_once()``.
    """
    if migrate:
        upgrade(settings.database_url)
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    store = open_ledger_store(settings.database_url)
    writer = GroupCommitWriter(
        store,
        clock,
        batch_max=settings.ledger_batch_max,
        batch_window_s=settings.ledger_batch_window_ms / 1000,
        expiry_interval_s=settings.expiry_interval_ms / 1000,
    )
    writer.start()
    batches = Expansion(batch_events, BATCH_EVENT_TOPICS)
    relay = OutboxRelay(engine, subscribers, expanders={BATCH_SEALED: batches}, clock=clock)
    reader = SqlLedgerReader(engine)
    cashier = settings.public_url.rstrip("/") + "/cashier"
    risk = build_risk(settings, engine, clock) if settings.risk_enabled else None
    codes = CodeInbox(clock)
    payments = build_payments(
        engine,
        writer,
        reader,
        clock,
        PaymentsConfig(cashier_base_url=cashier),
        risk=risk.service if risk else None,
        codes=codes,
    )
    interval = settings.worker_interval_ms / 1000
    partners = build_partners(settings, engine, relay, payments, clock)
    workers = [
        Periodic("payments-due", payments.process_due, interval),
        Periodic("webhooks", partners.worker.run_once, interval),
        Periodic("alipay-notify", partners.alipay.deliver_due, interval),
        Periodic(
            "purge-delivered",
            lambda: purge_delivered(engine, clock, settings.outbox_retention_days * DAY_NS),
            PURGE_EVERY_S,
        ),
    ]
    if risk is not None:
        relay.subscribe(ReviewOutcomes(payments))
        relay.subscribe(AmlFeed(risk.monitor, risk.cases))
        workers.extend(_risk_workers(risk, clock))
    if start_relay:
        relay.start()
    runtime = Runtime(
        settings, engine, store, writer, reader, relay, payments, partners, clock, workers,
        risk=risk, codes=codes,
    )  # fmt: skip
    if start_workers:
        runtime.start_workers()
    return runtime


def _risk_workers(risk: RiskParts, clock: Clock) -> list[Periodic]:
    features = risk.features
    if not isinstance(features, InMemoryFeatureSource):
        return []  # Redis windows expire by themselves
    return [
        Periodic(
            "risk-features-prune", lambda: features.prune(clock.now_ns()), PRUNE_FEATURES_EVERY_S
        )
    ]
