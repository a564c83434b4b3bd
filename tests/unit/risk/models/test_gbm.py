"""The monotone challenger: raising a constrained answer never moves the probability the
wrong way; reasons are the largest positive TreeSHAP contributions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankstack.risk.models.datasets import Dataset
from bankstack.risk.models.gbm import Encoder, Encoding, GbmModel, GbmScorer
from tests.unit.risk.models.applicants import applicant

ROWS = st.integers(0, 999)
TOLERANCE = 1e-12  # the probability is a sum of SHAP terms: float noise, not a violation


def _numeric(model: GbmModel) -> list[Encoder]:
    return [e for e in model.encoders if e.encoding is Encoding.NUMERIC and e.monotone]


def test_numeric_columns_follow_their_woe_trend(challenger: GbmModel):
    monotone = {e.name: e.monotone for e in challenger.encoders}
    assert monotone["duration_months"] == 1  # longer loans are riskier
    assert monotone["age"] == -1  # older applicants are safer
    assert all(e.monotone == 1 for e in challenger.encoders if e.encoding is Encoding.WOE)


@given(ROWS, st.data())
def test_raising_a_constrained_number_moves_risk_one_way(
    challenger: GbmModel, german: Dataset, row: int, data: st.DataObject
):
    encoder = data.draw(st.sampled_from(_numeric(challenger)))
    low, high = sorted(data.draw(st.lists(st.integers(0, 20_000), min_size=2, max_size=2)))
    scorer = GbmScorer("v", challenger)
    features = applicant(german, row)
    p_low = scorer.score({**features, encoder.feature: low}).probability
    p_high = scorer.score({**features, encoder.feature: high}).probability
    assert encoder.monotone * (p_high - p_low) >= -TOLERANCE


@given(ROWS, st.data())
def test_a_riskier_category_never_lowers_the_probability(
    challenger: GbmModel, german: Dataset, row: int, data: st.DataObject
):
    encoder = data.draw(st.sampled_from([e for e in challenger.encoders if e.woe]))
    levels = sorted(encoder.woe, key=lambda level: encoder.woe[level])
    safer, riskier = sorted(
        data.draw(st.lists(st.sampled_from(levels), min_size=2, max_size=2)), key=levels.index
    )
    scorer = GbmScorer("v", challenger)
    features = applicant(german, row)
    p_safer = scorer.score({**features, encoder.feature: safer}).probability
    p_riskier = scorer.score({**features, encoder.feature: riskier}).probability
    assert p_riskier - p_safer >= -TOLERANCE


@given(ROWS)
def test_reasons_are_the_top_positive_contributions(
    challenger: GbmModel, german: Dataset, row: int
):
    features = applicant(german, row)
    result = GbmScorer("v", challenger).score(features)
    x = np.array([[e.encode(features.get(e.feature)) for e in challenger.encoders]])
    assert math.isclose(result.probability, challenger.booster.predict(x)[0], rel_tol=1e-9)
    contributions = challenger.booster.predict(x, pred_contrib=True)[0][:-1]
    order = [i for i in np.argsort(-contributions, kind="stable") if contributions[i] > 0][:4]
    assert [r.code for r in result.reasons] == [challenger.encoders[i].code for i in order]
    points = [r.points for r in result.reasons]
    assert points == sorted(points, reverse=True)
    assert all(r.code.startswith("G_") and r.points >= 1 for r in result.reasons)


def test_the_batch_path_gives_the_scorers_probabilities(challenger: GbmModel, german: Dataset):
    batch = challenger.predict(german.values)
    scorer = GbmScorer("v", challenger)
    single = [scorer.score(applicant(german, row)).probability for row in range(0, 1000, 37)]
    assert np.allclose(batch[::37], single, rtol=1e-9, atol=0)


def test_missing_and_unknown_answers_score(challenger: GbmModel):
    result = GbmScorer("v", challenger).score({"attr_purpose": "space travel", "attr_age": "old"})
    assert 0 < result.probability < 1


def test_a_number_never_missing_in_training_is_read_as_its_median(
    challenger: GbmModel, german: Dataset
):
    age = next(e for e in challenger.encoders if e.name == "age")
    assert age.missing == float(np.median(german.values["age"]))
    assert age.encode(None) == age.encode("unknown") == age.encode(math.nan) == age.missing
    assert age.encode(value=True) == 1.0


@pytest.mark.parametrize("encoder", ["numeric", "woe"])
def test_encoders_round_trip(challenger: GbmModel, encoder: str):
    found = next(e for e in challenger.encoders if e.encoding == encoder)
    assert Encoder.from_json(found.to_json()) == found


def test_files_round_trip(challenger: GbmModel, german: Dataset):
    loaded = GbmModel.from_files(challenger.to_files())
    assert loaded.encoders == challenger.encoders
    assert np.array_equal(loaded.predict(german.values), challenger.predict(german.values))


def test_a_reason_floor_explains_only_probabilities_at_or_above_it(
    challenger: GbmModel, german: Dataset
):
    full = GbmScorer("v", challenger)
    answers = [full.score(applicant(german, row)) for row in range(60)]
    floor = sorted(a.probability for a in answers)[30]  # half below, half at or above
    floored = GbmScorer("v", challenger, reason_floor=floor)
    for row, answer in enumerate(answers):
        quick = floored.score(applicant(german, row))
        assert abs(quick.probability - answer.probability) <= TOLERANCE
        if answer.probability < floor - TOLERANCE:
            assert quick.reasons == ()
        elif answer.probability >= floor + TOLERANCE:
            assert quick.reasons == answer.reasons
