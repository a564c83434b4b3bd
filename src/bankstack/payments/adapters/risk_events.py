"""Payments' side of the risk engine's events, delivered by the outbox relay.

- ``ReviewOutcomes``: a resolved risk case (``risk.case.resolved``) that concerns a payment
  or a customer transfer held for review releases the hold (``false_positive``: the money goes
  through) or returns it (``confirmed``: fraud; the payer keeps the money, the trade closes).
  The case names them by their risk event ids: ``trade:<id>:<payer>``
  (screening.risk_event_id) and ``transfer:<id>`` (p2p.risk_event_id).
- ``AmlFeed``: every paid trade (payer -> merchant, ``source="payment"``) and every completed
  customer transfer (sender -> recipient, ``source="transfer"``: the fan-in, fan-out and cycle
  detectors count only account-to-account movements) is a movement for the AML detectors; an
  alert they raise goes onto a case in the review queue.

Both are safe to see an event again: a settled review answers the trade as it is, and the
detectors and the case store deduplicate movements and alerts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Final

from bankstack.kernel.errors import Conflict, NotFound
from bankstack.kernel.events import Event
from bankstack.kernel.money import Money
from bankstack.payments.events import TRADE_SUCCEEDED, TRANSFER_COMPLETED
from bankstack.payments.p2p import transfer_of
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
    topics = frozenset({CASE_RESOLVED})

    def __init__(self, payments: PaymentsService) -> None:
        self._payments = payments

    def handle(self, events: Sequence[Event]) -> None:
        for event in events:
            if event.topic == CASE_RESOLVED:
                self._resolve(json.loads(event.payload)["data"])

    def _resolve(self, case: dict[str, Any]) -> None:
        release = case["status"] == RELEASING
        for event_id in case["refs"].get("event", []):
            trade, transfer = trade_payer_of(event_id), transfer_of(event_id)
            try:
                if trade is not None:
                    self._payments.resolve_review(*trade, release=release)
                elif transfer is not None:
                    self._payments.resolve_transfer_review(transfer, release=release)
                else:
                    continue
            except (NotFound, Conflict) as error:
                # Not held (a challenge, a rejected attempt, a declined hold): nothing to settle.
                log.info("case names nothing held", case=case["id"], reason=error.code)
                continue
            log.info("review settled", case=case["id"], ref=event_id, release=release)


class AmlFeed:
    name = "risk.aml-feed"

    def __init__(self, monitor: AmlMonitor, cases: CaseService) -> None:
        self.topics = frozenset(_MOVEMENTS)
        self._monitor = monitor
        self._cases = cases

    def handle(self, events: Sequence[Event]) -> None:
        for event in events:
            read = _MOVEMENTS.get(event.topic)
            movement = None if read is None else read(json.loads(event.payload)["data"])
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


def transfer_movement_of(transfer: dict[str, Any]) -> Movement | None:
    """A completed customer transfer as a movement from its sender to its recipient."""
    sender, recipient = transfer.get("sender_id"), transfer.get("recipient_id")
    completed_at = transfer.get("completed_at")
    if not isinstance(sender, str) or not isinstance(recipient, str):
        return None
    if not isinstance(completed_at, int):
        return None
    return Movement(
        movement_id=f"transfer:{transfer['id']}",
        payer=sender,
        payee=recipient,
        amount=Money(int(transfer["amount"]), transfer["currency"]),
        occurred_at=completed_at,
        source="transfer",
    )


_MOVEMENTS: Final[dict[str, Callable[[dict[str, Any]], Movement | None]]] = {
    TRADE_SUCCEEDED: movement_of,
    TRANSFER_COMPLETED: transfer_movement_of,
}
