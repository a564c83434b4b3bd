"""``/v1/events`` and ``/v1/webhook_endpoints``: what happened, and where to be told.

Events are listed newest first with cursor pages; ``delivery_success=false`` finds the ones
an endpoint never acknowledged (kept 30 days), and ``POST /v1/events/{id}/redeliver`` sends
one again on a fresh schedule. Webhook endpoints get a ``whsec_`` secret (shown when
created) for the ``v1`` HMAC signature; every delivery also carries a ``v1a`` Ed25519
signature by the platform key of ``/.well-known/jwks.json``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from bankstack.gateway.api.routing import v1_router
from bankstack.gateway.domain.apps import WebhookEndpoint
from bankstack.gateway.domain.webhooks import WebhookEvent
from bankstack.gateway.service.apps import AppService
from bankstack.gateway.service.webhooks import WebhookService


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[StrictStr, Field(min_length=8, max_length=2048)]
    event_types: list[Annotated[StrictStr, Field(max_length=100)]] = []


def endpoint_view(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    view = {
        "object": "webhook_endpoint",
        "id": endpoint.id,
        "url": endpoint.url,
        "enabled": endpoint.enabled,
        "event_types": list(endpoint.event_types),
        "livemode": endpoint.livemode,
        "disabled_reason": endpoint.disabled_reason,
    }
    if with_secret:
        view["secret"] = endpoint.secret
    return view


def event_view(event: WebhookEvent) -> dict[str, Any]:
    return event.payload()


def events_router(apps: AppService, webhooks: WebhookService, dependencies: list[Any]) -> APIRouter:
    router = v1_router(prefix="/v1", tags=["events"], dependencies=dependencies)

    @router.get("/events", summary="List events, newest first")
    def list_events(
        request: Request,
        delivery_success: bool | None = None,
        cursor: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        page = webhooks.list_events(
            request.state.app_id, delivery_success=delivery_success, cursor=cursor, limit=limit
        )
        return page.render(event_view)

    @router.get("/events/{event_id}", summary="Retrieve an event")
    def get_event(event_id: str, request: Request) -> dict[str, Any]:
        return event_view(webhooks.event(event_id, app_id=request.state.app_id))

    @router.post("/events/{event_id}/redeliver", status_code=202, summary="Send an event again")
    def redeliver(event_id: str, request: Request) -> dict[str, Any]:
        deliveries = webhooks.redeliver(event_id, app_id=request.state.app_id)
        return {"object": "redelivery", "event_id": event_id, "deliveries": len(deliveries)}

    @router.post("/webhook_endpoints", status_code=201, summary="Add a webhook endpoint")
    def add_endpoint(body: EndpointIn, request: Request) -> dict[str, Any]:
        endpoint = apps.add_webhook_endpoint(
            request.state.app_id, body.url, event_types=body.event_types
        )
        return endpoint_view(endpoint, with_secret=True)

    @router.get("/webhook_endpoints", summary="List webhook endpoints")
    def list_endpoints(request: Request) -> dict[str, Any]:
        endpoints = apps.webhook_endpoints(request.state.app_id)
        data = [endpoint_view(e) for e in endpoints]
        return {"object": "list", "data": data, "has_more": False, "next_cursor": None}

    return router
