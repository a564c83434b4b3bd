"""The decision log's event codec: an exact round trip, the subject included, and events
logged before the subject existed still read."""

from __future__ import annotations

import orjson
import pytest

from bankstack.kernel.money import Money
from bankstack.risk.domain.codec import event_from_json, event_to_json
from bankstack.risk.domain.event import EventKind, EventSubject, RiskEvent


def _event(subject: EventSubject | None) -> RiskEvent:
    return RiskEvent(
        event_id="trade:42:alice",
        kind=EventKind.PAYMENT,
        occurred_at=1_795_000_000_000_000_000,
        customer_id="alice",
        amount=Money(8800, "CNY"),
        merchant_id="shop",
        device_id="d1",
        attributes={"first": True},
        subject=subject,
    )


@pytest.mark.parametrize("subject", [EventSubject("trade", "42"), None])
def test_round_trip_is_exact(subject: EventSubject | None) -> None:
    event = _event(subject)
    assert event_from_json(event_to_json(event)) == event


def test_an_event_logged_before_subjects_reads_without_one() -> None:
    body = orjson.loads(event_to_json(_event(EventSubject("trade", "42"))))
    del body["subject"]
    assert event_from_json(orjson.dumps(body).decode()).subject is None


@pytest.mark.parametrize(("kind", "ref_id"), [("loan", "1"), ("trade", ""), ("trade", "x" * 129)])
def test_a_subject_is_a_trade_or_a_transfer_with_an_id(kind: str, ref_id: str) -> None:
    with pytest.raises(ValueError, match="subject"):
        EventSubject(kind, ref_id)
