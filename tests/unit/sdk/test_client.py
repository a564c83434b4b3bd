"""BankstackClient against an in-memory API (httpx.MockTransport): signing, checks, retries."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from bankstack_sdk.client import ApiResponse, BankstackClient
from bankstack_sdk.errors import ApiError, ResponseSignatureError, TransportFailed
from bankstack_sdk.fields import parse_idempotency_key
from bankstack_sdk.jwks import to_jwks
from bankstack_sdk.problems import api_error, retry_after_seconds
from bankstack_sdk.signing import SigningKey, sign_response, verify_request

BASE = "https://api.bank.example"
NOW = 1_795_321_443
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

# What the fake API answers, in order: (status, JSON body, extra headers), or an exception.
Outcome = tuple[int, Any, dict[str, str]] | Exception


class FakeApi:
    """Verifies each request as the server would, then plays the next scripted outcome."""

    def __init__(
        self, app_key: SigningKey, platform_key: SigningKey, script: list[Outcome]
    ) -> None:
        self.app_key = app_key
        self.platform_key = platform_key
        self.script = list(script)
        self.requests: list[httpx.Request] = []
        self.nonces: list[str] = []
        self.unsigned_statuses: set[int] = set()  # what a proxy in front would answer
        self.tamper: Callable[[dict[str, str]], dict[str, str]] = lambda headers: headers

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/jwks.json":
            jwks = to_jwks([(self.platform_key.key_id, self.platform_key.public_key)])
            return httpx.Response(200, json=jwks)
        verified = verify_request(
            request.method,
            str(request.url),
            request.headers,
            request.content,
            lambda _: [self.app_key.public_key],
            now=NOW,
        )
        self.requests.append(request)
        self.nonces.append(verified.nonce)
        outcome = self.script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        status, payload, extra = outcome
        content = b"" if payload is None else json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/problem+json" if status >= 400 else "application/json"
        }
        headers |= extra
        if status not in self.unsigned_statuses:
            headers |= sign_response(
                status,
                headers,
                content,
                request_method=request.method,
                request_url=str(request.url),
                request_headers=request.headers,
                key=self.platform_key,
                created=NOW,
            )
        return httpx.Response(status, headers=self.tamper(headers), content=content)

    def idempotency_keys(self) -> list[str | None]:
        return [r.headers.get("idempotency-key") for r in self.requests]


def _client(api: FakeApi, sleeps: list[float], *, pinned: bool = True) -> BankstackClient:
    keys = {api.platform_key.key_id: [api.platform_key.public_key]} if pinned else None
    return BankstackClient(
        BASE,
        app_id="app_2021001",
        signing_key=api.app_key,
        platform_keys=keys,
        http=httpx.Client(transport=httpx.MockTransport(api)),
        sleep=sleeps.append,
        clock=lambda: NOW,
    )


def _problem(status: int, code: str, **extra: Any) -> tuple[int, Any, dict[str, str]]:
    body = {"type": f"https://docs.bank.example/errors/{code}", "title": code, "status": status}
    return status, {**body, "code": code, **extra}, {}


@pytest.fixture
def make(app_key: SigningKey, platform_key: SigningKey):
    def build(script: list[Outcome], **kwargs: Any) -> tuple[FakeApi, BankstackClient, list[float]]:
        api, sleeps = FakeApi(app_key, platform_key, script), list[float]()
        return api, _client(api, sleeps, **kwargs), sleeps

    return build


def test_post_is_signed_versioned_idempotent_and_verified(make):
    api, client, sleeps = make([(201, {"id": "trd_1", "object": "trade"}, {})])
    response = client.post("/v1/trades", {"amount": {"amount": 8888, "currency": "CNY"}})
    assert response == ApiResponse(
        201,
        response.headers,
        b'{"id": "trd_1", "object": "trade"}',
        {"id": "trd_1", "object": "trade"},
    )
    sent = api.requests[0]
    assert sent.content == b'{"amount":{"amount":8888,"currency":"CNY"}}'
    assert sent.headers["bank-version"] == "2026-11-01"
    assert sent.headers["content-type"] == "application/json"
    assert UUID4.fullmatch(parse_idempotency_key(sent.headers["idempotency-key"]))
    assert sleeps == []


def test_retries_reuse_the_idempotency_key_and_honour_retry_after(make):
    script: list[Outcome] = [
        httpx.ConnectError("connection reset"),
        _problem(503, "upstream_unavailable"),
        (*_problem(409, "idempotency_key_in_use")[:2], {"Retry-After": "1"}),
        (201, {"id": "trd_1"}, {}),
    ]
    api, client, sleeps = make(script)
    assert client.post("/v1/trades", {"a": 1}, idempotency_key="order-42").status == 201
    assert api.idempotency_keys() == ['"order-42"'] * 4
    assert len(set(api.nonces)) == 4  # every attempt is signed afresh
    assert len(sleeps) == 3
    assert sleeps[2] >= 1.0
    assert all(0 <= s <= 8 for s in sleeps)


def test_an_auto_generated_key_is_the_same_on_every_retry(make):
    api, client, _ = make([_problem(500, "internal"), (200, {"ok": True}, {})])
    client.post("/v1/trades", {"a": 1})
    first, second = api.idempotency_keys()
    assert first == second
    assert first is not None


def test_a_4xx_is_raised_at_once_with_the_problem_fields(make):
    problem = _problem(
        422,
        "idempotency_key_reused",
        category="idempotency",
        detail="different body",
        retryable=False,
        request_id="req_1",
    )
    api, client, sleeps = make([problem, (201, {}, {})])
    with pytest.raises(ApiError) as caught:
        client.post("/v1/trades", {"a": 1})
    error = caught.value
    assert (error.status, error.code, error.category, error.detail) == (
        422,
        "idempotency_key_reused",
        "idempotency",
        "different body",
    )
    assert (error.retryable, error.request_id, error.signed) == (False, "req_1", True)
    assert len(api.requests) == 1
    assert sleeps == []


def test_a_409_conflict_other_than_key_in_use_is_not_retried(make):
    api, client, _ = make([_problem(409, "out_trade_no_conflict"), (201, {}, {})])
    with pytest.raises(ApiError, match="out_trade_no_conflict"):
        client.post("/v1/trades", {"a": 1})
    assert len(api.requests) == 1


def test_retries_stop_after_max_retries(make):
    api, client, sleeps = make([_problem(503, "upstream_unavailable")] * 5)
    with pytest.raises(ApiError) as caught:
        client.post("/v1/trades", {"a": 1})
    assert caught.value.status == 503
    assert caught.value.retryable is True
    assert len(api.requests) == 4
    assert len(sleeps) == 3


def test_a_non_idempotent_request_without_a_key_is_never_retried(make):
    api, client, _ = make([_problem(503, "upstream_unavailable"), (200, {}, {})])
    with pytest.raises(ApiError):
        client.request("PATCH", "/v1/merchants/m_1", json={"name": "x"})
    api2, client2, _ = make([httpx.ConnectError("refused"), (200, {}, {})])
    with pytest.raises(TransportFailed):
        client2.request("PATCH", "/v1/merchants/m_1", json={"name": "x"})
    assert len(api.requests) == len(api2.requests) == 1
    assert api.idempotency_keys() == [None]


def test_a_get_is_retried_after_a_connection_error(make):
    api, client, _ = make([httpx.ReadTimeout("slow"), (200, {"id": "trd_1"}, {})])
    assert client.get("/v1/trades/trd_1", {"expand[]": "refunds"}).data == {"id": "trd_1"}
    assert str(api.requests[1].url) == f"{BASE}/v1/trades/trd_1?expand%5B%5D=refunds"


def test_unsigned_or_badly_signed_2xx_is_refused(make):
    api, client, _ = make([(200, {"balance": 1}, {})])
    api.unsigned_statuses = {200}
    with pytest.raises(ResponseSignatureError) as caught:
        client.get("/v1/balance")
    assert (caught.value.code, caught.value.status) == ("signature_missing", 200)

    api, client, _ = make([(200, {"balance": 1}, {})])
    api.tamper = lambda headers: {**headers, "Content-Digest": "sha-256=:" + "A" * 43 + "=:"}
    with pytest.raises(ResponseSignatureError) as caught:
        client.get("/v1/balance")
    assert caught.value.code == "digest_mismatch"


def test_a_response_signed_for_another_request_is_refused(make, platform_key: SigningKey):
    api, client, _ = make([(201, {"id": "trd_1"}, {})])
    foreign = sign_response(
        201,
        {},
        b'{"id": "trd_1"}',
        request_method="POST",
        request_url=f"{BASE}/v1/trades",
        request_headers={"Idempotency-Key": '"someone-else"'},
        key=platform_key,
        created=NOW,
    )
    api.tamper = lambda headers: {**headers, **foreign}
    with pytest.raises(ResponseSignatureError) as caught:
        client.post("/v1/trades", {"a": 1})
    assert caught.value.code == "signature_invalid"


def test_an_unsigned_proxy_error_is_an_api_error_and_retried(make):
    api, client, sleeps = make([(502, None, {})] * 4)
    api.unsigned_statuses = {502}
    with pytest.raises(ApiError) as caught:
        client.get("/v1/ping")
    assert (caught.value.code, caught.value.signed) == ("http_502", False)
    assert len(api.requests) == 4
    assert len(sleeps) == 3


def test_platform_keys_come_from_jwks_and_are_refetched_on_rotation(make):
    api, client, _ = make([(200, {"n": 1}, {}), (200, {"n": 2}, {})], pinned=False)
    assert client.get("/v1/ping").data == {"n": 1}
    api.platform_key = SigningKey.generate("plat_2027_k1")  # the platform rotates
    assert client.get("/v1/ping").data == {"n": 2}
    assert set(client.fetch_platform_keys()) == {"plat_2027_k1"}


def test_paginate_follows_next_cursor(make):
    pages: list[Outcome] = [
        (200, {"object": "list", "data": [1, 2], "has_more": True, "next_cursor": "c2"}, {}),
        (200, {"object": "list", "data": [3], "has_more": False, "next_cursor": None}, {}),
    ]
    api, client, _ = make(pages)
    assert list(client.paginate("/v1/trades", {"limit": 2})) == [1, 2, 3]
    assert [str(r.url) for r in api.requests] == [
        f"{BASE}/v1/trades?limit=2",
        f"{BASE}/v1/trades?limit=2&cursor=c2",
    ]


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds({"Retry-After": "2"}, NOW) == 2.0
    date = format_datetime(dt.datetime.fromtimestamp(NOW + 30, tz=dt.UTC), usegmt=True)
    assert retry_after_seconds({"retry-after": date}, NOW) == 30.0
    assert retry_after_seconds({"Retry-After": "soon"}, NOW) is None
    assert retry_after_seconds({}, NOW) is None


def test_a_non_json_error_still_becomes_an_api_error():
    error = api_error(503, {"Request-Id": "req_9"}, b"<html>busy</html>", signed=False)
    assert (error.code, error.detail, error.retryable, error.request_id) == (
        "http_503",
        "<html>busy</html>",
        True,
        "req_9",
    )
