"""The credit champion: logistic regression on WOE bins, turned into a points scorecard.

Scaling: 600 points at good:bad odds of 50:1, 20 more points for every doubling of the odds
(PDO 20), so

    score = offset + factor * ln(good odds),  factor = 20 / ln 2,  offset = 600 - factor * ln 50

With the regression ``logit(p_bad) = b0 + sum_j b_j * woe_j``, characteristic j's points for
bin k are ``round(offset / n - factor * (b_j * woe_jk + b0 / n))`` over the n characteristics
kept, so an applicant's score is exactly the sum of their points (the intercept and offset
are shared evenly). The probability of a bad loan is read back from the total:
``p_bad = 1 / (1 + exp((score - offset) / factor))``. Higher score, safer applicant.

Characteristics with IV under 0.02 are left out (they add noise, not evidence), and so is
any whose coefficient comes out negative: with WOE inputs a negative sign only appears
through collinearity, and a points table that rewards a riskier answer cannot be defended.

Scoring is pure Python over a ``FeatureVector``: a loan application's answers arrive as
``attr_<column>``. A missing, unknown or wrongly typed answer falls into the missing bin.
The reasons are the characteristics that lost the most points against their best answer
(the adverse-action convention), top four, each with the points it lost.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from bankstack.risk.domain.catalog import ATTRIBUTE_PREFIX
from bankstack.risk.domain.decision import FeatureVector, ModelScore, Reason, ReasonSource
from bankstack.risk.models.datasets import Dataset
from bankstack.risk.models.woe import Binning, fit_binning

MIN_IV: Final = 0.02
MAX_REASONS: Final = 4
KIND: Final = "scorecard"
SCORECARD_FILE: Final = "scorecard.json"


@dataclass(frozen=True, slots=True)
class Scaling:
    base_score: int = 600
    base_odds: float = 50.0  # good:bad at the base score
    pdo: int = 20  # points to double the odds

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def probability(self, score: float) -> float:
        """The probability of a bad outcome at a score."""
        return 1.0 / (1.0 + math.exp((score - self.offset) / self.factor))


@dataclass(frozen=True, slots=True)
class Characteristic:
    binning: Binning
    description: str
    coefficient: float
    points: tuple[int, ...]  # per bin, the missing bin last

    @property
    def feature(self) -> str:
        return f"{ATTRIBUTE_PREFIX}{self.binning.column}"

    @property
    def best(self) -> int:
        return max(self.points)


@dataclass(frozen=True, slots=True)
class Scorecard:
    characteristics: tuple[Characteristic, ...]
    intercept: float
    scaling: Scaling

    def bins(self, features: FeatureVector) -> list[int]:
        return [c.binning.bin_of(features.get(c.feature)) for c in self.characteristics]

    def score(self, features: FeatureVector) -> int:
        bins = self.bins(features)
        return sum(c.points[b] for c, b in zip(self.characteristics, bins, strict=True))

    def predict(self, values: Mapping[str, NDArray[Any]]) -> NDArray[np.float64]:
        """Probabilities for whole columns (evaluation); the same points as ``score``."""
        total = np.zeros(len(next(iter(values.values()))), dtype=np.float64)
        for c in self.characteristics:
            total += np.asarray(c.points, dtype=np.float64)[
                c.binning.bins_of(values[c.binning.column])
            ]
        scale = self.scaling
        return np.asarray(1.0 / (1.0 + np.exp((total - scale.offset) / scale.factor)))

    def to_json(self) -> dict[str, Any]:
        s = self.scaling
        return {
            "scaling": {"base_score": s.base_score, "base_odds": s.base_odds, "pdo": s.pdo},
            "intercept": self.intercept,
            "characteristics": [
                {
                    "binning": c.binning.to_json(),
                    "description": c.description,
                    "coefficient": c.coefficient,
                    "points": list(c.points),
                }
                for c in self.characteristics
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scorecard:
        scaling = data["scaling"]
        return cls(
            characteristics=tuple(
                Characteristic(
                    binning=Binning.from_json(c["binning"]),
                    description=str(c["description"]),
                    coefficient=float(c["coefficient"]),
                    points=tuple(int(p) for p in c["points"]),
                )
                for c in data["characteristics"]
            ),
            intercept=float(data["intercept"]),
            scaling=Scaling(
                int(scaling["base_score"]), float(scaling["base_odds"]), int(scaling["pdo"])
            ),
        )


def scorecard_files(card: Scorecard) -> dict[str, bytes]:
    """The registry artifact: one JSON file."""
    return {SCORECARD_FILE: json.dumps(card.to_json(), indent=1, sort_keys=True).encode()}


def scorecard_from_files(files: Mapping[str, bytes]) -> Scorecard:
    return Scorecard.from_json(json.loads(files[SCORECARD_FILE]))


class ScorecardScorer:
    """The ``Scorer`` port over a scorecard: pure Python, no numpy on the scoring path."""

    def __init__(self, version: str, card: Scorecard) -> None:
        self._version = version
        self.card = card
        self._features = tuple(c.feature for c in card.characteristics)
        # Looked up once here, not per score: the scoring loop is the hot path.
        self._rows = tuple(
            (c.feature, c.binning.bin_of, c.points, c.best) for c in card.characteristics
        )

    @property
    def version(self) -> str:
        return self._version

    @property
    def features(self) -> Sequence[str]:
        return self._features

    def score(self, features: FeatureVector) -> ModelScore:
        total = 0
        lost: list[tuple[int, int, int]] = []  # (points below best, characteristic, bin)
        for index, (feature, bin_of, points, best) in enumerate(self._rows):
            b = bin_of(features.get(feature))
            total += points[b]
            if points[b] < best:
                lost.append((best - points[b], index, b))
        lost.sort(key=lambda item: (-item[0], item[1]))
        characteristics = self.card.characteristics
        reasons = tuple(
            _reason(characteristics[index], b, points) for points, index, b in lost[:MAX_REASONS]
        )
        return ModelScore(probability=self.card.scaling.probability(total), reasons=reasons)


def fit_scorecard(
    dataset: Dataset,
    *,
    scaling: Scaling | None = None,
    min_iv: float = MIN_IV,
    regularization: float = 1.0,
) -> Scorecard:
    """Bin every model input, keep the informative ones, fit the regression, make points."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415 - training only

    binnings = {
        c.name: fit_binning(c.name, c.kind, dataset.values[c.name], dataset.target)
        for c in dataset.inputs
    }
    kept = [c for c in dataset.inputs if binnings[c.name].iv >= min_iv]
    if not kept:
        raise ValueError(f"{dataset.name}: no characteristic reaches IV {min_iv}")
    while True:
        x = np.column_stack([binnings[c.name].woe_of(dataset.values[c.name]) for c in kept])
        model = LogisticRegression(C=regularization, max_iter=1000).fit(x, dataset.target)
        coefficients = [float(b) for b in model.coef_[0]]
        worst = int(np.argmin(coefficients))
        if coefficients[worst] > 0 or len(kept) == 1:
            break
        del kept[worst]  # the most negative sign first: dropping it may fix the others
    return _points_table(
        [(binnings[c.name], c.description, b) for c, b in zip(kept, coefficients, strict=True)],
        float(model.intercept_[0]),
        scaling or Scaling(),
    )


def _points_table(
    parts: list[tuple[Binning, str, float]], intercept: float, scaling: Scaling
) -> Scorecard:
    n, factor, offset = len(parts), scaling.factor, scaling.offset
    characteristics = tuple(
        Characteristic(
            binning=binning,
            description=description,
            coefficient=coefficient,
            points=tuple(
                round(offset / n - factor * (coefficient * w + intercept / n)) for w in binning.woe
            ),
        )
        for binning, description, coefficient in parts
    )
    return Scorecard(characteristics, intercept, scaling)


def _reason(c: Characteristic, bin_index: int, lost: int) -> Reason:
    label = c.binning.labels[bin_index]
    text = f"{c.description.capitalize()}: {label} ({lost} points below the best answer)."
    return Reason(
        code=f"C_{c.binning.column.upper()}", source=ReasonSource.MODEL, text=text, points=lost
    )
