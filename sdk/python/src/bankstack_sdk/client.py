"""A synchronous client for the bankstack open API.

Every request is signed (RFC 9421, ``sig1``) and every response's platform signature (``res``)
is verified before its body is believed. Retries are limited to what cannot double-execute:
connection errors, 5xx, 429 and 409 ``idempotency_key_in_use``, and only for idempotent
methods or requests carrying an ``Idempotency-Key`` (every POST gets one, reused on each retry).
"""

from __future__ import annotations

import json as jsonlib
import secrets
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bankstack_sdk.errors import (
    ResponseSignatureError,
    SignatureError,
    SignatureErrorCode,
    TransportFailed,
)
from bankstack_sdk.fields import format_idempotency_key
from bankstack_sdk.jwks import keys_from_jwks
from bankstack_sdk.problems import api_error, json_or_none, retry_after_seconds, should_retry
from bankstack_sdk.signing import SigningKey, sign_request, verify_response

DEFAULT_API_VERSION = "2026-11-01"
JWKS_PATH = "/.well-known/jwks.json"
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_BACKOFF_BASE_S = 0.5
_BACKOFF_CAP_S = 8.0
_RETRY_AFTER_CAP_S = 60.0
_JITTER = secrets.SystemRandom()

QueryParams = Mapping[str, str | int]


@dataclass(frozen=True)
class ApiResponse:
    """A verified answer: ``data`` is the parsed JSON body (``None`` when the body is empty)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    data: Any


class BankstackClient:
    """Signed, verified, retry-safe calls to ``base_url`` (e.g. ``https://api.bank.example``).

    ``platform_keys`` pins the platform's response-signing keys (``kid`` -> keys); without it
    they are fetched from ``/.well-known/jwks.json`` on first use and fetched again when a
    response names an unknown ``kid`` (key rotation). ``sleep`` and ``clock`` are injectable
    for tests.
    """

    def __init__(
        self,
        base_url: str,
        *,
        app_id: str,
        signing_key: SigningKey,
        platform_keys: Mapping[str, Sequence[Ed25519PublicKey]] | None = None,
        api_version: str = DEFAULT_API_VERSION,
        http: httpx.Client | None = None,
        max_retries: int = 3,
        timeout: float = 10.0,
        max_skew_s: int = 300,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.signing_key = signing_key
        self.api_version = api_version
        self.max_retries = max_retries
        self._pinned_keys = platform_keys is not None
        self._platform_keys = {kid: list(keys) for kid, keys in (platform_keys or {}).items()}
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._max_skew_s = max_skew_s
        self._sleep = sleep
        self._clock = clock

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def fetch_platform_keys(self) -> dict[str, list[Ed25519PublicKey]]:
        """Load the platform's keys from its JWKS (trusting TLS: they cannot sign themselves)."""
        try:
            response = self._http.get(
                self.base_url + JWKS_PATH, headers={"Accept": "application/json"}
            )
        except httpx.TransportError as exc:
            raise TransportFailed(f"cannot fetch {JWKS_PATH}: {exc}") from exc
        if not response.is_success:
            raise api_error(response.status_code, response.headers, response.content, signed=False)
        self._platform_keys = keys_from_jwks(response.json())
        return self._platform_keys

    def get(self, path: str, params: QueryParams | None = None) -> ApiResponse:
        return self.request("GET", path, params=params)

    def post(
        self, path: str, json: Any = None, *, idempotency_key: str | None = None
    ) -> ApiResponse:
        return self.request("POST", path, json=json, idempotency_key=idempotency_key)

    def paginate(self, path: str, params: QueryParams | None = None) -> Iterator[Any]:
        """Every item of a cursor-paginated list, fetching pages as the caller iterates."""
        query: dict[str, str | int] = dict(params or {})
        while True:
            page = self.get(path, query).data
            if not isinstance(page, dict) or page.get("object") != "list":
                raise ValueError(f"{path} did not answer with a list object")
            yield from page.get("data", [])
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return
            query["cursor"] = cursor

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: QueryParams | None = None,
        idempotency_key: str | None = None,
    ) -> ApiResponse:
        """Send a signed request and return the verified 2xx answer.

        Raises ``ApiError`` (an error answer, after the safe retries), ``TransportFailed`` (no
        answer) or ``ResponseSignatureError`` (an answer whose signature does not hold).
        """
        method = method.upper()
        body = b"" if json is None else _encode_json(json)
        if idempotency_key is None and method == "POST":
            idempotency_key = str(uuid.uuid4())
        url = str(httpx.URL(self.base_url + path, params=params))
        may_retry = method in _IDEMPOTENT_METHODS or idempotency_key is not None
        attempt = 0
        while True:
            outgoing = self._signed_request(method, url, body, idempotency_key)
            try:
                response = self._http.send(outgoing)
            except httpx.TransportError as exc:
                if not may_retry or attempt >= self.max_retries:
                    raise TransportFailed(f"{method} {path} failed: {exc}") from exc
                self._back_off(attempt, retry_after=None)
                attempt += 1
                continue
            signed = self._verify(outgoing, response)
            if response.is_success:
                return ApiResponse(
                    response.status_code,
                    response.headers,
                    response.content,
                    json_or_none(response.content),
                )
            error = api_error(
                response.status_code, response.headers, response.content, signed=signed
            )
            if not (may_retry and attempt < self.max_retries and should_retry(error)):
                raise error
            self._back_off(
                attempt, retry_after=retry_after_seconds(response.headers, self._clock())
            )
            attempt += 1

    def _signed_request(
        self, method: str, url: str, body: bytes, idempotency_key: str | None
    ) -> httpx.Request:
        headers = {
            "Accept": "application/json",
            "Bank-Version": self.api_version,
            "User-Agent": f"bankstack-sdk-python/0.1.0 app/{self.app_id}",
        }
        if body:
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = format_idempotency_key(idempotency_key)
        # A fresh created/nonce per attempt: the server refuses a replayed nonce.
        headers |= sign_request(
            method, url, headers, body, self.signing_key, created=int(self._clock())
        )
        return httpx.Request(method, url, headers=headers, content=body)

    def _verify(self, request: httpx.Request, response: httpx.Response) -> bool:
        """True if the response's signature verifies; False for an unsigned error response.

        A 2xx must verify, and so must any response that carries a signature: otherwise
        ``ResponseSignatureError``. Unsigned errors come from proxies in front of the API.
        """
        try:
            self._verify_once(request, response)
        except SignatureError as exc:
            if exc.code == SignatureErrorCode.UNKNOWN_KEY and not self._pinned_keys:
                self.fetch_platform_keys()  # a rotation may have published a new key
                try:
                    self._verify_once(request, response)
                except SignatureError as retry_exc:
                    exc = retry_exc
                else:
                    return True
            unsigned = exc.code == SignatureErrorCode.SIGNATURE_MISSING
            if response.is_success or not unsigned:
                raise ResponseSignatureError(
                    exc.code, exc.message, status=response.status_code, body=response.content
                ) from exc
            return False
        return True

    def _verify_once(self, request: httpx.Request, response: httpx.Response) -> None:
        if not self._platform_keys and not self._pinned_keys:
            self.fetch_platform_keys()
        verify_response(
            response.status_code,
            response.headers,
            response.content,
            request_method=request.method,
            request_url=str(request.url),
            request_headers=request.headers,
            resolve_keys=self._resolve_platform_key,
            now=int(self._clock()),
            max_skew_s=self._max_skew_s,
        )

    def _resolve_platform_key(self, key_id: str) -> Sequence[Ed25519PublicKey]:
        return self._platform_keys.get(key_id, [])

    def _back_off(self, attempt: int, *, retry_after: float | None) -> None:
        """Full-jitter exponential backoff, never shorter than the server's Retry-After."""
        delay = _JITTER.uniform(0, min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2**attempt))
        if retry_after is not None:
            delay = max(delay, min(retry_after, _RETRY_AFTER_CAP_S))
        self._sleep(delay)


def _encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON; NaN and Infinity are refused (they are not JSON)."""
    return jsonlib.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
