"""The engine: decisions are deterministic and replayable; a failing or late model degrades
to rules alone and says so; a failing model trips the breaker."""

from __future__ import annotations

import itertools

from bankstack.kernel.money import Money
from bankstack.risk import EventKind, ModelScore, Reason, ReasonSource, RiskEvent
from bankstack.risk.adapters.decisions_sql import MemoryDecisionLog
from bankstack.risk.engine import CircuitBreaker, EngineConfig, RiskEngine, assess
from bankstack.risk.features.memory import InMemoryFeatureSource
from bankstack.risk.rules import default_ruleset
from bankstack.risk.service import FixedRuleSets

T0 = 1_767_225_600_000_000_000


class Model:
    version = "m@1"
    features = ("amount",)

    def __init__(self, *, fail: bool = False, probability: float = 0.2) -> None:
        self.fail, self.probability, self.calls = fail, probability, 0

    def score(self, features: object) -> ModelScore:
        assert isinstance(features, dict)
        self.calls += 1
        if self.fail:
            raise RuntimeError("model down")
        return ModelScore(self.probability, (Reason("G_AMOUNT", ReasonSource.MODEL, "amount", 9),))


def _event(i: int, amount: int = 12_000) -> RiskEvent:
    return RiskEvent(
        event_id=f"e{i}",
        kind=EventKind.PAYMENT,
        occurred_at=T0 + i * 1_000_000_000,
        customer_id="c1",
        amount=Money(amount, "CNY"),
        merchant_id=f"m{i % 3}",
        device_id="d1",
        ip="10.0.0.1",
    )


def _engine(
    model: Model, *, budget_ns: int = 2_000_000, clock=None
) -> tuple[RiskEngine, MemoryDecisionLog]:
    log = MemoryDecisionLog()
    engine = RiskEngine(
        features=InMemoryFeatureSource(),
        rulesets=FixedRuleSets(default_ruleset()),
        models={EventKind.PAYMENT: model},
        log=log,
        now_ns=lambda: T0,
        config=EngineConfig(model_budget_ns=budget_ns),
        breaker=CircuitBreaker(failures_to_open=2, monotonic_ns=lambda: 0),
        # A clock that stands still unless a test brings its own: a loaded machine must not
        # turn a model's answer late (and the decision degraded) where the test expects none.
        monotonic_ns=clock or (lambda: 0),
    )
    return engine, log


def test_same_events_same_state_same_decisions() -> None:
    first, _ = _engine(Model())
    second, _ = _engine(Model())
    for i in range(30):
        a, b = first.decide(_event(i)), second.decide(_event(i))
        assert (a.outcome, a.score, a.reasons, a.rules_fired, a.features) == (
            b.outcome,
            b.score,
            b.reasons,
            b.rules_fired,
            b.features,
        )


def test_a_recorded_decision_replays_from_its_features() -> None:
    engine, log = _engine(Model(probability=0.35))
    for i in range(10):
        engine.decide(_event(i, amount=10_000 * (i + 1)))
    ruleset = default_ruleset()
    for stored in log.decisions:
        d = stored.decision
        answer = Model(probability=0.35).score(d.features)
        again = assess(d.kind, d.features, ruleset, (d.model_version or "", answer))
        assert (again.outcome, again.score, again.reasons) == (d.outcome, d.score, d.reasons)


def test_a_failing_model_degrades_to_rules_and_trips_the_breaker() -> None:
    model = Model(fail=True)
    engine, _ = _engine(model)
    decisions = [engine.decide(_event(i)) for i in range(4)]
    assert all(d.degraded and d.model_version is None for d in decisions)
    assert all(d.reasons[-1].code == "E_MODEL_DEGRADED" for d in decisions)
    assert model.calls == 2  # open after two failures: the model is not called again
    healthy, _ = _engine(Model())
    assert not healthy.decide(_event(0)).degraded


def test_a_late_model_answer_is_discarded() -> None:
    ticks = itertools.count(0, 5_000_000)  # each reading 5 ms later than the one before
    engine, _ = _engine(Model(probability=0.99), clock=lambda: next(ticks))
    decision = engine.decide(_event(0))
    assert decision.degraded
    assert decision.model_probability is None
