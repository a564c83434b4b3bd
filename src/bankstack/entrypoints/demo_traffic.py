"""Simulated traffic for the demo bank, posted through the HTTP API like any other client.

A few worker threads share a target rate (transfers per second) and pick, each time:

- a payment: customer -> merchant (log-normal amount, median 35 CNY), linked with the
  merchant's 0.6 % fee to the bank's fee income, all or nothing;
- a peer-to-peer transfer between two customers;
- a two-phase payment (card-style authorisation): a pending transfer, then a post (in full
  or in part) or a void a few seconds later, or a short timeout left to expire;
- a retry of an earlier request, byte for byte (the ledger answers ``exists``);
- a purchase far above a wallet's balance (``exceeds_credits``);
- a cash top-up of a wallet, and a merchant payout of its whole balance (``balancing_debit``).

Every transfer gets a fresh time-ordered id (``kernel.ids.new_id``). Counts are kept per result
code, for the demo's status line.
"""

from __future__ import annotations

import heapq
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
import orjson

from bankstack.kernel.ids import new_id

# -- the demo bank's chart of accounts (fixed ids, so that seeding again changes nothing) --------

CURRENCY_LEDGER: Final = 1  # CNY, scale 2: amounts are fen
# Account codes
ACCOUNT_WALLET: Final = 1  # customer wallet (a liability of the bank): debits <= credits
ACCOUNT_SETTLEMENT: Final = 2  # merchant settlement account: debits <= credits
ACCOUNT_CASH: Final = 3  # the bank's cash / funding (an asset): credits <= debits
ACCOUNT_FEE_INCOME: Final = 4  # the bank's fee income
# Transfer codes
CODE_DEPOSIT: Final = 1
CODE_PAYMENT: Final = 2
CODE_P2P: Final = 3
CODE_FEE: Final = 4
CODE_PAYOUT: Final = 5

BANK_CASH: Final = 1_000_001
FEE_INCOME: Final = 1_000_002
_MERCHANT_BASE: Final = 2_000_001
_CUSTOMER_BASE: Final = 3_000_001
_DEPOSIT_BASE: Final = 9_000_001  # the opening deposit of customer n is 9_000_001 + n


def merchant_id(n: int) -> int:
    return _MERCHANT_BASE + n


def customer_id(n: int) -> int:
    return _CUSTOMER_BASE + n


def deposit_id(n: int) -> int:
    return _DEPOSIT_BASE + n


TRANSFERS_PATH: Final = "/v1/ledger/transfers"
_FEE_BPS: Final = 60  # 0.6 %
_ACTIONS: Final = (
    ("payment", 52),
    ("p2p", 18),
    ("two_phase", 12),
    ("retry", 5),
    ("big_purchase", 4),
    ("top_up", 6),
    ("payout", 3),
)


@dataclass
class TrafficStats:
    """Counts since the start, safe to read from another thread via ``snapshot``."""

    results: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    errors: int = 0
    pending_open: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, results: list[str]) -> None:
        with self.lock:
            self.requests += 1
            self.results.update(results)

    def snapshot(self) -> tuple[Counter[str], int, int, int]:
        with self.lock:
            return Counter(self.results), self.requests, self.errors, self.pending_open


@dataclass(order=True)
class _FollowUp:
    due: float
    pending_id: int = field(compare=False)
    amount: int = field(compare=False)
    action: str = field(compare=False)  # "post", "post_partial" or "void"


class TrafficSimulator:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        tps: float,
        customers: int,
        merchants: int,
        workers: int = 4,
        seed: int | None = None,
    ) -> None:
        self._base_url = base_url
        self._token = token
        self._rate = max(tps, 0.1) / workers
        self._customers = customers
        self._merchants = merchants
        self._workers = workers
        self._seed = seed if seed is not None else random.randrange(1 << 32)  # noqa: S311
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._follow_ups: list[_FollowUp] = []
        self._recent: list[bytes] = []  # request bodies that may be retried
        self._shared = threading.Lock()
        self.stats = TrafficStats()

    def start(self) -> None:
        for n in range(self._workers):
            thread = threading.Thread(target=self._run, args=(n,), name=f"demo-traffic-{n}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    # -- one worker ------------------------------------------------------------------------------

    def _run(self, n: int) -> None:
        rng = random.Random(self._seed + n)  # noqa: S311 - simulated traffic, not secrets
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=self._base_url, headers=headers, timeout=30.0) as client:
            next_at = time.monotonic()
            while not self._stop.is_set():
                transfers, body = self._next_request(rng)
                try:
                    response = client.post(TRANSFERS_PATH, content=body)
                    response.raise_for_status()
                    results = [r["result"] for r in response.json()["results"]]
                except (httpx.HTTPError, ValueError, KeyError):
                    if not self._stop.is_set():
                        with self.stats.lock:
                            self.stats.errors += 1
                    continue
                self.stats.record(results)
                self._after(rng, transfers, results, body)
                next_at += len(transfers) / self._rate
                delay = next_at - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_at = time.monotonic()  # fell behind: do not burst to catch up

    def _next_request(self, rng: random.Random) -> tuple[list[dict[str, Any]], bytes]:
        due = self._due_follow_up()
        if due is not None:
            transfers = [self._resolve(due)]
        else:
            action = rng.choices([a for a, _ in _ACTIONS], [w for _, w in _ACTIONS])[0]
            if action == "retry":
                with self._shared:
                    previous = rng.choice(self._recent) if self._recent else None
                if previous is not None:
                    return orjson.loads(previous)["transfers"], previous
                action = "payment"
            transfers = getattr(self, f"_{action}")(rng)
        return transfers, orjson.dumps({"transfers": transfers})

    def _after(
        self, rng: random.Random, transfers: list[dict[str, Any]], results: list[str], body: bytes
    ) -> None:
        with self._shared:
            if len(self._recent) < 200 or rng.random() < 0.05:  # noqa: PLR2004
                self._recent.append(body)
                if len(self._recent) > 200:  # noqa: PLR2004
                    self._recent.pop(rng.randrange(len(self._recent)))
            for transfer, result in zip(transfers, results, strict=True):
                if result != "ok" or "pending" not in transfer.get("flags", ()):
                    continue
                if transfer["timeout"] <= 3:  # noqa: PLR2004 - left to expire
                    continue
                action = rng.choices(["post", "post_partial", "void"], [65, 15, 20])[0]
                due = time.monotonic() + rng.uniform(1.0, 4.0)
                follow_up = _FollowUp(due, int(transfer["id"]), transfer["amount"], action)
                heapq.heappush(self._follow_ups, follow_up)
            with self.stats.lock:
                self.stats.pending_open = len(self._follow_ups)

    def _due_follow_up(self) -> _FollowUp | None:
        with self._shared:
            if self._follow_ups and self._follow_ups[0].due <= time.monotonic():
                return heapq.heappop(self._follow_ups)
        return None

    # -- the kinds of traffic ---------------------------------------------------------------------

    def _customer(self, rng: random.Random) -> int:
        return customer_id(rng.randrange(self._customers))

    def _merchant(self, rng: random.Random) -> int:
        # A few merchants take most payments (a canteen, a supermarket): hot accounts.
        return merchant_id(min(int(rng.paretovariate(1.2)) - 1, self._merchants - 1))

    @staticmethod
    def _amount(rng: random.Random, median_yuan: float, sigma: float = 0.9) -> int:
        fen = int(rng.lognormvariate(math.log(median_yuan * 100), sigma))
        return max(fen, 1)

    @staticmethod
    def _transfer(debit: int, credit: int, amount: int, code: int, **extra: Any) -> dict[str, Any]:
        return {
            "id": str(new_id()),
            "debit_account_id": str(debit),
            "credit_account_id": str(credit),
            "amount": amount,
            "ledger": CURRENCY_LEDGER,
            "code": code,
            **extra,
        }

    def _payment(self, rng: random.Random, median: float = 35.0) -> list[dict[str, Any]]:
        amount = self._amount(rng, median)
        merchant = self._merchant(rng)
        fee = max(amount * _FEE_BPS // 10_000, 1)
        return [
            self._transfer(self._customer(rng), merchant, amount, CODE_PAYMENT, flags=["linked"]),
            self._transfer(merchant, FEE_INCOME, fee, CODE_FEE),
        ]

    def _p2p(self, rng: random.Random) -> list[dict[str, Any]]:
        payer, payee = self._customer(rng), self._customer(rng)
        while payee == payer:
            payee = self._customer(rng)
        return [self._transfer(payer, payee, self._amount(rng, 50.0), CODE_P2P)]

    def _two_phase(self, rng: random.Random) -> list[dict[str, Any]]:
        timeout = 2 if rng.random() < 0.15 else 60  # noqa: PLR2004 - some are left to expire
        transfer = self._transfer(
            self._customer(rng), self._merchant(rng), self._amount(rng, 80.0), CODE_PAYMENT,
            flags=["pending"], timeout=timeout,
        )  # fmt: skip
        return [transfer]

    def _resolve(self, follow_up: _FollowUp) -> dict[str, Any]:
        body: dict[str, Any] = {"id": str(new_id()), "pending_id": str(follow_up.pending_id)}
        if follow_up.action == "void":
            body["flags"] = ["void_pending_transfer"]
        else:
            body["flags"] = ["post_pending_transfer"]
            if follow_up.action == "post_partial":  # e.g. a fuel pump: the final amount is less
                body["amount"] = max(follow_up.amount * 3 // 4, 1)
        return body

    def _big_purchase(self, rng: random.Random) -> list[dict[str, Any]]:
        amount = rng.randrange(50_000_00, 200_000_00)
        return [self._transfer(self._customer(rng), self._merchant(rng), amount, CODE_PAYMENT)]

    def _top_up(self, rng: random.Random) -> list[dict[str, Any]]:
        amount = rng.choice((100_00, 200_00, 500_00, 1_000_00))
        return [self._transfer(BANK_CASH, self._customer(rng), amount, CODE_DEPOSIT)]

    def _payout(self, rng: random.Random) -> list[dict[str, Any]]:
        # Settle the merchant's whole balance: balancing_debit clamps the amount to it.
        merchant = merchant_id(rng.randrange(self._merchants))
        return [
            self._transfer(
                merchant, BANK_CASH, 10_000_000_00, CODE_PAYOUT, flags=["balancing_debit"]
            )
        ]
