"""``/gateway.do`` over plain HTTP: everything in the form body, as other SDKs send it."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from bankstack.gateway.alipay.commands import SignType
from bankstack.gateway.alipay.signing import verify
from tests.e2e.alipay.support import encode, public_params, signed


@pytest.fixture
def http(served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.base_url, trust_env=False, timeout=10) as client:
        yield client


def test_everything_in_the_form_body(http, served):
    order = {"out_trade_no": f"rw-{uuid.uuid4().hex[:20]}", "total_amount": "1.00", "subject": "s"}
    request = signed(
        public_params("alipay.trade.precreate", time.time_ns()), served.keys.app, order
    )
    response = http.post(
        "/gateway.do",
        content=encode(request),
        headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    body = response.json()
    assert body["alipay_trade_precreate_response"]["code"] == "10000"
    start = response.content.index(b":") + 1
    end = response.content.rindex(b',"sign":')
    assert verify(
        served.keys.platform.public_key(), SignType.RSA2, response.content[start:end], body["sign"]
    )


def test_no_parameters_at_all(http):
    response = http.get("/gateway.do")
    assert response.status_code == 200
    answer = json.loads(response.content)["error_response"]
    assert (answer["code"], answer["sub_code"]) == ("40001", "isv.missing-method")


def test_an_oversized_body_is_refused_unread(http):
    response = http.post(
        "/gateway.do",
        content=b"a=" + b"x" * (256 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    answer = response.json()["error_response"]
    assert (answer["code"], answer["sub_code"]) == ("40002", "isv.invalid-parameter")
