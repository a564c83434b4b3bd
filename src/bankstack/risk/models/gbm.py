"""Gradient-boosted trees (LightGBM) behind the ``Scorer`` port: the credit challenger and
the fraud model share this scorer; only their encoders differ.

An ``Encoder`` says how one feature becomes one float of the model's input row: ``numeric``
takes ints, floats and booleans as they are; ``woe`` replaces a categorical answer by its
weight of evidence. A missing or unusable value becomes the encoder's ``missing``: NaN where
training saw missing values (LightGBM learned a branch for them), else a neutral value the
trainer chose (LightGBM would read an unseen NaN as 0: a missing income is not a zero one).
Each encoder also carries its monotone direction, reason code and reason text, so a model is
fully described by its booster and its encoders.

Scoring builds one numpy row (never a DataFrame: a one-row frame costs milliseconds) and
makes one ``predict(pred_contrib=True)`` call on a single thread. TreeSHAP contributions are
in log-odds and add up, with the bias, to the raw score, so one call gives both the
probability and the reasons. The reasons are the four largest positive contributions; their
points use the scorecard's unit (20 points per doubling of the odds), so staff read one scale.

Models stay small (at most 300 trees of 15 leaves): TreeSHAP cost grows with tree size
(reference/risk.md section 6.2), and the challenger beats the scorecard by little.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from bankstack.risk.domain.decision import FeatureVector, ModelScore, Reason, ReasonSource

MAX_REASONS: Final = 4
# A fraud probability below 5 % adds under 50 of the score's 1000 points: not explained.
FRAUD_REASON_FLOOR: Final = 0.05
POINTS_PER_LOG_ODDS: Final = 20 / math.log(2)  # the scorecard's PDO 20
MODEL_FILE: Final = "model.txt"
ENCODERS_FILE: Final = "encoders.json"


class Encoding(StrEnum):
    NUMERIC = "numeric"
    WOE = "woe"


@dataclass(frozen=True, slots=True)
class Encoder:
    name: str  # the model's column (and the training data's)
    feature: str  # the key read from a FeatureVector
    encoding: Encoding
    monotone: int  # +1 the risk may only rise with the value, -1 only fall, 0 free
    code: str  # reason code
    text: str  # what the feature is, for the reason's sentence
    woe: Mapping[str, float] = field(default_factory=dict)
    missing: float = math.nan

    def encode(self, value: object) -> float:
        if self.encoding is Encoding.WOE:
            found = self.woe.get(value) if isinstance(value, str) else None
            return self.missing if found is None else found
        if isinstance(value, int | float) and value == value:  # noqa: PLR0124 - NaN check
            return float(value)  # bool is an int: True is 1.0
        return self.missing

    def encode_column(self, values: NDArray[Any]) -> NDArray[np.float64]:
        if self.encoding is Encoding.NUMERIC and values.dtype != np.object_:
            numbers = values.astype(np.float64)
            return np.where(np.isnan(numbers), self.missing, numbers)
        return np.array([self.encode(v) for v in values], dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "feature": self.feature,
            "encoding": self.encoding.value,
            "monotone": self.monotone,
            "code": self.code,
            "text": self.text,
            "woe": dict(self.woe),
            "missing": None if math.isnan(self.missing) else self.missing,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Encoder:
        return cls(
            name=str(data["name"]),
            feature=str(data["feature"]),
            encoding=Encoding(data["encoding"]),
            monotone=int(data["monotone"]),
            code=str(data["code"]),
            text=str(data["text"]),
            woe={str(k): float(v) for k, v in data["woe"].items()},
            missing=math.nan if data["missing"] is None else float(data["missing"]),
        )


@dataclass(frozen=True, slots=True)
class GbmParams:
    trees: int = 300
    leaves: int = 15
    learning_rate: float = 0.03
    min_data_in_leaf: int = 20
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    l2: float = 1.0
    seed: int = 7

    def lightgbm(self, encoders: Sequence[Encoder]) -> dict[str, Any]:
        return {
            "objective": "binary",
            "num_leaves": self.leaves,
            "learning_rate": self.learning_rate,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": 1,
            "lambda_l2": self.l2,
            "monotone_constraints": [e.monotone for e in encoders],
            "monotone_constraints_method": "intermediate",
            "seed": self.seed,
            "deterministic": True,
            "num_threads": 1,  # one thread: OpenMP fighting over 2 cores is the latency trap
            "verbose": -1,
        }


class GbmModel:
    """A booster and its encoders: batch prediction for evaluation, files for the registry."""

    def __init__(self, booster: Any, encoders: Sequence[Encoder]) -> None:
        self.booster = booster
        self.encoders = tuple(encoders)

    def matrix(self, columns: Mapping[str, NDArray[Any]]) -> NDArray[np.float64]:
        return np.column_stack([e.encode_column(columns[e.name]) for e in self.encoders])

    def predict(self, columns: Mapping[str, NDArray[Any]]) -> NDArray[np.float64]:
        probabilities = self.booster.predict(self.matrix(columns), num_threads=1)
        return np.asarray(probabilities, dtype=np.float64)

    def importance(self) -> list[tuple[str, float]]:
        """Total split gain per input, largest first (what the trees lean on)."""
        gains = self.booster.feature_importance(importance_type="gain")
        pairs = [(e.name, float(g)) for e, g in zip(self.encoders, gains, strict=True)]
        return sorted(pairs, key=lambda pair: -pair[1])

    def to_files(self) -> dict[str, bytes]:
        encoders = [e.to_json() for e in self.encoders]
        return {
            MODEL_FILE: self.booster.model_to_string().encode(),
            ENCODERS_FILE: json.dumps(encoders, indent=1, sort_keys=True).encode(),
        }

    @classmethod
    def from_files(cls, files: Mapping[str, bytes]) -> GbmModel:
        import lightgbm  # noqa: PLC0415 - loaded with the first model, not with the package

        booster = lightgbm.Booster(model_str=files[MODEL_FILE].decode())
        encoders = [Encoder.from_json(e) for e in json.loads(files[ENCODERS_FILE])]
        if booster.num_feature() != len(encoders):
            raise ValueError("the booster and its encoders disagree on the number of features")
        return cls(booster, encoders)


def train_gbm(
    columns: Mapping[str, NDArray[Any]],
    target: NDArray[Any],
    encoders: Sequence[Encoder],
    params: GbmParams | None = None,
) -> GbmModel:
    import lightgbm  # noqa: PLC0415 - training only

    params = params or GbmParams()
    matrix = np.column_stack([e.encode_column(columns[e.name]) for e in encoders])
    data = lightgbm.Dataset(
        matrix, label=target, feature_name=[e.name for e in encoders], params={"verbose": -1}
    )
    booster = lightgbm.train(params.lightgbm(encoders), data, num_boost_round=params.trees)
    return GbmModel(booster, encoders)


class GbmScorer:
    """The ``Scorer`` port over a LightGBM model; reasons from TreeSHAP contributions.

    TreeSHAP costs ~10x a plain prediction. With ``reason_floor`` > 0 the scorer predicts
    first and explains only a probability at or above the floor: below it the model adds too
    few points to move any outcome, and most live traffic is there. Credit models keep the
    default 0 (every applicant is owed the reasons of their score)."""

    def __init__(self, version: str, model: GbmModel, *, reason_floor: float = 0.0) -> None:
        self._version = version
        self.model = model
        self._features = tuple(e.feature for e in model.encoders)
        self._reason_floor = reason_floor

    @property
    def version(self) -> str:
        return self._version

    @property
    def features(self) -> Sequence[str]:
        return self._features

    def score(self, features: FeatureVector) -> ModelScore:
        encoders = self.model.encoders
        row = np.array([[e.encode(features.get(e.feature)) for e in encoders]], dtype=np.float64)
        if self._reason_floor > 0:
            quick = float(self.model.booster.predict(row, num_threads=1)[0])
            if quick < self._reason_floor:
                return ModelScore(probability=quick, reasons=())
        contributions = self.model.booster.predict(row, pred_contrib=True, num_threads=1)[0]
        probability = 1.0 / (1.0 + math.exp(-float(contributions.sum())))
        pushes = sorted(
            ((float(c), i) for i, c in enumerate(contributions[:-1]) if c > 0), reverse=True
        )
        reasons = tuple(
            _reason(encoders[i], features.get(encoders[i].feature), push)
            for push, i in pushes[:MAX_REASONS]
        )
        return ModelScore(probability=probability, reasons=reasons)


def _reason(encoder: Encoder, value: object, log_odds: float) -> Reason:
    points = max(1, round(log_odds * POINTS_PER_LOG_ODDS))
    shown = "missing" if value is None else str(value)
    text = f"{encoder.text.capitalize()}: {shown} (raises the risk by {points} points)."
    return Reason(code=encoder.code, source=ReasonSource.MODEL, text=text, points=points)
