"""How good a model is: stratified k-fold cross-validation and the metrics risk teams read.

Credit models are judged on ranking and on calibration:

- AUC and KS per fold (mean and spread over 5 folds, as the reference figures were
  measured). KS is the largest gap between the bads' and the goods' cumulative score
  distributions, i.e. max(TPR - FPR) over cut-offs.
- Calibration on the pooled out-of-fold predictions: the Brier score, the expected
  calibration error over 10 equal-width probability bins (rows-weighted mean of
  |mean predicted - observed bad rate|) and the 10-bin reliability table itself. A
  scorecard's probability is read from its points, so calibration checks the points too.

The folds are shuffled with a fixed seed, so two runs on the same data give the same figures.
Fraud models are judged where the cost is: recall at a fixed false-positive rate and
AUPRC (``recall_at_fpr``), on a temporal holdout rather than random folds (fraud.py).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold

from bankstack.risk.models.challenger import fit_challenger
from bankstack.risk.models.datasets import Dataset
from bankstack.risk.models.scorecard import fit_scorecard

SEED: Final = 20_261_122
FOLDS: Final = 5
CALIBRATION_BINS: Final = 10

Predict = Callable[[Mapping[str, NDArray[Any]]], NDArray[np.float64]]

# model name -> fit on a training fold, giving a batch predictor for the test fold
FITTERS: Final[Mapping[str, Callable[[Dataset], Predict]]] = {
    "scorecard": lambda data: fit_scorecard(data).predict,
    "gbm": lambda data: fit_challenger(data).predict,
}


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    lower: float
    upper: float
    rows: int
    predicted: float  # mean predicted probability (NaN when the bin is empty)
    observed: float  # observed bad rate (NaN when the bin is empty)


@dataclass(frozen=True, slots=True)
class CvResult:
    dataset: str
    model: str
    auc: tuple[float, ...]  # per fold
    ks: tuple[float, ...]
    brier: float
    ece: float
    reliability: tuple[ReliabilityBin, ...]

    @property
    def auc_mean(self) -> float:
        return statistics.fmean(self.auc)

    @property
    def auc_std(self) -> float:
        return statistics.stdev(self.auc) if len(self.auc) > 1 else 0.0

    @property
    def ks_mean(self) -> float:
        return statistics.fmean(self.ks)

    def metrics(self) -> dict[str, float]:
        """The figures a registry manifest records."""
        return {
            "cv_folds": len(self.auc),
            "cv_auc": round(self.auc_mean, 4),
            "cv_auc_std": round(self.auc_std, 4),
            "cv_ks": round(self.ks_mean, 4),
            "cv_brier": round(self.brier, 4),
            "cv_ece": round(self.ece, 4),
        }


def cross_validate(
    dataset: Dataset,
    model: str,
    *,
    folds: int = FOLDS,
    seed: int = SEED,
    tick: Callable[[], None] | None = None,
) -> CvResult:
    """Fit on k-1 folds, predict the k-th, for each fold; ``tick`` after each fold."""
    fit = FITTERS[model]
    predicted = np.empty(dataset.rows, dtype=np.float64)
    aucs: list[float] = []
    kss: list[float] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(dataset.rows), dataset.target):
        predict = fit(dataset.take(train))
        predicted[test] = predict(dataset.take(test).values)
        aucs.append(float(roc_auc_score(dataset.target[test], predicted[test])))
        kss.append(ks_statistic(dataset.target[test], predicted[test]))
        if tick is not None:
            tick()
    ece, table = calibration(dataset.target, predicted)
    return CvResult(
        dataset=dataset.name,
        model=model,
        auc=tuple(aucs),
        ks=tuple(kss),
        brier=float(brier_score_loss(dataset.target, predicted)),
        ece=ece,
        reliability=table,
    )


def ks_statistic(target: NDArray[Any], predicted: NDArray[np.float64]) -> float:
    false_positive, true_positive, _ = roc_curve(target, predicted)
    return float(np.max(true_positive - false_positive))


def threshold_at_fpr(target: NDArray[Any], predicted: NDArray[np.float64], fpr: float) -> float:
    """The lowest cut-off (flag ``predicted >= cut-off``) that flags at most ``fpr`` of the
    negatives."""
    false_positive, _, thresholds = roc_curve(target, predicted)
    return float(thresholds[np.flatnonzero(false_positive <= fpr)[-1]])


def recall_at_fpr(target: NDArray[Any], predicted: NDArray[np.float64], fpr: float) -> float:
    """The detection rate at a fixed false-positive rate: the share of positives caught at
    the cut-off of ``threshold_at_fpr``."""
    cut_off = threshold_at_fpr(target, predicted, fpr)
    return float((predicted[target == 1] >= cut_off).mean())


def calibration(
    target: NDArray[Any], predicted: NDArray[np.float64], bins: int = CALIBRATION_BINS
) -> tuple[float, tuple[ReliabilityBin, ...]]:
    """Expected calibration error and the reliability table over equal-width bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(predicted, edges[1:-1], right=True), 0, bins - 1)
    table: list[ReliabilityBin] = []
    error = 0.0
    for b in range(bins):
        inside = which == b
        rows = int(inside.sum())
        mean_predicted = float(predicted[inside].mean()) if rows else float("nan")
        observed = float(target[inside].mean()) if rows else float("nan")
        if rows:
            error += rows / predicted.size * abs(mean_predicted - observed)
        table.append(ReliabilityBin(edges[b], edges[b + 1], rows, mean_predicted, observed))
    return error, tuple(table)
