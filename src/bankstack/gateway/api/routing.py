"""``V1Route``: the route class of every ``/v1`` endpoint.

    router = v1_router(prefix="/v1")

    @router.post("/trades")
    @idempotency                      # an IdempotencyGuard: this endpoint moves money
    async def create_trade(...): ...

Per request it gives the request its ``req_...`` id (bound to the log context), runs the
endpoint (with the idempotency guard when the endpoint is marked), turns any exception into
``/v1`` problem+json, and adds ``Request-Id`` plus the headers dependencies asked for with
``add_response_headers`` (``RateLimit``...), on success and on errors alike.

Being a route class, it touches no other route: the ledger API keeps its own errors.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final

import structlog
from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from bankstack.gateway.api.idempotency import guard_of
from bankstack.gateway.api.problems import (
    LEGACY_REQUEST_ID_HEADER,
    REQUEST_ID_HEADER,
    ensure_request_id,
    problem_for_exception,
)

_HEADERS_KEY: Final = "v1_response_headers"


def add_response_headers(request: Request, headers: Mapping[str, str]) -> None:
    """Headers for this request's answer, whatever it turns out to be."""
    state = request.scope.setdefault("state", {})
    state.setdefault(_HEADERS_KEY, {}).update(headers)


class V1Route(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint_handler = super().get_route_handler()
        guard = guard_of(self.endpoint)

        async def run(request: Request) -> Response:
            try:
                return await endpoint_handler(request)
            except Exception as error:  # noqa: BLE001 - every failure becomes problem+json
                return problem_for_exception(error, request.scope)

        async def handler(request: Request) -> Response:
            request_id = ensure_request_id(request.scope)
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                if guard is None:
                    response = await run(request)
                else:
                    try:
                        response = await guard.handle(
                            request, lambda: run(request), status_code=self.status_code or 200
                        )
                    except Exception as error:  # noqa: BLE001 - as above
                        response = problem_for_exception(error, request.scope)
            return _finish(request, response, request_id)

        return handler


def _finish(request: Request, response: Response, request_id: str) -> Response:
    extra = request.scope.get("state", {}).get(_HEADERS_KEY, {})
    for name, value in extra.items():
        if name not in response.headers:
            response.headers[name] = value
    response.headers[REQUEST_ID_HEADER] = request_id
    response.headers[LEGACY_REQUEST_ID_HEADER] = request_id
    return response


def v1_router(**kwargs: Any) -> APIRouter:
    """An ``APIRouter`` whose routes are ``V1Route``s."""
    return APIRouter(route_class=V1Route, **kwargs)
