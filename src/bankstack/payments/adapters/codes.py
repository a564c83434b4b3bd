"""``CodeInbox``: the ``CodeSender`` of development and the demo, a phone that lives in memory.

A challenged payment's one-time code has to reach the customer over a channel the fraudster
does not hold (SMS, an app push). bankstack ships no SMS gateway: a deployment plugs its
provider in behind ``payments.ports.CodeSender``. Until then this inbox keeps the newest
code per customer for the demo's cashier page to show ("the customer's phone"), and logs that
a code was sent, never the code itself. It holds at most ``capacity`` customers, oldest
first out, so it cannot grow without bound.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from bankstack.kernel.clock import Clock
from bankstack.platform.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SentCode:
    customer_id: str
    code: str
    purpose: str
    sent_at: int  # ns


class CodeInbox:
    def __init__(self, clock: Clock, *, capacity: int = 10_000) -> None:
        self._clock = clock
        self._capacity = capacity
        self._lock = threading.Lock()
        self._latest: OrderedDict[str, SentCode] = OrderedDict()

    def send(self, customer_id: str, code: str, purpose: str) -> None:
        sent = SentCode(customer_id, code, purpose, self._clock.now_ns())
        with self._lock:
            self._latest.pop(customer_id, None)
            self._latest[customer_id] = sent
            while len(self._latest) > self._capacity:
                self._latest.popitem(last=False)
        log.info("one-time code sent", customer=customer_id, purpose=purpose)

    def latest(self, customer_id: str) -> SentCode | None:
        """The newest code sent to the customer, if any (the demo shows it)."""
        with self._lock:
            return self._latest.get(customer_id)

    def latest_code(self, customer_id: str) -> str | None:
        """Just the newest code: what the demo's cashier page shows as the customer's phone."""
        sent = self.latest(customer_id)
        return None if sent is None else sent.code
