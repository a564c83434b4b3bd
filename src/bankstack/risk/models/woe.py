"""Weight of evidence: supervised binning of one characteristic, numpy only.

The target is 1 for a bad outcome. For each bin,

    WOE = ln(share of all bads in the bin / share of all goods in the bin)
    IV  = sum over bins of (bad share - good share) * WOE

so a positive WOE marks answers riskier than the population and IV measures how much the
characteristic separates bads from goods (< 0.02 useless, 0.1-0.3 medium, > 0.3 strong).
A bin with no goods or no bads gets 0.5 added to both counts, so its WOE stays finite.

Numeric characteristics start from quantile pre-bins (ties collapse them). Adjacent bins
are then merged, one pair at a time (the flattest step against the trend first, then bins
under ``min_share`` into their closer neighbour), until the WOE is strictly monotone in the
value and every bin holds at least ``min_share`` of the rows. Both directions are tried and the
one that keeps more IV wins: a monotone binning is what a credit officer can defend ("the
longer the loan, the riskier"), and what the gradient-boosted challenger is constrained to.

Categorical levels are their own bins; levels rarer than ``min_share`` are pooled into one
"other" bin. Missing values always have their own bin, the last one. Its WOE is 0 (the
population average) when fewer than ``min_share`` of the rows were missing: too few to
estimate. Values never seen in training (new levels, wrong types) fall into that bin too.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

MIN_SHARE: Final = 0.05
PRE_BINS: Final = 20
MISSING: Final = "missing"


class ColumnKind(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


@dataclass(frozen=True, slots=True)
class Binning:
    """One characteristic's bins; the missing bin is always the last."""

    column: str
    kind: ColumnKind
    edges: tuple[float, ...]  # numeric: bin i holds edges[i-1] < x <= edges[i]
    levels: Mapping[str, int]  # categorical: level -> bin
    labels: tuple[str, ...]
    woe: tuple[float, ...]
    goods: tuple[int, ...]
    bads: tuple[int, ...]
    direction: int  # numeric: +1 WOE rises with the value, -1 falls, 0 a single bin

    @property
    def missing_bin(self) -> int:
        return len(self.woe) - 1

    @property
    def iv(self) -> float:
        goods, bads = sum(self.goods), sum(self.bads)
        return sum(
            (b / bads - g / goods) * w
            for g, b, w in zip(self.goods, self.bads, self.woe, strict=True)
        )

    def bin_of(self, value: object) -> int:
        """The bin of one answer, in pure Python (the scoring path)."""
        if self.kind is ColumnKind.CATEGORICAL:
            found = self.levels.get(value) if isinstance(value, str) else None
            return self.missing_bin if found is None else found
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            return self.missing_bin
        return bisect_left(self.edges, value)

    def bins_of(self, values: NDArray[Any]) -> NDArray[np.intp]:
        """The bins of a column (training and evaluation)."""
        if self.kind is ColumnKind.CATEGORICAL:
            return np.array([self.bin_of(v) for v in values], dtype=np.intp)
        numbers = values.astype(np.float64)
        bins = np.searchsorted(np.asarray(self.edges, dtype=np.float64), numbers, side="left")
        return np.where(np.isnan(numbers), self.missing_bin, bins).astype(np.intp)

    def woe_of(self, values: NDArray[Any]) -> NDArray[np.float64]:
        return np.asarray(self.woe, dtype=np.float64)[self.bins_of(values)]

    def to_json(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": self.kind.value,
            "edges": list(self.edges),
            "levels": dict(self.levels),
            "labels": list(self.labels),
            "woe": list(self.woe),
            "goods": list(self.goods),
            "bads": list(self.bads),
            "direction": self.direction,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Binning:
        return cls(
            column=str(data["column"]),
            kind=ColumnKind(data["kind"]),
            edges=tuple(float(e) for e in data["edges"]),
            levels={str(k): int(v) for k, v in data["levels"].items()},
            labels=tuple(str(label) for label in data["labels"]),
            woe=tuple(float(w) for w in data["woe"]),
            goods=tuple(int(g) for g in data["goods"]),
            bads=tuple(int(b) for b in data["bads"]),
            direction=int(data["direction"]),
        )


def woe(goods: NDArray[Any], bads: NDArray[Any], total_goods: int, total_bads: int) -> NDArray[Any]:
    """WOE per bin, with 0.5 added to both counts of a bin that lacks goods or bads."""
    empty = (goods == 0) | (bads == 0)
    g = np.where(empty, goods + 0.5, goods)
    b = np.where(empty, bads + 0.5, bads)
    return np.asarray(np.log((b / total_bads) / (g / total_goods)))


def fit_binning(
    column: str, kind: ColumnKind, values: NDArray[Any], target: NDArray[Any]
) -> Binning:
    if kind is ColumnKind.NUMERIC:
        return fit_numeric(column, values, target)
    return fit_categorical(column, values, target)


def fit_numeric(
    column: str,
    values: NDArray[Any],
    target: NDArray[Any],
    *,
    min_share: float = MIN_SHARE,
    pre_bins: int = PRE_BINS,
) -> Binning:
    x = values.astype(np.float64)
    present = ~np.isnan(x)
    edges = _quantile_edges(x[present], pre_bins)
    bins = np.searchsorted(edges, x[present], side="left")
    goods = np.bincount(bins[target[present] == 0], minlength=edges.size + 1)
    bads = np.bincount(bins[target[present] == 1], minlength=edges.size + 1)
    counts = _Counts(target, math.ceil(min_share * x.size))
    candidates = [_merge_monotone(list(edges), goods, bads, d, counts) for d in (1, -1)]
    final_edges, goods, bads = max(candidates, key=lambda c: _iv(c[1], c[2], counts))
    steps = np.diff(woe(goods, bads, counts.goods, counts.bads))
    direction = int(np.sign(steps[0])) if steps.size else 0
    labels = _interval_labels(final_edges)
    return counts.binning(
        column,
        ColumnKind.NUMERIC,
        (tuple(float(e) for e in final_edges), {}, labels),
        goods,
        bads,
        ~present,
        direction,
    )


def fit_categorical(
    column: str, values: NDArray[Any], target: NDArray[Any], *, min_share: float = MIN_SHARE
) -> Binning:
    present = np.array([isinstance(v, str) for v in values], dtype=bool)
    counts = _Counts(target, math.ceil(min_share * values.size))
    names, sizes = np.unique(values[present].astype(str), return_counts=True)
    common = [str(n) for n, size in zip(names, sizes, strict=True) if size >= counts.min_count]
    rare = [str(n) for n, size in zip(names, sizes, strict=True) if size < counts.min_count]
    levels = {name: i for i, name in enumerate(common)} | dict.fromkeys(rare, len(common))
    labels = tuple(common) + ((f"other ({', '.join(rare)})",) if rare else ())
    bins = np.array([levels[str(v)] for v in values[present]], dtype=np.intp)
    goods = np.bincount(bins[target[present] == 0], minlength=len(labels))
    bads = np.bincount(bins[target[present] == 1], minlength=len(labels))
    return counts.binning(
        column, ColumnKind.CATEGORICAL, ((), levels, labels), goods, bads, ~present, 0
    )


@dataclass(frozen=True, slots=True)
class _Counts:
    """The column's class totals (WOE shares are of all rows, missing ones included)."""

    target: NDArray[Any]
    min_count: int

    @property
    def goods(self) -> int:
        return int((self.target == 0).sum())

    @property
    def bads(self) -> int:
        return int((self.target == 1).sum())

    def binning(
        self,
        column: str,
        kind: ColumnKind,
        layout: tuple[tuple[float, ...], dict[str, int], tuple[str, ...]],
        goods: NDArray[Any],
        bads: NDArray[Any],
        missing: NDArray[np.bool_],
        direction: int,
    ) -> Binning:
        if self.goods == 0 or self.bads == 0:
            raise ValueError(f"{column}: WOE needs both goods and bads in the target")
        missing_goods = int((self.target[missing] == 0).sum())
        missing_bads = int((self.target[missing] == 1).sum())
        all_goods = np.append(goods, missing_goods)
        all_bads = np.append(bads, missing_bads)
        weights = woe(all_goods, all_bads, self.goods, self.bads)
        if missing_goods + missing_bads < self.min_count:
            weights[-1] = 0.0  # too few missing answers to estimate: the population average
        edges, levels, labels = layout
        return Binning(
            column=column,
            kind=kind,
            edges=edges,
            levels=levels,
            labels=(*labels, MISSING),
            woe=tuple(float(w) for w in weights),
            goods=tuple(int(g) for g in all_goods),
            bads=tuple(int(b) for b in all_bads),
            direction=direction,
        )


def _quantile_edges(x: NDArray[np.float64], pre_bins: int) -> NDArray[np.float64]:
    """Cut points taken from the data (``x <= edge``), so labels show real values."""
    if x.size == 0:
        return np.empty(0, dtype=np.float64)
    distinct = np.unique(x)
    if distinct.size <= pre_bins:
        return distinct[:-1]
    quantiles = np.quantile(x, np.linspace(0, 1, pre_bins + 1)[1:-1], method="lower")
    cuts = np.unique(quantiles)
    return np.asarray(cuts[cuts < distinct[-1]], dtype=np.float64)


def _merge_monotone(
    edges: list[float], goods: NDArray[Any], bads: NDArray[Any], direction: int, counts: _Counts
) -> tuple[list[float], NDArray[Any], NDArray[Any]]:
    while goods.size > 1:
        i = _pair_to_merge(
            woe(goods, bads, counts.goods, counts.bads), goods + bads, direction, counts.min_count
        )
        if i is None:
            break
        goods = np.concatenate([goods[:i], [goods[i] + goods[i + 1]], goods[i + 2 :]])
        bads = np.concatenate([bads[:i], [bads[i] + bads[i + 1]], bads[i + 2 :]])
        del edges[i]
    return edges, goods, bads


def _pair_to_merge(
    weights: NDArray[Any], sizes: NDArray[Any], direction: int, min_count: int
) -> int | None:
    """The left index of the adjacent pair to merge next, or None when the bins are final."""
    steps = direction * np.diff(weights)
    wrong = np.flatnonzero(steps <= 0)
    if wrong.size:  # the flattest violation first: it costs the least IV
        return int(wrong[np.argmin(np.abs(steps[wrong]))])
    small = np.flatnonzero(sizes < min_count)
    if not small.size:
        return None
    j = int(small[np.argmin(sizes[small])])
    if j in {0, sizes.size - 1}:
        return max(j - 1, 0)
    # The neighbour with the closer WOE: the merge that blurs the least.
    return j - 1 if abs(weights[j] - weights[j - 1]) <= abs(weights[j + 1] - weights[j]) else j


def _iv(goods: NDArray[Any], bads: NDArray[Any], counts: _Counts) -> float:
    shares = bads / counts.bads - goods / counts.goods
    return float((shares * woe(goods, bads, counts.goods, counts.bads)).sum())


def _interval_labels(edges: list[float]) -> tuple[str, ...]:
    if not edges:
        return ("any value",)
    inner = [f"> {low:g} and <= {high:g}" for low, high in pairwise(edges)]
    return (f"<= {edges[0]:g}", *inner, f"> {edges[-1]:g}")
