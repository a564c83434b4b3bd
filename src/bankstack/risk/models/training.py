"""Training runs: the credit champion and challenger on German Credit, the fraud model on the
simulator, each saved to the registry with its data hash, parameters and metrics.

The credit models' metrics are their 5-fold cross-validation figures on the data they are
then fitted on in full; the fraud model's are its temporal-holdout figures, and the model
registered is the one that was judged. The scorecard becomes the credit champion (the
challenger runs in shadow until a back-test says otherwise) and the fraud model the fraud
champion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Final

from bankstack.risk.models import challenger, fraud, scorecard
from bankstack.risk.models.datasets import Dataset
from bankstack.risk.models.evaluation import cross_validate
from bankstack.risk.models.gbm import GbmParams
from bankstack.risk.models.registry import Manifest, ModelRegistry

CREDIT: Final = "credit"
FRAUD: Final = "fraud"


@dataclass(frozen=True, slots=True)
class Trained:
    manifest: Manifest
    use: str
    champion: bool


def train_credit(
    registry: ModelRegistry, dataset: Dataset, tick: Callable[[], None] | None = None
) -> list[Trained]:
    """Scorecard (promoted to credit champion) and monotone GBM (challenger, in shadow)."""
    card = scorecard.fit_scorecard(dataset)
    card_manifest = registry.save(
        kind=scorecard.KIND,
        files=scorecard.scorecard_files(card),
        dataset=dataset.name,
        data_sha256=dataset.sha256(),
        params={
            "min_iv": scorecard.MIN_IV,
            "scaling": asdict(card.scaling),
            "characteristics": [c.binning.column for c in card.characteristics],
        },
        metrics=cross_validate(dataset, "scorecard", tick=tick).metrics(),
    )
    gbm = challenger.fit_challenger(dataset)
    gbm_manifest = registry.save(
        kind=challenger.KIND,
        files=gbm.to_files(),
        dataset=dataset.name,
        data_sha256=dataset.sha256(),
        params={**asdict(GbmParams()), "monotone": {e.name: e.monotone for e in gbm.encoders}},
        metrics=cross_validate(dataset, "gbm", tick=tick).metrics(),
    )
    registry.promote(CREDIT, card_manifest.version)
    return [
        Trained(card_manifest, CREDIT, champion=True),
        Trained(gbm_manifest, CREDIT, champion=False),
    ]


def train_fraud_model(
    registry: ModelRegistry,
    config: fraud.FraudConfig | None = None,
    on_day: Callable[[int], None] | None = None,
) -> tuple[Trained, fraud.FraudResult]:
    config = config or fraud.FraudConfig()
    result = fraud.train_fraud(config, on_day)
    manifest = registry.save(
        kind=fraud.KIND,
        files=result.model.to_files(),
        dataset=fraud.DATASET,
        data_sha256=result.sample_sha256,
        params=config.to_json(),
        metrics=result.metrics(),
    )
    registry.promote(FRAUD, manifest.version)
    return Trained(manifest, FRAUD, champion=True), result
