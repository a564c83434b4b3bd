"""Linked chains: events flagged ``linked`` commit together with the next one, or not at all.

A chain runs to the first event without the ``linked`` flag. When one member fails it keeps its
own result, every other member answers ``linked_event_failed``, and the members applied before
it are rolled back. A chain still open at the end of a submission fails whole: its members are
evaluated as in any chain (one that fails keeps its own result, as in TigerBeetle), and its
last event, never evaluated, answers ``linked_event_chain_open``. Chains never cross
submissions, so callers coalesced into one batch cannot join each other's chains.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar

OK = "ok"
LINKED_FLAG = 1  # the same bit for accounts and transfers


class _Flagged(Protocol):
    @property
    def flags(self) -> int: ...


E = TypeVar("E", bound=_Flagged)
R = TypeVar("R", bound=str)


class ChainRunner(ABC, Generic[E, R]):
    """Runs events one at a time, giving multi-event chains all-or-nothing semantics."""

    linked_event_failed: R
    linked_event_chain_open: R

    def run(self, events: Sequence[E]) -> list[R]:
        count = len(events)
        results: list[R] = []
        start = 0
        while start < count:
            end = start
            while end < count and events[end].flags & LINKED_FLAG:
                end += 1
            if end == count:  # the submission ended inside a chain: it cannot commit
                results.extend(self._run_chain(events[start:], open_chain=True))
                break
            if start == end:
                timestamp = self.next_timestamp()
                result = self.create_one(events[start], timestamp)
                if result != OK:
                    self.record_failure(events[start], result, timestamp)
                results.append(result)
            else:
                results.extend(self._run_chain(events[start : end + 1]))
            start = end + 1
        return results

    def _run_chain(self, chain: Sequence[E], *, open_chain: bool = False) -> list[R]:
        self.open_savepoint()
        results: list[R] = []
        for position, event in enumerate(chain):
            timestamp = self.next_timestamp()
            if open_chain and position == len(chain) - 1:
                result = self.linked_event_chain_open
            else:
                result = self.create_one(event, timestamp)
            results.append(result)
            if result != OK:
                self.rollback_savepoint()
                for _ in chain[position + 1 :]:
                    self.next_timestamp()
                self.record_failure(event, result, timestamp)
                failed = [self.linked_event_failed] * len(chain)
                failed[position] = result
                if open_chain:
                    failed[-1] = self.linked_event_chain_open
                return failed
        self.release_savepoint()
        return results  # every member answered OK

    @abstractmethod
    def next_timestamp(self) -> int: ...

    @abstractmethod
    def create_one(self, event: E, timestamp: int) -> R:
        """Validate one event and, when valid, apply it; return its result."""

    @abstractmethod
    def open_savepoint(self) -> None: ...

    @abstractmethod
    def rollback_savepoint(self) -> None: ...

    @abstractmethod
    def release_savepoint(self) -> None: ...

    def record_failure(self, event: E, result: R, timestamp: int) -> None:
        """Called once an event has failed (after its chain rolled back); default: nothing."""
