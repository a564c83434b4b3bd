"""Webhook events and their delivery (spec E), as pure rules.

An event is stored once per app with its JSON body already rendered, so every attempt to
every endpoint sends the same bytes under the same ``webhook-id`` (the event id, which
receivers dedupe on). The body follows the Standard Webhooks shape:

    {"id": "evt_...", "object": "event", "type": "trade.succeeded", "api_version": "2026-11-01",
     "created": "2026-11-22T08:10:00Z", "livemode": false,
     "data": {"object": {..., "version": 3}, "previous_attributes": {...}}}

Delivery is at least once and unordered; objects carry a monotonic ``version`` so that a
receiver can drop a stale update. A delivery is attempted on the schedule below (13 attempts
over about 3.2 days, each delay with +-20 % jitter from an injected random source), then
marked ``failed``. A 2xx within the timeout succeeds; ``410 Gone`` disables the endpoint;
anything else (another status, a timeout, a refused connection) retries, except a
destination refused as not public (``domain.destinations``), which fails the delivery at once.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from bankstack.gateway.ids import DELIVERY, new_prefixed_id
from bankstack.kernel.clock import NS_PER_SECOND

# Delay before attempt n+1, in seconds: immediate, 5 s, 30 s, 2 m, 10 m, 30 m, 1 h, 2 h, 4 h,
# 8 h, 12 h, 24 h, 24 h.
SCHEDULE_S: Final = (0, 5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 86400)
MAX_ATTEMPTS: Final = len(SCHEDULE_S)
JITTER: Final = 0.2
TIMEOUT_S: Final = 10.0
GONE: Final = 410


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    GONE = "gone"
    RETRY = "retry"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEvent:
    id: str
    app_id: str
    type: str
    api_version: str
    livemode: bool
    created_at: int  # ns
    object_version: int | None
    source_event_id: str | None
    body: bytes  # the JSON sent, rendered once

    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    id: str
    event_id: str
    endpoint_id: str
    app_id: str
    livemode: bool
    status: DeliveryStatus
    attempts: int
    next_attempt_at: int | None  # ns; None once finished
    last_attempt_at: int | None
    last_status_code: int | None
    last_error: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What happened to one POST: a status code, or an error when there was no answer."""

    status_code: int | None
    error: str | None = None
    # The destination was refused before connecting (not a public address): retrying cannot
    # help, and the bank must not keep knocking at an internal host, so the delivery fails.
    refused: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """A delivery's state after an attempt."""

    status: DeliveryStatus
    attempts: int
    next_attempt_at: int | None
    disable_endpoint: bool


def new_delivery(event: WebhookEvent, endpoint_id: str, now: int) -> Delivery:
    """A delivery of ``event`` to an endpoint, due at once."""
    return Delivery(
        id=new_prefixed_id(DELIVERY),
        event_id=event.id,
        endpoint_id=endpoint_id,
        app_id=event.app_id,
        livemode=event.livemode,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        last_attempt_at=None,
        last_status_code=None,
        last_error=None,
        created_at=now,
    )


def classify(result: AttemptResult) -> Outcome:
    code = result.status_code
    if code is not None and 200 <= code < 300:  # noqa: PLR2004 - 2xx
        return Outcome.SUCCEEDED
    if code == GONE:
        return Outcome.GONE
    return Outcome.RETRY


def jittered(delay_s: float, rng: random.Random) -> float:
    """``delay_s`` scaled by a uniform factor in [0.8, 1.2]."""
    return delay_s * rng.uniform(1 - JITTER, 1 + JITTER)


def next_delay_s(attempts_made: int, rng: random.Random) -> float | None:
    """Seconds to wait after ``attempts_made`` failed attempts; None when they are used up."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    return jittered(SCHEDULE_S[attempts_made], rng)


def after_attempt(
    attempts_before: int, result: AttemptResult, now_ns: int, rng: random.Random
) -> Verdict:
    """The delivery's next state once attempt number ``attempts_before + 1`` returned."""
    attempts = attempts_before + 1
    outcome = classify(result)
    if outcome is Outcome.SUCCEEDED:
        return Verdict(DeliveryStatus.SUCCEEDED, attempts, None, disable_endpoint=False)
    if outcome is Outcome.GONE:
        return Verdict(DeliveryStatus.FAILED, attempts, None, disable_endpoint=True)
    if result.refused:
        return Verdict(DeliveryStatus.FAILED, attempts, None, disable_endpoint=False)
    delay = next_delay_s(attempts, rng)
    if delay is None:
        return Verdict(DeliveryStatus.FAILED, attempts, None, disable_endpoint=False)
    due = now_ns + round(delay * NS_PER_SECOND)
    return Verdict(DeliveryStatus.PENDING, attempts, due, disable_endpoint=False)


def rfc3339(ns: int) -> str:
    """``2026-11-22T08:10:00Z``: UTC, whole seconds."""
    moment = datetime.fromtimestamp(ns // NS_PER_SECOND, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def render_body(
    *,
    event_id: str,
    event_type: str,
    api_version: str,
    created_at: int,
    livemode: bool,
    data_object: Mapping[str, Any],
    previous_attributes: Mapping[str, Any] | None = None,
) -> bytes:
    """The event's JSON body, compact UTF-8; rendered once and stored."""
    data: dict[str, Any] = {"object": dict(data_object)}
    if previous_attributes is not None:
        data["previous_attributes"] = dict(previous_attributes)
    body = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "api_version": api_version,
        "created": rfc3339(created_at),
        "livemode": livemode,
        "data": data,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def object_version(data_object: Mapping[str, Any]) -> int | None:
    version = data_object.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None
