"""Rule-set documents and feature vectors for the rules tests."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from bankstack.risk.domain.catalog import CATALOG, FeatureType
from bankstack.risk.domain.decision import FeatureValue


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    return str(value)


def rule(rule_id: str, when: Any, points: Any = 100, **fields: Any) -> str:
    fields = {"id": rule_id, "when": when, "points": points, "reason": f"{rule_id} fired."} | fields
    lines = [f"{key} = {toml_value(value)}" for key, value in fields.items() if value is not None]
    return "[[rules]]\n" + "\n".join(lines) + "\n"


def ruleset_text(
    *rules: str,
    name: str = "test",
    version: int = 1,
    thresholds: tuple[int, int, int] = (300, 550, 800),
) -> str:
    challenge, review, reject = thresholds
    head = (
        f'name = "{name}"\nversion = {version}\ndescription = "for tests"\n\n'
        f"[thresholds]\nchallenge_at = {challenge}\nreview_at = {review}\nreject_at = {reject}\n\n"
    )
    return head + "\n".join(rules)


_QUIET_DEFAULTS: dict[FeatureType, FeatureValue] = {
    FeatureType.INT: 0,
    FeatureType.FLOAT: 0.0,
    FeatureType.BOOL: False,
    FeatureType.STRING: "",
}

# An established customer, a usual amount, a known device and IP, nothing else going on.
_QUIET: dict[str, FeatureValue] = {
    "channel": "app",
    "currency": "CNY",
    "amount": 15_000,
    "event_hour": 4,
    "has_device": True,
    "has_ip": True,
    "device_customers_total": 1,
    "phone_customers_total": 1,
    "customer_devices_30d": 1,
    "customer_ips_24h": 1,
    "account_age_days": 400,
    "customer_events_total": 200,
    "customer_amount_mean": 15_000,
    "customer_amount_std": 8_000,
    "amount_to_mean": 1.0,
    "seconds_since_last": 3_600,
    "seconds_since_device_change": -1,
}


def quiet_vector(kind: str, **overrides: FeatureValue) -> dict[str, FeatureValue]:
    """Every catalog feature, at values where nothing unusual is happening."""
    vector = {spec.name: _QUIET_DEFAULTS[spec.type] for spec in CATALOG}
    vector.update(_QUIET, kind=kind)
    unknown = set(overrides) - set(vector)
    assert not unknown, f"not catalog features: {unknown}"
    vector.update(overrides)
    return vector


_VALUES = {
    FeatureType.INT: st.integers(-1, 10_000_000),
    FeatureType.FLOAT: st.floats(-50, 50, allow_nan=False),
    FeatureType.BOOL: st.booleans(),
    FeatureType.STRING: st.sampled_from(["", "app", "CNY", "payment"]),
}
# Any well-typed vector of every catalog feature (amounts bounded as real ones are).
vectors = st.fixed_dictionaries({spec.name: _VALUES[spec.type] for spec in CATALOG})
