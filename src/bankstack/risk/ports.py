"""What the risk engine needs from the world, as Protocols; adapters/ and the submodules
(features/, rules/, models/) implement them.

- ``FeatureSource`` turns an event into a flat feature vector from the history it has seen
  (velocity windows, links, profiles), and remembers events. ``compute`` never changes
  state, so the same event against the same state gives the same vector; ``record`` adds the
  event to the history after the decision. A source backed by Redis serves several processes.
- ``Scorer`` is a trained model: a probability of the bad outcome and its reasons.
- ``DecisionLog`` stores every decision (and every shadow decision) durably.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bankstack.risk.domain.decision import Decision, FeatureVector, ModelScore
from bankstack.risk.domain.event import RiskEvent


class FeatureSource(Protocol):
    def compute(self, event: RiskEvent) -> dict[str, int | float | bool | str]:
        """The event's features from the history before it (the event itself not counted)."""
        ...

    def record(self, event: RiskEvent) -> None:
        """Add the event to the history (windows, links, profiles)."""
        ...


class Scorer(Protocol):
    @property
    def version(self) -> str: ...

    @property
    def features(self) -> Sequence[str]:
        """The feature names the model reads, in its input order."""
        ...

    def score(self, features: FeatureVector) -> ModelScore: ...


class DecisionLog(Protocol):
    def append(self, decision: Decision, event: RiskEvent) -> None: ...
    def append_shadow(self, decision: Decision) -> None: ...
