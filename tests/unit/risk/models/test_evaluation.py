"""Cross-validation reaches the published level on German Credit, and the metrics are
right on examples small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bankstack.risk.models.datasets import Dataset
from bankstack.risk.models.evaluation import (
    calibration,
    cross_validate,
    ks_statistic,
    recall_at_fpr,
)


@pytest.mark.parametrize("model", ["scorecard", "gbm"])
def test_five_fold_auc_on_german_credit(german: Dataset, model: str):
    ticks: list[int] = []
    result = cross_validate(german, model, tick=lambda: ticks.append(1))
    assert len(result.auc) == 5
    assert len(ticks) == 5
    assert result.auc_mean > 0.74  # published: WOE-LR 0.781, LightGBM 0.788
    assert 0.3 < result.ks_mean < 0.7
    assert result.brier < 0.21  # always predicting the 30% base rate scores 0.21
    assert sum(b.rows for b in result.reliability) == german.rows
    again = cross_validate(german, model)
    assert (again.auc, again.ks, again.brier) == (result.auc, result.ks, result.brier)  # fixed seed


def test_ks_is_the_largest_gap_between_the_cumulative_distributions():
    target = np.array([0, 0, 0, 1, 1, 1])
    assert ks_statistic(target, np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])) == 1.0
    # at a cut-off of 0.35: 2 of 3 bads above, 1 of 3 goods above
    assert math.isclose(ks_statistic(target, np.array([0.1, 0.2, 0.4, 0.3, 0.5, 0.6])), 2 / 3)


def test_recall_at_a_fixed_false_positive_rate():
    target = np.array([0] * 100 + [1] * 4)
    scores = np.concatenate([np.linspace(0, 0.5, 100), [0.99, 0.98, 0.3, 0.2]])
    # flagging above 0.5 catches 2 frauds and no good; the next fraud sits among the goods
    assert recall_at_fpr(target, scores, 0.001) == 0.5
    assert recall_at_fpr(target, scores, 0.5) == 0.75


def test_calibration_error_and_reliability_table():
    target = np.array([0, 0, 1, 1, 1])
    predicted = np.array([0.05, 0.05, 0.95, 0.95, 0.55])
    ece, table = calibration(target, predicted)
    assert len(table) == 10
    assert [b.rows for b in table] == [2, 0, 0, 0, 0, 1, 0, 0, 0, 2]
    assert table[0].predicted == 0.05
    assert table[0].observed == 0.0
    assert math.isnan(table[1].predicted)
    assert math.isclose(ece, (2 * 0.05 + 1 * 0.45 + 2 * 0.05) / 5)
