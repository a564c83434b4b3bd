"""The Alipay gateway served for real over the real payments service, driven by both SDKs.

- Each test module gets its own runtime (``build_runtime`` on a SQLite file, every migration
  applied; no relay or worker threads; no risk screening), a CNY merchant, buyers with
  funded wallets, and the gateway from ``build_alipay_gateway`` with the app registered in
  the database. The platform key file is seeded with the session's test platform key, so
  ``keys.platform`` is the key the gateway signs with.
- uvicorn serves ``/gateway.do`` and a ``/notify`` receiver that records each form and
  answers from ``served.receiver_answers`` (then ``success``). ``served.relay()`` hands the
  committed outbox to the gateway's subscriber, as the runtime's relay would.
- The official SDK only speaks to port 80 for ``http://`` URLs (WebUtils ignores the port), so
  the server binds port 80 of a random 127.x.y.z address (two xdist workers, or a developer's
  run next to CI, cannot collide). If port 80 cannot be bound, the official SDK's tests are
  skipped with the reason, except under CI=true, where they fail; the rest run on a free port.
- Both SDKs stamp requests with ``datetime.now()``, and the protocol's timestamps are Beijing
  time: each module runs with ``TZ=CST-8`` (UTC+8 without a zone database), restored after.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import PlainTextResponse

from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.gateway.alipay import AlipayWiring, build_alipay_gateway
from bankstack.gateway.alipay.gateway import AlipayGatewaySettings
from bankstack.kernel.ids import new_id
from bankstack.kernel.money import Money
from bankstack.payments import FundWallet, RegisterMerchant
from bankstack.platform.outbox import OutboxRelay
from bankstack.platform.settings import load_settings
from tests.e2e.alipay.sdks import AliPay, AlipayClientConfig, DefaultAlipayClient
from tests.e2e.alipay.support import APP_ID, MERCHANT_ID, Keys, make_keys, private_pem, public_pem

BUYER = "2088000000000101"
POOR_BUYER = "2088000000000102"
PUBLIC_URL = "http://pay.bankstack.test"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


@dataclass
class Served:
    host: str
    port: int
    port80_problem: str | None
    keys: Keys
    runtime: Runtime
    wiring: AlipayWiring
    relayer: OutboxRelay
    received: list[dict[str, str]] = field(default_factory=list)
    receiver_answers: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}" if self.port == 80 else f"http://{self.host}:{self.port}"

    def code(self, buyer: str = BUYER) -> str:
        """A fresh payment code of ``buyer``, as the wallet app shows it."""
        return self.runtime.payments.issue_payment_code(buyer).code

    def scan(self, trade_no: str, buyer: str = BUYER) -> None:
        """The buyer pays a precreated or created trade at the cashier, from the wallet."""
        self.runtime.payments.pay_with_wallet(int(trade_no), buyer)

    def relay(self) -> int:
        """Hand every committed outbox record to the gateway's subscriber."""
        total = 0
        while (published := self.relayer.relay_once()) > 0:
            total += published
        return total


def _business(runtime: Runtime) -> None:
    payments = runtime.payments
    payments.setup_currency("CNY")
    payments.register_merchant(
        RegisterMerchant(
            merchant_id=MERCHANT_ID, name="Coffee shop", currency="CNY", fee_rate=Decimal("0.006")
        )
    )
    for buyer, funds in ((BUYER, "1000000.00"), (POOR_BUYER, "1.00")):
        payments.open_wallet(buyer, "CNY")
        payments.fund_wallet(
            FundWallet(customer_id=buyer, amount=cny(funds), reference=f"top{new_id()}")
        )


def _wiring(runtime: Runtime, keys: Keys, key_path: Path) -> AlipayWiring:
    key_path.write_text(private_pem(keys.platform), encoding="ascii")
    key_path.chmod(0o600)
    wiring = build_alipay_gateway(
        runtime.engine,
        runtime.payments,
        runtime.clock,
        key_path=key_path,
        legacy_key_path=key_path,
        http=httpx.Client(trust_env=False),
        # The tests' notify_url receivers listen on loopback.
        settings=AlipayGatewaySettings(allow_private_destinations=True),
    )
    app_key = public_pem(keys.app)
    wiring.apps.register(
        app_id=APP_ID, merchant_id=MERCHANT_ID, rsa2_public_key=app_key, rsa_public_key=app_key
    )
    return wiring


# Module scope, not package: tests/ has no __init__.py files, so a "package" fixture here
# would live until the end of the session and leak TZ and the server into other tests.
@pytest.fixture(scope="module", autouse=True)
def beijing_time() -> Iterator[None]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "CST-8"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.fixture(scope="session")
def keys() -> Keys:
    return make_keys()


def _bind_port_80() -> tuple[socket.socket | None, str | None]:
    rng = random.Random()
    problem = "no address tried"
    for _ in range(20):
        host = f"127.{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((host, 80))
        except PermissionError as exc:
            sock.close()
            return None, f"binding port 80 is not permitted here ({exc})"
        except OSError as exc:  # taken, or the address is not local
            sock.close()
            problem = f"port 80 of {host}: {exc}"
            continue
        return sock, None
    return None, f"no loopback address with a free port 80 in 20 tries; last: {problem}"


def _app(served_state: dict[str, Served], wiring: AlipayWiring) -> FastAPI:
    app = FastAPI()
    app.include_router(wiring.router)

    @app.post("/notify")
    async def notify(request: Request) -> PlainTextResponse:
        served: Served = served_state["served"]
        form = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        served.received.append(form)
        answer = served.receiver_answers.pop(0) if served.receiver_answers else "success"
        return PlainTextResponse(answer)

    return app


@pytest.fixture(scope="module")
def bank_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    directory = tmp_path_factory.mktemp("alipay-e2e")
    # One buyer makes dozens of small payments within a minute here, the pattern the default
    # rules challenge as card testing: these tests are about the protocol, so risk screening is
    # off; test_risk_wiring.py covers the gateway's answer to a challenged payment.
    settings = load_settings(
        database_url=f"sqlite:///{directory / 'bankstack.db'}",
        public_url=PUBLIC_URL,
        risk_enabled=False,
        allow_private_destinations=True,  # notify_url receivers listen on loopback
    )
    made = build_runtime(settings, start_relay=False, start_workers=False)
    try:
        _business(made)
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def served(
    keys: Keys, bank_runtime: Runtime, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    runtime = bank_runtime
    sock, problem = _bind_port_80()
    if sock is None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()[:2]
    wiring = _wiring(runtime, keys, tmp_path_factory.mktemp("alipay-key") / "platform.pem")
    relayer = OutboxRelay(runtime.engine, [wiring.subscriber], clock=runtime.clock)
    state: dict[str, Served] = {}
    served = Served(host, port, problem, keys, runtime, wiring, relayer)
    state["served"] = served
    config = uvicorn.Config(
        _app(state, wiring),
        log_config=None,
        access_log=False,
        lifespan="off",
        ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        sock.close()
        wiring.http.close()
        pytest.fail("the test server did not start", pytrace=False)
    try:
        yield served
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
        wiring.http.close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib (the community SDK) honours *_proxy variables; the server is local.
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def official_for(served: Served):
    """A factory of official SDK clients; skips (or fails under CI) without port 80."""
    if served.port != 80:
        reason = f"the official SDK only connects to port 80: {served.port80_problem}"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)

    def make(*, key=None, charset: str = "utf-8", sign_type: str = "RSA2", app_id: str = APP_ID):
        config = AlipayClientConfig()
        config.server_url = f"{served.base_url}/gateway.do"
        config.app_id = app_id
        config.app_private_key = private_pem(key or served.keys.app)
        config.alipay_public_key = served.wiring.platform_public_pem
        config.charset = charset
        config.sign_type = sign_type
        config.timeout = 10
        return DefaultAlipayClient(config)

    return make


@pytest.fixture
def official(official_for) -> DefaultAlipayClient:
    return official_for()


@pytest.fixture
def community_for(served: Served):
    def make(*, key=None, sign_type: str = "RSA2", app_id: str = APP_ID) -> AliPay:
        client = AliPay(
            appid=app_id,
            app_notify_url=None,
            app_private_key_string=private_pem(key or served.keys.app),
            alipay_public_key_string=served.wiring.platform_public_pem,
            sign_type=sign_type,
        )
        client._gateway = f"{served.base_url}/gateway.do"
        return client

    return make


@pytest.fixture
def community(community_for) -> AliPay:
    return community_for()
