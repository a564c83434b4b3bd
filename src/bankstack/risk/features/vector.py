"""From what a source knows about the history to the feature vector (pure).

A feature source (memory or Redis) answers one question per event: the raw ``History``
before it (velocity numbers, links, profile). ``assemble`` turns that and the event into the
vector, with every name of ``catalog.CATALOG`` in catalog order and then ``attr_<name>`` for
each of the event's attributes, unchanged. Both sources share this function, so they agree on
every derived feature as soon as they agree on the history.

Event features: an event without an amount has amount 0 and currency ""; ``amount_is_round``
is a non-zero whole multiple of 100 major units of its currency (``kernel.money`` scales);
``amount_near_threshold`` is an amount in [90%, 100%) of the reporting threshold of its
currency (structuring just below it), never for a currency without a threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from bankstack.kernel.money import ASSET_SCALES
from bankstack.risk.domain.catalog import ATTRIBUTE_PREFIX, VELOCITY_NAMES
from bankstack.risk.domain.decision import FeatureValue
from bankstack.risk.domain.event import RiskEvent
from bankstack.risk.features.links import LinkFacts
from bankstack.risk.features.profile import (
    ProfileFacts,
    account_age_days,
    amount_features,
    seconds_since,
)

# Large cash and transfer reporting thresholds, minor units: CNY 50,000 (PBoC large-value
# transaction report) and USD 10,000 (FinCEN CTR).
DEFAULT_THRESHOLDS: Final[Mapping[str, int]] = {"CNY": 5_000_000, "USD": 1_000_000}

_ROUND_UNITS: Final = {asset: 100 * 10**scale for asset, scale in ASSET_SCALES.items()}
_HOUR_NS: Final = 3_600_000_000_000


@dataclass(frozen=True, slots=True)
class History:
    """What the history says about one event, as a source reads it."""

    velocity: Sequence[int]  # the 48 numbers of catalog.VELOCITY_NAMES, in order
    received: tuple[int, int]  # money paid to the customer in 1 h and 24 h (event currency)
    links: LinkFacts
    profile: ProfileFacts


def amount_of(event: RiskEvent) -> tuple[str, int]:
    """(currency, minor units) of the event, ("", 0) when it carries no amount."""
    amount = event.amount
    return ("", 0) if amount is None else (amount.asset, amount.minor)


def assemble(
    event: RiskEvent, history: History, thresholds: Mapping[str, int]
) -> dict[str, FeatureValue]:
    time_ns = event.occurred_at
    currency, amount = amount_of(event)
    threshold = thresholds.get(currency)
    vector: dict[str, FeatureValue] = {
        "kind": event.kind.value,
        "channel": event.channel,
        "currency": currency,
        "amount": amount,
        "event_hour": (time_ns // _HOUR_NS) % 24,
        "amount_is_round": amount != 0 and amount % _ROUND_UNITS.get(currency, 1) == 0,
        "amount_near_threshold": threshold is not None
        and 10 * amount >= 9 * threshold
        and amount < threshold,
        "has_device": bool(event.device_id),
        "has_ip": bool(event.ip),
    }
    vector.update(zip(VELOCITY_NAMES, history.velocity, strict=True))
    links, profile = history.links, history.profile
    usual = amount_features(amount, profile)
    vector.update(
        device_customers_total=links.device_customers,
        phone_customers_total=links.phone_customers,
        customer_devices_30d=links.devices_30d,
        customer_ips_24h=links.ips_24h,
        is_new_device=bool(event.device_id) and not links.known_device,
        is_new_ip=bool(event.ip) and not links.known_ip,
        is_new_payee=bool(event.payee) and not links.known_payee,
        customer_received_1h=history.received[0],
        customer_received_24h=history.received[1],
        account_age_days=account_age_days(event, profile.first_seen),
        customer_events_total=profile.events_total,
        customer_amount_mean=usual.mean,
        customer_amount_std=usual.std,
        amount_zscore=usual.zscore,
        amount_to_mean=usual.to_mean,
        seconds_since_last=seconds_since(time_ns, links.last_seen),
        seconds_since_device_change=seconds_since(time_ns, links.last_new_device),
    )
    for name, value in event.attributes.items():
        vector[ATTRIBUTE_PREFIX + name] = value
    return vector
