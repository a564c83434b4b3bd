"""The demo's partner apps at work: a few threads running ``demo_scenarios`` over HTTP.

Every ``/v1`` call goes through the SDK (``BankstackClient``): signed with the app's key,
its answer's platform signature checked against the JWKS (fetched once, in ``prepare``), and
retried by the SDK with the same ``Idempotency-Key`` on a 5xx, a 429 or a connection error.
Staff calls (top-ups, payment codes, dispute rulings) go to ``/admin`` with the bearer token;
the simulated risk reviewer (``demo_reviewer``) works ``/risk/cases`` alongside, on its own
thread. A customer asked for a one-time code reads it on their phone: ``phone`` (in the demo,
the runtime's in-memory code inbox, the same process).

The workers share one target rate of new scenarios per second; a follow-up (a refund, an
escrow release) waits in a shared queue until it is due and runs on the next free worker.
Counts are kept per outcome (``paid``, ``refunds``, ``escrow held`` ...) and failures per
error code (or exception type, for a bug: the worker carries on), for the status line.
Follow-ups still waiting when the demo stops are dropped: a trade left unrefunded stays paid,
and an escrow left held is refunded at its one-hour deadline by the payments worker.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Self

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bankstack.entrypoints.demo_partners import CURRENCY, PartnerApp
from bankstack.entrypoints.demo_paying import Step
from bankstack.entrypoints.demo_reviewer import Reviewer
from bankstack.entrypoints.demo_scenarios import run_scenario
from bankstack.kernel.ids import new_id
from bankstack_sdk import BankstackClient, BankstackSdkError, TransportFailed
from bankstack_sdk.problems import api_error

SHOWCASE_FEN: Final = 36_00
SHOWCASE_TIMEOUT_S: Final = 3_600
_MAX_WAIT_S: Final = 0.25


@dataclass(frozen=True, slots=True)
class Showcase:
    """A waiting trade for a person to pay in the browser, at its cashier page."""

    app: PartnerApp
    trade_id: str
    cashier_url: str


@dataclass
class PartnerStats:
    """Outcomes and failures since the start, safe to read from another thread."""

    outcomes: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.outcomes[what] += n

    def fail(self, code: str) -> None:
        with self.lock:
            self.failures[code] += 1

    def snapshot(self) -> tuple[Counter[str], Counter[str]]:
        with self.lock:
            return Counter(self.outcomes), Counter(self.failures)


@dataclass(order=True)
class _FollowUp:
    due: float
    seq: int
    step: Step = field(compare=False)


class PartnerTraffic:
    def __init__(
        self,
        base_url: str,
        admin_token: str,
        apps: Sequence[PartnerApp],
        *,
        rate: float,
        workers: int = 2,
        seed: int | None = None,
        phone: Callable[[str], str | None] = lambda _customer: None,
    ) -> None:
        self.base_url = base_url
        self.admin_token = admin_token
        self.apps = tuple(apps)
        self.stats = PartnerStats()
        self.platform_keys: Mapping[str, Sequence[Ed25519PublicKey]] = {}
        self._interval = workers / max(rate, 0.01)
        self._workers = workers
        self._seed = seed if seed is not None else random.randrange(1 << 32)  # noqa: S311
        self.phone = phone
        self.reviewer = Reviewer(base_url, admin_token, seed=self._seed)
        self._sequences: Counter[str] = Counter()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._queue: list[_FollowUp] = []
        self._seq = itertools.count()
        self._queue_lock = threading.Lock()

    def prepare(self) -> Showcase:
        """Fetch the platform keys and open a trade for a person to pay: the first calls."""
        app = self.apps[0]
        with self.client(app) as api:
            self.platform_keys = api.fetch_platform_keys()
            body = {
                "out_trade_no": f"showcase-{new_id():032x}",
                "amount": {"amount": SHOWCASE_FEN, "currency": CURRENCY},
                "subject": f"{app.merchant.subjects[0]} x2 (pay me in your browser)",
                "timeout_s": SHOWCASE_TIMEOUT_S,
            }
            trade = api.post("/v1/trades", body).data
        return Showcase(app, trade["id"], trade["cashier_url"])

    def client(self, app: PartnerApp, http: httpx.Client | None = None) -> BankstackClient:
        return BankstackClient(
            self.base_url,
            app_id=app.app_id,
            signing_key=app.key,
            platform_keys=self.platform_keys or None,
            http=http,
            max_retries=2,
            sleep=self.pause,
        )

    def pause(self, seconds: float) -> None:
        """The SDK's back-off sleep, cut short when the demo stops."""
        self._stop.wait(seconds)

    def start(self) -> None:
        self.reviewer.start()
        for n in range(self._workers):
            thread = threading.Thread(target=self._run, args=(n,), name=f"demo-partner-{n}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        self.reviewer.stop(timeout)

    def sequence(self, name: str) -> int:
        with self._queue_lock:
            self._sequences[name] += 1
            return self._sequences[name] - 1

    def later(self, delay_s: float, step: Step) -> None:
        due = _FollowUp(time.monotonic() + delay_s, next(self._seq), step)
        with self._queue_lock:
            heapq.heappush(self._queue, due)

    def _due(self) -> tuple[Step | None, float]:
        """A follow-up that is due, else None and the seconds until the next one."""
        with self._queue_lock:
            if not self._queue:
                return None, _MAX_WAIT_S
            wait = self._queue[0].due - time.monotonic()
            if wait > 0:
                return None, wait
            return heapq.heappop(self._queue).step, 0.0

    def _run(self, n: int) -> None:
        with _Worker(self, random.Random(self._seed + n)) as worker:  # noqa: S311 - simulation
            next_at = time.monotonic() + self._interval * n / self._workers
            while not self._stop.is_set():
                step, wait = self._due()
                if step is not None:
                    self._attempt(worker, step)
                    continue
                now = time.monotonic()
                if now >= next_at:
                    self._attempt(worker, lambda partner: run_scenario(partner, self.apps))
                    next_at = max(next_at + self._interval, time.monotonic() - self._interval)
                    continue
                self._stop.wait(min(next_at - now, wait, _MAX_WAIT_S))

    def _attempt(self, worker: _Worker, step: Step) -> None:
        try:
            step(worker)
        except BankstackSdkError as error:
            if not self._stop.is_set():  # calls cut off by the shutdown are not failures
                self.stats.fail(error.code)
        except Exception as error:  # noqa: BLE001 - shown on the status line; the worker goes on
            self.stats.fail(type(error).__name__)


class _Worker:
    """One thread's HTTP connections and SDK clients: what ``demo_scenarios.Partner`` needs."""

    def __init__(self, traffic: PartnerTraffic, rng: random.Random) -> None:
        self.rng = rng
        self._traffic = traffic
        self._http = httpx.Client(timeout=10.0)
        self._clients: dict[str, BankstackClient] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.close()

    def api(self, app: PartnerApp) -> BankstackClient:
        client = self._clients.get(app.app_id)
        if client is None:
            client = self._clients[app.app_id] = self._traffic.client(app, self._http)
        return client

    def admin(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._traffic.admin_token}"}
        try:
            response = self._http.post(self._traffic.base_url + path, json=body, headers=headers)
        except httpx.TransportError as error:
            raise TransportFailed(f"POST {path} failed: {error}") from error
        if not response.is_success:
            raise api_error(response.status_code, response.headers, response.content, signed=False)
        answer: dict[str, Any] = response.json()
        return answer

    def later(self, delay_s: float, step: Step) -> None:
        self._traffic.later(delay_s, step)

    def phone(self, customer_id: str) -> str | None:
        return self._traffic.phone(customer_id)

    def sequence(self, name: str) -> int:
        return self._traffic.sequence(name)

    def count(self, what: str, n: int = 1) -> None:
        self._traffic.stats.count(what, n)
