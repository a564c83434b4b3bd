"""Webhooks from real payments, concurrent refunds, escrow, and money conservation."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook

from bankstack.kernel.ids import new_id
from bankstack_sdk.errors import ApiError
from bankstack_sdk.webhooks import verify_webhook
from tests.e2e.partners.conftest import Bank


class Receiver:
    """A partner's webhook endpoint on loopback: records each delivery, answers 204."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.shutdown()
    made.server.server_close()


def _pay_a_trade(bank: Bank, amount: int, payer: str = "alice") -> str:
    client = bank.partner()
    trade = client.post(
        "/v1/trades",
        {
            "out_trade_no": f"W{new_id() % 10**12}",
            "amount": {"amount": amount, "currency": "CNY"},
            "subject": "rice",
        },
    ).data
    client.post(f"/v1/trades/{trade['id']}/pay", {"customer_id": f"{payer}-{bank.merchant_id}"})
    return str(trade["id"])


def _deliver(bank: Bank) -> None:
    while bank.runtime.relay.relay_once():
        pass
    bank.runtime.partners.worker.run_once()


def test_webhooks_verify_with_standardwebhooks_and_with_the_sdk(
    bank: Bank, receiver: Receiver
) -> None:
    endpoint = (
        bank.partner()
        .post("/v1/webhook_endpoints", {"url": receiver.url, "event_types": ["trade.*"]})
        .data
    )
    trade_id = _pay_a_trade(bank, 1200)
    _deliver(bank)
    types = [json.loads(body)["type"] for _, body in receiver.deliveries]
    assert "trade.succeeded" in types
    platform = bank.runtime.partners.platform_key.private_key.public_key()
    for headers, body in receiver.deliveries:
        Webhook(endpoint["secret"]).verify(body, headers)  # v1, the reference library
        verify_webhook(headers, body, public_key=platform)  # v1a, Ed25519
    succeeded = next(json.loads(b) for _, b in receiver.deliveries if b"trade.succeeded" in b)
    assert succeeded["data"]["object"]["id"] == trade_id
    assert succeeded["data"]["object"]["amount"] == {"amount": 1200, "currency": "CNY"}
    events = bank.partner().get("/v1/events").data
    assert {e["type"] for e in events["data"]} >= {"trade.created", "trade.succeeded"}


def test_concurrent_refunds_never_exceed_what_was_paid(bank: Bank) -> None:
    trade_id = _pay_a_trade(bank, 1000)
    outcomes: list[str] = []

    def refund(n: int) -> None:
        try:
            bank.partner().post(
                f"/v1/trades/{trade_id}/refunds",
                {"out_refund_no": f"C{n}", "amount": {"amount": 300, "currency": "CNY"}},
            )
            outcomes.append("ok")
        except ApiError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=refund, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 3
    assert set(outcomes) - {"ok"} <= {"refund_exceeds_paid", "refund_in_progress"}
    trade = bank.partner().get(f"/v1/trades/{trade_id}").data
    assert trade["refunded"]["amount"] == 900


def test_escrow_is_held_then_released_to_the_seller(bank: Bank) -> None:
    client = bank.partner()
    trade = client.post(
        "/v1/trades",
        {
            "out_trade_no": f"E{new_id() % 10**12}",
            "amount": {"amount": 8000, "currency": "CNY"},
            "subject": "used bike",
            "escrow": {"deadline_s": 86400, "on_deadline": "refund"},
        },
    ).data
    buyer = f"bob-{bank.merchant_id}"
    held = client.post(f"/v1/trades/{trade['id']}/pay", {"customer_id": buyer}).data
    assert held["escrow"]["status"] == "held"
    released = client.post(f"/v1/trades/{trade['id']}/escrow/release", {"customer_id": buyer})
    assert released.data["escrow"]["status"] == "released"


def test_money_is_conserved_across_every_flow(bank: Bank) -> None:
    before = _balances(bank)
    kept = _pay_a_trade(bank, 700)
    refunded = _pay_a_trade(bank, 900, payer="bob")
    bank.partner().post(
        f"/v1/trades/{refunded}/refunds",
        {"out_refund_no": "M1", "amount": {"amount": 900, "currency": "CNY"}},
    )
    cancelled = _pay_a_trade(bank, 400, payer="carol")
    bank.partner().post(f"/v1/trades/{cancelled}/cancel", {})
    after = _balances(bank)
    fee = bank.partner().get(f"/v1/trades/{kept}").data["fee"]["amount"]
    assert after["alice"] == before["alice"] - 700
    assert after["bob"] == before["bob"]  # refunded in full
    assert after["carol"] == before["carol"]  # cancelled: refunded
    assert after["merchant"] == before["merchant"] + 700 - fee
    assert sum(after.values()) + fee == sum(before.values())  # the fee went to the platform
    # Debits equal credits, posted and pending, in every ledger of the (shared) database.
    imbalance = _ledger_imbalance(bank)
    assert 1 in imbalance
    assert all(net == (0, 0) for net in imbalance.values()), imbalance


def _balances(bank: Bank) -> dict[str, int]:
    payments = bank.runtime.payments
    found = {
        name: payments.wallet_balance(f"test.{name}-{bank.merchant_id}", "CNY").posted.minor
        for name in ("alice", "bob", "carol")
    }
    found["merchant"] = payments.merchant_balance(f"test.{bank.merchant_id}").posted.minor
    return found


def _ledger_imbalance(bank: Bank) -> dict[int, tuple[int, int]]:
    from sqlalchemy import text  # noqa: PLC0415 - only here

    with bank.runtime.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ledger, SUM(debits_posted) - SUM(credits_posted),"
                " SUM(debits_pending) - SUM(credits_pending) FROM ledger_accounts GROUP BY ledger"
            )
        ).all()
    return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}
