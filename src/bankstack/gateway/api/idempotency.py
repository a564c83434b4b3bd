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

Where it runs: the guard (on the event loop) reads the key and fingerprints the request; the
marked endpoint's wrapper claims the key, runs the endpoint and stores its answer, all in
the one worker thread FastAPI gives a sync endpoint: a hand-off between the loop and a
thread costs about 0.3 ms of CPU here (bench/http_floor, sync against async), and this saves
two per request. So a request refused before its endpoint runs (an
invalid body, a rate limit) claims nothing and is not stored: it committed nothing.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from fastapi.encoders import jsonable_encoder
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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
_ticket: ContextVar[_Ticket | None] = ContextVar("bankstack_idempotency_ticket", default=None)
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
                ticket = _ticket_of(endpoint)
                early = await run_in_threadpool(ticket.claim)
                if early is not None:
                    return early
                result = await endpoint(*args, **kwargs)
                return await run_in_threadpool(ticket.keep, result)

            wrapper: Any = checked_async
        else:

            @functools.wraps(endpoint)
            def checked(*args: Any, **kwargs: Any) -> Any:
                # FastAPI runs this in a worker thread: the claim, the endpoint and the stored
                # answer share that one hand-off instead of taking three.
                ticket = _ticket_of(endpoint)
                early = ticket.claim()
                return early if early is not None else ticket.keep(endpoint(*args, **kwargs))

            wrapper = checked
        setattr(wrapper, _ATTR, self)
        result: F = wrapper
        return result

    async def handle(
        self, request: Request, call: Callable[[], Awaitable[Response]], *, status_code: int
    ) -> Response:
        """Run ``call`` (the route) with this request's ticket; the marked endpoint claims the
        key and stores its answer. An answer the endpoint did not store (it raised, and the
        route made the problem+json) is stored or released here."""
        key = parse_key(request.headers.get(HEADER))
        scope = self._scope_of(request)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        digest = fingerprint(request.method, target, await request.body())
        ticket = _Ticket(self._store, scope, key, digest, status_code, request.url.path)
        marker = _ticket.set(ticket)
        try:
            response = await call()
        except BaseException:
            if ticket.lease is not None and not ticket.settled:
                await run_in_threadpool(ticket.release)
            raise
        finally:
            _ticket.reset(marker)
        if ticket.lease is None or ticket.settled:
            return response  # stored or replayed by the endpoint, or refused before its claim
        return await run_in_threadpool(ticket.keep_failure, response)


@dataclass
class _Ticket:
    """One guarded request's idempotency state, handed from the guard (on the event loop) to
    the marked endpoint (in a worker thread) through a context variable."""

    store: IdempotencyStore
    scope: str
    key: str
    digest: str
    status_code: int  # the route's, for an endpoint that returns a plain value
    path: str
    lease: Proceed | None = None
    settled: bool = False  # the answer was stored or replayed: nothing left to do

    def claim(self) -> Response | None:
        """Take the key's lease (None: run the endpoint) or answer without running it."""
        decision = self.store.begin(self.scope, self.key, self.digest)
        if isinstance(decision, Replay):
            self.settled = True
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
        self.lease = decision
        return None

    def keep(self, result: Any) -> Response:
        """The endpoint's answer as FastAPI would render it, stored under the lease."""
        if isinstance(result, Response):
            response = result
        else:
            response = JSONResponse(jsonable_encoder(result), status_code=self.status_code)
        self._store(response)
        return response

    def keep_failure(self, response: Response) -> Response:
        """The problem+json of an endpoint that raised: stored if it is final, else released."""
        self._store(response)
        if not self.settled:
            self.release()
        return response

    def release(self) -> None:
        if self.lease is not None:
            self.store.abandon(self.scope, self.key, self.lease.token)

    def _store(self, response: Response) -> None:
        body = getattr(response, "body", None)
        if self.lease is None or not storable(response.status_code) or not isinstance(body, bytes):
            return  # not settled: the guard releases the key
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
        stored = StoredResponse(response.status_code, replayable_headers(headers), body)
        self.settled = True  # the work is done: a failure to store must not release the key
        try:
            kept = self.store.complete(self.scope, self.key, self.lease.token, stored)
        except Exception:  # noqa: BLE001 - the work is done; the answer must still go out
            _log.exception("idempotent response not stored", path=self.path)
        else:
            if not kept:
                _log.warning("idempotency lease lost before completion", path=self.path)


def _ticket_of(endpoint: Callable[..., Any]) -> _Ticket:
    ticket = _ticket.get()
    if ticket is None:
        raise UnguardedEndpoint(
            f"{endpoint.__qualname__} moves money and must be served by a V1Route"
            " (router = v1_router()) so that its idempotency guard runs"
        )
    return ticket


def _replay(stored: StoredResponse) -> Response:
    response = Response(content=stored.body, status_code=stored.status)
    response.raw_headers.extend(
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers
    )
    response.headers[REPLAYED_HEADER] = "true"
    return response
