"""Fixtures for end-to-end tests: the HTTP app over a real runtime, on each database tier."""

from __future__ import annotations

import dataclasses
import warnings
from typing import TYPE_CHECKING, Any

import pytest

from bankstack.entrypoints.api import create_app
from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.kernel.ids import new_id
from bankstack.platform.settings import load_settings

# starlette warns at import that it would prefer httpx2; the TestClient works with httpx.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from collections.abc import Iterator

TOKEN = "e2e-admin-token"  # noqa: S105 - a test token
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def runtime(db_url: str) -> Iterator[Runtime]:
    settings = load_settings(database_url=db_url, admin_token=TOKEN, expiry_interval_ms=50)
    # The outbox relay is not part of what these tests look at.
    made = build_runtime(settings, start_relay=False)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), headers=AUTH) as test_client:
        yield test_client


@pytest.fixture
def anonymous(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


def client_for(runtime: Runtime, **replace: Any) -> TestClient:
    """A client of an app over ``runtime`` with some parts replaced (writer, reader, settings)."""
    return TestClient(create_app(dataclasses.replace(runtime, **replace)), headers=AUTH)


def new_ids(count: int) -> list[str]:
    return [str(new_id()) for _ in range(count)]


def open_accounts(client: TestClient, count: int, *, flags: list[str] | None = None) -> list[str]:
    ids = new_ids(count)
    body = {"accounts": [{"id": i, "ledger": 1, "code": 1, "flags": flags or []} for i in ids]}
    response = client.post("/v1/ledger/accounts", json=body)
    assert response.status_code == 200, response.text
    assert [r["result"] for r in response.json()["results"]] == ["ok"] * count
    return ids


def transfer(debit: str, credit: str, amount: int | str, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(new_id()),
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": amount,
        "ledger": 1,
        "code": 1,
        **extra,
    }


def post_transfers(client: TestClient, *transfers: dict[str, Any]) -> list[str]:
    response = client.post("/v1/ledger/transfers", json={"transfers": list(transfers)})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(transfers)))
    return [r["result"] for r in results]


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://bankstack.dev/problems/{code}"
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body
