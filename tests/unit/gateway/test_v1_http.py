"""/v1 over HTTP in process: problem+json, request ids, the idempotency guard, rate limits."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pytest
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel
from starlette.responses import JSONResponse

from bankstack.gateway.adapters.ratelimit import MemoryRateLimiter
from bankstack.gateway.api.idempotency import IdempotencyGuard, UnguardedEndpoint
from bankstack.gateway.api.problems import PROBLEMS
from bankstack.gateway.api.ratelimit import RateLimit, per_app
from bankstack.gateway.api.routing import v1_router
from bankstack.gateway.domain.ratelimit import Policy
from bankstack.kernel.clock import ManualClock
from bankstack.kernel.errors import Conflict, NotFound, Unavailable
from tests.unit.gateway.fakes import BrokenLimiter, MemoryIdempotencyStore

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


class TradeMissing(NotFound):
    code = "trade_not_found"


class Body(BaseModel):
    amount: int


class FakeAuth:
    """Stands in for the signature middleware: the app id comes from a test header."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"x-test-app":
                    state = scope.setdefault("state", {})
                    state["app_id"] = value.decode()
                    state["merchant_id"] = "m_" + value.decode()
        await self.app(scope, receive, send)


class Harness:
    def __init__(self) -> None:
        self.store = MemoryIdempotencyStore()
        self.calls = 0
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.fail_next = False
        self.clock = ManualClock()
        self.limiter = MemoryRateLimiter(clock=self.clock)
        self.app = self._build()

    def _build(self) -> FastAPI:
        guard = IdempotencyGuard(self.store)
        money = RateLimit(
            self.limiter, per_app(Policy("app", 3, 1), Policy("merchant", 100, 1)), fail_open=False
        )
        router = v1_router(prefix="/v1")

        @router.post("/trades", status_code=201, dependencies=[Depends(money)])
        @guard
        async def create_trade(body: Body) -> dict[str, Any]:
            self.calls += 1
            self.entered.set()
            if self.gate is not None:
                await _wait(self.gate)
            if self.fail_next:
                self.fail_next = False
                raise RuntimeError("commit failed")
            if body.amount == 1:
                raise InsufficientFunds("the payer's balance is too low", param="amount")
            return {"id": f"trd_{self.calls}", "amount": body.amount}

        @router.post("/sync-trades")
        @guard
        def create_sync(body: Body) -> JSONResponse:
            self.calls += 1
            return JSONResponse({"amount": body.amount}, headers={"Location": "/v1/x"})

        @router.get("/trades/{trade_id}")
        def get_trade(trade_id: str, limit: int = 10) -> dict[str, Any]:
            del limit  # declared so that a malformed value is a validation error
            if trade_id == "boom":
                raise ZeroDivisionError
            if trade_id == "down":
                raise Unavailable("psycopg: server closed the connection")
            if trade_id == "teapot":
                raise HTTPException(418, "short and stout")
            raise TradeMissing(f"no trade {trade_id}", param="trade_id")

        app = FastAPI()
        app.include_router(router)
        app.add_middleware(FakeAuth)
        return app


async def _wait(gate: threading.Event) -> None:
    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

    await run_in_threadpool(gate.wait, 10)


@pytest.fixture
def harness() -> Harness:
    return Harness()


@pytest.fixture
def client(harness: Harness):
    with TestClient(harness.app, headers={"X-Test-App": "app_1"}) as c:
        yield c


def post(client, body: bytes = b'{"amount": 100}', key: str | None = "k1", path="/v1/trades"):
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(path, content=body, headers=headers)


class TestProblems:
    def test_domain_error_has_every_field(self, client):
        response = client.get("/v1/trades/trd_9")
        body = response.json()
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert body == {
            "type": "https://bankstack.dev/problems/trade_not_found",
            "title": "Trade not found",
            "status": 404,
            "detail": "no trade trd_9",
            "instance": "/v1/trades/trd_9",
            "code": "trade_not_found",
            "category": "invalid_request",
            "retryable": False,
            "request_id": response.headers["Request-Id"],
            "param": "trade_id",
            "doc_url": "https://docs.bankstack.dev/errors/trade_not_found",
        }
        assert body["request_id"].startswith("req_")
        assert response.headers["X-Request-ID"] == body["request_id"]

    def test_validation_error_is_400_with_param(self, client):
        response = client.get("/v1/trades/x", params={"limit": "many"})
        body = response.json()
        assert response.status_code == 400
        assert (body["code"], body["param"], body["category"]) == (
            "parameter_invalid",
            "limit",
            "invalid_request",
        )
        assert body["errors"][0]["loc"] == ["query", "limit"]

    def test_unexpected_error_is_a_bare_500(self, client):
        response = client.get("/v1/trades/boom")
        body = response.json()
        assert response.status_code == 500
        assert (body["code"], body["category"]) == ("internal_error", "internal")
        assert "ZeroDivision" not in response.text

    def test_unavailable_hides_the_driver_message(self, client):
        response = client.get("/v1/trades/down")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert response.json()["category"] == "upstream_unavailable"
        assert "psycopg" not in response.text

    def test_http_exceptions_become_problems(self, client):
        response = client.get("/v1/trades/teapot")
        body = response.json()
        assert response.status_code == 418
        assert (body["code"], body["detail"], body["category"]) == (
            "http_418",
            "short and stout",
            "invalid_request",
        )

    def test_registered_business_decline(self, client, monkeypatch):
        monkeypatch.setattr(PROBLEMS, "_entries", list(PROBLEMS._entries))
        PROBLEMS.register(InsufficientFunds, status=402, category="business_declined")
        response = post(client, b'{"amount": 1}')
        body = response.json()
        assert response.status_code == 402
        assert (body["code"], body["category"], body["param"]) == (
            "insufficient_funds",
            "business_declined",
            "amount",
        )

    def test_success_carries_the_request_id(self, client):
        response = post(client)
        assert response.status_code == 201
        assert response.headers["Request-Id"].startswith("req_")
        assert response.headers["Request-Id"] == response.headers["X-Request-ID"]


class TestIdempotency:
    def test_missing_key_on_a_money_post(self, client, harness):
        response = post(client, key=None)
        body = response.json()
        assert response.status_code == 400
        assert (body["code"], body["category"]) == ("idempotency_key_missing", "idempotency")
        assert harness.calls == 0

    def test_replay_returns_identical_bytes(self, client, harness):
        first = post(client)
        again = post(client)
        assert harness.calls == 1
        assert again.status_code == first.status_code == 201
        assert again.content == first.content
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["Request-Id"] != first.headers["Request-Id"]

    def test_same_key_other_body_is_422(self, client, harness):
        post(client)
        response = post(client, b'{"amount": 101}')
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert harness.calls == 1

    def test_keys_are_scoped_per_app(self, client, harness):
        post(client)
        other = client.post(
            "/v1/trades",
            content=b'{"amount": 100}',
            headers={
                "Idempotency-Key": "k1",
                "X-Test-App": "app_2",
                "content-type": "application/json",
            },
        )
        assert other.status_code == 201
        assert harness.calls == 2

    def test_a_failure_that_committed_nothing_is_retried_for_real(self, client, harness):
        harness.fail_next = True
        assert post(client).status_code == 500
        retry = post(client)
        assert retry.status_code == 201
        assert "Idempotent-Replayed" not in retry.headers
        assert harness.calls == 2

    def test_business_declines_are_replayed(self, client, harness, monkeypatch):
        monkeypatch.setattr(PROBLEMS, "_entries", list(PROBLEMS._entries))
        PROBLEMS.register(InsufficientFunds, status=402, category="business_declined")
        first = post(client, b'{"amount": 1}')
        again = post(client, b'{"amount": 1}')
        assert first.status_code == again.status_code == 402
        assert again.content == first.content
        assert harness.calls == 1

    def test_conflicts_are_not_stored(self, client, harness):
        # Unregistered, the decline is a plain Conflict (409): "try again", so not kept.
        assert post(client, b'{"amount": 1}').status_code == 409
        assert post(client, b'{"amount": 1}').status_code == 409
        assert harness.calls == 2

    def test_concurrent_request_with_the_key_gets_409(self, harness):
        harness.gate = threading.Event()
        results: dict[str, Any] = {}

        def first() -> None:
            with TestClient(harness.app, headers={"X-Test-App": "app_1"}) as c:
                results["first"] = post(c)

        thread = threading.Thread(target=first)
        thread.start()
        assert harness.entered.wait(10)
        with TestClient(harness.app, headers={"X-Test-App": "app_1"}) as c:
            second = post(c)
        harness.gate.set()
        thread.join(10)
        assert second.status_code == 409
        assert second.headers["Retry-After"] == "1"
        assert second.json()["code"] == "idempotency_key_in_use"
        assert results["first"].status_code == 201
        assert harness.calls == 1

    def test_sync_endpoints_are_guarded_and_keep_their_headers(self, client, harness):
        first = post(client, path="/v1/sync-trades")
        again = post(client, path="/v1/sync-trades")
        assert harness.calls == 1
        assert again.headers["Location"] == first.headers["Location"] == "/v1/x"
        assert again.content == first.content

    def test_a_marked_endpoint_refuses_to_run_unguarded(self):
        guard = IdempotencyGuard(MemoryIdempotencyStore())
        app = FastAPI()

        @app.post("/v1/plain")
        @guard
        async def plain() -> dict[str, str]:
            return {"moved": "money"}

        with TestClient(app) as c, pytest.raises(UnguardedEndpoint, match="V1Route"):
            c.post("/v1/plain")

    def test_unauthenticated_requests_have_no_scope(self, harness):
        with TestClient(harness.app) as c:
            response = post(c)
        assert response.status_code == 401
        assert "WWW-Authenticate" in response.headers


class TestRateLimits:
    def test_headers_then_429(self, client, harness):
        answers = [post(client, key=f"k{n}") for n in range(4)]
        assert [a.status_code for a in answers] == [201, 201, 201, 429]
        assert answers[0].headers["RateLimit-Policy"] == '"app";q=3;w=1, "merchant";q=100;w=1'
        assert answers[0].headers["RateLimit"] == '"app";r=2;t=1, "merchant";r=99;t=1'
        refused = answers[3]
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["code"] == "rate_limited"
        assert refused.json()["category"] == "rate_limit"
        assert refused.headers["RateLimit"].startswith('"app";r=0;')
        # The refused request's key was released, not stored: it succeeds once refilled.
        harness.clock.advance(1)
        assert post(client, key="k3").status_code == 201

    def test_money_fails_closed_and_reads_fail_open(self):
        closed = RateLimit(BrokenLimiter(), per_app(Policy("app", 1, 1)), fail_open=False)
        opened = RateLimit(BrokenLimiter(), per_app(Policy("app", 1, 1)), fail_open=True)
        router = v1_router()

        @router.get("/v1/closed", dependencies=[Depends(closed)])
        def read_closed() -> dict[str, bool]:
            return {"ok": True}

        @router.get("/v1/open", dependencies=[Depends(opened)])
        def read_open() -> dict[str, bool]:
            return {"ok": True}

        app = FastAPI()
        app.include_router(router)
        app.add_middleware(FakeAuth)
        with TestClient(app, headers={"X-Test-App": "app_1"}) as c:
            down = c.get("/v1/closed")
            up = c.get("/v1/open")
        assert down.status_code == 503
        assert down.json()["code"] == "rate_limiter_unavailable"
        assert down.headers["Retry-After"] == "1"
        assert up.status_code == 200
        assert "RateLimit" not in up.headers


def test_request_state_is_shared_with_platform_helpers():
    from bankstack.platform.problems import request_id_of  # noqa: PLC0415

    router = v1_router()

    @router.get("/v1/echo")
    def echo(request: Request) -> dict[str, Any]:
        return {"platform_sees": request_id_of(request)}

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as c:
        response = c.get("/v1/echo")
    assert response.json()["platform_sees"] == response.headers["Request-Id"]
