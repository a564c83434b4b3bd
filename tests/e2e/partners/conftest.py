"""A bankstack app with a demo merchant, a test-mode partner app and funded customers.

The partner talks to the app through the SDK (``BankstackClient``) over FastAPI's
``TestClient`` transport: real HTTP semantics, real signatures, no sockets.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bankstack.entrypoints.api import create_app
from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.kernel.ids import new_id
from bankstack.platform.settings import load_settings
from bankstack_sdk import BankstackClient
from bankstack_sdk.signing import SigningKey

ADMIN = "admin-token-for-tests"
BASE = "http://testserver"
CUSTOMERS = ("alice", "bob", "carol")
DEPOSIT = 1_000_000  # fen: 10,000.00 CNY each


@dataclass
class Bank:
    runtime: Runtime
    http: TestClient
    merchant_id: str
    app_id: str
    key: SigningKey

    def admin(self, path: str, body: dict[str, object]) -> dict[str, object]:
        answer = self.http.post(path, json=body, headers={"Authorization": f"Bearer {ADMIN}"})
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def partner(self, key: SigningKey | None = None, **options: Any) -> BankstackClient:
        return BankstackClient(
            BASE, app_id=self.app_id, signing_key=key or self.key, http=self.http, **options
        )


@pytest.fixture
def allow_private_destinations() -> bool:
    """The tests' webhook receivers listen on loopback; a test module may override this."""
    return True


@pytest.fixture
def bank(db_url: str, tmp_path: Path, allow_private_destinations: bool) -> Iterator[Bank]:
    settings = load_settings(
        database_url=db_url,
        admin_token=SecretStr(ADMIN),
        key_dir=str(tmp_path / "keys"),
        allow_private_destinations=allow_private_destinations,
    )
    runtime = build_runtime(settings, start_relay=False, start_workers=False)
    runtime.payments.setup_currency("CNY")
    http = TestClient(create_app(runtime), base_url=BASE)
    merchant = f"m{new_id() % 10**12}"
    bank = Bank(runtime, http, merchant, "", SigningKey.generate("pending"))
    bank.admin("/admin/merchants", {"merchant_id": merchant, "name": "Noodle Bar"})
    app = bank.admin("/admin/apps", {"merchant_id": merchant, "mode": "test"})
    raw = bank.key.private_key.public_key().public_bytes_raw()
    key = bank.admin(
        f"/admin/apps/{app['id']}/keys",
        {"public_key": base64.urlsafe_b64encode(raw).decode().rstrip("=")},
    )
    bank.app_id = str(app["id"])
    bank.key = SigningKey(str(key["kid"]), bank.key.private_key)
    for customer in CUSTOMERS:
        bank.admin(
            "/admin/wallets",
            {
                "customer_id": f"{customer}-{merchant}",
                "deposit": {"amount": DEPOSIT, "currency": "CNY"},
            },
        )
    try:
        yield bank
    finally:
        http.close()
        runtime.close()
