"""Fixtures for the Alipay gateway over the real payments service, on both storage tiers.

``world`` builds the runtime (every migration applied; no relay or worker threads) on a
manual clock that starts at the real time (request timestamps must be near it), wires the
gateway with ``build_alipay_gateway`` and calls ``/gateway.do`` in process
(``AlipayGateway.handle``), signing requests with the official SDK's helpers. Ids of
merchants, customers and apps carry a per-test tag: the PostgreSQL database is shared by the
session. ``world.relay()`` hands the outbox records written since the world was made to the
gateway's subscriber, as the relay would (without marking them published: other tests'
records stay untouched). Tests that scan whole tables use ``isolated_url``, a database of
their own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from sqlalchemy import text

from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.gateway.alipay import AlipayGateway, AlipayWiring, build_alipay_gateway
from bankstack.gateway.alipay.envelope import response_key
from bankstack.kernel.clock import ManualClock
from bankstack.kernel.events import Event
from bankstack.kernel.ids import new_id
from bankstack.kernel.money import Money
from bankstack.payments import FundWallet, Merchant, PaymentsService, RegisterMerchant, TradeRef
from bankstack.platform.settings import load_settings
from tests.e2e.alipay.support import (
    Keys,
    encode,
    make_keys,
    private_pem,
    public_params,
    public_pem,
    signed,
)

PUBLIC_URL = "http://pay.bankstack.test"


def cny(text_amount: str) -> Money:
    return Money.parse(text_amount, "CNY")


@dataclass
class World:
    runtime: Runtime
    wiring: AlipayWiring
    clock: ManualClock
    keys: Keys
    gateway: AlipayGateway
    watermark: int = 0
    tag: str = field(default_factory=lambda: f"{new_id():x}"[-10:])

    @property
    def payments(self) -> PaymentsService:
        return self.runtime.payments

    def name(self, base: str) -> str:
        return f"{base}-{self.tag}"

    def merchant(self, base: str = "shop", *, currency: str = "CNY") -> Merchant:
        return self.payments.register_merchant(
            RegisterMerchant(
                merchant_id=self.name(base),
                name=f"Merchant {base}",
                currency=currency,
                fee_rate=Decimal("0.006"),
            )
        )

    def customer(self, base: str = "alice", funds: str = "1000.00") -> str:
        customer_id = self.name(base)
        self.payments.open_wallet(customer_id, "CNY")
        self.payments.fund_wallet(
            FundWallet(customer_id=customer_id, amount=cny(funds), reference=f"t{new_id()}")
        )
        return customer_id

    def app(self, merchant: Merchant, base: str = "app", **register: Any) -> str:
        app_id = f"{base}{self.tag}"
        key = public_pem(self.keys.app)
        self.wiring.apps.register(
            app_id=app_id, merchant_id=merchant.id, rsa2_public_key=key, **register
        )
        return app_id

    def call(
        self,
        app_id: str,
        method: str,
        biz: dict[str, Any],
        *,
        key: RSAPrivateKey | None = None,
        notify_url: str | None = None,
        sign_type: str = "RSA2",
    ) -> dict[str, Any]:
        """One signed request through the gateway; the ``_response`` object of the answer."""
        params = public_params(method, self.clock.now_ns(), app_id=app_id, sign_type=sign_type)
        if notify_url is not None:
            params["notify_url"] = notify_url
        request = signed(params, key or self.keys.app, biz)
        reply = self.gateway.handle(encode(request), b"", None)
        answer: dict[str, Any] = json.loads(reply.body)[response_key(method)]
        return answer

    def trade(self, merchant: Merchant, out_trade_no: str):
        return self.payments.query(TradeRef.by_out_trade_no(merchant.id, out_trade_no))

    def balance(self, customer_id: str) -> int:
        return self.payments.wallet_balance(customer_id, "CNY").posted.minor

    def relay(self) -> int:
        """Deliver the outbox records written since the last call to the subscriber."""
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, topic, key, payload, occurred_at FROM outbox"
                    " WHERE id > :after ORDER BY id"
                ),
                {"after": self.watermark},
            ).all()
        events = [Event(f"{r[1]}/{r[0]}", r[1], r[2], r[3], r[4]) for r in rows]
        if rows:
            self.watermark = int(rows[-1][0])
        self.wiring.subscriber.handle(events)
        return len(events)

    def notifications(self, app_id: str) -> list[dict[str, str]]:
        """The stored forms of the app's notifications, oldest first."""
        return [dict(s.notification.form) for s in self.wiring.notifications.of_app(app_id)]


def outbox_high_water(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM outbox")).scalar_one())


def make_world(url: str, keys: Keys, key_dir: Path, *, http: httpx.Client) -> World:
    clock = ManualClock(time.time_ns())
    settings = load_settings(database_url=url, public_url=PUBLIC_URL)
    runtime = build_runtime(settings, clock=clock, start_relay=False, start_workers=False)
    runtime.payments.setup_currency("CNY")
    key_path = key_dir / "platform.pem"
    key_path.write_text(private_pem(keys.platform), encoding="ascii")
    key_path.chmod(0o600)
    wiring = build_alipay_gateway(
        runtime.engine, runtime.payments, clock, key_path=key_path, http=http
    )
    gateway = AlipayGateway(
        trades=wiring.trades, apps=wiring.app_directory, keys=wiring.keys, clock=clock
    )
    return World(runtime, wiring, clock, keys, gateway, outbox_high_water(runtime))


@pytest.fixture(scope="session")
def keys() -> Keys:
    return make_keys()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A client that reaches no network: every notification POST is acknowledged."""
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, text="success"))
    with httpx.Client(transport=transport) as client:
        yield client


@pytest.fixture
def world(db_url: str, keys: Keys, tmp_path: Path, http: httpx.Client) -> Iterator[World]:
    made = make_world(db_url, keys, tmp_path, http=http)
    try:
        yield made
    finally:
        made.runtime.close()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def isolated_url(request: pytest.FixtureRequest) -> str:
    """A database of the test's own, not yet migrated."""
    name = "fresh_pg_url" if request.param == "postgres" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def isolated_world(
    isolated_url: str, keys: Keys, tmp_path: Path, http: httpx.Client
) -> Iterator[World]:
    made = make_world(isolated_url, keys, tmp_path, http=http)
    try:
        yield made
    finally:
        made.runtime.close()
