"""Fuzz the partner API ``/v1`` (and, briefly, ``/admin``) from the app's own OpenAPI document.

schemathesis generates requests for every ``/v1`` operation except the staff ledger API
(``/v1/ledger`` has its own tests): valid and invalid ones (positive and negative modes),
boundary values and undeclared methods (coverage phase) and, in about half the fuzzed cases,
real ids and values (trades in each state, a refund, events, customers, payment codes) so that
requests get past "not found" into the deeper code paths. Each request is signed like a
partner's (``PartnerSignature`` in conftest: RFC 9421, fresh nonce, ``Idempotency-Key`` on
every POST) and sent through the app in-process. Every answer must be:

- not a 5xx;
- when an error, ``application/problem+json`` with type, title, status (equal to the HTTP
  status), code, category, retryable and request_id;
- signed with the platform key and bound to the request it answers (``verify_response``);
- for a signed request, never a 401: a refusal there would mean client and server disagree on
  what was signed (URL encoding, body bytes), which no partner could work around.

Unsigned requests must all be refused with a signed 401 problem. Staff operations (``/admin``)
get a smaller pass with the admin token. Both of these only fuzz, without the coverage phase.

Deterministic (fixed seed, derandomised, no example database) and bounded: ``MAX_EXAMPLES``
fuzzed cases per operation plus the coverage phase's cases, about 1000 requests in all. No
shrinking: the app keeps state between cases, so a shrunk case would not replay the same; the
failure report gives the request as a curl command instead. SQLite only: the run is about the
HTTP layer.

The bugs it found are fixed and kept as regression tests in test_found_bugs.py.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from random import Random
from typing import Any, Final

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from bankstack.entrypoints.api import create_app
from bankstack.entrypoints.bootstrap import build_runtime
from bankstack.platform.settings import load_settings
from bankstack_sdk.signing import SigningKey, verify_response
from tests.e2e.fuzz.conftest import World, text_headers
from tests.e2e.partners.conftest import ADMIN, Bank

SEED: Final = 20_261_122
MAX_EXAMPLES: Final = 25  # fuzzed cases per operation, on top of the coverage phase's
UNSIGNED_EXAMPLES: Final = 5  # the authenticator refuses before anything else runs
STAFF_EXAMPLES: Final = 15  # fuzzing only: the coverage phase here would double the cost
PROBLEM_JSON: Final = "application/problem+json"
PROBLEM_FIELDS: Final = ("type", "title", "status", "code", "category", "retryable", "request_id")
UNKNOWN_TRADE: Final = f"trd_{1:032x}"  # well formed, nobody's


def _config(max_examples: int, *, coverage: bool = True) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",  # positive and negative
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {"coverage": {"enabled": coverage}, "stateful": {"enabled": False}},
        }
    )


def _openapi_document() -> dict[str, Any]:
    """The app's own ``/openapi.json``, served by a throwaway app: routes do not depend on data.

    Needed at import: schemathesis makes one test item per operation when pytest collects.
    """
    with tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(
            load_settings(database_url=f"sqlite:///{tmp}/openapi.db", key_dir=f"{tmp}/keys"),
            start_relay=False,
            start_workers=False,
        )
        try:
            answer = TestClient(create_app(runtime)).get("/openapi.json")
        finally:
            runtime.close()
    answer.raise_for_status()
    document: dict[str, Any] = answer.json()
    return document


# --- real objects --------------------------------------------------------------------------


class _Aim:
    """The world of the running module; the hook reads it each time it draws a case."""

    world: World | None = None


_AIM: Final = _Aim()


@pytest.fixture(scope="module", autouse=True)
def aimed(world: World) -> Iterator[World]:
    _AIM.world = world
    yield world
    _AIM.world = None


def _aim_at_real_objects(_context: schemathesis.HookContext, case: Any) -> st.SearchStrategy[Any]:
    """Half the fuzzed cases stay as generated; the other half name real objects.

    (A flatmap hook applies to the fuzzing phase; the coverage phase's cases stay as they are.)
    """
    world = _AIM.world
    if world is None:
        return st.just(case)
    real = st.randoms(use_true_random=False).map(partial(_with_real_objects, world, case))
    return st.one_of(st.just(case), real)


def _with_real_objects(world: World, generated: Any, rnd: Random) -> Any:
    case = generated.derive()  # a copy: the generated case stays as it was drawn
    params = dict(case.path_parameters or {})
    if "trade" in params:
        params["trade"] = rnd.choice([*world.trades.values(), UNKNOWN_TRADE])
    if "out_refund_no" in params:
        params["trade"], params["out_refund_no"] = world.refund
    if "event_id" in params and world.events:
        params["event_id"] = rnd.choice(world.events)
    if "customer_id" in params:
        params["customer_id"] = rnd.choice(world.customers)
    if "app_id" in params:
        params["app_id"] = world.app_id
    case.path_parameters = params
    if isinstance(case.query, dict) and "out_trade_no" in case.query:
        case.query = {**case.query, "out_trade_no": rnd.choice(world.out_trade_nos)}
    if isinstance(case.body, dict):
        case.body = _real_body(world, case.body, rnd)
    return case


def _real_body(world: World, body: dict[str, Any], rnd: Random) -> dict[str, Any]:
    real: dict[str, Any] = _integral(body)
    for name in ("customer_id", "buyer_id"):
        if name in real:
            real[name] = rnd.choice(world.customers)
    if "auth_code" in real:
        real["auth_code"] = rnd.choice(world.payment_codes)
    if "merchant_id" in real:
        real["merchant_id"] = world.merchant_id
    if isinstance(real.get("amount"), dict):
        real["amount"] = {**real["amount"], "currency": "CNY"}
    return real


def _integral(value: Any) -> Any:
    """``7.0`` as ``7``: JSON Schema's integers include it, the API's strict ints do not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value


# --- schemas -------------------------------------------------------------------------------


def _schema(document: dict[str, Any], config: schemathesis.Config) -> Any:
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.hook("flatmap_case")(_aim_at_real_objects)
    return schema


DOCUMENT: Final = _openapi_document()
PARTNER_OPERATIONS: Final = (
    _schema(DOCUMENT, _config(MAX_EXAMPLES))
    .include(path_regex=r"^/v1/")
    .exclude(path_regex=r"^/v1/ledger")
)
UNSIGNED_OPERATIONS: Final = (
    _schema(DOCUMENT, _config(UNSIGNED_EXAMPLES, coverage=False))
    .include(path_regex=r"^/v1/")
    .exclude(path_regex=r"^/v1/ledger")
)
STAFF_OPERATIONS: Final = _schema(DOCUMENT, _config(STAFF_EXAMPLES, coverage=False)).include(
    path_regex=r"^/admin/"
)


# --- checks --------------------------------------------------------------------------------


def errors_are_problems(_ctx: Any, response: schemathesis.Response, _case: Any) -> None:
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type == PROBLEM_JSON, f"error answered as {content_type!r}, not {PROBLEM_JSON}"
    body = json.loads(response.content)
    assert isinstance(body, dict), body
    missing = [name for name in PROBLEM_FIELDS if name not in body]
    assert not missing, f"problem without {missing}: {body}"
    assert body["status"] == response.status_code, f"status {body['status']} in the body"
    assert isinstance(body["retryable"], bool), body


def signature_accepted(_ctx: Any, response: schemathesis.Response, _case: Any) -> None:
    if response.status_code == 401:
        raise AssertionError(f"a properly signed request was refused: {response.content!r}")


def refused_unsigned(_ctx: Any, response: schemathesis.Response, _case: Any) -> None:
    assert response.status_code == 401, f"unsigned request answered {response.status_code}"
    assert json.loads(response.content)["code"] == "signature_missing", response.content


def signed_by(platform: SigningKey) -> Callable[..., None]:
    public_key = platform.private_key.public_key()

    def answer_is_signed(_ctx: Any, response: schemathesis.Response, _case: Any) -> None:
        headers = {name: ", ".join(values) for name, values in response.headers.items()}
        assert "signature" in headers, f"{response.status_code} answer without a Signature"
        request = response.request
        verify_response(
            response.status_code,
            headers,
            response.content,
            request_method=request.method or "",
            request_url=request.url or "",
            request_headers=text_headers(request),
            resolve_keys=lambda kid: [public_key] if kid == platform.key_id else [],
            now=int(time.time()),
        )

    return answer_is_signed


@pytest.fixture(scope="module")
def answer_is_signed(bank: Bank) -> Callable[..., None]:
    return signed_by(bank.runtime.partners.platform_key)


# --- tests ---------------------------------------------------------------------------------


@PARTNER_OPERATIONS.parametrize()
def test_signed_requests_get_no_5xx_and_problem_errors(
    case, bank, signed_session, answer_is_signed
):
    case.call_and_validate(
        app=bank.http.app,
        session=signed_session,
        checks=[not_a_server_error, errors_are_problems, answer_is_signed, signature_accepted],
    )


@UNSIGNED_OPERATIONS.parametrize()
def test_unsigned_requests_are_refused(case, bank, unsigned_session, answer_is_signed):
    case.call_and_validate(
        app=bank.http.app,
        session=unsigned_session,
        checks=[refused_unsigned, errors_are_problems, answer_is_signed],
    )


@STAFF_OPERATIONS.parametrize()
def test_staff_requests_get_no_5xx_and_problem_errors(case, bank, unsigned_session):
    case.call_and_validate(
        app=bank.http.app,
        session=unsigned_session,
        headers={"Authorization": f"Bearer {ADMIN}"},
        checks=[not_a_server_error, errors_are_problems],
    )
