"""WOE binning: exact values on hand examples, monotone bins and minimum shares always."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bankstack.risk.models.woe import (
    Binning,
    ColumnKind,
    fit_categorical,
    fit_numeric,
)


def _column(*groups: tuple[object, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(value, goods, bads) groups -> values and a 0/1 target."""
    values: list[object] = []
    target: list[int] = []
    for value, goods, bads in groups:
        values += [value] * (goods + bads)
        target += [0] * goods + [1] * bads
    return np.array(values, dtype=object), np.array(target, dtype=np.int8)


def test_woe_and_iv_by_hand():
    values, target = _column((1, 40, 5), (2, 30, 10), (3, 10, 15))
    binning = fit_numeric("x", values.astype(float), target)
    # 80 goods, 30 bads: WOE = ln(bad share / good share) per value.
    woe = [math.log((5 / 30) / (40 / 80)), math.log((10 / 30) / (30 / 80)), math.log(4.0)]
    assert binning.edges == (1.0, 2.0)
    assert binning.woe[:3] == tuple(woe)
    assert binning.woe[3] == 0.0  # no missing values: the missing bin is neutral
    assert binning.direction == 1
    iv = (5 / 30 - 40 / 80) * woe[0] + (10 / 30 - 30 / 80) * woe[1] + (15 / 30 - 10 / 80) * woe[2]
    assert math.isclose(binning.iv, iv)
    assert math.isclose(binning.iv, 0.890972, rel_tol=1e-6)


def test_a_reversal_is_merged_into_its_neighbour():
    # bad rates 10%, 30%, 20%, 50%: values 2 and 3 break the rising trend and are pooled.
    values, target = _column((1, 90, 10), (2, 70, 30), (3, 80, 20), (4, 50, 50))
    binning = fit_numeric("x", values.astype(float), target)
    assert binning.edges == (1.0, 3.0)
    assert binning.goods == (90, 150, 50, 0)
    assert binning.bads == (10, 50, 50, 0)
    assert binning.labels == ("<= 1", "> 1 and <= 3", "> 3", "missing")
    assert binning.woe[0] < binning.woe[1] < binning.woe[2]


def test_falling_risk_gives_a_falling_binning():
    values, target = _column((18, 20, 20), (30, 40, 10), (50, 60, 5))
    binning = fit_numeric("age", values.astype(float), target)
    assert binning.direction == -1
    assert binning.woe[0] > binning.woe[1] > binning.woe[2]


def test_a_small_bin_is_merged():
    # 3 rows of 203 is under the 5% minimum share.
    values, target = _column((1, 50, 10), (2, 2, 1), (3, 60, 30), (4, 20, 30))
    binning = fit_numeric("x", values.astype(float), target)
    sizes = [g + b for g, b in zip(binning.goods[:-1], binning.bads[:-1], strict=True)]
    assert min(sizes) >= 0.05 * 203
    assert sum(sizes) == 203


def test_missing_values_get_their_own_bin_when_common_enough():
    values, target = _column((1.0, 40, 10), (2.0, 40, 20), (math.nan, 5, 15))
    binning = fit_numeric("x", values.astype(float), target)
    assert binning.goods[-1] == 5
    assert binning.bads[-1] == 15
    assert binning.woe[-1] == math.log((15 / 45) / (5 / 85))
    assert binning.bin_of(None) == binning.bin_of(math.nan) == binning.missing_bin
    assert binning.bin_of("2") == binning.missing_bin  # a string is not a number
    assert binning.bin_of(value=True) == binning.missing_bin


def test_rare_levels_are_pooled_and_unknown_levels_are_missing():
    values, target = _column(("a", 50, 10), ("b", 40, 30), ("c", 2, 1), ("d", 1, 1), (None, 1, 0))
    binning = fit_categorical("c", values, target)
    assert binning.kind is ColumnKind.CATEGORICAL
    assert binning.labels == ("a", "b", "other (c, d)", "missing")
    assert binning.levels == {"a": 0, "b": 1, "c": 2, "d": 2}
    assert (binning.goods, binning.bads) == ((50, 40, 3, 1), (10, 30, 2, 0))
    assert binning.woe[-1] == 0.0  # one missing row of 136: too few to estimate
    assert binning.bin_of("zzz") == binning.bin_of(7) == binning.missing_bin


def test_a_bin_without_bads_stays_finite():
    values, target = _column((1, 50, 0), (2, 50, 20))
    binning = fit_numeric("x", values.astype(float), target)
    assert binning.woe[0] == math.log((0.5 / 20) / (50.5 / 100))


def test_json_round_trip():
    values, target = _column(("a", 50, 10), ("b", 40, 30), (None, 10, 10))
    binning = fit_categorical("c", values, target)
    assert Binning.from_json(binning.to_json()) == binning


@given(
    st.lists(
        st.tuples(st.integers(-50, 50) | st.just(None), st.integers(0, 1)),
        min_size=20,
        max_size=300,
    )
)
def test_numeric_bins_are_monotone_and_large_enough(rows):
    target = np.array([bad for _, bad in rows], dtype=np.int8)
    if target.min() == target.max():
        target[0] = 1 - target[0]  # WOE needs both classes
    values = np.array([math.nan if v is None else v for v, _ in rows], dtype=float)
    binning = fit_numeric("x", values, target)
    woe = np.array(binning.woe[:-1])
    steps = np.diff(woe) * binning.direction
    assert (steps > 0).all()
    sizes = np.array(binning.goods[:-1]) + np.array(binning.bads[:-1])
    if sizes.size > 1:
        assert (sizes >= math.ceil(0.05 * len(rows))).all()
    assert sum(binning.goods) + sum(binning.bads) == len(rows)
    scalar = [binning.bin_of(None if v is None else float(v)) for v, _ in rows]
    assert binning.bins_of(values).tolist() == scalar
