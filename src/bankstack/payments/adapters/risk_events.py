"""Payments' side of the risk engine's events, delivered by the outbox relay.

- ``ReviewOutcomes``: a resolved risk case (``risk.case.resolved``) that concerns a payment
  held for review releases the hold (``false_positive``: the payment goes through) or returns
  it (``confirmed``: fraud; the payer keeps the money and the trade closes). The case names the
  payment by its risk event id (``trade:<id>:<payer>``, screening.risk_event_id).
- ``AmlFeed``: every paid trade is a movement (payer -> merchant) for the AML detectors; an
  alert they raise goes onto a case in the review queue.

Both are safe to see an event again: a settled review answers the trade as it is, and the
detectors and the case store deduplicate movements and alerts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from bankstack.kernel.errors import Conflict, NotFound
from bankstack.kernel.events import Event
from bankstack.kernel.money import Money
from bankstack.payments.events import TRADE_SUCCEEDED
from bankstack.payments.screening import trade_payer_of
from bankstack.payments.service import PaymentsService
from bankstack.platform.logging import get_logger
from bankstack.risk.aml.monitor import AmlMonitor
from bankstack.risk.cases.announce import CASE_RESOLVED
from bankstack.risk.cases.records import CaseStatus
from bankstack.risk.cases.service import CaseService
from bankstack.risk.domain.alert import Movement

log = get_logger(__name__)
RELEASING: Final = CaseStatus.FALSE_POSITIVE.value


class ReviewOutcomes:
    name = "payments.review-outcomes"

    def __init__(self, payments: PaymentsService) -> None:
        self._payments = payments

    def handle(self, events: Sequence[Event]) -> None:
        for event in events:
            if event.topic == CASE_RESOLVED:
                self._resolve(json.loads(event.payload)["data"])

    def _resolve(self, case: dict[str, Any]) -> None:
        release = case["status"] == RELEASING
        for event_id in case["refs"].get("event", []):
            subject = trade_payer_of(event_id)
            if subject is None:
                continue
            trade_id, payer = subject
            try:
                self._payments.resolve_review(trade_id, payer, release=release)
            except (NotFound, Conflict) as error:
                # Not a held payment (a challenge, a rejected attempt): nothing to settle.
                log.info("case names no held payment", case=case["id"], reason=error.code)
                continue
            log.info("review settled", case=case["id"], trade=trade_id, release=release)


class AmlFeed:
    name = "risk.aml-feed"

    def __init__(self, monitor: AmlMonitor, cases: CaseService) -> None:
        self._monitor = monitor
        self._cases = cases

    def handle(self, events: Sequence[Event]) -> None:
        for event in events:
            if event.topic != TRADE_SUCCEEDED:
                continue
            movement = movement_of(json.loads(event.payload)["data"])
            if movement is None:
                continue
            for alert in self._monitor.feed(movement):
                case_id = self._cases.raise_alert(alert)
                log.info("aml alert", detector=alert.detector, subject=alert.subject, case=case_id)


def movement_of(trade: dict[str, Any]) -> Movement | None:
    """A paid trade as a movement from its payer to its merchant."""
    payer, paid_at = trade.get("payer_id"), trade.get("paid_at")
    if not isinstance(payer, str) or not isinstance(paid_at, int):
        return None
    return Movement(
        movement_id=f"trade:{trade['id']}",
        payer=payer,
        payee=trade["merchant_id"],
        amount=Money(int(trade["amount"]), trade["currency"]),
        occurred_at=paid_at,
        source="payment",
    )
