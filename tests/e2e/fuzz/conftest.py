"""Fixtures for fuzzing the partner API from its own OpenAPI document (schemathesis).

- ``bank`` (module scope): the app over a runtime on SQLite, a merchant, a test-mode app with
  an Ed25519 key and funded customers, set up as in tests/e2e/partners/conftest.py. One per
  test module (per xdist worker), shared by every operation's test: the fuzz run is about the
  HTTP layer, and the app keeping state between operations is what a partner sees too.
- ``world`` (module scope): real objects for the generator to aim at (trades in each state, a
  refund, events, payment codes), so requests get past "not found" into the deeper paths.
- ``signed_session``: a ``requests`` session whose auth signs every request like a partner
  (``PartnerSignature``); schemathesis's ASGI transport takes the session's auth and sends the
  request through the app in-process.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from fastapi.testclient import TestClient
from pydantic import SecretStr
from schemathesis.python.asgi import shutdown_lifespans

from bankstack.entrypoints.api import create_app
from bankstack.entrypoints.bootstrap import build_runtime
from bankstack.kernel.ids import new_id
from bankstack.platform.settings import load_settings
from bankstack_sdk.signing import SigningKey, sign_request
from tests.e2e.partners.conftest import ADMIN, BASE, CUSTOMERS, DEPOSIT, Bank


class PartnerSignature(requests.auth.AuthBase):
    """Signs each request as it goes on the wire, as a partner's client would.

    ``requests`` runs the auth after it has encoded the URL and serialised the body, so the
    RFC 9421 signature covers exactly the bytes the app receives. Every call (a re-sent case
    too) gets a fresh nonce, and every POST a fresh ``Idempotency-Key``, which the signature
    covers.
    """

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        method = request.method or "GET"
        if method == "POST":
            request.headers["Idempotency-Key"] = f'"{uuid.uuid4()}"'
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        if not isinstance(body, bytes):
            raise TypeError("a streamed body cannot be signed")
        headers = text_headers(request)
        request.headers.update(sign_request(method, request.url or "", headers, body, self.key))
        return request


def text_headers(request: requests.PreparedRequest) -> dict[str, str]:
    return {
        name: value if isinstance(value, str) else value.decode("latin-1")
        for name, value in request.headers.items()
    }


# One tier, as a parameter: pytest 9.2 names a schemathesis test item after its callspec, so
# without one every operation's item would get the same node id (and xdist, -k, reports would
# mix them up); with it they read test_...[POST /v1/trades][sqlite].
@pytest.fixture(scope="module", params=["sqlite"])
def bank(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Bank]:
    assert request.param == "sqlite"
    tmp = tmp_path_factory.mktemp("fuzz")
    settings = load_settings(
        database_url=f"sqlite:///{tmp / 'bankstack.db'}",
        admin_token=SecretStr(ADMIN),
        key_dir=str(tmp / "keys"),
    )
    runtime = build_runtime(settings, start_relay=False, start_workers=False)
    runtime.payments.setup_currency("CNY")
    http = TestClient(create_app(runtime), base_url=BASE)
    merchant = f"m{new_id() % 10**12}"
    made = Bank(runtime, http, merchant, "", SigningKey.generate("pending"))
    made.admin("/admin/merchants", {"merchant_id": merchant, "name": "Noodle Bar"})
    app = made.admin("/admin/apps", {"merchant_id": merchant, "mode": "test"})
    raw = made.key.private_key.public_key().public_bytes_raw()
    key = made.admin(
        f"/admin/apps/{app['id']}/keys",
        {"public_key": base64.urlsafe_b64encode(raw).decode().rstrip("=")},
    )
    made.app_id = str(app["id"])
    made.key = SigningKey(str(key["kid"]), made.key.private_key)
    for customer in CUSTOMERS:
        made.admin(
            "/admin/wallets",
            {
                "customer_id": f"{customer}-{merchant}",
                "deposit": {"amount": DEPOSIT, "currency": "CNY"},
            },
        )
    try:
        yield made
    finally:
        shutdown_lifespans()  # schemathesis keeps every app it served alive until told
        http.close()
        runtime.close()


@dataclass
class World:
    """Real ids to aim generated requests at."""

    merchant_id: str
    app_id: str
    customers: list[str]  # as a partner names them (test mode adds the scope)
    trades: dict[str, str] = field(default_factory=dict)  # state -> trade id
    out_trade_nos: list[str] = field(default_factory=list)
    refund: tuple[str, str] = ("", "")  # (trade id, out_refund_no)
    events: list[str] = field(default_factory=list)
    payment_codes: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def world(bank: Bank) -> World:
    client = bank.partner()
    made = World(bank.merchant_id, bank.app_id, [f"{c}-{bank.merchant_id}" for c in CUSTOMERS])

    def trade(state: str, **extra: object) -> str:
        out_trade_no = f"F{new_id() % 10**12}"
        created = client.post(
            "/v1/trades",
            {
                "out_trade_no": out_trade_no,
                "amount": {"amount": 1000, "currency": "CNY"},
                "subject": f"fuzz {state}",
                **extra,
            },
        ).data
        made.trades[state] = str(created["id"])
        made.out_trade_nos.append(out_trade_no)
        return made.trades[state]

    alice, bob, carol = made.customers
    escrow = {"escrow": {"deadline_s": 86400, "on_deadline": "refund"}}
    trade("created")
    client.post(f"/v1/trades/{trade('closed')}/close", {})
    client.post(f"/v1/trades/{trade('paid')}/pay", {"customer_id": alice})
    refunded = trade("refunded")
    client.post(f"/v1/trades/{refunded}/pay", {"customer_id": bob})
    client.post(
        f"/v1/trades/{refunded}/refunds",
        {"out_refund_no": "R1", "amount": {"amount": 300, "currency": "CNY"}},
    )
    made.refund = (refunded, "R1")
    client.post(f"/v1/trades/{trade('escrow_held', **escrow)}/pay", {"customer_id": carol})
    disputed = trade("escrow_disputed", **escrow)
    client.post(f"/v1/trades/{disputed}/pay", {"customer_id": alice})
    client.post(f"/v1/trades/{disputed}/escrow/dispute", {"reason": "never arrived"})
    while bank.runtime.relay.relay_once():
        pass
    made.events = [str(event["id"]) for event in client.get("/v1/events").data["data"]]
    for customer in made.customers:
        issued = bank.admin(f"/admin/wallets/{customer}/payment_codes", {})
        made.payment_codes.append(str(issued["code"]))
    return made


@pytest.fixture(scope="module")
def signed_session(bank: Bank) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = PartnerSignature(bank.key)
        yield session


@pytest.fixture(scope="module")
def unsigned_session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
