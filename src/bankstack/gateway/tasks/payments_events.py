"""Payments outbox events as partner webhooks: ``trade.succeeded`` -> ``trade.succeeded``.

Payments writes its objects with internal ids (decimal), mode-scoped merchant ids
(``test.<id>`` in test mode) and bare minor-unit amounts. Partners see the ``/v1`` shapes:
prefixed hex ids, ``{"amount", "currency"}`` objects, unscoped ids and ``livemode``. This
subscriber rewrites each event into that shape and hands it to ``WebhookFanout``, which
records one webhook event per app of the merchant in that mode, exactly once per outbox
event (``Inbox``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from bankstack.gateway.api.views import REFUND_PREFIX, TEST_SCOPE, TRADE_PREFIX
from bankstack.gateway.tasks.webhooks import WebhookFanout
from bankstack.kernel.events import Event
from bankstack.payments import TOPICS

_AMOUNTS: Final = ("amount", "net", "fee", "commission", "paid_amount", "refunded_amount")
_PREFIXES: Final = {"trade": TRADE_PREFIX, "escrow": TRADE_PREFIX, "refund": REFUND_PREFIX}


class PaymentsWebhooks:
    name = "gateway.payments-webhooks"
    topics = frozenset(TOPICS)

    def __init__(self, fanout: WebhookFanout) -> None:
        self._fanout = fanout

    def handle(self, events: Sequence[Event]) -> None:
        ours = [partner_event(e) for e in events if e.topic in TOPICS]
        self._fanout.handle([e for e in ours if e is not None])


def partner_event(event: Event) -> Event | None:
    payload = json.loads(event.payload)
    body = payload.get("data")
    if not isinstance(body, dict) or not isinstance(body.get("merchant_id"), str):
        return None
    merchant: str = body["merchant_id"]
    livemode = not merchant.startswith(TEST_SCOPE)
    shaped = {
        "merchant_id": merchant.removeprefix(TEST_SCOPE),
        "livemode": livemode,
        "object": _public(body, livemode),
    }
    return event._replace(topic="payments." + event.topic, payload=json.dumps(shaped))


def _public(body: dict[str, Any], livemode: bool) -> dict[str, Any]:
    shaped = dict(body, livemode=livemode)
    prefix = _PREFIXES.get(str(body.get("object")), "")
    for field in ("id", "trade_id"):
        if isinstance(body.get(field), str) and body[field].isdigit():
            shaped[field] = (
                f"{TRADE_PREFIX if field == 'trade_id' else prefix}{int(body[field]):032x}"
            )
    currency = body.get("currency")
    for field in _AMOUNTS:
        if isinstance(body.get(field), int):
            shaped[field] = {"amount": body[field], "currency": currency}
    for field in ("merchant_id", "buyer_id", "payer_id"):
        if isinstance(body.get(field), str):
            shaped[field] = body[field].removeprefix(TEST_SCOPE)
    return shaped
