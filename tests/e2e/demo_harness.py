"""What the in-process demo tests share: the demo's partner and reviewer over a TestClient.

``InlinePartner`` is ``demo_paying.Partner`` over FastAPI's ``TestClient`` (real signatures,
no sockets): a follow-up the demo would run a second later runs at once, in order. ``Demo``
holds one runtime (risk's in-memory history starts empty with it), the reviewer, and helpers
to read the staff queue and drive the outbox relay by hand. ``seed`` seeds a database once
with the wallets the tests use; ``open_demo`` opens a runtime and its app over it.
"""

from __future__ import annotations

import random
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bankstack.entrypoints.api import create_app
from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.entrypoints.demo_customers import (
    BIG_BUYERS,
    CARD_TESTERS,
    FEATURED,
    INSTALLMENT_PAYERS,
    STRUCTURERS,
    TAKEOVER_VICTIMS,
    Kind,
)
from bankstack.entrypoints.demo_fraud import play
from bankstack.entrypoints.demo_partners import (
    PartnerApp,
    cashier_customers,
    demo_phone,
    seed_partners,
)
from bankstack.entrypoints.demo_paying import Step
from bankstack.entrypoints.demo_reviewer import Reviewer
from bankstack.kernel.ids import new_id
from bankstack.payments import TradeStatus
from bankstack.platform.settings import load_settings
from bankstack_sdk import BankstackClient

with warnings.catch_warnings():  # starlette prefers httpx2 at import; httpx works
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from collections.abc import Iterator

BASE = "http://testserver"
TOKEN = "demo-staff-token-for-tests"  # noqa: S105 - a test credential
STAFF = {"Authorization": f"Bearer {TOKEN}"}
POOLS = (BIG_BUYERS, INSTALLMENT_PAYERS, CARD_TESTERS, TAKEOVER_VICTIMS, STRUCTURERS)
# The featured twenty stand in for the 500 ordinary customers; each pool's first wallet is
# the one whose turn comes first.
SEEDED = (*FEATURED, *(pool[0] for pool in POOLS))


@dataclass(frozen=True)
class Seeded:
    url: str
    key_dir: str
    apps: tuple[PartnerApp, ...]


def seed(url: str, home: Path) -> Seeded:
    settings = load_settings(database_url=url, key_dir=str(home / "keys"))
    runtime = build_runtime(settings, start_relay=False, start_workers=False)
    try:
        apps = seed_partners(runtime, base_url=BASE, customers=SEEDED).apps
    finally:
        runtime.close()
    return Seeded(url, str(home / "keys"), apps)


class InlinePartner:
    """``demo_paying.Partner`` over a ``TestClient``: follow-ups run at once, in order."""

    def __init__(self, runtime: Runtime, http: TestClient, seed: int) -> None:
        self.rng = random.Random(seed)
        self.outcomes: Counter[str] = Counter()
        self.phone = demo_phone(runtime)
        self._http = http
        self._clients: dict[str, BankstackClient] = {}
        self._pending: list[Step] = []
        self._sequences: Counter[str] = Counter()

    def api(self, app: PartnerApp) -> BankstackClient:
        if app.app_id not in self._clients:
            self._clients[app.app_id] = BankstackClient(
                BASE, app_id=app.app_id, signing_key=app.key, http=self._http
            )
        return self._clients[app.app_id]

    def admin(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self._http.post(path, json=body, headers=STAFF)
        assert answer.is_success, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def later(self, delay_s: float, step: Step) -> None:  # noqa: ARG002 - runs next, at once
        self._pending.append(step)

    def count(self, what: str, n: int = 1) -> None:
        self.outcomes[what] += n

    def sequence(self, name: str) -> int:
        self._sequences[name] += 1
        return self._sequences[name] - 1

    def run(self, step: Step) -> None:
        step(self)
        while self._pending:
            self._pending.pop(0)(self)

    def risk(self, kind: Kind) -> dict[str, int]:
        prefix = f"risk {kind} "
        return {k.removeprefix(prefix): v for k, v in self.outcomes.items() if k.startswith(prefix)}


@dataclass
class Demo:
    runtime: Runtime
    http: TestClient
    partner: InlinePartner
    apps: tuple[PartnerApp, ...]
    reviewer: Reviewer

    def play(self, kind: Kind) -> None:
        self.partner.run(lambda partner: play(partner, self.apps, kind))

    def relay_all(self) -> None:
        while self.runtime.relay.relay_once():
            pass

    def review(self) -> int:
        return self.reviewer.review(self.http)

    def cases_of(self, customer_id: str, status: str = "") -> list[dict[str, Any]]:
        query = f"?status={status}&limit=100" if status else "?limit=100"
        queue = self.http.get(f"/risk/cases{query}", headers=STAFF).json()["data"]
        return [c for c in queue if c["subject"] == f"test.{customer_id}"]

    def trades_of(self, case: dict[str, Any]) -> list[TradeStatus]:
        found = self.http.get(f"/risk/cases/{case['id']}", headers=STAFF).json()
        trades = [int(link["id"]) for link in found["links"] if link["kind"] == "trade"]
        return [self.runtime.payments.query(trade).status for trade in trades]


@contextmanager
def open_demo(seeded: Seeded) -> Iterator[Demo]:
    settings = load_settings(
        database_url=seeded.url,
        key_dir=seeded.key_dir,
        admin_token=SecretStr(TOKEN),
        risk_ruleset=f"demo-fraud-{new_id():x}",  # none stored: the packaged default.toml
        redis_url=None,
    )
    runtime = build_runtime(settings, start_relay=False, start_workers=False)
    http = TestClient(create_app(runtime, demo_customers=cashier_customers), base_url=BASE)
    reviewer = Reviewer(BASE, TOKEN, client=lambda: http)
    try:
        yield Demo(runtime, http, InlinePartner(runtime, http, seed=7), seeded.apps, reviewer)
    finally:
        http.close()
        runtime.close()
