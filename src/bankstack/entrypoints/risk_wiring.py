"""The risk engine's parts for one process, built from settings: what bootstrap hands payments.

- features: in memory for one process; in Redis when ``BANKSTACK_REDIS_URL`` is set, so that
  several processes see one history (the velocity of a card tester spread over servers);
- rules: the rule set staff activated in the database (``BANKSTACK_RISK_RULESET``), re-read
  every few seconds, the packaged default.toml until one is;
- model: the registry's fraud champion (``BANKSTACK_MODEL_DIR``, ``bankstack risk train``)
  scores payments and transfers; without one, decisions are taken on rules alone (logged once
  at start: that is a deployment without a model, not a degraded decision);
- decisions recorded in SQL; review decisions open cases; case outcomes and paid trades flow
  back through the outbox (payments.adapters.risk_events).

The AML monitor and the in-memory features are per process: with several processes, the
relay spreads events over them and each detector sees a share of the stream (Redis features
do not have that limit; the detectors' state has no shared store yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from redis import Redis
from sqlalchemy import Engine

from bankstack.kernel.clock import Clock
from bankstack.kernel.errors import BankstackError
from bankstack.platform.logging import get_logger
from bankstack.platform.settings import Settings
from bankstack.risk.adapters.cases_sql import SqlCaseStore
from bankstack.risk.adapters.decisions_sql import SqlDecisionLog
from bankstack.risk.adapters.redis_features import RedisFeatureSource
from bankstack.risk.adapters.rulesets_sql import SqlRuleSetRepository
from bankstack.risk.aml.monitor import AmlMonitor
from bankstack.risk.cases.service import CaseService
from bankstack.risk.domain.event import EventKind
from bankstack.risk.engine import RiskEngine
from bankstack.risk.features.memory import InMemoryFeatureSource
from bankstack.risk.ports import FeatureSource, Scorer
from bankstack.risk.rules.files import default_ruleset
from bankstack.risk.service import RiskService, StoredRuleSets

log = get_logger(__name__)
MODEL_USE = "fraud"
SCORED_KINDS = (EventKind.PAYMENT, EventKind.TRANSFER)


@dataclass
class RiskParts:
    service: RiskService
    cases: CaseService
    decisions: SqlDecisionLog
    features: FeatureSource
    monitor: AmlMonitor = field(default_factory=AmlMonitor)
    model_version: str | None = None


def build_risk(settings: Settings, engine: Engine, clock: Clock) -> RiskParts:
    cases = CaseService(SqlCaseStore(engine), clock)
    decisions = SqlDecisionLog(engine)
    features = _features(settings)
    scorer = load_fraud_model(Path(settings.model_dir))
    rulesets = StoredRuleSets(SqlRuleSetRepository(engine, clock=clock), settings.risk_ruleset,
                              default_ruleset())  # fmt: skip
    models = dict.fromkeys(SCORED_KINDS, scorer) if scorer is not None else {}
    risk_engine = RiskEngine(
        features=features, rulesets=rulesets, models=models, log=decisions, now_ns=clock.now_ns
    )
    return RiskParts(
        service=RiskService(risk_engine, cases),
        cases=cases,
        decisions=decisions,
        features=features,
        model_version=scorer.version if scorer is not None else None,
    )


def _features(settings: Settings) -> FeatureSource:
    if settings.redis_url:
        return RedisFeatureSource(Redis.from_url(settings.redis_url, socket_timeout=0.5))
    return InMemoryFeatureSource()


def load_fraud_model(registry: Path) -> Scorer | None:
    """The registry's fraud champion, or None (logged) when there is none that loads."""
    if not (registry / "champions.json").exists():
        log.warning("no fraud model: risk decides on rules alone", registry=str(registry),
                    fix="bankstack risk train")  # fmt: skip
        return None
    from bankstack.risk.models.registry import ModelRegistry  # noqa: PLC0415 - numpy, LightGBM

    try:
        return ModelRegistry(registry).load_champion(MODEL_USE)
    except BankstackError as error:
        log.warning("no fraud model: risk decides on rules alone", reason=error.message)
        return None
