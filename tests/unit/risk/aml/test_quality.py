"""The detectors on a simulated month: they find their typology and leave honest parties alone.

Synthetic data (bankstack.risk.simulator): the floors catch a broken detector, they do not
claim real-world performance.
"""

from __future__ import annotations

from bankstack.risk.aml.quality import measure, render
from tests.unit.risk.simulator.worlds import MONTH, month_stream


def test_every_detector_finds_its_typology_with_few_alerts_on_honest_parties():
    qualities = {q.detector: q for q in measure(month_stream())}
    assert set(qualities) == {"structuring", "pass_through", "fan_in", "fan_out", "cycle"}
    for quality in qualities.values():
        assert quality.episodes == MONTH.episodes(quality.typology) == 6
        assert quality.recall >= 0.9, render(list(qualities.values()))
        assert quality.on_honest <= 0.1 * quality.alerts, render(list(qualities.values()))
    assert qualities["fan_in"].precision >= 0.9
    assert qualities["cycle"].precision >= 0.9
    assert qualities["structuring"].precision >= 0.9


def test_the_report_has_a_line_per_detector():
    lines = render(measure(month_stream()[:20_000])).splitlines()
    assert len(lines) == 6
    assert lines[1].startswith("structuring")
