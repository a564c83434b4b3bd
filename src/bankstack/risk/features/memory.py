"""``InMemoryFeatureSource``: the ``FeatureSource`` port for one process.

Velocity windows (``features.velocity``), the link graph (``features.links``) and customer
profiles (``features.profile``) live in dicts under one lock; ``compute`` reads them into a
``History`` and ``features.vector.assemble`` builds the vector, exactly as the Redis source
does from what its script returns, so that both give the same vector for the same stream.

``compute`` changes nothing: the same event against the same state gives the same vector, and
computing never alters what a later compute returns. ``record`` adds the event; ``observe``
does both under one lock acquisition (the decision path's shape when no engine sits between).
``prune(now)`` forgets the windows of entities idle for more than the longest window (30 d):
they are empty for any event at or after ``now``, so pruning changes no such vector. Links and
profiles are the long-term memory and stay.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from bankstack.risk.domain.decision import FeatureValue
from bankstack.risk.domain.event import RiskEvent
from bankstack.risk.features.links import LinkGraph
from bankstack.risk.features.profile import Profiles
from bankstack.risk.features.vector import (
    DEFAULT_THRESHOLDS,
    History,
    amount_of,
    assemble,
)
from bankstack.risk.features.velocity import Velocity
from bankstack.risk.features.windows import THIRTY_DAYS


class InMemoryFeatureSource:
    def __init__(self, *, thresholds: Mapping[str, int] = DEFAULT_THRESHOLDS) -> None:
        self._thresholds = dict(thresholds)
        self._lock = threading.Lock()
        self._velocity = Velocity()
        self._links = LinkGraph()
        self._profiles = Profiles()

    def compute(self, event: RiskEvent) -> dict[str, FeatureValue]:
        with self._lock:
            history = self._history(event)
        return assemble(event, history, self._thresholds)

    def record(self, event: RiskEvent) -> None:
        with self._lock:
            self._record(event)

    def observe(self, event: RiskEvent) -> dict[str, FeatureValue]:
        """Compute the event's vector, then add the event to the history."""
        with self._lock:
            history = self._history(event)
            self._record(event)
        return assemble(event, history, self._thresholds)

    def prune(self, now_ns: int) -> int:
        """Forget entities idle for more than 30 days before ``now_ns``; how many."""
        before = now_ns - THIRTY_DAYS.span_ns
        with self._lock:
            self._links.prune(before)
            return self._velocity.prune(before)

    def _history(self, event: RiskEvent) -> History:
        currency = amount_of(event)[0]
        return History(
            velocity=self._velocity.lookup(event, currency),
            received=self._velocity.received(event.customer_id, currency, event.occurred_at),
            links=self._links.lookup(event),
            profile=self._profiles.lookup(event, currency),
        )

    def _record(self, event: RiskEvent) -> None:
        self._velocity.record(event)
        self._links.record(event)
        self._profiles.record(event)
