"""Labelled events and the emitter every generator writes through.

Generators (normal life, each typology) run one after another, each in its own time range, so
the emitter collects everything and sorts it once at the end. Event ids come from a counter in
generation order, which is itself fixed by the seed: ids are unique and the same on every run.
Ties in time keep generation order, so a login stays ahead of the payment it opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter
from types import MappingProxyType

from bankstack.kernel.money import Money
from bankstack.risk.domain.event import AttributeValue, EventKind, RiskEvent


@dataclass(frozen=True, slots=True)
class LabelledEvent:
    """A synthetic event and its ground truth: ``fraud`` and which typology made it."""

    event: RiskEvent
    fraud: bool
    typology: str | None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who an event is about: a customer (with an open date) or an employer, an outsider."""

    party_id: str
    opened_at: int | None = None


_NO_ATTRIBUTES: Mapping[str, AttributeValue] = MappingProxyType({})


class Emitter:
    def __init__(self, *, seed: int, currency: str) -> None:
        self._prefix = f"sim{seed}_"
        self._currency = currency
        self._events: list[tuple[int, int, LabelledEvent]] = []

    def emit(
        self,
        actor: Actor,
        kind: EventKind,
        at: int,
        *,
        amount_minor: int | None = None,
        counterparty: str | None = None,
        merchant: str | None = None,
        device: str | None = None,
        ip: str | None = None,
        phone: str | None = None,
        channel: str = "app",
        attributes: Mapping[str, AttributeValue] = _NO_ATTRIBUTES,
        typology: str | None = None,
    ) -> RiskEvent:
        """Record one event; an event carrying a ``typology`` is a fraudulent one."""
        seq = len(self._events)
        event = RiskEvent(
            event_id=f"{self._prefix}{seq:07d}",
            kind=kind,
            occurred_at=at,
            customer_id=actor.party_id,
            amount=None if amount_minor is None else Money(amount_minor, self._currency),
            counterparty_id=counterparty,
            merchant_id=merchant,
            device_id=device,
            ip=ip,
            phone=phone,
            channel=channel,
            customer_since=actor.opened_at,
            attributes=attributes,
        )
        self._events.append((at, seq, LabelledEvent(event, typology is not None, typology)))
        return event

    def in_time_order(self) -> list[LabelledEvent]:
        self._events.sort(key=itemgetter(0))  # stable: ties keep generation order
        return [labelled for _, _, labelled in self._events]

    def events(self) -> list[LabelledEvent]:
        """Everything emitted so far, in generation order."""
        return [labelled for _, _, labelled in self._events]
