"""The fraud model: LightGBM on the catalog's numbers and flags, trained on SYNTHETIC data.

No package ships real fraud transactions (reference/risk.md section 5), so the model learns
from the seeded simulator (``bankstack.risk.simulator``): an invented world with labelled
typologies. Its figures say how well the model finds *the simulator's* fraud; they are a
regression check for the pipeline, not a promise about real traffic, and every report says so.

The stream is replayed through ``InMemoryFeatureSource`` in time order, exactly as the
engine would see it: every event is remembered, and the vector of each money-moving event
(payments and transfers: what the fraud model decides on) is read before that event is
recorded. Inputs are the int, float and boolean features of the catalog that serving provides
as training saw them (``FEATURES``); strings (kind, channel, currency) are left out, and no
monotone constraint is imposed.

The split is temporal: train on the first days, judge on the last ``holdout_days``, never
on shuffled folds (fraud rings span days; a random split leaks them, and the reference data
sets all show the gap). The model registered is the one judged. Reported: AUC, AUPRC
(average precision) and the detection rate at 1% and 0.1% false positives, with the share
caught per typology at 1%.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, roc_auc_score

from bankstack.risk.domain.catalog import CATALOG, FeatureType
from bankstack.risk.features.memory import InMemoryFeatureSource
from bankstack.risk.models.evaluation import recall_at_fpr, threshold_at_fpr
from bankstack.risk.models.gbm import Encoder, Encoding, GbmModel, GbmParams, train_gbm
from bankstack.risk.simulator import LabelledEvent, SimulationConfig, simulate
from bankstack.risk.simulator.config import DAY, TYPOLOGIES

KIND: Final = "fraud"
DATASET: Final = "simulator (synthetic)"
# Left out of the model, though rules may read them (train/serve parity): the phone (no payment
# channel sends one, so serving would always show "no phone", which the simulator never does)
# and the payee's own volume (a merchant's takings measure the size of the deployment, not the
# payer: a model that learnt one simulated world's merchant sizes flagged a fifth of the demo's
# honest payments). The payee's distinct payers stay: they are the mule fan-in signal.
_NOT_MODELLED: Final = ("phone_customers_total",)
_NOT_MODELLED_PREFIXES: Final = ("payee_count_", "payee_sum_")
FEATURES: Final = tuple(
    spec
    for spec in CATALOG
    if spec.type is not FeatureType.STRING
    and spec.name not in _NOT_MODELLED
    and not spec.name.startswith(_NOT_MODELLED_PREFIXES)
)
FALSE_POSITIVE_RATES: Final = (0.01, 0.001)


@dataclass(frozen=True, slots=True)
class FraudConfig:
    simulation: SimulationConfig = field(
        default_factory=lambda: SimulationConfig(seed=7, days=30, customers=1000)
    )
    holdout_days: int = 7
    params: GbmParams = field(default_factory=GbmParams)

    def __post_init__(self) -> None:
        if not 0 < self.holdout_days < self.simulation.days:
            raise ValueError("the holdout must leave at least one day to train on")

    @property
    def split_ns(self) -> int:
        """Events at or after this time are held out."""
        sim = self.simulation
        return sim.start_ns + (sim.days - self.holdout_days) * DAY

    def to_json(self) -> dict[str, Any]:
        return {
            "simulation": asdict(self.simulation),
            "holdout_days": self.holdout_days,
            "gbm": asdict(self.params),
        }


@dataclass(frozen=True, slots=True)
class FraudSample:
    """Money-moving events as model inputs, in time order."""

    columns: dict[str, NDArray[np.float64]]
    target: NDArray[np.int8]
    occurred_at: NDArray[np.int64]
    typology: NDArray[Any]  # str, or None for a legitimate event

    def sha256(self) -> str:
        """SHA-256 of the inputs (float64, little-endian, catalog order), then the labels."""
        digest = hashlib.sha256()
        for spec in FEATURES:
            digest.update(self.columns[spec.name].astype("<f8").tobytes())
        digest.update(self.target.astype("u1").tobytes())
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class FraudResult:
    model: GbmModel
    sample_sha256: str
    train_events: int
    train_frauds: int
    test_events: int
    test_frauds: int
    auc: float
    auprc: float
    recall: dict[float, float]  # false-positive rate -> share of frauds caught
    by_typology: dict[str, tuple[int, int]]  # typology -> (frauds held out, caught at 1%)

    def metrics(self) -> dict[str, float]:
        return {
            "synthetic": True,
            "holdout_auc": round(self.auc, 4),
            "holdout_auprc": round(self.auprc, 4),
            **{f"recall_at_fpr_{rate:g}": round(r, 4) for rate, r in self.recall.items()},
            "train_events": self.train_events,
            "train_frauds": self.train_frauds,
            "test_events": self.test_events,
            "test_frauds": self.test_frauds,
        }


def fraud_encoders() -> tuple[Encoder, ...]:
    return tuple(
        Encoder(
            name=spec.name,
            feature=spec.name,
            encoding=Encoding.NUMERIC,
            monotone=0,
            code=f"M_{spec.name.upper()}",
            text=spec.description,
        )
        for spec in FEATURES
    )


def collect(config: SimulationConfig, on_day: Callable[[int], None] | None = None) -> FraudSample:
    """Replay the simulation through the feature source; ``on_day`` as each day starts."""
    source = InMemoryFeatureSource()
    rows: dict[str, list[float]] = {spec.name: [] for spec in FEATURES}
    target: list[int] = []
    times: list[int] = []
    typologies: list[str | None] = []
    for item in _days(simulate(config), config, on_day):
        event = item.event
        if not event.kind.moves_money:
            source.record(event)
            continue
        vector = source.observe(event)
        for spec in FEATURES:
            rows[spec.name].append(float(vector[spec.name]))
        target.append(int(item.fraud))
        times.append(event.occurred_at)
        typologies.append(item.typology)
    return FraudSample(
        columns={name: np.asarray(values, dtype=np.float64) for name, values in rows.items()},
        target=np.asarray(target, dtype=np.int8),
        occurred_at=np.asarray(times, dtype=np.int64),
        typology=np.asarray(typologies, dtype=object),
    )


def train_fraud(
    config: FraudConfig | None = None, on_day: Callable[[int], None] | None = None
) -> FraudResult:
    config = config or FraudConfig()
    sample = collect(config.simulation, on_day)
    train = sample.occurred_at < config.split_ns
    test = ~train
    if not sample.target[train].any() or not sample.target[test].any():
        raise ValueError("the simulation has no fraud on one side of the split; add days")
    model = train_gbm(
        {name: values[train] for name, values in sample.columns.items()},
        sample.target[train],
        fraud_encoders(),
        config.params,
    )
    held_out = sample.target[test]
    predicted = model.predict({name: values[test] for name, values in sample.columns.items()})
    return FraudResult(
        model=model,
        sample_sha256=sample.sha256(),
        train_events=int(train.sum()),
        train_frauds=int(sample.target[train].sum()),
        test_events=int(test.sum()),
        test_frauds=int(held_out.sum()),
        auc=float(roc_auc_score(held_out, predicted)),
        auprc=float(average_precision_score(held_out, predicted)),
        recall={rate: recall_at_fpr(held_out, predicted, rate) for rate in FALSE_POSITIVE_RATES},
        by_typology=_by_typology(sample.typology[test], held_out, predicted),
    )


def _by_typology(
    typology: NDArray[Any], target: NDArray[np.int8], predicted: NDArray[np.float64]
) -> dict[str, tuple[int, int]]:
    flagged = predicted >= threshold_at_fpr(target, predicted, FALSE_POSITIVE_RATES[0])
    caught: dict[str, tuple[int, int]] = {}
    for name in TYPOLOGIES:  # all of them: one absent from the holdout shows as 0
        mine = typology == name
        caught[name] = (int(mine.sum()), int((mine & flagged).sum()))
    return caught


def _days(
    stream: Iterator[LabelledEvent], config: SimulationConfig, on_day: Callable[[int], None] | None
) -> Iterator[LabelledEvent]:
    day = -1
    for item in stream:
        today = (item.event.occurred_at - config.start_ns) // DAY
        if on_day is not None and today > day:
            day = today
            on_day(day)
        yield item
