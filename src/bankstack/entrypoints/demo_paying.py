"""Paying a trade from a wallet in the demo, with what risk screening may answer.

``POST /v1/trades/{id}/pay`` (test mode) is screened by the risk engine before money moves:

- accepted: the trade is paid (``succeeded``);
- held: risk wants a person to look; the money is held and the trade is ``processing`` until
  staff decide the case (``demo_reviewer``);
- challenged (402 ``challenge_required``): a one-time code went to the customer's phone. A
  customer who holds the phone reads it (``Partner.phone``, the demo's in-memory inbox),
  confirms (``POST /v1/trades/{id}/confirm``) and pays again; Mallory, paying with someone
  else's account or card, cannot, and walks away;
- rejected (402 ``risk_rejected``): nothing moves.

Each first answer is counted as ``risk <kind> <outcome>`` (kind from ``demo_customers``), and
a code answered as ``risk <kind> confirmed``, for the status line. A dry wallet is topped up
through ``/admin`` and the payment tried again.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, Protocol

from bankstack.entrypoints.demo_customers import DemoCustomer, Kind
from bankstack.entrypoints.demo_partners import CURRENCY, PartnerApp
from bankstack_sdk import ApiError, BankstackClient

TOP_UP_FEN: Final = 10_000_00
RISK_ANSWERS: Final = {"challenge_required": "challenged", "risk_rejected": "rejected"}
OUTCOMES: Final = ("accepted", "challenged", "confirmed", "rejected", "held")


class Partner(Protocol):
    """A worker's view of the partner apps: its clients, its random source, the counters."""

    rng: random.Random

    def api(self, app: PartnerApp) -> BankstackClient: ...

    def admin(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]: ...

    def later(self, delay_s: float, step: Step) -> None: ...

    def count(self, what: str, n: int = 1) -> None: ...

    def phone(self, customer_id: str) -> str | None:
        """The newest one-time code sent to the customer (unscoped id), if any."""
        ...

    def sequence(self, name: str) -> int:
        """0, 1, 2 ... per name, shared by all workers: the n-th time something happens."""
        ...


Step = Callable[[Partner], None]
Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Payer:
    """Who pays from a wallet, from which device and IP, and whether they hold its phone."""

    customer: str  # unscoped id
    kind: Kind
    device: str | None = None
    ip: str | None = None
    answers_codes: bool = True
    top_up_fen: int = TOP_UP_FEN

    @classmethod
    def own(cls, customer: DemoCustomer, *, top_up_fen: int = TOP_UP_FEN) -> Payer:
        """The customer on their own phone and home network."""
        return cls(customer.id, customer.kind, customer.device, customer.ip, top_up_fen=top_up_fen)

    def body(self) -> Json:
        extra = {"device_id": self.device, "ip": self.ip}
        return {"customer_id": self.customer} | {k: v for k, v in extra.items() if v}


class Paid(NamedTuple):
    outcome: str  # accepted | held | confirmed | challenged | rejected
    trade: Json | None  # None: risk refused (rejected, or a challenge left unanswered)


def pay(partner: Partner, app: PartnerApp, trade: Json, payer: Payer) -> Paid:
    """Pay ``trade`` as ``payer``, answering a challenge if the payer holds the phone."""
    try:
        answer = _pay_funded(partner, app, trade["id"], payer)
    except ApiError as error:
        outcome = RISK_ANSWERS.get(error.code)
        if outcome is None:
            raise
        record(partner, payer.kind, outcome)
        if outcome == "rejected":
            return Paid(outcome, None)
        return confirm_then_pay(partner, app, trade["id"], payer)
    held = answer["status"] == "processing"
    record(partner, payer.kind, "held" if held else "accepted")
    return Paid("held" if held else "accepted", answer)


def confirm_then_pay(partner: Partner, app: PartnerApp, trade_id: str, payer: Payer) -> Paid:
    """After a challenge: read the code on the phone, confirm it, pay again."""
    code = partner.phone(payer.customer) if payer.answers_codes else None
    if code is None:
        partner.count(f"risk {payer.kind} abandoned")
        return Paid("challenged", None)
    body = {"customer_id": payer.customer, "code": code}
    partner.api(app).post(f"/v1/trades/{trade_id}/confirm", body)
    record(partner, payer.kind, "confirmed")
    answer = _pay_funded(partner, app, trade_id, payer)  # confirmed: not screened again
    return Paid("confirmed", answer)


def _pay_funded(partner: Partner, app: PartnerApp, trade_id: str, payer: Payer) -> Json:
    path = f"/v1/trades/{trade_id}/pay"
    try:
        answer: Json = partner.api(app).post(path, payer.body()).data
    except ApiError as error:
        if error.code != "insufficient_funds":
            raise
        top_up(partner, payer.customer, payer.top_up_fen)
        answer = partner.api(app).post(path, payer.body()).data
    if answer["status"] == "succeeded":
        partner.count("paid")
    return answer


def record(partner: Partner, kind: Kind, outcome: str) -> None:
    partner.count(f"risk {kind} {outcome}")


def top_up(partner: Partner, customer: str, amount_fen: int = TOP_UP_FEN) -> None:
    deposit = {"amount": amount_fen, "currency": CURRENCY}
    reference = f"top-up-{uuid.uuid4().hex}"
    partner.admin(
        "/admin/wallets", {"customer_id": customer, "deposit": deposit, "reference": reference}
    )
    partner.count("top_ups")
