"""The demo's staff reviewer: works the risk review queue over HTTP every 20-30 seconds.

It does what a person at the bank would, with the admin token (``Authorization: Bearer``):
reads the queue (``GET /risk/cases``, most urgent first), opens each case file
(``GET /risk/cases/{id}``: links, history, AML alerts), starts investigating
(``POST .../investigate``) and decides (``POST .../resolve``). The demo knows who is who
(``demo_customers``): a case about one of Mallory's wallets is confirmed fraud (held money
goes back to the wallet), any other is a false positive (held money is released and the
trade completes). Either reaches payments through the outbox relay within about a second.

Cases about anyone the demo did not make (a person's own tests on the same database) are
left alone. The AML alerts on the case files it reads are counted once each, by id. A case
another reviewer moved first (409) is skipped, and a failed pass is counted and retried on
the next round.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import httpx

from bankstack.entrypoints.demo_customers import is_fraudster, kind_of
from bankstack.platform.periodic import Periodic

STAFF_ID: Final = "demo-reviewer"
QUEUE_PAGE: Final = 100
MAX_PAGES: Final = 20
_CONFLICT: Final = 409
Json = dict[str, Any]


class ReviewCounts(NamedTuple):
    passes: int
    cases: int  # distinct cases read
    alert_cases: int  # of which opened by an AML alert
    fraud: int  # resolved as confirmed fraud
    cleared: int  # resolved as false positives
    alerts: int  # distinct AML alerts seen on case files
    failures: int

    @property
    def resolved(self) -> int:
        return self.fraud + self.cleared


@dataclass
class _Tally:
    passes: int = 0
    fraud: int = 0
    cleared: int = 0
    failures: int = 0
    cases: set[str] = field(default_factory=set)
    alert_cases: set[str] = field(default_factory=set)
    alerts: set[str] = field(default_factory=set)


class Reviewer:
    def __init__(
        self,
        base_url: str,
        admin_token: str,
        *,
        every_s: tuple[float, float] = (20.0, 30.0),
        seed: int | None = None,
        client: Callable[[], httpx.Client] = lambda: httpx.Client(timeout=10.0),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {admin_token}"}
        rng = random.Random(seed)  # noqa: S311 - when to look, not a secret
        self._client = client
        self._tally = _Tally()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._rounds = Periodic("demo-reviewer", self._round, lambda: rng.uniform(*every_s))

    def counts(self) -> ReviewCounts:
        with self._lock:
            t = self._tally
            return ReviewCounts(t.passes, len(t.cases), len(t.alert_cases), t.fraud, t.cleared,
                                len(t.alerts), t.failures)  # fmt: skip

    def start(self) -> None:
        self._rounds.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()  # a pass in progress ends after the case it is deciding
        self._rounds.stop(timeout)

    def _round(self) -> None:
        try:
            with self._client() as http:
                self.review(http)
        except Exception:  # noqa: BLE001 - counted on the status line; next round
            with self._lock:
                self._tally.failures += 1

    def review(self, http: httpx.Client) -> int:
        """One pass over the queue: every case of a demo customer decided; how many."""
        resolved = 0
        for case_id in self._queue(http):
            if self._stopping.is_set():
                break
            resolved += self._decide(http, case_id)
        with self._lock:
            self._tally.passes += 1
        return resolved

    def _queue(self, http: httpx.Client) -> list[str]:
        """The ids waiting now (open or investigating), read before any is decided."""
        ids: list[str] = []
        params: dict[str, str | int] = {"limit": QUEUE_PAGE}
        for _ in range(MAX_PAGES):
            page = self._call(http, "GET", "/risk/cases", params=params)
            if page is None:
                break
            ids += [case["id"] for case in page["data"]]
            if not page["has_more"]:
                break
            params = {"limit": QUEUE_PAGE, "cursor": page["next_cursor"]}
        return ids

    def _decide(self, http: httpx.Client, case_id: str) -> int:
        found = self._call(http, "GET", f"/risk/cases/{case_id}")
        if found is None or kind_of(found["subject"]) is None:
            return 0  # not the demo's customer: someone else's to decide
        self._note(found)
        base = f"/risk/cases/{case_id}"
        fraud = is_fraudster(found["subject"])
        if found["status"] == "open":
            look = {"staff_id": STAFF_ID, "note": "demo reviewer: checking the case file"}
            self._call(http, "POST", f"{base}/investigate", body=look)
        verdict = {"confirmed": fraud, "note": _why(found, fraud=fraud), "staff_id": STAFF_ID}
        if self._call(http, "POST", f"{base}/resolve", body=verdict) is None:
            return 0
        with self._lock:
            if fraud:
                self._tally.fraud += 1
            else:
                self._tally.cleared += 1
        return 1

    def _note(self, found: Json) -> None:
        with self._lock:
            self._tally.cases.add(found["id"])
            if found["origin"] == "alert":
                self._tally.alert_cases.add(found["id"])
            self._tally.alerts.update(alert["id"] for alert in found["alerts"])

    def _call(
        self,
        http: httpx.Client,
        method: str,
        path: str,
        *,
        body: Json | None = None,
        params: dict[str, str | int] | None = None,
    ) -> Json | None:
        """The answer, or None when the case moved on without us (409); raises otherwise."""
        url = self.base_url + path
        answer = http.request(method, url, json=body, params=params, headers=self._headers)
        if answer.status_code == _CONFLICT:
            return None
        answer.raise_for_status()
        found: Json = answer.json()
        return found


def _why(found: Json, *, fraud: bool) -> str:
    kind = kind_of(found["subject"])
    if fraud:
        return f"demo reviewer: {kind} by one of Mallory's wallets; fraud confirmed"
    return f"demo reviewer: {kind} by a known customer who confirmed it; a false positive"
