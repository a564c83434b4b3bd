"""``alipay_router(...)``: GET and POST ``/gateway.do`` for the Alipay v2 SDKs.

The endpoint reads the raw query string and body itself (the protocol's charset and
string-to-sign rules need the bytes as sent) and runs the gateway in FastAPI's thread pool:
the port is synchronous and RSA signing is CPU work. Every answer is HTTP 200 with a JSON body
in the protocol's shape, failures included, as the SDKs expect; nothing reaches the app's
problem+json handlers. The route is left out of the OpenAPI document: it is one RPC endpoint
whose contract is the Alipay protocol, not a schema.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bankstack.gateway.alipay.gateway import AlipayGateway, AlipayGatewaySettings, Reply
from bankstack.gateway.alipay.ports import AlipayApps, AlipayTrades, PlatformKeys
from bankstack.kernel.clock import Clock

GATEWAY_PATH = "/gateway.do"


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is over ``limit`` bytes (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def alipay_router(
    trades: AlipayTrades,
    apps: AlipayApps,
    platform_key: PlatformKeys,
    clock: Clock,
    *,
    settings: AlipayGatewaySettings | None = None,
) -> APIRouter:
    """A router serving ``/gateway.do`` over ``trades``; mount it at the app's root."""
    gateway = AlipayGateway(
        trades=trades, apps=apps, keys=platform_key, clock=clock, settings=settings
    )
    limit = gateway.settings.max_body_bytes

    async def gateway_do(request: Request) -> Response:
        body = await _read_body(request, limit)
        reply: Reply
        if body is None:
            reply = await run_in_threadpool(gateway.oversized)
        else:
            query: bytes = request.scope.get("query_string", b"")
            content_type = request.headers.get("content-type")
            reply = await run_in_threadpool(gateway.handle, query, body, content_type)
        return Response(reply.body, media_type=reply.media_type)

    router = APIRouter()
    router.add_api_route(GATEWAY_PATH, gateway_do, methods=["GET", "POST"], include_in_schema=False)
    return router
