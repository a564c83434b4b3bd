"""CPU cost per call of the per-request security work and of the QR code, in this process.

The same library calls the client and the server make for one request, on a request and an
answer shaped like the QR flow's (``POST /v1/trades``), timed with ``time.process_time`` over
``rounds`` calls each: what one paid trade (two requests) costs before any HTTP, framework or
database work. The numbers frame the per-trade CPU budget: at 1,000 trades/s two cores give
2 ms of CPU per trade to everything (client, server, PostgreSQL, Redis).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, Final

import orjson

from bankstack.payments.qr import qr_svg
from bankstack_sdk.fields import format_idempotency_key
from bankstack_sdk.signing import (
    SigningKey,
    sign_request,
    sign_response,
    verify_request,
    verify_response,
)

ROUNDS: Final = 200
QR_ROUNDS: Final = 20
_URL: Final = "http://127.0.0.1:8000/v1/trades"


def _cpu_us(call: Callable[[], Any], rounds: int) -> float:
    call()  # warm caches and imports
    began = time.process_time()
    for _ in range(rounds):
        call()
    return round((time.process_time() - began) / rounds * 1e6, 1)


def calibrate(rounds: int = ROUNDS) -> dict[str, float]:
    """Microseconds of CPU per call, by what the call stands for."""
    partner = SigningKey.generate("app_bench_k1")
    platform = SigningKey.generate("platform")
    body = orjson.dumps(
        {
            "out_trade_no": "bench-calibration-1",
            "amount": {"amount": 1000, "currency": "CNY"},
            "subject": "bench/payments QR trade",
            "method": "qr",
        }
    )
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Idempotency-Key": format_idempotency_key(str(uuid.uuid4())),
    }
    signed = headers | sign_request("POST", _URL, headers, body, partner)
    request_headers = {k.lower(): v for k, v in signed.items()}
    answer = orjson.dumps({"object": "trade", "id": "trd_" + "0" * 32, "status": "waiting"})
    answer_headers = {"content-type": "application/json", "content-length": str(len(answer))}
    answer_headers |= {
        k.lower(): v
        for k, v in sign_response(
            201,
            answer_headers,
            answer,
            request_method="POST",
            request_url=_URL,
            request_headers=request_headers,
            key=platform,
        ).items()
    }
    now = int(time.time())
    partner_keys = {partner.key_id: [partner.public_key]}
    platform_keys = {platform.key_id: [platform.public_key]}
    cashier = "http://127.0.0.1:8000/cashier/" + "1" * 38
    return {
        "client: sign_request": _cpu_us(
            lambda: sign_request("POST", _URL, headers, body, partner), rounds
        ),
        "server: verify_request": _cpu_us(
            lambda: verify_request(
                "POST", _URL, request_headers, body, partner_keys.__getitem__, now=now
            ),
            rounds,
        ),
        "server: sign_response": _cpu_us(
            lambda: sign_response(
                201,
                answer_headers,
                answer,
                request_method="POST",
                request_url=_URL,
                request_headers=request_headers,
                key=platform,
            ),
            rounds,
        ),
        "client: verify_response": _cpu_us(
            lambda: verify_response(
                201,
                answer_headers,
                answer,
                request_method="POST",
                request_url=_URL,
                request_headers=request_headers,
                resolve_keys=platform_keys.__getitem__,
                now=now,
            ),
            rounds,
        ),
        "server: qr_svg (one QR code)": _cpu_us(lambda: qr_svg(cashier), QR_ROUNDS),
    }
