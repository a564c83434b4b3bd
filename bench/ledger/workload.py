"""What the clients send: account pairs by shape, transfer ids, pre-generated request pools.

Everything a client submits is generated before the timed window opens (and frozen out of the
garbage collector's sight), so the numbers measure the ledger, not the load generator.
"""

from __future__ import annotations

import itertools
import math
import random
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from bankstack.ledger.domain import Transfer

SHAPES: Final = ("uniform", "hot_debit", "hot_credit", "hot_pair")
HOT_ACCOUNT: Final = 1
HOT_PARTNER: Final = 2
LEDGER: Final = 1
CODE: Final = 1
AMOUNT: Final = 1

# Upper bounds of the transfers/s a cell might reach, used only to size its pre-generated pool
# (times --pool-scale). A cell whose clients run out before the window closes ends early and
# is flagged "pool exhausted" in the results: rerun it with a larger --pool-scale.
_POOL_TPS: Final[dict[str, tuple[int, int, int]]] = {
    # mode: (batch < 10, batch < 1000, larger batches)
    "inprocess": (20_000, 120_000, 200_000),
    "http": (10_000, 60_000, 100_000),
    "naive": (30_000, 30_000, 30_000),
}

Pair = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Shape:
    """Draws (debit, credit) account pairs from accounts 1..n_accounts."""

    name: str
    n_accounts: int

    def pair_source(self, rng: random.Random) -> Callable[[], Pair]:
        n = self.n_accounts
        randrange = rng.randrange
        if self.name == "uniform":

            def uniform() -> Pair:
                debit = randrange(1, n + 1)
                credit = randrange(1, n)
                return debit, credit + 1 if credit >= debit else credit

            return uniform
        if self.name == "hot_debit":
            return lambda: (HOT_ACCOUNT, randrange(2, n + 1))
        if self.name == "hot_credit":
            return lambda: (randrange(2, n + 1), HOT_ACCOUNT)
        if self.name == "hot_pair":
            return lambda: (HOT_ACCOUNT, HOT_PARTNER)
        raise ValueError(f"unknown shape {self.name!r}; known: {', '.join(SHAPES)}")


class TransferIds:
    """Unique transfer ids for the whole run: a random 64-bit base plus a counter."""

    def __init__(self) -> None:
        self.base = secrets.randbits(64) | 1 << 63
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def take(self, n: int) -> range:
        with self._lock:
            first = next(self._counter)
            self._counter = itertools.count(first + n)
        return range(self.base + first, self.base + first + n)


def pool_requests(mode: str, batch: int, clients: int, seconds: float, scale: float) -> int:
    """Requests to pre-generate per client for a closed-loop cell of ``seconds`` (incl. warm-up)."""
    small, medium, large = _POOL_TPS[mode]
    tps = small if batch < 10 else medium if batch < 1000 else large  # noqa: PLR2004
    return max(2, math.ceil(tps * scale * seconds / (batch * clients)) + 1)


def transfer_pools(
    shape: Shape, ids: TransferIds, rng: random.Random, batch: int, clients: int, requests: int
) -> list[list[list[Transfer]]]:
    """Per client, ``requests`` lists of ``batch`` transfers ready for ``create_transfers``."""
    draw = shape.pair_source(rng)
    pools: list[list[list[Transfer]]] = []
    for _ in range(clients):
        pool = []
        for _ in range(requests):
            request = []
            for transfer_id in ids.take(batch):
                debit, credit = draw()
                request.append(Transfer(transfer_id, debit, credit, AMOUNT, 0, LEDGER, CODE))
            pool.append(request)
        pools.append(pool)
    return pools


def body_pools(
    shape: Shape, ids: TransferIds, rng: random.Random, batch: int, clients: int, requests: int
) -> list[list[bytes]]:
    """Per client, ``requests`` serialised ``POST /v1/ledger/transfers`` bodies."""
    draw = shape.pair_source(rng)
    pools: list[list[bytes]] = []
    for _ in range(clients):
        pool = []
        for _ in range(requests):
            items = []
            for transfer_id in ids.take(batch):
                debit, credit = draw()
                items.append(
                    f'{{"id":"{transfer_id}","debit_account_id":"{debit}",'
                    f'"credit_account_id":"{credit}","amount":{AMOUNT},'
                    f'"ledger":{LEDGER},"code":{CODE}}}'
                )
            pool.append(('{"transfers":[' + ",".join(items) + "]}").encode())
        pools.append(pool)
    return pools


def triple_pools(
    shape: Shape, ids: TransferIds, rng: random.Random, clients: int, requests: int
) -> list[list[tuple[int, int, int]]]:
    """Per client, ``requests`` single transfers as (id, debit, credit) for the naive baseline."""
    draw = shape.pair_source(rng)
    return [[(i, *draw()) for i in ids.take(requests)] for _ in range(clients)]


def raw_batches(
    shape: Shape, ids: TransferIds, rng: random.Random, batch: int
) -> Iterator[list[tuple[int, int, int]]]:
    """Endless batches of (id, debit, credit) for the raw baseline, made between timed batches."""
    draw = shape.pair_source(rng)
    while True:
        yield [(i, *draw()) for i in ids.take(batch)]
