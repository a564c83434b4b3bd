"""The HTTP application: ``create_app(runtime)``, and ``app_from_env()`` for uvicorn.

    uvicorn --factory bankstack.entrypoints.api:app_from_env      (or: bankstack serve)

Routes: the ledger API (``/v1/ledger``, bearer token), ``/healthz`` (no auth; the database
answers ``SELECT 1``), ``/metrics`` (Prometheus text) and ``/openapi.json`` with ``/docs``.
Every error is problem+json and every response carries ``X-Request-ID`` (platform.problems).
Each request is logged as one structlog line (method, route, status, duration, request id;
never a body) and counted in the metrics.
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from time import perf_counter
from typing import TYPE_CHECKING, Any, Final

from anyio import to_thread
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from bankstack.entrypoints.bootstrap import Runtime, build_runtime
from bankstack.entrypoints.partner_api import document_partner_errors, install_partner_api
from bankstack.kernel.errors import Unavailable
from bankstack.ledger.api import ledger_router
from bankstack.ledger.api import openapi_components as ledger_components
from bankstack.payments.api import DemoCustomers
from bankstack.platform.database import HTTP_THREADS
from bankstack.platform.logging import configure_logging, get_logger
from bankstack.platform.problems import install_problem_handlers, problem_responses, request_id_of
from bankstack.platform.problems import openapi_components as problem_components
from bankstack.platform.settings import load_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _version() -> str:
    try:
        return version("bankstack")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "0.0.0"


VERSION: Final = _version()

DESCRIPTION: Final = """\
bankstack's HTTP API. Errors are RFC 9457 `application/problem+json` documents with a stable
`code`; ids are unsigned 128-bit integers sent as decimal strings; amounts are integers of
minor units (fen for CNY). The ledger API (`/v1/ledger`) is for staff and internal services
and needs `Authorization: Bearer <BANKSTACK_ADMIN_TOKEN>`.
"""

_log = get_logger("bankstack.http")


class DatabaseUnavailable(Unavailable):
    code = "health.database_unavailable"


def create_app(
    runtime: Runtime,
    *,
    close_runtime: bool = False,
    demo_customers: DemoCustomers | None = None,
) -> FastAPI:
    """The app over ``runtime``; with ``close_runtime`` it closes the runtime at shutdown.

    ``demo_customers`` lists whom the cashier page lets pay (``bankstack demo``); without
    it nobody can pay there (see ``install_partner_api``).
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # What exists at start-up (the runtime, the rule sets, the fraud model: millions of
        # objects) lives as long as the process: move it out of the collector's generations,
        # so a full collection no longer walks it (bench/risk measured 0.4 s pauses otherwise).
        gc.collect()
        gc.freeze()
        to_thread.current_default_thread_limiter().total_tokens = HTTP_THREADS
        try:
            yield
        finally:
            if close_runtime:
                await run_in_threadpool(runtime.close)

    app = FastAPI(
        title="bankstack",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    registry = CollectorRegistry()
    install_problem_handlers(app)
    install_partner_api(app, runtime, demo_customers=demo_customers)
    app.add_middleware(AccessLogMiddleware, registry=registry)  # outermost: sees every answer
    app.include_router(
        ledger_router(
            writer=runtime.writer,
            reader=runtime.reader,
            admin_token=runtime.settings.admin_token,
            registry=registry,
        )
    )

    @app.get("/healthz", tags=["ops"], summary="Liveness and database check",
             responses=problem_responses(503))  # fmt: skip
    def healthz() -> dict[str, str]:
        try:
            with runtime.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as error:
            raise DatabaseUnavailable(f"database check failed: {error}") from error
        return {"status": "ok", "version": VERSION}

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(problem_components())
            components.update(ledger_components())
            document_partner_errors(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign] # FastAPI's documented override
    return app


def app_from_env() -> FastAPI:
    """The app for uvicorn's ``--factory``: settings from the environment, its own runtime."""
    settings = load_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    return create_app(build_runtime(settings), close_runtime=True)


class AccessLogMiddleware:
    """One log line and one metric sample per request. Pure ASGI, so it costs microseconds."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "bankstack_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "bankstack_http_request_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "<unmatched>"
            self.requests.labels(scope["method"], route, str(status)).inc()
            self.duration.labels(scope["method"], route).observe(elapsed)
            _log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                request_id=request_id_of(scope),
            )
