"""The partner's side of the QR flow: precreate, then pay, as a partner's code would do it.

Signed mode: each request is signed with the app's Ed25519 key (``bankstack_sdk.sign_request``,
fresh ``created`` and nonce per request) and each answer's platform signature is verified
(``bankstack_sdk.verify_response``) before its body is believed, as ``BankstackClient`` does.
Signatures off: the sandbox API key as a bearer token, and answers taken as they come.
Both send an ``Idempotency-Key`` (a new UUID per request, RFC 8941 string as the SDK sends it).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bankstack_sdk.errors import SignatureError
from bankstack_sdk.fields import format_idempotency_key
from bankstack_sdk.signing import SigningKey, sign_request, verify_response
from bench.payments.http1 import Answer, Http1Connection

Mode = Literal["signed", "unsigned"]
MODES: Final[tuple[Mode, ...]] = ("signed", "unsigned")
API_VERSION: Final = "2026-11-01"
USER_AGENT: Final = "bench-payments/1 (bankstack-sdk-python)"
CURRENCY: Final = "CNY"


@dataclass(frozen=True)
class PartnerCredentials:
    """Everything a client process needs, in picklable form (raw key bytes, not key objects)."""

    host: str
    port: int
    merchant_id: str
    app_id: str
    key_id: str
    private_key: bytes  # raw 32-byte Ed25519 seed
    api_secret: str
    platform_keys: dict[str, bytes]  # kid -> raw Ed25519 public key, from the JWKS
    customers: tuple[str, ...]
    amount_minor: int

    def for_port(self, port: int) -> PartnerCredentials:
        """The same partner talking to a server restarted on another port."""
        return PartnerCredentials(
            self.host,
            port,
            self.merchant_id,
            self.app_id,
            self.key_id,
            self.private_key,
            self.api_secret,
            self.platform_keys,
            self.customers,
            self.amount_minor,
        )


class FlowFailed(Exception):
    """A step of the flow did not end as a paid trade; ``kind`` is the error's counting key."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class Partner:
    """One app's view of the API, shared by the virtual partners of one client process."""

    def __init__(self, creds: PartnerCredentials, mode: Mode) -> None:
        self.mode = mode
        self.creds = creds
        self._origin = f"http://{creds.host}:{creds.port}"
        self._key = SigningKey(
            creds.key_id, Ed25519PrivateKey.from_private_bytes(creds.private_key)
        )
        self._platform: dict[str, list[Ed25519PublicKey]] = {
            kid: [Ed25519PublicKey.from_public_bytes(raw)]
            for kid, raw in creds.platform_keys.items()
        }
        self._bearer = f"Bearer {creds.api_secret}"

    def connection(self, timeout_s: float) -> Http1Connection:
        return Http1Connection(self.creds.host, self.creds.port, timeout_s=timeout_s)

    async def precreate(self, conn: Http1Connection, out_trade_no: str) -> str:
        """``POST /v1/trades`` (method qr): the new trade's id; it must be ``waiting``."""
        body = {
            "out_trade_no": out_trade_no,
            "amount": {"amount": self.creds.amount_minor, "currency": CURRENCY},
            "subject": "bench/payments QR trade",
            "method": "qr",
        }
        data = await self._post(conn, "precreate", "/v1/trades", body, expect=201)
        if data.get("status") != "waiting":
            raise FlowFailed("precreate:unexpected_status", str(data.get("status")))
        trade_id = data.get("id")
        if not isinstance(trade_id, str):
            raise FlowFailed("precreate:no_id", str(data)[:200])
        return trade_id

    async def pay(self, conn: Http1Connection, trade_id: str, customer_id: str) -> None:
        """``POST /v1/trades/{id}/pay`` from the customer's wallet: it must be ``succeeded``."""
        path = f"/v1/trades/{trade_id}/pay"
        data = await self._post(conn, "pay", path, {"customer_id": customer_id}, expect=200)
        if data.get("status") != "succeeded":
            raise FlowFailed("pay:unexpected_status", str(data.get("status")))

    async def _post(
        self, conn: Http1Connection, step: str, path: str, payload: Any, *, expect: int
    ) -> dict[str, Any]:
        body = orjson.dumps(payload)
        headers = {
            "Accept": "application/json",
            "Bank-Version": API_VERSION,
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Idempotency-Key": format_idempotency_key(str(uuid.uuid4())),
        }
        url = self._origin + path
        if self.mode == "signed":
            headers |= sign_request("POST", url, headers, body, self._key, created=int(time.time()))
        else:
            headers["Authorization"] = self._bearer
        answer = await conn.request("POST", path, headers, body)
        if self.mode == "signed":
            self._verify(step, answer, url, headers)
        if answer.status != expect:
            raise FlowFailed(f"{step}:http_{answer.status}:{_problem_code(answer)}", _text(answer))
        data = orjson.loads(answer.body)
        if not isinstance(data, dict):
            raise FlowFailed(f"{step}:not_an_object", _text(answer))
        return data

    def _verify(self, step: str, answer: Answer, url: str, request_headers: dict[str, str]) -> None:
        try:
            verify_response(
                answer.status,
                answer.headers,
                answer.body,
                request_method="POST",
                request_url=url,
                request_headers=request_headers,
                resolve_keys=self._resolve,
                now=int(time.time()),
            )
        except SignatureError as error:
            raise FlowFailed(f"{step}:response_signature_{error.code}", error.message) from error

    def _resolve(self, key_id: str) -> Sequence[Ed25519PublicKey]:
        return self._platform.get(key_id, [])


def _problem_code(answer: Answer) -> str:
    try:
        data = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        return "not_json"
    code = data.get("code") if isinstance(data, dict) else None
    return str(code) if code else "no_code"


def _text(answer: Answer) -> str:
    return answer.body[:300].decode("utf-8", errors="replace")
