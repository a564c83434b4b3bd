"""The feature catalog: every name a rule or a model may read, with its type and meaning.

This is the whole surface a rule can reach: a rule set referencing a name that is not here
does not compile (rules/). Names are ``<entity>_<measure>_<window>`` for velocity features,
where the windows are fixed-bucket sliding windows (features/windows.py):

    window  bucket   buckets
    1m      1 s      60
    1h      1 min    60
    24h     15 min   96
    30d     1 day    30

Velocity features describe the history *before* the event being decided (the event itself is
not counted); ``amount`` and the ``event_*`` features describe the event. Amounts are integer
minor units of the event's currency; the engine keeps one window per entity and currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class FeatureType(StrEnum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STRING = "string"


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    name: str
    type: FeatureType
    description: str


WINDOWS: Final = ("1m", "1h", "24h", "30d")

# entity -> (what identifies it, the distinct measure and what it counts)
VELOCITY_ENTITIES: Final = {
    "customer": ("the acting customer", "distinct_payees", "payees paid (fan-out)"),
    "device": ("the event's device", "distinct_customers", "customers using it"),
    "ip": ("the event's IP address", "distinct_customers", "customers using it"),
    "payee": ("the merchant or counterparty paid", "distinct_payers", "payers (fan-in)"),
}


def _velocity() -> list[FeatureSpec]:
    specs: list[FeatureSpec] = []
    for entity, (who, distinct, counts) in VELOCITY_ENTITIES.items():
        for window in WINDOWS:
            specs.extend(
                (
                    FeatureSpec(
                        f"{entity}_count_{window}",
                        FeatureType.INT,
                        f"events of {who} in the last {window}",
                    ),
                    FeatureSpec(
                        f"{entity}_sum_{window}",
                        FeatureType.INT,
                        f"amount moved by {who} in the last {window} (minor units)",
                    ),
                    FeatureSpec(
                        f"{entity}_{distinct}_{window}",
                        FeatureType.INT,
                        f"distinct {counts} of {who} in the last {window}",
                    ),
                )
            )
    return specs


_INT, _FLOAT, _BOOL, _STR = FeatureType.INT, FeatureType.FLOAT, FeatureType.BOOL, FeatureType.STRING

_EVENT: Final = [
    FeatureSpec("kind", _STR, "payment, transfer, login, loan_application, account_change"),
    FeatureSpec("channel", _STR, "where the event came from (api, cashier, alipay, app ...)"),
    FeatureSpec("currency", _STR, "the event's currency code, '' when it moves no money"),
    FeatureSpec("amount", _INT, "the event's amount in minor units (0 when none)"),
    FeatureSpec("event_hour", _INT, "hour of day (UTC) of the event, 0-23"),
    FeatureSpec("amount_is_round", _BOOL, "the amount is a whole multiple of 100 major units"),
    FeatureSpec(
        "amount_near_threshold",
        _BOOL,
        "the amount is within 10% below the reporting threshold (structuring)",
    ),
    FeatureSpec("has_device", _BOOL, "the event names a device"),
    FeatureSpec("has_ip", _BOOL, "the event names an IP address"),
]

_LINKS: Final = [
    FeatureSpec("device_customers_total", _INT, "customers ever seen on the event's device"),
    FeatureSpec("phone_customers_total", _INT, "customers ever registered with the phone"),
    FeatureSpec("customer_devices_30d", _INT, "distinct devices the customer used in 30 days"),
    FeatureSpec("customer_ips_24h", _INT, "distinct IP addresses the customer used in 24 h"),
    FeatureSpec("is_new_device", _BOOL, "the customer never used this device before"),
    FeatureSpec("is_new_ip", _BOOL, "the customer never used this IP address before"),
    FeatureSpec("is_new_payee", _BOOL, "the customer never paid this payee before"),
    # The customer as a payee: what flowed in just before it flows out (rapid pass-through).
    FeatureSpec("customer_received_1h", _INT, "money the customer received in 1 h (minor units)"),
    FeatureSpec("customer_received_24h", _INT, "money the customer received in 24 h"),
]

_PROFILE: Final = [
    FeatureSpec("account_age_days", _INT, "days since the customer's account was opened"),
    FeatureSpec("customer_events_total", _INT, "events of the customer ever seen"),
    FeatureSpec("customer_amount_mean", _INT, "the customer's usual amount (mean, minor units)"),
    FeatureSpec("customer_amount_std", _INT, "standard deviation of the customer's amounts"),
    FeatureSpec("amount_zscore", _FLOAT, "how many standard deviations the amount is above usual"),
    FeatureSpec("amount_to_mean", _FLOAT, "the amount divided by the customer's usual amount"),
    FeatureSpec(
        "seconds_since_last", _INT, "seconds since the customer's previous event (-1: none)"
    ),
    FeatureSpec("seconds_since_device_change", _INT, "seconds since a new device (-1: none)"),
]

CATALOG: Final[tuple[FeatureSpec, ...]] = (*_EVENT, *_velocity(), *_LINKS, *_PROFILE)
BY_NAME: Final = {spec.name: spec for spec in CATALOG}
VELOCITY_NAMES: Final = tuple(spec.name for spec in _velocity())

# Loan applications and account changes carry their answers as attributes; rules and the
# credit model read them as ``attr_<name>`` (strings, integers or booleans).
ATTRIBUTE_PREFIX: Final = "attr_"


def is_known(name: str) -> bool:
    return name in BY_NAME or name.startswith(ATTRIBUTE_PREFIX)
