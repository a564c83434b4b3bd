"""Shared, expensive fixtures: German Credit and the two credit models trained on it once."""

from __future__ import annotations

import pytest

from bankstack.risk.models.challenger import fit_challenger
from bankstack.risk.models.datasets import Dataset, german_credit
from bankstack.risk.models.gbm import GbmModel
from bankstack.risk.models.scorecard import Scorecard, fit_scorecard


@pytest.fixture(scope="session")
def german() -> Dataset:
    return german_credit()


@pytest.fixture(scope="session")
def card(german: Dataset) -> Scorecard:
    return fit_scorecard(german)


@pytest.fixture(scope="session")
def challenger(german: Dataset) -> GbmModel:
    return fit_challenger(german)
