"""The scorecard: points add up to the score, reasons are the largest shortfalls, and no
answer, however odd, makes it raise."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bankstack.risk.domain.decision import ReasonSource
from bankstack.risk.models.datasets import Dataset
from bankstack.risk.models.scorecard import (
    Scaling,
    Scorecard,
    ScorecardScorer,
    scorecard_files,
    scorecard_from_files,
)
from tests.unit.risk.models.applicants import applicant

ROWS = st.integers(0, 999)


def test_scaling_600_points_at_50_to_1_and_20_to_double():
    scaling = Scaling()
    assert math.isclose(scaling.probability(600), 1 / 51)
    assert math.isclose(scaling.probability(620), 1 / 101)
    assert math.isclose(scaling.probability(580), 1 / 26)


@given(ROWS)
def test_points_sum_to_the_score(card: Scorecard, german: Dataset, row: int):
    features = applicant(german, row)
    points = [c.points[c.binning.bin_of(features.get(c.feature))] for c in card.characteristics]
    assert card.score(features) == sum(points)
    result = ScorecardScorer("v", card).score(features)
    assert result.probability == card.scaling.probability(sum(points))


@given(ROWS)
def test_points_follow_the_regression(card: Scorecard, german: Dataset, row: int):
    features = applicant(german, row)
    logit = card.intercept + sum(
        c.coefficient * c.binning.woe[c.binning.bin_of(features.get(c.feature))]
        for c in card.characteristics
    )
    exact = card.scaling.offset - card.scaling.factor * logit
    # each characteristic's points are rounded once: at most half a point each
    assert abs(card.score(features) - exact) <= len(card.characteristics) / 2


@given(ROWS)
def test_reasons_are_the_largest_shortfalls(card: Scorecard, german: Dataset, row: int):
    features = applicant(german, row)
    shortfalls = sorted(
        (
            (c.best - c.points[c.binning.bin_of(features.get(c.feature))], i)
            for i, c in enumerate(card.characteristics)
        ),
        key=lambda item: (-item[0], item[1]),
    )
    expected = [
        (f"C_{card.characteristics[i].binning.column.upper()}", lost)
        for lost, i in shortfalls[:4]
        if lost > 0
    ]
    reasons = ScorecardScorer("v", card).score(features).reasons
    assert [(r.code, r.points) for r in reasons] == expected
    assert all(r.source is ReasonSource.MODEL for r in reasons)


def test_a_reason_names_the_answer(card: Scorecard):
    scorer = ScorecardScorer("v", card)
    reasons = scorer.score({"attr_checking_status": "... < 0 DM"}).reasons
    checking = next(r for r in reasons if r.code == "C_CHECKING_STATUS")
    assert checking.text.startswith("Status of the checking account: ... < 0 DM (")


def test_the_batch_path_gives_the_scorers_probabilities(card: Scorecard, german: Dataset):
    batch = card.predict(german.values)
    scorer = ScorecardScorer("v", card)
    single = [scorer.score(applicant(german, row)).probability for row in range(0, 1000, 37)]
    assert np.allclose(batch[::37], single, rtol=0, atol=1e-12)


ODD_VALUES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)


@given(st.dictionaries(st.sampled_from([f"attr_{n}" for n in ("age", "purpose", "x")]), ODD_VALUES))
def test_odd_answers_fall_into_the_missing_bin_and_never_raise(card: Scorecard, features):
    result = ScorecardScorer("v", card).score(features)
    assert 0 < result.probability < 1
    purpose = next(c for c in card.characteristics if c.binning.column == "purpose")
    if features.get("attr_purpose") not in purpose.binning.levels:
        assert purpose.binning.bin_of(features.get("attr_purpose")) == purpose.binning.missing_bin


def test_the_empty_application_scores_every_missing_bin(card: Scorecard):
    missing = sum(c.points[c.binning.missing_bin] for c in card.characteristics)
    assert card.score({}) == missing


def test_only_informative_unprotected_characteristics_with_positive_signs(card: Scorecard):
    columns = {c.binning.column for c in card.characteristics}
    assert "personal_status_sex" not in columns
    assert "foreign_worker" not in columns
    assert all(c.binning.iv >= 0.02 for c in card.characteristics)
    assert all(c.coefficient > 0 for c in card.characteristics)


def test_files_round_trip(card: Scorecard):
    assert scorecard_from_files(scorecard_files(card)) == card
