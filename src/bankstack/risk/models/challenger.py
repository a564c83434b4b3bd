"""The credit challenger: LightGBM on the scorecard's characteristics, monotone where the
scorecard is.

Each numeric characteristic is constrained in the direction of its WOE trend (if longer
loans are riskier in the bins, the trees may never make a longer loan safer); one that
bins into a single bin is left free. Categorical answers enter as their WOE, so "riskier
answer, higher input" holds by construction and the constraint is increasing. Protected
columns are never inputs (datasets.py). The challenger runs in shadow next to the champion.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from bankstack.risk.domain.catalog import ATTRIBUTE_PREFIX
from bankstack.risk.models.datasets import Column, Dataset
from bankstack.risk.models.gbm import Encoder, Encoding, GbmModel, GbmParams, train_gbm
from bankstack.risk.models.woe import Binning, ColumnKind, fit_binning

KIND: Final = "gbm"


def credit_encoders(dataset: Dataset) -> tuple[Encoder, ...]:
    """One encoder per model input, with WOE and monotone directions from this data."""
    encoders = []
    for column in dataset.inputs:
        values = dataset.values[column.name]
        binning = fit_binning(column.name, column.kind, values, dataset.target)
        encoders.append(_encoder(column, binning, values))
    return tuple(encoders)


def fit_challenger(dataset: Dataset, params: GbmParams | None = None) -> GbmModel:
    return train_gbm(dataset.values, dataset.target, credit_encoders(dataset), params)


def _encoder(column: Column, binning: Binning, values: NDArray[Any]) -> Encoder:
    numeric = column.kind is ColumnKind.NUMERIC
    return Encoder(
        name=column.name,
        feature=f"{ATTRIBUTE_PREFIX}{column.name}",
        encoding=Encoding.NUMERIC if numeric else Encoding.WOE,
        monotone=binning.direction if numeric else 1,
        code=f"G_{column.name.upper()}",
        text=column.description,
        woe={level: binning.woe[index] for level, index in binning.levels.items()},
        missing=_missing(column, binning, values),
    )


def _missing(column: Column, binning: Binning, values: NDArray[Any]) -> float:
    """What a missing answer is read as: the missing bin's WOE for a categorical; for a
    number, NaN when training saw missing values, else the median (a neutral answer)."""
    if column.kind is ColumnKind.CATEGORICAL:
        return binning.woe[binning.missing_bin]
    numbers = values.astype(np.float64)
    return math.nan if np.isnan(numbers).any() else float(np.median(numbers))
