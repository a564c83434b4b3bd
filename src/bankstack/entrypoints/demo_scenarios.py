"""What the demo's partner apps do, one scenario at a time, through the SDK over HTTP.

Each scenario picks a merchant (by its share of traffic) and one of the 500 ordinary demo
customers (``demo_customers``), and calls ``/v1`` the way the merchant's till or website
would; a customer pays from their own phone and home IP, which risk screening sees:

- ``qr`` (48): a QR trade the customer scans and pays from the wallet (test mode:
  ``POST /v1/trades/{id}/pay {"customer_id"}``); now and then a second customer scans the
  same code too late (``trade_already_paid``);
- ``barcode`` (10): the till scans the customer's one-time payment code (issued by staff
  through ``/admin``) and the trade is paid as it is created;
- ``closed`` (6): the customer walks away and the till closes the trade a moment later;
- ``abandoned`` (3): nobody pays; after its 60 s timeout the payments worker closes it;
- ``replayed`` (5): the till's network hiccups: the same ``POST /v1/trades`` again with the
  same ``Idempotency-Key`` (the API replays its stored answer), then once more with a new key
  and the same ``out_trade_no`` and parameters (payments returns the same trade); then paid;
- ``escrow`` (18, the second-hand market): paid into escrow (held), then released when the
  buyer confirms receipt, disputed and resolved by staff, given back by the seller, or left
  to a short deadline for the payments worker to release or refund.

A paid trade is sometimes refunded a few seconds later: in full (12 %), in part (10 %) or
in two partial refunds (6 %). Paying goes through ``demo_paying``: a wallet that runs dry is
topped up, a rare challenge is confirmed with the code on the customer's phone, a payment
held for review is left to staff. Follow-ups run later through ``Partner.later``, on
whichever worker is free. Amounts are log-normal around the merchant's typical ticket, 5 to
300 CNY. One scenario in twenty-five is not ordinary (``demo_fraud``): Mallory at work, or
a legitimate customer whom risk rightly asks to confirm.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from typing import Any, Final

from bankstack.entrypoints.demo_customers import ORDINARY, DemoCustomer
from bankstack.entrypoints.demo_fraud import SPECIAL_SHARE, run_special
from bankstack.entrypoints.demo_partners import CURRENCY, PartnerApp
from bankstack.entrypoints.demo_paying import (
    RISK_ANSWERS,
    Json,
    Partner,
    Payer,
    Step,
    confirm_then_pay,
    pay,
    record,
    top_up,
)
from bankstack.kernel.ids import new_id
from bankstack_sdk import ApiError

MIN_FEN: Final = 5_00
MAX_FEN: Final = 300_00
_SCENARIOS: Final = {"qr": 48, "barcode": 10, "closed": 6, "abandoned": 3, "replayed": 5}
_ESCROW_WEIGHT: Final = 18
_ESCROW_FATES: Final = {"release": 60, "dispute": 12, "refund": 13, "deadline": 15}


def run_scenario(partner: Partner, apps: tuple[PartnerApp, ...]) -> None:
    rng = partner.rng
    if rng.random() < SPECIAL_SHARE:
        run_special(partner, apps)
        return
    names = [*_SCENARIOS, "escrow"]
    name = rng.choices(names, [*_SCENARIOS.values(), _ESCROW_WEIGHT])[0]
    escrow = name == "escrow"
    shops = [a for a in apps if a.merchant.escrow == escrow] or list(apps)
    app = rng.choices(shops, [a.merchant.weight for a in shops])[0]
    _RUN[name](partner, app)


def amount_for(rng: random.Random, app: PartnerApp) -> int:
    fen = round(rng.lognormvariate(math.log(app.merchant.median_yuan * 100), 0.5) / 10) * 10
    return min(max(fen, MIN_FEN), MAX_FEN)


def trade_body(rng: random.Random, app: PartnerApp, **extra: Any) -> Json:
    return {
        "out_trade_no": f"{app.merchant.id.removeprefix('demo-')}-{new_id():032x}",
        "amount": {"amount": amount_for(rng, app), "currency": CURRENCY},
        "subject": rng.choice(app.merchant.subjects),
        **extra,
    }


def _customer(rng: random.Random) -> DemoCustomer:
    return rng.choice(ORDINARY)


def _paid(partner: Partner, app: PartnerApp, trade: Json, customer: DemoCustomer) -> Json | None:
    """The trade once paid; None when it is not (held for review, or refused by risk)."""
    paid = pay(partner, app, trade, Payer.own(customer)).trade
    return paid if paid is not None and paid["status"] == "succeeded" else None


def _qr(partner: Partner, app: PartnerApp) -> None:
    rng = partner.rng
    trade = partner.api(app).post("/v1/trades", trade_body(rng, app)).data
    customer = _customer(rng)
    paid = _paid(partner, app, trade, customer)
    if paid is None:
        return
    if rng.random() < 0.04:  # noqa: PLR2004 - a second customer scans the same code
        late = next(c for c in ORDINARY if c != customer)
        try:
            partner.api(app).post(f"/v1/trades/{trade['id']}/pay", {"customer_id": late.id})
        except ApiError as error:
            partner.count(f"declined {error.code}")
    _maybe_refund(partner, app, paid)


def _barcode(partner: Partner, app: PartnerApp) -> None:
    rng = partner.rng
    customer = _customer(rng)
    code = partner.admin(f"/admin/wallets/{customer.id}/payment_codes")["code"]
    body = trade_body(rng, app, method="barcode", auth_code=code)
    try:
        paid: Json | None = partner.api(app).post("/v1/trades", body).data
    except ApiError as error:
        if error.code == "insufficient_funds":
            partner.count(f"declined {error.code}")
            top_up(partner, customer.id)  # the customer tops up and pays next time
            return
        paid = _barcode_screened(partner, app, body["out_trade_no"], customer, error)
    else:
        held = paid is not None and paid["status"] == "processing"
        record(partner, customer.kind, "held" if held else "accepted")
        if not held:
            partner.count("paid")
    if paid is not None and paid["status"] == "succeeded":
        _maybe_refund(partner, app, paid)


def _barcode_screened(
    partner: Partner, app: PartnerApp, out_trade_no: str, customer: DemoCustomer, error: ApiError
) -> Json | None:
    """Risk said no, or not yet: a challenged customer confirms the code on their phone and
    the till, finding the trade by its number, takes the payment from the wallet."""
    outcome = RISK_ANSWERS.get(error.code)
    if outcome is None:
        raise error
    record(partner, customer.kind, outcome)
    if outcome == "rejected":
        return None
    found = partner.api(app).get("/v1/trades", {"out_trade_no": out_trade_no}).data["data"][0]
    return confirm_then_pay(partner, app, found["id"], Payer.own(customer)).trade


def _closed(partner: Partner, app: PartnerApp) -> None:
    trade = partner.api(app).post("/v1/trades", trade_body(partner.rng, app)).data

    def close(later: Partner) -> None:
        later.api(app).post(f"/v1/trades/{trade['id']}/close")
        later.count("closed")

    partner.later(partner.rng.uniform(1.0, 3.0), close)


def _abandoned(partner: Partner, app: PartnerApp) -> None:
    partner.api(app).post("/v1/trades", trade_body(partner.rng, app, timeout_s=60))
    partner.count("left to expire")


def _replayed(partner: Partner, app: PartnerApp) -> None:
    rng, api = partner.rng, partner.api(app)
    body, key = trade_body(rng, app), str(uuid.uuid4())
    first = api.post("/v1/trades", body, idempotency_key=key)
    again = api.post("/v1/trades", body, idempotency_key=key)
    reused = api.post("/v1/trades", body)  # same out_trade_no and parameters, a new key
    replayed = again.headers.get("idempotent-replayed") == "true"
    same = again.data["id"] == reused.data["id"] == first.data["id"]
    partner.count("replays recognised" if replayed and same else "replays NOT recognised")
    paid = _paid(partner, app, first.data, _customer(rng))
    if paid is not None:
        _maybe_refund(partner, app, paid)


def _maybe_refund(partner: Partner, app: PartnerApp, trade: Json) -> None:
    rng = partner.rng
    amount = int(trade["amount"]["amount"])
    roll = rng.random()
    if roll < 0.12:  # noqa: PLR2004 - the shares of the module docstring
        parts = [amount]
    elif roll < 0.22:  # noqa: PLR2004
        parts = [max(amount * rng.randint(10, 60) // 100, 1)]
    elif roll < 0.28:  # noqa: PLR2004
        parts = [max(amount * 30 // 100, 1), max(amount * 40 // 100, 1)]
    else:
        return
    delay = 0.0
    for n, part in enumerate(parts, 1):
        delay += rng.uniform(1.0, 4.0)
        partner.later(delay, _refund_step(app, trade["id"], n, part))


def _refund_step(app: PartnerApp, trade_id: str, n: int, amount: int) -> Step:
    def refund(partner: Partner) -> None:
        body = {
            "out_refund_no": f"R{n}",
            "amount": {"amount": amount, "currency": CURRENCY},
            "reason": "customer returned it" if n == 1 else "second partial refund",
        }
        partner.api(app).post(f"/v1/trades/{trade_id}/refunds", body)
        partner.count("refunds")

    return refund


def _escrow(partner: Partner, app: PartnerApp) -> None:
    rng = partner.rng
    fate = rng.choices(list(_ESCROW_FATES), list(_ESCROW_FATES.values()))[0]
    terms = {"deadline_s": 3_600, "on_deadline": "refund"}
    if fate == "deadline":
        terms = {"deadline_s": rng.randint(3, 6), "on_deadline": rng.choice(["release", "refund"])}
    trade = partner.api(app).post("/v1/trades", trade_body(rng, app, escrow=terms)).data
    buyer = _customer(rng)
    if _paid(partner, app, trade, buyer) is None:
        return  # held for review or refused: the escrow's steps wait for a paid trade
    partner.count("escrow held")
    base = f"/v1/trades/{trade['id']}/escrow"

    def release(later: Partner) -> None:
        later.api(app).post(f"{base}/release", {"customer_id": buyer.id})
        later.count("escrow released")

    def give_back(later: Partner) -> None:
        later.api(app).post(f"{base}/refund")
        later.count("escrow refunded")

    def dispute(later: Partner) -> None:
        later.api(app).post(f"{base}/dispute", {"reason": "not as described"})
        later.count("escrow disputed")
        later.later(later.rng.uniform(2.0, 5.0), _resolve_step(app, trade["id"]))

    steps: dict[str, Step] = {"release": release, "refund": give_back, "dispute": dispute}
    if fate in steps:
        partner.later(rng.uniform(2.0, 6.0), steps[fate])
    else:
        partner.count("escrow left to its deadline")


def _resolve_step(app: PartnerApp, trade_id: str) -> Step:
    def resolve(partner: Partner) -> None:
        outcome = partner.rng.choice(["seller", "buyer"])
        body = {"merchant_id": app.merchant.id, "mode": "test", "outcome": outcome,
                "staff_id": "demo-staff"}  # fmt: skip
        partner.admin(f"/admin/trades/{trade_id}/dispute/resolve", body)
        partner.count("escrow released" if outcome == "seller" else "escrow refunded")

    return resolve


_RUN: Final[dict[str, Callable[[Partner, PartnerApp], None]]] = {
    "qr": _qr,
    "barcode": _barcode,
    "closed": _closed,
    "abandoned": _abandoned,
    "replayed": _replayed,
    "escrow": _escrow,
}
