"""Welford's running mean and deviation against the textbook formulas."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.risk.features.profile import (
    AmountStats,
    ProfileFacts,
    amount_features,
    seconds_since,
)

amounts = st.lists(st.integers(0, 10**12), min_size=2, max_size=200)


@given(amounts)
def test_welford_matches_mean_and_sample_deviation(values):
    stats = AmountStats()
    for value in values:
        stats.add(value)
    assert stats.count == len(values)
    assert stats.mean == pytest.approx(statistics.fmean(values), rel=1e-9, abs=1e-6)
    deviation = (stats.m2 / (stats.count - 1)) ** 0.5
    assert deviation == pytest.approx(statistics.stdev(values), rel=1e-6, abs=1e-3)


@given(amounts, st.integers(0, 10**12))
def test_features_from_the_running_state(values, amount):
    stats = AmountStats()
    for value in values:
        stats.add(value)
    found = amount_features(amount, ProfileFacts(len(values), None, *vars_of(stats)))
    assert found.mean == round(stats.mean)
    spread = statistics.stdev(values)
    assert abs(found.std - spread) <= 1 + 1e-6 * spread
    if spread == 0:
        assert found.zscore == 0.0
    else:
        expected = (amount - statistics.fmean(values)) / spread
        assert found.zscore == pytest.approx(expected, rel=1e-3, abs=1e-6)
    if stats.mean:
        assert found.to_mean == pytest.approx(amount / statistics.fmean(values), rel=1e-6)


def vars_of(stats: AmountStats) -> tuple[int, float, float]:
    return stats.count, stats.mean, stats.m2


def test_seconds_since():
    assert seconds_since(5_000_000_000, None) == -1
    assert seconds_since(5_999_999_999, 1_000_000_000) == 4
    assert seconds_since(1, 2) == 0
