"""The idempotency guard over HTTP with the SQL store, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
import warnings
from typing import Any

import pytest
from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from bankstack.gateway.adapters.idempotency_sql import SqlIdempotencyStore
from bankstack.gateway.api.idempotency import IdempotencyGuard
from bankstack.gateway.api.routing import v1_router

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient


class Trades:
    """A money endpoint that counts how often it really ran."""

    def __init__(self, engine) -> None:
        self.runs = 0
        self.lock = threading.Lock()
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()
        guard = IdempotencyGuard(SqlIdempotencyStore(engine), scope_of=lambda r: r.headers["x-app"])
        router = v1_router(prefix="/v1")

        @router.post("/trades", status_code=201)
        @guard
        async def create(request: Request) -> dict[str, Any]:
            with self.lock:
                self.runs += 1
                run = self.runs
            self.started.set()
            await run_in_threadpool(self.release.wait, 20)
            return {"id": f"trd_{run}", "body": (await request.body()).decode()}

        self.app = FastAPI()
        self.app.include_router(router)


@pytest.fixture
def trades(engine):
    return Trades(engine)


def post(app, key: str, scope: str, body: str = '{"amount":1}'):
    with TestClient(app) as client:
        return client.post(
            "/v1/trades",
            content=body,
            headers={"Idempotency-Key": key, "x-app": scope, "content-type": "application/json"},
        )


def test_replay_and_reuse(trades):
    scope = f"app_{uuid.uuid4().hex}"
    first = post(trades.app, "k", scope)
    again = post(trades.app, "k", scope)
    other = post(trades.app, "k", scope, '{"amount":2}')
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert trades.runs == 1


def test_two_concurrent_requests_one_runs_the_other_gets_409(trades):
    scope = f"app_{uuid.uuid4().hex}"
    trades.release.clear()
    answers: dict[str, Any] = {}
    first = threading.Thread(target=lambda: answers.update(first=post(trades.app, "k", scope)))
    first.start()
    assert trades.started.wait(20)
    second = post(trades.app, "k", scope)
    trades.release.set()
    first.join(20)
    assert (answers["first"].status_code, second.status_code) == (201, 409)
    assert second.headers["Retry-After"] == "1"
    assert trades.runs == 1
    assert post(trades.app, "k", scope).content == answers["first"].content


def test_simultaneous_arrivals_execute_once(trades):
    scope = f"app_{uuid.uuid4().hex}"
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def send() -> None:
        barrier.wait()
        statuses.append(post(trades.app, "same", scope).status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert trades.runs == 1
    assert sorted(statuses).count(201) >= 1
    assert set(statuses) <= {201, 409}
