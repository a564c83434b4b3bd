"""How well the detectors do on a labelled synthetic stream: recall and false alerts.

Each detector is matched with the typology it exists for (pass-through and fan-in both with
``mule_fan_in``: the mule receives from many and passes the money on). An episode counts as
found when the detector raised an alert about one of the parties at its centre (the mule,
the structurer, the scatterer, a member of the ring). Alerts are split three ways: about
the matching typology's parties, about another typology's suspects, and about honest
parties (no side of any fraudulent movement): the last are the false alerts.

The figures describe the synthetic world of ``bankstack.risk.simulator``, not real traffic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bankstack.risk.aml.monitor import AmlMonitor
from bankstack.risk.aml.thresholds import Thresholds
from bankstack.risk.domain.alert import Alert
from bankstack.risk.simulator import (
    CYCLE,
    FAN_OUT,
    MULE_FAN_IN,
    STRUCTURING,
    LabelledEvent,
    episodes,
    movements,
    suspects,
)

TYPOLOGY_OF: Final = {
    "structuring": STRUCTURING,
    "pass_through": MULE_FAN_IN,
    "fan_in": MULE_FAN_IN,
    "fan_out": FAN_OUT,
    "cycle": CYCLE,
}


@dataclass(frozen=True, slots=True)
class DetectorQuality:
    detector: str
    typology: str
    episodes: int
    found: int
    alerts: int
    on_typology: int  # alerts about the matching typology's parties
    on_honest: int  # alerts about parties in no fraudulent movement at all

    @property
    def recall(self) -> float:
        return self.found / self.episodes if self.episodes else 1.0

    @property
    def precision(self) -> float:
        return self.on_typology / self.alerts if self.alerts else 1.0


def measure(
    stream: Sequence[LabelledEvent], thresholds: Thresholds | None = None
) -> tuple[DetectorQuality, ...]:
    """Run an ``AmlMonitor`` over the stream's movements and score every detector."""
    monitor = AmlMonitor(thresholds)
    raised: dict[str, list[Alert]] = defaultdict(list)
    for movement in movements(stream):
        for alert in monitor.feed(movement):
            raised[alert.detector].append(alert)
    truth = episodes(stream)
    guilty = suspects(stream)
    qualities = []
    for detector, typology in TYPOLOGY_OF.items():
        alerts = raised[detector]
        subjects = {alert.subject for alert in alerts}
        centre = set().union(*truth[typology])
        qualities.append(
            DetectorQuality(
                detector=detector,
                typology=typology,
                episodes=len(truth[typology]),
                found=sum(1 for episode in truth[typology] if episode & subjects),
                alerts=len(alerts),
                on_typology=sum(1 for alert in alerts if alert.subject in centre),
                on_honest=sum(1 for alert in alerts if alert.subject not in guilty),
            )
        )
    return tuple(qualities)


def render(qualities: Sequence[DetectorQuality]) -> str:
    """A plain-text table, one detector a line."""
    lines = [
        "detector      typology      episodes found recall alerts on-typology honest precision"
    ]
    lines.extend(
        f"{q.detector:<13} {q.typology:<13} {q.episodes:>8} {q.found:>5} {q.recall:>6.2f} "
        f"{q.alerts:>6} {q.on_typology:>11} {q.on_honest:>6} {q.precision:>9.2f}"
        for q in qualities
    )
    return "\n".join(lines)
