"""Fixed-bucket sliding windows: count, integer sum and exact distinct values (pure).

A window spec is ``(name, bucket width, number of buckets)``; the catalog's windows are
1m = 1 s x 60, 1h = 1 min x 60, 24h = 15 min x 96 and 30d = 1 day x 30. Time is integer
nanoseconds and every boundary is exact integer arithmetic:

- an event at time ``t`` lies in bucket ``b = t // width``;
- a query at time ``now`` counts the buckets with index in ``(now // width - buckets,
  now // width]``: an event exactly at a bucket's start is in that bucket, and it leaves the
  window at the instant ``(b + buckets) * width``.

The window remembers the newest bucket it has recorded (its *head*) and only the buckets
within ``buckets`` of it. An event older than that (``b <= head - buckets``) is ignored; a
late event inside it goes to its own bucket. A query is answered from the buckets still held,
so it counts the recorded events with ``max(now // width, head) - buckets < b <= now //
width``: the plain definition whenever ``now`` is not behind the head, and for a query behind
the head (a late event's), the part of its window that has not been dropped yet.

Update and query are O(1) amortised. The window keeps running totals over the held buckets.
Recording evicts the buckets that fell out; a query never changes anything: it subtracts the
buckets outside its range (the expired ones at the old end, or the newer ones for a query
behind the head), which are few because the next record evicts them. Distinct values are
exact: each bucket keeps its values and the window counts, per value, the held buckets that
contain it; a value drops out of a query when every bucket holding it is outside the query's
range. The Redis source (adapters/redis_features_lua.py) keeps the same state in hashes and
answers with the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from bankstack.risk.domain.catalog import WINDOWS

SECOND_NS: Final = 1_000_000_000
MINUTE_NS: Final = 60 * SECOND_NS
DAY_NS: Final = 86_400 * SECOND_NS

Totals = tuple[int, int, int]  # (count, sum, distinct)
NOTHING: Final[Totals] = (0, 0, 0)


@dataclass(frozen=True, slots=True)
class WindowSpec:
    name: str
    width_ns: int  # one bucket
    buckets: int

    def __post_init__(self) -> None:
        if self.width_ns < 1 or self.buckets < 1:
            raise ValueError("a window needs a positive bucket width and bucket count")

    @property
    def span_ns(self) -> int:
        return self.width_ns * self.buckets


ONE_MINUTE: Final = WindowSpec("1m", SECOND_NS, 60)
ONE_HOUR: Final = WindowSpec("1h", MINUTE_NS, 60)
ONE_DAY: Final = WindowSpec("24h", 15 * MINUTE_NS, 96)
THIRTY_DAYS: Final = WindowSpec("30d", DAY_NS, 30)
SPECS: Final = (ONE_MINUTE, ONE_HOUR, ONE_DAY, THIRTY_DAYS)
if tuple(spec.name for spec in SPECS) != WINDOWS:  # pragma: no cover - a catalog edit
    raise RuntimeError("features.windows.SPECS must follow catalog.WINDOWS")

_NO_HEAD: Final = -(1 << 127)  # before any bucket a real time can reach


def _each(values: str | set[str] | None) -> Iterable[str]:
    """A bucket's values: one string (the usual case, without a set) or a set of them."""
    if values is None:
        return ()
    return (values,) if isinstance(values, str) else values


class SlidingWindow:
    """One window of one entity (see the module docstring for the exact semantics).

    The buckets are kept by column: ``bucket -> count`` (in ascending bucket order, which a
    late bucket restores), ``bucket -> sum`` once an amount arrives, ``bucket -> its value``
    (a string, or a set once a second value shares the bucket) once a value arrives. Dicts of
    ints and strings are invisible to the cycle collector and cost no object per bucket, so
    millions of buckets add little garbage-collection work; a window that never sees an amount
    or a value never allocates those columns.
    """

    __slots__ = (
        "_count",
        "_counts",
        "_head",
        "_holders",
        "_size",
        "_sums",
        "_total",
        "_values",
        "_width",
    )

    def __init__(self, spec: WindowSpec) -> None:
        self._width = spec.width_ns
        self._size = spec.buckets
        self._head = _NO_HEAD
        self._counts: dict[int, int] = {}  # held bucket -> events, oldest first, none empty
        self._sums: dict[int, int] | None = None  # bucket -> sum of amounts
        self._values: dict[int, str | set[str]] | None = None  # bucket -> its value(s)
        self._holders: dict[str, int] | None = None  # value -> held buckets that contain it
        self._count = 0
        self._total = 0

    def add(self, time_ns: int, amount: int = 0, value: str | None = None) -> bool:
        """Record one event; False when it is older than the window (ignored)."""
        index = time_ns // self._width
        head = self._head
        counts = self._counts
        if index == head:  # the common case: the newest bucket again
            counts[index] += 1
        elif index > head:
            if counts and next(iter(counts)) <= index - self._size:
                self._evict(index - self._size)
            self._head = index
            self._counts[index] = 1
        elif index <= head - self._size:
            return False
        elif index in counts:
            counts[index] += 1
        else:  # a late event opens a bucket behind the head: keep the buckets in order
            counts[index] = 1
            self._counts = dict(sorted(counts.items()))
        self._count += 1
        if amount:
            sums = self._sums
            if sums is None:
                sums = self._sums = {}
            sums[index] = sums.get(index, 0) + amount
            self._total += amount
        if value is not None:
            values_of, holders = self._values, self._holders
            if values_of is None or holders is None:
                values_of, holders = self._values, self._holders = {}, {}
            values = values_of.get(index)
            if values is None:
                values_of[index] = value
            elif isinstance(values, str):
                if values == value:
                    return True
                values_of[index] = {values, value}
            elif value in values:
                return True
            else:
                values.add(value)
            holders[value] = holders.get(value, 0) + 1
        return True

    def query(self, now_ns: int) -> Totals:
        """(count, sum, distinct) of the window ending at ``now_ns``; changes nothing."""
        counts = self._counts
        if not counts:
            return NOTHING
        index = now_ns // self._width
        outside = []
        if index >= self._head:
            low = index - self._size
            if self._head <= low:
                return NOTHING
            for held in counts:
                if held > low:
                    break
                outside.append(held)
            if not outside:
                holders = self._holders
                return self._count, self._total, len(holders) if holders else 0
        else:
            for held in reversed(counts):
                if held <= index:
                    break
                outside.append(held)
        return self._without(outside)

    def _without(self, outside: list[int]) -> Totals:
        """The totals minus the buckets ``outside`` the query's range."""
        count, total = self._count, self._total
        counts, sums, values_of = self._counts, self._sums or {}, self._values or {}
        seen: dict[str, int] = {}
        for index in outside:
            count -= counts[index]
            total -= sums.get(index, 0)
            for value in _each(values_of.get(index)):
                seen[value] = seen.get(value, 0) + 1
        holders = self._holders or {}
        gone = sum(1 for value, held in seen.items() if holders[value] == held)
        return count, total, len(holders) - gone

    def _evict(self, low: int) -> None:
        """Drop the buckets up to ``low`` (all of them after a whole idle window)."""
        counts = self._counts
        if next(reversed(counts)) <= low:
            self._clear()
            return
        sums, values_of, holders = self._sums or {}, self._values or {}, self._holders or {}
        gone = []
        for index in counts:
            if index > low:
                break
            gone.append(index)
        for index in gone:
            self._count -= counts.pop(index)
            self._total -= sums.pop(index, 0)
            for value in _each(values_of.pop(index, None)):
                left = holders[value] - 1
                if left:
                    holders[value] = left
                else:
                    del holders[value]

    def _clear(self) -> None:
        self._counts = {}
        self._sums = self._values = self._holders = None
        self._count = 0
        self._total = 0
