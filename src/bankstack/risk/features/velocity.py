"""Velocity per entity: the catalog's ``<entity>_count|sum|distinct_<window>`` (pure, in memory).

Four entities describe an event: the acting customer, its device, its IP address and its payee
(``event.payee``: the merchant of a payment or the counterparty of a transfer). Each entity
has one window per catalog window that counts *every* event naming it (a login burst on one
IP is credential stuffing) and tracks the distinct values of the money-moving ones only:

    customer -> payees paid (fan-out)     device, ip -> customers paying from it
    payee    -> customers paying it (fan-in)

Sums count money-moving events only and never mix currencies: an entity keeps a separate set
of windows per currency and a query reads the set of the event's own currency (none when the
event carries no amount). ``received`` reads a customer's windows *as a payee*: the money that
flowed in to it, which a rapid pass-through spends at once.

``lookup`` returns the 48 velocity numbers in catalog order (``catalog.VELOCITY_NAMES``); it
never changes state. ``prune`` forgets entities idle longer than the longest window, whose
windows are empty for any later query.
"""

from __future__ import annotations

from typing import Final

from bankstack.risk.domain.event import RiskEvent
from bankstack.risk.features.windows import SPECS, SlidingWindow

ENTITIES: Final = ("customer", "device", "ip", "payee")
SMALL: Final = 8  # events an entity keeps as a plain list before it gets windows
_SHAPES: Final = tuple((spec.width_ns, spec.buckets) for spec in SPECS)
_ABSENT: Final = (0,) * (3 * len(SPECS))
_NEVER: Final = -(1 << 127)

# What an entity's windows receive from one event: (time, distinct value, currency, amount),
# currency None for an event that moves no money.
_Seen = tuple[int, str | None, str | None, int]


def _windows() -> tuple[SlidingWindow, ...]:
    return tuple(SlidingWindow(spec) for spec in SPECS)


class _Entity:
    """The windows of one entity; until it has more than ``SMALL`` events, just its events.

    Most entities (a one-off IP, a payee paid once) never get past a few events: they keep
    them in a list and answer a query by the windows' definition over it, which gives the
    same numbers as the windows (tests compare both) at a fraction of the memory and work.
    """

    __slots__ = ("last_seen", "log", "sums", "windows")

    def __init__(self) -> None:
        self.log: list[_Seen] | None = []
        self.windows: tuple[SlidingWindow, ...] = ()
        self.sums: dict[str, tuple[SlidingWindow, ...]] = {}  # currency -> one per window
        self.last_seen = _NEVER

    def add(self, seen: _Seen, small: int) -> None:
        self.last_seen = max(self.last_seen, seen[0])
        log = self.log
        if log is not None:
            if len(log) < small:
                log.append(seen)
                return
            self.log = None
            self.windows = _windows()
            for past in log:  # the windows come out as if they had seen every event
                self._add(past)
        self._add(seen)

    def _add(self, seen: _Seen) -> None:
        time_ns, value, currency, amount = seen
        for window in self.windows:
            window.add(time_ns, 0, value)
        if currency is not None:
            sums = self.sums.get(currency)
            if sums is None:
                sums = self.sums[currency] = _windows()
            for window in sums:
                window.add(time_ns, amount)

    def measure(self, out: list[int], time_ns: int, currency: str) -> None:
        if self.log is not None:
            _measure_log(self.log, out, time_ns, currency)
            return
        sums = self.sums.get(currency)
        if sums is None:
            for window in self.windows:
                count, _, distinct = window.query(time_ns)
                out += (count, 0, distinct)
            return
        for window, money in zip(self.windows, sums, strict=True):
            count, _, distinct = window.query(time_ns)
            out += (count, money.query(time_ns)[1], distinct)

    def received(self, time_ns: int, currency: str) -> tuple[int, int]:
        """The 1h and 24h sums in ``currency``."""
        if self.log is not None:
            out: list[int] = []
            _measure_log(self.log, out, time_ns, currency)
            return out[4], out[7]
        sums = self.sums.get(currency)
        if sums is None:
            return 0, 0
        return sums[1].query(time_ns)[1], sums[2].query(time_ns)[1]


def _measure_log(log: list[_Seen], out: list[int], time_ns: int, currency: str) -> None:
    """(count, sum, distinct) per window, by the definition in ``features.windows``: a
    window's head is the newest bucket it received, and a query counts the buckets in
    ``(max(now, head) - buckets, now]``. Sums see only the money events of ``currency``."""
    newest = max(seen[0] for seen in log)
    paid = [seen for seen in log if seen[2] == currency]
    newest_paid = max(seen[0] for seen in paid) if paid else newest
    for width, size in _SHAPES:
        index = time_ns // width
        low = max(index, newest // width) - size
        paid_low = max(index, newest_paid // width) - size
        count, total, values = 0, 0, set()
        for seen_at, value, seen_currency, amount in log:
            bucket = seen_at // width
            if bucket > index:
                continue
            if bucket > low:
                count += 1
                if value is not None:
                    values.add(value)
            if bucket > paid_low and seen_currency == currency:
                total += amount
        out += (count, total, len(values))


def _ids(event: RiskEvent) -> tuple[str, str | None, str | None, str | None]:
    """The event's customer, device, IP and payee; None for those it does not name."""
    return event.customer_id, event.device_id or None, event.ip or None, event.payee or None


def _money(event: RiskEvent) -> tuple[str, int] | None:
    """(currency, amount) of a money-moving event, else None."""
    if event.amount is None or not event.kind.moves_money:
        return None
    return event.amount.asset, event.amount.minor


class Velocity:
    """The velocity windows of every entity seen, in one process's memory."""

    __slots__ = ("_small", "_tables")

    def __init__(self, *, small: int = SMALL) -> None:
        self._small = small  # 0: every entity gets windows at once (tests compare)
        # customer, device, ip, payee: entity id -> its windows
        self._tables: tuple[dict[str, _Entity], ...] = ({}, {}, {}, {})

    def lookup(self, event: RiskEvent, currency: str) -> list[int]:
        """The 48 velocity numbers of ``event`` (the history before it, in ``currency``)."""
        time_ns = event.occurred_at
        out: list[int] = []
        for table, key in zip(self._tables, _ids(event), strict=True):
            entity = None if key is None else table.get(key)
            if entity is None:
                out += _ABSENT
            else:
                entity.measure(out, time_ns, currency)
        return out

    def received(self, customer_id: str, currency: str, time_ns: int) -> tuple[int, int]:
        """Money paid to ``customer_id`` in ``currency`` over the last 1 h and 24 h."""
        entity = self._tables[3].get(customer_id)
        return (0, 0) if entity is None else entity.received(time_ns, currency)

    def record(self, event: RiskEvent) -> None:
        time_ns = event.occurred_at
        money = _money(event)
        currency, amount = money if money is not None else (None, 0)
        ids = _ids(event)
        payer = event.customer_id if money is not None else None
        values = (ids[3] if money is not None else None, payer, payer, payer)
        for table, key, value in zip(self._tables, ids, values, strict=True):
            if key is None:
                continue
            entity = table.get(key)
            if entity is None:
                entity = table[key] = _Entity()
            entity.add((time_ns, value, currency, amount), self._small)

    def prune(self, before_ns: int) -> int:
        """Forget entities whose newest event is older than ``before_ns``; how many."""
        dropped = 0
        for table in self._tables:
            idle = [key for key, entity in table.items() if entity.last_seen < before_ns]
            for key in idle:
                del table[key]
            dropped += len(idle)
        return dropped
