"""The idempotency guard for money-moving ``/v1`` endpoints (spec D), on Starlette.

    idempotency = IdempotencyGuard(SqlIdempotencyStore(engine))

    @router.post("/trades")           # router = v1_router(): V1Route runs the guard
    @idempotency
    async def create_trade(...): ...

For a marked endpoint the guard reads ``Idempotency-Key`` (missing -> 400
``idempotency_key_missing``), fingerprints method, path?query and body, and asks the store:

- proceed: runs the endpoint; a storable answer (see ``domain.idempotency.storable``) is
  stored byte for byte, any other answer or an exception releases the key;
- replay: the stored status, headers and body, plus ``Idempotent-Replayed: true``;
- in progress: 409 ``idempotency_key_in_use`` with ``Retry-After: 1``;
- another fingerprint: 422 ``idempotency_key_reused``.

The scope is the authenticated app: ``scope_of(request)`` reads ``request.state.app_id``,
which the request authenticator sets before routing. Marking an endpoint also wraps it so
that it refuses to run unguarded (a route that is not a ``V1Route`` would skip the guard).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, Final, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bankstack.gateway.domain.idempotency import (
    HEADER,
    REPLAYED_HEADER,
    ConflictInProgress,
    FingerprintMismatch,
    Proceed,
    Replay,
    StoredResponse,
    fingerprint,
    parse_key,
    replayable_headers,
    storable,
)
from bankstack.gateway.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from bankstack.gateway.ports import IdempotencyStore
from bankstack.kernel.errors import Unauthenticated
from bankstack.platform.logging import get_logger

F = TypeVar("F", bound=Callable[..., Any])
_ATTR: Final = "__bankstack_idempotency_guard__"
_guarded: ContextVar[bool] = ContextVar("bankstack_idempotency_guarded", default=False)
_log = get_logger(__name__)


class UnguardedEndpoint(RuntimeError):
    """A money endpoint ran without its idempotency guard: a wiring bug."""


def app_scope(request: Request) -> str:
    """The authenticated app's id (``request.state.app_id``)."""
    app_id = getattr(request.state, "app_id", None)
    if not isinstance(app_id, str) or not app_id:
        raise Unauthenticated("this request needs an authenticated app")
    return app_id


def guard_of(endpoint: Callable[..., Any]) -> IdempotencyGuard | None:
    found = getattr(endpoint, _ATTR, None)
    return found if isinstance(found, IdempotencyGuard) else None


class IdempotencyGuard:
    def __init__(
        self, store: IdempotencyStore, *, scope_of: Callable[[Request], str] = app_scope
    ) -> None:
        self._store = store
        self._scope_of = scope_of

    def __call__(self, endpoint: F) -> F:
        """Mark ``endpoint`` as money-moving: it then runs only under this guard."""
        if inspect.iscoroutinefunction(endpoint):

            @functools.wraps(endpoint)
            async def checked_async(*args: Any, **kwargs: Any) -> Any:
                _require_guard(endpoint)
                return await endpoint(*args, **kwargs)

            wrapper: Any = checked_async
        else:

            @functools.wraps(endpoint)
            def checked(*args: Any, **kwargs: Any) -> Any:
                _require_guard(endpoint)
                return endpoint(*args, **kwargs)

            wrapper = checked
        setattr(wrapper, _ATTR, self)
        result: F = wrapper
        return result

    async def handle(self, request: Request, call: Callable[[], Awaitable[Response]]) -> Response:
        key = parse_key(request.headers.get(HEADER))
        scope = self._scope_of(request)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        digest = fingerprint(request.method, target, await request.body())
        decision = await run_in_threadpool(self._store.begin, scope, key, digest)
        if isinstance(decision, Replay):
            return _replay(decision.response)
        if isinstance(decision, ConflictInProgress):
            raise IdempotencyKeyInUse(
                "a request with this Idempotency-Key is still being processed",
                retry_after_s=decision.retry_after_s,
                param=HEADER,
            )
        if isinstance(decision, FingerprintMismatch):
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used with a different request", param=HEADER
            )
        return await self._proceed(request, call, scope, key, decision)

    async def _proceed(
        self,
        request: Request,
        call: Callable[[], Awaitable[Response]],
        scope: str,
        key: str,
        lease: Proceed,
    ) -> Response:
        marker = _guarded.set(True)
        try:
            response = await call()
        except BaseException:
            await run_in_threadpool(self._store.abandon, scope, key, lease.token)
            raise
        finally:
            _guarded.reset(marker)
        body = getattr(response, "body", None)
        if not storable(response.status_code) or not isinstance(body, bytes):
            await run_in_threadpool(self._store.abandon, scope, key, lease.token)
            return response
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
        stored = StoredResponse(response.status_code, replayable_headers(headers), body)
        try:
            kept = await run_in_threadpool(self._store.complete, scope, key, lease.token, stored)
        except Exception:  # noqa: BLE001 - the work is done; the answer must still go out
            _log.exception("idempotent response not stored", path=request.url.path)
        else:
            if not kept:
                _log.warning("idempotency lease lost before completion", path=request.url.path)
        return response


def _replay(stored: StoredResponse) -> Response:
    response = Response(content=stored.body, status_code=stored.status)
    response.raw_headers.extend(
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers
    )
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _require_guard(endpoint: Callable[..., Any]) -> None:
    if not _guarded.get():
        raise UnguardedEndpoint(
            f"{endpoint.__qualname__} moves money and must be served by a V1Route"
            " (router = v1_router()) so that its idempotency guard runs"
        )
