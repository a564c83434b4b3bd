"""Who is calling ``/v1``, and a platform signature on every answer (spec B and C).

``PartnerAuthMiddleware`` (pure ASGI, in front of the ``/v1`` routes) reads the request body
once and authenticates the caller by either

- an RFC 9421 signature (``bankstack_sdk.signing.verify_request``): the ``keyid`` names an
  active key of an active app; the signature covers method, target URI, content type,
  Content-Digest and Idempotency-Key; ``created`` is within 300 s of now; the ``nonce`` has
  not been seen for that key in 600 s (the nonce store), or
- a sandbox API key (``Authorization: Bearer sk_test_...``), test mode only.

It then puts the app on the request (``state.app_id``, ``merchant_id``, ``livemode``,
``api_version``) for routing, idempotency scopes and rate limits. The API version is the
request's dated ``Bank-Version`` header, else the version the app was pinned to at creation;
an unknown version is refused (400 ``api_version_invalid``) and every answer names the version
it was made for in ``Bank-Version``. Whatever the outcome, the
answer (errors included) leaves signed with the platform key, bound to the request by
``"@method";req "@target-uri";req "idempotency-key";req``, so a partner can prove what it was
told and a replayed answer to another request fails verification.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bankstack.gateway.api.problems import problem_for_exception, problem_response
from bankstack.gateway.domain.apps import SUPPORTED_API_VERSIONS, KeyBinding, hash_api_secret
from bankstack.gateway.errors import ApiVersionInvalid
from bankstack.gateway.ports import NonceStore
from bankstack.gateway.service.apps import AppService
from bankstack.kernel.clock import NS_PER_SECOND, Clock
from bankstack_sdk.errors import SignatureError
from bankstack_sdk.signing import SigningKey, sign_response, verify_request

K = TypeVar("K")
V = TypeVar("V")
API_KEY_PREFIX: Final = "Bearer sk_test_"
NONCE_TTL_S: Final = 600
SIGNATURE_REPLAYED: Final = "signature_replayed"
VERSION_HEADER: Final = "Bank-Version"
# A retired key, a revoked API key or a suspended app is refused within this time.
KEY_CACHE_S: Final = 5.0


@dataclass(frozen=True, slots=True)
class Caller:
    app_id: str
    merchant_id: str
    livemode: bool
    api_version: str
    key_id: str | None  # None for a sandbox API key


class AuthRefused(Exception):
    """A refusal the SDK has no code for: no credentials, a replayed nonce."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PartnerAuthMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        apps: AppService,
        nonces: NonceStore,
        platform_key: Callable[[], SigningKey],
        clock: Clock,
        prefix: str = "/v1/",
        exempt: tuple[str, ...] = ("/v1/ledger",),
        sign_responses: bool = True,
        offload: bool = True,
    ) -> None:
        """``offload``: authenticate in a worker thread, for a nonce store across the network
        (Redis). With the in-memory store only a credential's first use in ``KEY_CACHE_S``
        reads the database, so checking on the event loop is cheaper than a thread hand-off
        per request (a third of a millisecond of CPU here, bench/http_floor)."""
        self.app = app
        self._apps = apps
        self._nonces = nonces
        self._platform_key = platform_key
        self._clock = clock
        self._prefix = prefix
        self._exempt = exempt
        self._sign_responses = sign_responses
        self._offload = offload
        self._keys: _Recent[str, KeyBinding] = _Recent(KEY_CACHE_S)
        self._api_keys: _Recent[bytes, Caller] = _Recent(KEY_CACHE_S)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not path.startswith(self._prefix)
            or (path.startswith(self._exempt))
        ):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        headers = _headers(scope)
        url = target_uri(scope, headers)
        signed_send: Send = (
            _SignedSend(send, self._platform_key(), scope["method"], url, headers)
            if self._sign_responses
            else send
        )
        try:
            if self._offload:
                caller = await run_in_threadpool(
                    self._authenticate, scope["method"], url, headers, body
                )
            else:
                caller = self._authenticate(scope["method"], url, headers, body)
        except (SignatureError, AuthRefused) as error:
            problem = problem_response(
                scope,
                status=401,
                code=error.code,
                detail=error.message,
                category="authentication",
            )
            await problem(scope, _replay(body), signed_send)
            return
        except Exception as error:  # noqa: BLE001 - api_key_invalid, stores down: problem+json
            await problem_for_exception(error, scope)(scope, _replay(body), signed_send)
            return
        version = headers.get(VERSION_HEADER.lower(), caller.api_version).strip()
        if version not in SUPPORTED_API_VERSIONS:
            refused = problem_for_exception(
                ApiVersionInvalid(f"unknown {VERSION_HEADER} {version!r}", param=VERSION_HEADER),
                scope,
            )
            await refused(scope, _replay(body), signed_send)
            return
        scope.setdefault("state", {}).update(
            app_id=caller.app_id,
            merchant_id=caller.merchant_id,
            livemode=caller.livemode,
            api_version=version,
            caller=caller,
        )
        await self.app(scope, _replay(body), _with_header(signed_send, VERSION_HEADER, version))

    def _authenticate(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> Caller:
        if "signature-input" in headers or "signature" in headers:
            return self._verify_signature(method, url, headers, body)
        authorization = headers.get("authorization", "")
        if authorization.startswith(API_KEY_PREFIX):
            secret = authorization.removeprefix("Bearer ")
            caller = self._api_keys.get(hash_api_secret(secret), lambda: self._api_key(secret))
            if caller is not None:  # _api_key raises rather than answer None
                return caller
        raise AuthRefused("signature_missing", "sign the request (RFC 9421) or send an API key")

    def _api_key(self, secret: str) -> Caller:
        app = self._apps.authenticate_api_key(secret)  # raises for a bad or revoked key
        return Caller(app.id, app.merchant_id, app.livemode, app.api_version, None)

    def _verify_signature(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> Caller:
        bindings: dict[str, KeyBinding] = {}

        def resolve(kid: str) -> list[Ed25519PublicKey]:
            binding = self._keys.get(kid, lambda: self._apps.key_binding(kid))
            if binding is None:
                return []
            bindings[kid] = binding
            return [Ed25519PublicKey.from_public_bytes(binding.public_key)]

        now = self._clock.now_ns() // NS_PER_SECOND
        verified = verify_request(method, url, headers, body, resolve, now=now)
        if not self._nonces.claim(verified.key_id, verified.nonce, NONCE_TTL_S):
            raise AuthRefused(SIGNATURE_REPLAYED, "this nonce was already used with this key")
        b = bindings[verified.key_id]
        return Caller(b.app_id, b.merchant_id, b.livemode, b.api_version, b.kid)


class _Recent(Generic[K, V]):
    """What a lookup found, for a few seconds: one lookup per credential, not per request.

    Only what was found is kept: a flood of unknown key ids or bad API keys must not grow it
    (an API key is kept by its SHA-256, never as the secret itself).
    """

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K, lookup: Callable[[], V | None]) -> V | None:
        now = time.monotonic()
        found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = lookup()
        if value is not None:
            self._entries[key] = (now + self._ttl_s, value)
        return value


def _with_header(send: Send, name: str, value: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", []), (name.lower().encode(), value.encode())]
            message = {**message, "headers": headers}
        await send(message)

    return sending


def target_uri(scope: Scope, headers: Mapping[str, str]) -> str:
    """The request's absolute URI as the client addressed it (RFC 9421 ``@target-uri``)."""
    host = headers.get("host") or _server(scope)
    path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string") or b""
    uri = f"{scope['scheme']}://{host}{path.decode('latin-1')}"
    return f"{uri}?{query.decode('latin-1')}" if query else uri


def _server(scope: Scope) -> str:
    host, port = scope.get("server") or ("localhost", 80)
    return f"{host}:{port}"


def _headers(scope: Scope) -> dict[str, str]:
    """Header fields by lower-case name; repeated fields joined as RFC 9110 allows."""
    merged: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class _SignedSend:
    """Buffers the answer, signs status, Content-Digest and the request binding, sends it."""

    def __init__(
        self, send: Send, key: SigningKey, method: str, url: str, headers: Mapping[str, str]
    ) -> None:
        self._send = send
        self._key = key
        self._request = (method, url, headers)
        self._start: dict[str, Any] | None = None
        self._body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = dict(message)
            return
        if message["type"] != "http.response.body" or self._start is None:
            await self._send(message)
            return
        self._body.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        await self._flush()

    async def _flush(self) -> None:
        assert self._start is not None  # noqa: S101 - only called after the start message
        body = b"".join(self._body)
        raw_headers = list(self._start.get("headers", []))
        response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in raw_headers}
        method, url, request_headers = self._request
        added = sign_response(
            self._start["status"],
            response_headers,
            body,
            request_method=method,
            request_url=url,
            request_headers=request_headers,
            key=self._key,
        )
        raw_headers += [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in added.items()
        ]
        await self._send({**self._start, "headers": raw_headers})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})
