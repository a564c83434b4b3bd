"""Events and decisions as JSON text, and back: what the decision log stores.

The round trip is exact (a replayed event equals the recorded one), which backtests need.
Money travels as ``{"minor": int, "asset": str}``; never as a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from bankstack.kernel.money import Money
from bankstack.risk.domain.decision import Decision, Outcome, Reason, ReasonSource
from bankstack.risk.domain.event import EventKind, EventSubject, RiskEvent


def event_to_json(event: RiskEvent) -> str:
    amount = (
        None if event.amount is None else {"minor": event.amount.minor, "asset": event.amount.asset}
    )
    body = {
        "event_id": event.event_id,
        "kind": event.kind.value,
        "occurred_at": event.occurred_at,
        "customer_id": event.customer_id,
        "amount": amount,
        "counterparty_id": event.counterparty_id,
        "merchant_id": event.merchant_id,
        "device_id": event.device_id,
        "ip": event.ip,
        "phone": event.phone,
        "channel": event.channel,
        "customer_since": event.customer_since,
        "attributes": dict(event.attributes),
        "subject": None
        if event.subject is None
        else {"kind": event.subject.kind, "ref_id": event.subject.ref_id},
    }
    return orjson.dumps(body).decode()


def event_from_json(text: str) -> RiskEvent:
    body: dict[str, Any] = orjson.loads(text)
    amount = body["amount"]
    return RiskEvent(
        event_id=body["event_id"],
        kind=EventKind(body["kind"]),
        occurred_at=body["occurred_at"],
        customer_id=body["customer_id"],
        amount=None if amount is None else Money(amount["minor"], amount["asset"]),
        counterparty_id=body["counterparty_id"],
        merchant_id=body["merchant_id"],
        device_id=body["device_id"],
        ip=body["ip"],
        phone=body["phone"],
        channel=body["channel"],
        customer_since=body["customer_since"],
        attributes=body["attributes"],
        subject=_subject(body.get("subject")),  # absent from events logged before it existed
    )


def _subject(value: dict[str, str] | None) -> EventSubject | None:
    return None if value is None else EventSubject(value["kind"], value["ref_id"])


def reasons_to_json(reasons: tuple[Reason, ...]) -> str:
    return orjson.dumps(
        [
            {"code": r.code, "source": r.source.value, "text": r.text, "points": r.points}
            for r in reasons
        ]
    ).decode()


def reasons_from_json(text: str) -> tuple[Reason, ...]:
    return tuple(
        Reason(item["code"], ReasonSource(item["source"]), item["text"], item["points"])
        for item in orjson.loads(text)
    )


def features_to_json(features: Mapping[str, object]) -> str:
    return orjson.dumps(dict(features), option=orjson.OPT_SORT_KEYS).decode()


def decision_from_row(row: Mapping[str, Any]) -> Decision:
    return Decision(
        decision_id=row["decision_id"],
        event_id=row["event_id"],
        kind=EventKind(row["kind"]),
        customer_id=row["customer_id"],
        outcome=Outcome(row["outcome"]),
        score=row["score"],
        reasons=reasons_from_json(row["reasons"]),
        rules_fired=tuple(orjson.loads(row["rules_fired"])),
        ruleset_version=row["ruleset_version"],
        model_version=row["model_version"],
        model_probability=row["model_probability"],
        degraded=bool(row["degraded"]),
        decided_at=row["decided_at"],
        features=orjson.loads(row["features"]),
    )
