"""The risk engine inside the running platform: ``build_runtime`` screens every wallet payment
with the real engine (features, a rule set staff activated, decisions recorded), review cases
go to the staff queue, their outcome releases or returns the held money through the outbox,
challenges are confirmed on the cashier page, and paid trades feed the AML detectors.

Customer transfers (``/admin/transfers``) go through the same engine and the same cases: a
held transfer is released or returned when its case is resolved and the relay delivers it.

The rule set here is the test's own, activated in the database as staff would: it reacts to
marker amounts only (42.42 review, 43.43 challenge, 44.44 reject for payments; 52.52, 53.53
and 54.54 for transfers), so the cases cannot be confused with what the default rules think of
the test's traffic.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI

from bankstack.entrypoints.api import create_app
from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.entrypoints.risk_wiring import RiskParts
from bankstack.gateway.alipay.commands import PayByCode, Scene, TradeOrder
from bankstack.gateway.alipay.commands import TradeStatus as Alipay
from bankstack.kernel.clock import ManualClock, datetime_to_ns
from bankstack.kernel.ids import new_id
from bankstack.kernel.money import Money
from bankstack.payments import (
    CreateTrade,
    FundWallet,
    RegisterMerchant,
    RiskRejected,
    SendMoney,
    Trade,
    TradeStatus,
    TransferStatus,
)
from bankstack.payments.api import cashier_router
from bankstack.payments.p2p import risk_event_id as transfer_risk_event_id
from bankstack.payments.screening import risk_event_id
from bankstack.platform.settings import load_settings
from bankstack.risk import Outcome
from bankstack.risk.adapters.rulesets_sql import SqlRuleSetRepository
from bankstack.risk.cases.records import CaseStatus

with warnings.catch_warnings():  # starlette prefers httpx2 at import; httpx works
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from collections.abc import Iterator

START = datetime_to_ns(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
TOKEN = "staff-token-for-tests"  # noqa: S105 - a test credential
STAFF = {"Authorization": f"Bearer {TOKEN}"}
REVIEW, CHALLENGE, REJECT = 4242, 4343, 4444
T_REVIEW, T_CHALLENGE, T_REJECT = 5252, 5353, 5454
NEAR_THRESHOLD = 4_600_000  # 46,000.00 CNY: within 90% of the 50,000.00 reporting threshold

RULES = """
name = "{name}"
version = 1
description = "Marker amounts for the wiring tests."

[thresholds]
challenge_at = 300
review_at = 550
reject_at = 800

[[rules]]
id = "R_TEST_REVIEW"
kinds = ["payment"]
when = "amount == 4242"
points = 600
reason = "The review marker amount."

[[rules]]
id = "R_TEST_CHALLENGE"
kinds = ["payment"]
when = "amount == 4343"
points = 300
reason = "The challenge marker amount."

[[rules]]
id = "R_TEST_REJECT"
kinds = ["payment"]
when = "amount == 4444"
points = 900
reason = "The reject marker amount."

[[rules]]
id = "R_TEST_TRANSFER_REVIEW"
kinds = ["transfer"]
when = "amount == 5252"
points = 600
reason = "The transfer review marker amount."

[[rules]]
id = "R_TEST_TRANSFER_CHALLENGE"
kinds = ["transfer"]
when = "amount == 5353"
points = 300
reason = "The transfer challenge marker amount."

[[rules]]
id = "R_TEST_TRANSFER_REJECT"
kinds = ["transfer"]
when = "amount == 5454"
points = 900
reason = "The transfer reject marker amount."
"""


@dataclass
class Bank:
    runtime: Runtime
    clock: ManualClock
    merchant: str
    alice: str
    clients: list[TestClient] = field(default_factory=list)

    @property
    def risk(self) -> RiskParts:
        assert self.runtime.risk is not None
        return self.runtime.risk

    def trade(self, amount: int) -> Trade:
        return self.runtime.payments.create(
            CreateTrade(
                merchant_id=self.merchant,
                out_trade_no=f"o{new_id()}",
                amount=Money(amount, "CNY"),
                subject="Risk wiring",
                timeout_s=7200,
            )
        )

    def wallet(self) -> tuple[int, int]:
        """Alice's (posted, available) balance."""
        balance = self.runtime.payments.wallet_balance(self.alice, "CNY")
        return balance.posted.minor, balance.available.minor

    def till(self) -> int:
        return self.runtime.payments.merchant_balance(self.merchant).posted.minor

    def cashier(self) -> TestClient:
        app = FastAPI()
        codes = self.runtime.codes
        assert codes is not None
        app.include_router(
            cashier_router(
                self.runtime.payments,
                demo_customers=lambda: [(self.alice, "Alice")],
                clock=self.clock,
                demo_codes=codes.latest_code,
            )
        )
        client = TestClient(app, follow_redirects=False)
        self.clients.append(client)
        return client

    def case_of(self, trade: Trade) -> str:
        return self.case_for(risk_event_id(trade.id, self.alice))

    def case_for(self, event: str) -> str:
        queue = self.risk.cases.queue(limit=100).cases
        for case in queue:
            refs = self.risk.cases.get(case.case_id).links
            if any(link.ref.ref_id == event for link in refs):
                return case.case_id
        raise AssertionError(f"no case for {event}")


def relay_all(bank: Bank) -> None:
    """Deliver every pending outbox event (the shared test database may hold many)."""
    while bank.runtime.relay.relay_once():
        pass


@pytest.fixture
def bank(db_url: str) -> Iterator[Bank]:
    tag = f"{new_id():x}"[-10:]
    name = f"wiring-{tag}"
    settings = load_settings(database_url=db_url, risk_ruleset=name, admin_token=TOKEN)
    clock = ManualClock(START)
    runtime = build_runtime(settings, clock=clock, start_relay=False, start_workers=False)
    rules = SqlRuleSetRepository(runtime.engine, clock=clock)
    rules.add(RULES.format(name=name), by="staff-1")
    rules.activate(name, 1, by="staff-1")
    payments = runtime.payments
    payments.setup_currency("CNY")
    merchant = payments.register_merchant(
        RegisterMerchant(
            merchant_id=f"shop-{tag}", name="Shop", currency="CNY", fee_rate=Decimal("0.006")
        )
    )
    alice = f"alice-{tag}"
    payments.open_wallet(alice, "CNY")
    payments.fund_wallet(
        FundWallet(customer_id=alice, amount=Money(20_000_000, "CNY"), reference=f"t{new_id()}")
    )
    made = Bank(runtime, clock, merchant.id, alice)
    try:
        yield made
    finally:
        for client in made.clients:
            client.close()
        runtime.close()


class TestScreening:
    def test_an_ordinary_payment_is_accepted_and_its_decision_recorded(self, bank: Bank):
        trade = bank.trade(8800)
        paid = bank.runtime.payments.pay_with_wallet(trade.id, bank.alice)
        assert paid.status is TradeStatus.SUCCEEDED
        recorded = [
            d.decision for d in bank.risk.decisions.history() if d.event.customer_id == bank.alice
        ]
        assert [(d.event_id, d.outcome) for d in recorded] == [
            (risk_event_id(trade.id, bank.alice), Outcome.ACCEPT)
        ]
        assert recorded[0].ruleset_version.startswith("wiring-")

    def test_a_rejected_payment_moves_no_money(self, bank: Bank):
        trade = bank.trade(REJECT)
        before = bank.wallet()
        with pytest.raises(RiskRejected) as refused:
            bank.runtime.payments.pay_with_wallet(trade.id, bank.alice)
        assert refused.value.details["reasons"] == ["R_TEST_REJECT"]
        assert bank.wallet() == before
        assert bank.runtime.payments.query(trade.id).status is TradeStatus.WAITING


class TestReview:
    def test_review_holds_the_money_until_staff_clear_it(self, bank: Bank):
        trade = bank.trade(REVIEW)
        held = bank.runtime.payments.pay_with_wallet(trade.id, bank.alice)
        assert held.status is TradeStatus.PROCESSING
        assert bank.wallet() == (20_000_000, 20_000_000 - REVIEW)  # held, not yet paid
        case_id = bank.case_of(trade)

        app = create_app(bank.runtime)
        with TestClient(app) as client:
            staff = {"Authorization": f"Bearer {TOKEN}"}
            assert client.get("/risk/cases", headers=staff).status_code == 200
            assert client.get("/risk/cases").status_code == 401
            answer = client.post(
                f"/risk/cases/{case_id}/resolve",
                json={"confirmed": False, "note": "known customer", "staff_id": "staff-1"},
                headers=staff,
            )
        assert answer.status_code == 200, answer.text
        relay_all(bank)

        assert bank.runtime.payments.query(trade.id).status is TradeStatus.SUCCEEDED
        assert bank.wallet() == (20_000_000 - REVIEW, 20_000_000 - REVIEW)
        assert bank.till() > 0

    def test_confirmed_fraud_returns_the_held_money(self, bank: Bank):
        trade = bank.trade(REVIEW)
        bank.runtime.payments.pay_with_wallet(trade.id, bank.alice)
        case_id = bank.case_of(trade)
        bank.risk.cases.resolve(case_id, confirmed=True, actor="staff-1", note="stolen device")
        relay_all(bank)

        assert bank.runtime.payments.query(trade.id).status is TradeStatus.CLOSED
        assert bank.wallet() == (20_000_000, 20_000_000)
        assert bank.till() == 0
        assert bank.risk.cases.get(case_id).case.status is CaseStatus.CONFIRMED


class TestChallengeAtTheCashier:
    def test_the_code_the_demo_phone_shows_pays_the_trade(self, bank: Bank):
        trade = bank.trade(CHALLENGE)
        cashier = bank.cashier()
        form = {"customer_id": bank.alice}
        asked = cashier.post(f"/cashier/{trade.id}/pay", data=form)
        assert asked.status_code == 200, asked.text
        assert "One-time code" in asked.text
        codes = bank.runtime.codes
        assert codes is not None
        sent = codes.latest(bank.alice)
        assert sent is not None
        assert sent.code in asked.text  # the demo's phone

        wrong = "000000" if sent.code != "000000" else "111111"
        refused = cashier.post(f"/cashier/{trade.id}/confirm", data={**form, "code": wrong})
        assert refused.status_code == 422
        assert "One-time code" in refused.text  # asked again
        assert bank.runtime.payments.query(trade.id).status is TradeStatus.WAITING

        confirmed = cashier.post(f"/cashier/{trade.id}/confirm", data={**form, "code": sent.code})
        assert confirmed.status_code == 303, confirmed.text
        assert bank.runtime.payments.query(trade.id).status is TradeStatus.SUCCEEDED


class TestAml:
    def test_structured_payments_raise_an_alert_into_a_case(self, bank: Bank):
        for _ in range(3):
            trade = bank.trade(NEAR_THRESHOLD)
            paid = bank.runtime.payments.pay_with_wallet(trade.id, bank.alice)
            assert paid.status is TradeStatus.SUCCEEDED
            bank.clock.advance(600)
        relay_all(bank)

        alerts = bank.risk.cases.alerts(bank.alice).alerts
        assert [s.alert.detector for s in alerts] == ["structuring"]
        assert alerts[0].case_id is not None
        assert bank.risk.cases.get(alerts[0].case_id).case.subject == bank.alice


class TestAlipay:
    def test_a_challenged_barcode_payment_waits_for_the_buyer(self, bank: Bank):
        alipay = bank.runtime.partners.alipay
        app_id = f"app{new_id():x}"[:32]
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        alipay.apps.register(app_id=app_id, merchant_id=bank.merchant, rsa2_public_key=pem.decode())
        code = bank.runtime.payments.issue_payment_code(bank.alice).code
        order = TradeOrder(
            app_id=app_id,
            merchant_id=bank.merchant,
            out_trade_no=f"o{new_id()}",
            total_amount=Money(CHALLENGE, "CNY"),
            subject="Risk wiring",
        )
        command = PayByCode(order=order, scene=Scene.BAR_CODE, auth_code=code)
        answer = alipay.trades.pay_by_code(command)
        assert answer.status is Alipay.WAIT_BUYER_PAY  # the protocol's 10003
        assert bank.wallet() == (20_000_000, 20_000_000)


class TestTransfers:
    """Customer transfers screened by the real engine, through ``/admin/transfers``."""

    @staticmethod
    def send(client: TestClient, bank: Bank, amount: int, reference: str) -> dict[str, Any]:
        bob = bank.alice.replace("alice-", "bob-")
        bank.runtime.payments.open_wallet(bob, "CNY")
        answer = client.post(
            "/admin/transfers",
            json={"sender": bank.alice, "recipient": bob, "reference": reference, "mode": "live",
                  "amount": {"amount": amount, "currency": "CNY"}, "device_id": "dev-1"},
            headers=STAFF,
        )  # fmt: skip
        body: dict[str, Any] = answer.json()
        body["http_status"] = answer.status_code
        return body

    @staticmethod
    def bob(bank: Bank) -> int:
        wallet = bank.runtime.payments.wallet_balance(bank.alice.replace("alice-", "bob-"), "CNY")
        return wallet.posted.minor

    def test_a_held_transfer_is_released_by_resolving_its_case(self, bank: Bank):
        with TestClient(create_app(bank.runtime)) as client:
            held = self.send(client, bank, T_REVIEW, "t-review")
            assert (held["http_status"], held["status"]) == (202, "held_for_review")
            assert bank.wallet() == (20_000_000, 20_000_000 - T_REVIEW)  # reserved, not moved
            assert self.bob(bank) == 0
            transfer_id = int(held["id"].removeprefix("tfr_"), 16)
            case_id = bank.case_for(transfer_risk_event_id(transfer_id))
            answer = client.post(
                f"/risk/cases/{case_id}/resolve",
                json={"confirmed": False, "note": "known payee", "staff_id": "staff-1"},
                headers=STAFF,
            )
            assert answer.status_code == 200, answer.text
            relay_all(bank)
            done = client.get(f"/admin/transfers/{held['id']}", headers=STAFF).json()
        assert done["status"] == "completed"
        assert bank.wallet() == (20_000_000 - T_REVIEW, 20_000_000 - T_REVIEW)
        assert self.bob(bank) == T_REVIEW

    def test_confirmed_fraud_returns_a_held_transfer(self, bank: Bank):
        with TestClient(create_app(bank.runtime)) as client:
            held = self.send(client, bank, T_REVIEW, "t-fraud")
        transfer_id = int(held["id"].removeprefix("tfr_"), 16)
        case_id = bank.case_for(transfer_risk_event_id(transfer_id))
        bank.risk.cases.resolve(case_id, confirmed=True, actor="staff-1", note="mule account")
        relay_all(bank)
        returned = bank.runtime.payments.get_transfer(transfer_id)
        assert returned.status is TransferStatus.RETURNED
        assert bank.wallet() == (20_000_000, 20_000_000)
        assert self.bob(bank) == 0

    def test_challenge_reject_and_conflict_over_http(self, bank: Bank):
        with TestClient(create_app(bank.runtime)) as client:
            asked = self.send(client, bank, T_CHALLENGE, "t-challenge")
            assert (asked["http_status"], asked["status"]) == (202, "pending_challenge")
            codes = bank.runtime.codes
            assert codes is not None
            sent = codes.latest(bank.alice)
            assert sent is not None
            confirm = f"/admin/transfers/{asked['id']}/confirm"
            wrong = "000000" if sent.code != "000000" else "111111"
            refused = client.post(confirm, json={"code": wrong}, headers=STAFF)
            assert refused.status_code == 400
            assert refused.json()["code"] == "challenge_code_invalid"
            done = client.post(confirm, json={"code": sent.code}, headers=STAFF)
            assert (done.status_code, done.json()["status"]) == (200, "completed")

            rejected = self.send(client, bank, T_REJECT, "t-reject")
            assert (rejected["http_status"], rejected["code"]) == (402, "risk_rejected")
            again = self.send(client, bank, T_CHALLENGE + 1, "t-challenge")
            assert (again["http_status"], again["code"]) == (409, "transfer_reference_conflict")
        assert bank.wallet() == (20_000_000 - T_CHALLENGE,) * 2
        assert self.bob(bank) == T_CHALLENGE

    def test_completed_transfers_feed_the_fan_in_detector(self, bank: Bank):
        payments, mule = bank.runtime.payments, bank.alice.replace("alice-", "mule-")
        payments.open_wallet(mule, "CNY")
        for n in range(10):
            sender = bank.alice.replace("alice-", f"s{n}-")
            payments.open_wallet(sender, "CNY")
            payments.fund_wallet(
                FundWallet(customer_id=sender, amount=Money(90_000, "CNY"), reference=f"f{n}")
            )
            cmd = SendMoney(
                sender=sender, recipient=mule, amount=Money(80_000, "CNY"), reference="to-mule"
            )
            assert payments.send_money(cmd).status is TransferStatus.COMPLETED
            bank.clock.advance(60)
        relay_all(bank)

        alerts = bank.risk.cases.alerts(mule).alerts
        assert [s.alert.detector for s in alerts] == ["fan_in"]
        assert payments.wallet_balance(mule, "CNY").posted.minor == 800_000
