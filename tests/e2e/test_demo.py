"""``bankstack demo`` with partner apps: seeding, the webhook receiver, and a real run.

The run test starts the demo on SQLite for a few seconds and checks, from its output and from
the database, that the partner apps paid trades, refunded some and traded in escrow through
``/v1``, that the webhooks came back verified, that the journal still verifies, and that a
second run seeds nothing new. Its risk summary shows ordinary customers passing screening
untouched (the fraud scenarios themselves are tested in process: test_demo_fraud.py).
"""

from __future__ import annotations

import json
import re
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from bankstack.entrypoints.bootstrap import build_runtime
from bankstack.entrypoints.cli import app
from bankstack.entrypoints.demo_customers import ORDINARY, ROSTER
from bankstack.entrypoints.demo_partners import MERCHANTS, seed_partners
from bankstack.entrypoints.demo_webhooks import WebhookReceiver, receiver_url
from bankstack.gateway.domain.apps import KeyStatus
from bankstack.platform.settings import load_settings
from bankstack_sdk import generate_hmac_secret, sign_webhook
from tests.e2e.test_cli import count, free_port

runner = CliRunner()
SUMMARY = re.compile(
    r"partners: ([\d,]+) trades paid, ([\d,]+) refunds, ([\d,]+) escrows held, "
    r"([\d,]+) webhooks received, ([\d,]+) verified, ([\d,]+) failed calls"
)
ORDINARY_RISK = re.compile(
    r"ordinary ([\d,]+) \(accepted ([\d,]+), challenged ([\d,]+), rejected ([\d,]+), "
    r"held ([\d,]+)"
)
WEBHOOKS_REJECTED = re.compile(r"verified [\d,]+ \(rejected")
SEEDED = "SELECT COUNT(*) FROM {}"
TABLES = (
    "payments_merchants",
    "payments_wallets",
    "gateway_apps",
    "gateway_app_keys",
    "gateway_webhook_endpoints",
)


def test_help_documents_the_partner_options():
    result = runner.invoke(app, ["demo", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--partners", "--no-partners", "--trade-rate"):
        assert option in result.output


class TestWebhookReceiver:
    def setup_method(self) -> None:
        self.platform = Ed25519PrivateKey.generate()
        self.secret = generate_hmac_secret()
        self.receiver = WebhookReceiver(self.platform.public_key())
        self.receiver.register("app_1", self.secret)
        self.body = json.dumps({"id": "evt_1", "type": "trade.succeeded"}).encode()

    def signed(
        self,
        *,
        secret: str | None = None,
        key: Ed25519PrivateKey | None = None,
        at: int | None = None,
    ) -> dict[str, str]:
        return sign_webhook(
            "msg_1",
            at or int(time.time()),
            self.body,
            hmac_secret=secret or self.secret,
            signing_key=key or self.platform,
        )

    def test_a_delivery_is_verified_once_and_its_repeat_is_a_duplicate(self):
        assert self.receiver.receive("app_1", self.signed(), self.body) == 204
        assert self.receiver.receive("app_1", self.signed(), self.body) == 204
        counts = self.receiver.counts()
        assert (counts.received, counts.verified, counts.duplicates, counts.rejected) == (
            2,
            1,
            1,
            0,
        )
        assert counts.types == {"trade.succeeded": 1}

    @pytest.mark.parametrize("wrong", ["hmac", "ed25519", "stale", "body"])
    def test_a_delivery_failing_either_signature_is_rejected(self, wrong):
        headers, body = self.signed(), self.body
        if wrong == "hmac":
            headers = self.signed(secret=generate_hmac_secret())
        elif wrong == "ed25519":
            headers = self.signed(key=Ed25519PrivateKey.generate())
        elif wrong == "stale":
            headers = self.signed(at=int(time.time()) - 3600)
        else:
            body = self.body.replace(b"succeeded", b"closed")
        assert self.receiver.receive("app_1", headers, body) == 400
        counts = self.receiver.counts()
        assert (counts.received, counts.verified, counts.rejected) == (1, 0, 1)

    def test_an_unknown_app_is_gone(self):
        assert self.receiver.receive("app_2", self.signed(), self.body) == 410
        assert self.receiver.counts().received == 0


def test_seeding_again_creates_nothing_and_repairs_a_lost_key_or_a_new_port(sqlite_url, tmp_path):
    settings = load_settings(
        database_url=sqlite_url, key_dir=str(tmp_path / "keys"), allow_private_destinations=True
    )
    runtime = build_runtime(settings, start_relay=False, start_workers=False)
    try:
        first = seed_partners(runtime, base_url="http://127.0.0.1:8000")
        wallets = len(ROSTER)
        assert (
            first.describe() == f"8 merchants, {wallets} wallets, 8 apps, 8 keys, 8 endpoints new"
        )
        second = seed_partners(runtime, base_url="http://127.0.0.1:8000")
        assert second.describe() == "0 merchants, 0 wallets, 0 apps, 0 keys, 0 endpoints new"
        assert [a.app_id for a in second.apps] == [a.app_id for a in first.apps]
        assert [a.key.key_id for a in second.apps] == [a.key.key_id for a in first.apps]
        balance = runtime.payments.wallet_balance(f"test.{ORDINARY[0].id}", "CNY")
        assert balance.posted.minor == 20_000_00  # funded once, not twice

        lost = first.apps[0]
        lost.key_file.unlink()
        third = seed_partners(runtime, base_url="http://127.0.0.1:9000")
        assert third.describe() == "0 merchants, 0 wallets, 0 apps, 1 keys, 8 endpoints new"
        keys = runtime.partners.apps.keys(lost.app_id)
        active = [k.kid for k in keys if k.status is KeyStatus.ACTIVE]
        assert active == [third.apps[0].key.key_id] != [lost.key.key_id]
        endpoints = runtime.partners.apps.webhook_endpoints(lost.app_id)
        enabled = [e.url for e in endpoints if e.enabled]
        assert enabled == [receiver_url("http://127.0.0.1:9000", lost.app_id)]
    finally:
        runtime.close()


@pytest.mark.slow
def test_demo_partners_pay_refund_and_trade_in_escrow_through_the_api(
    sqlite_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("BANKSTACK_KEY_DIR", str(tmp_path / "keys"))
    # The same port both times: on another one, the webhook endpoints would move to it.
    demo = ["demo", "--database-url", sqlite_url, "--tps", "20", "--port", str(free_port())]
    result = runner.invoke(app, [*demo, "--duration", "9", "--trade-rate", "6"])
    assert result.exit_code == 0, result.output
    output = result.output
    for where in ("/docs", "/.well-known/jwks.json", "/cashier/", "/admin/wallets"):
        assert where in output
    assert "BankstackClient(" in output
    summary = SUMMARY.search(output)
    assert summary is not None, output
    paid, refunds, escrows, received, verified, failed = (
        int(n.replace(",", "")) for n in summary.groups()
    )
    assert paid > 0
    assert refunds > 0
    assert escrows > 0
    assert verified > 0
    assert received >= verified
    assert failed == 0, output
    assert WEBHOOKS_REJECTED.search(output) is None, output
    ordinary = ORDINARY_RISK.search(output)
    assert ordinary is not None, output
    answered, accepted, *stopped = (int(n.replace(",", "")) for n in ordinary.groups())
    assert answered == accepted > 0
    assert stopped == [0, 0, 0]  # ordinary customers pay too rarely for any velocity rule
    for where in ("/risk/cases", "/risk/alerts?subject="):
        assert where in output

    assert count(sqlite_url, "SELECT COUNT(*) FROM payments_trades WHERE status = 'succeeded'")
    assert count(sqlite_url, "SELECT COUNT(*) FROM payments_refunds WHERE status = 'succeeded'")
    assert count(sqlite_url, "SELECT COUNT(*) FROM payments_trades WHERE escrow_status IS NOT NULL")
    delivered = "SELECT COUNT(*) FROM gateway_webhook_deliveries WHERE status = 'succeeded'"
    assert count(sqlite_url, delivered) > 0
    verify = runner.invoke(app, ["ledger", "verify", "--database-url", sqlite_url])
    assert verify.exit_code == 0, verify.output

    before = {table: count(sqlite_url, SEEDED.format(table)) for table in TABLES}
    assert before["gateway_apps"] == len(MERCHANTS)
    again = runner.invoke(app, [*demo, "--duration", "1"])
    assert again.exit_code == 0, again.output
    flat = " ".join(again.output.replace("│", " ").split())
    assert "0 merchants, 0 wallets, 0 apps, 0 keys, 0 endpoints new" in flat
    assert "0 accounts and 0 deposits new" in flat
    assert {table: count(sqlite_url, SEEDED.format(table)) for table in TABLES} == before
