"""Risk: every money-moving event and every loan application passes ``decide`` first.

Features (velocity windows, links, profiles) -> rules (CEL) -> model -> a decision with reasons,
recorded with the versions that made it. See docs/risk.md.
"""

from bankstack.risk.domain.decision import (
    Decision,
    FeatureValue,
    FeatureVector,
    ModelScore,
    Outcome,
    Reason,
    ReasonSource,
)
from bankstack.risk.domain.event import EventKind, EventSubject, RiskEvent

__all__ = [
    "Decision",
    "EventKind",
    "EventSubject",
    "FeatureValue",
    "FeatureVector",
    "ModelScore",
    "Outcome",
    "Reason",
    "ReasonSource",
    "RiskEvent",
]
