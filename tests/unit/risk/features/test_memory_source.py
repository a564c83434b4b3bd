"""InMemoryFeatureSource: the catalog contract, determinism, pruning, threads."""

from __future__ import annotations

import dataclasses
import random
import threading

import pytest

from bankstack.kernel.money import Money
from bankstack.risk.domain.catalog import ATTRIBUTE_PREFIX, CATALOG, FeatureType
from bankstack.risk.domain.decision import FeatureValue
from bankstack.risk.domain.event import EventKind, RiskEvent
from bankstack.risk.features.memory import InMemoryFeatureSource
from bankstack.risk.features.vector import amount_of
from bankstack.risk.features.velocity import Velocity
from bankstack.risk.features.windows import DAY_NS, SECOND_NS
from tests.unit.risk.features.streams import random_stream

PYTHON_TYPES = {FeatureType.INT: int, FeatureType.FLOAT: float, FeatureType.BOOL: bool}
PYTHON_TYPES[FeatureType.STRING] = str


def observed(
    source: InMemoryFeatureSource, events: list[RiskEvent]
) -> list[dict[str, FeatureValue]]:
    return [source.observe(event) for event in events]


class TestTheCatalogContract:
    @pytest.mark.parametrize("seed", range(3))
    def test_every_name_with_its_exact_type(self, seed):
        for vector in observed(InMemoryFeatureSource(), random_stream(seed, 400)):
            for spec in CATALOG:
                assert type(vector[spec.name]) is PYTHON_TYPES[spec.type], spec.name

    def test_catalog_order_then_the_attributes_unchanged(self):
        event = RiskEvent(
            event_id="loan-1",
            kind=EventKind.LOAN_APPLICATION,
            occurred_at=20_718 * DAY_NS,
            customer_id="c1",
            amount=Money(3_000_000, "CNY"),
            attributes={"income": 12_000, "purpose": "car", "employed": True},
        )
        vector = InMemoryFeatureSource().compute(event)
        assert list(vector)[: len(CATALOG)] == [spec.name for spec in CATALOG]
        extra = {name: value for name, value in vector.items() if name.startswith(ATTRIBUTE_PREFIX)}
        assert extra == {"attr_income": 12_000, "attr_purpose": "car", "attr_employed": True}
        assert type(extra["attr_employed"]) is bool
        assert len(vector) == len(CATALOG) + 3


class TestDeterminism:
    def test_the_same_event_against_the_same_state_gives_the_same_vector(self):
        source = InMemoryFeatureSource()
        events = random_stream(11, 300)
        for event in events[:250]:
            source.record(event)
        for event in events[250:]:
            assert source.compute(event) == source.compute(event)

    @pytest.mark.parametrize("seed", range(3))
    def test_computing_never_changes_a_later_vector(self, seed):
        rng = random.Random(seed)
        probes = random_stream(seed + 100, 300)
        plain, probed = InMemoryFeatureSource(), InMemoryFeatureSource()
        for event in random_stream(seed, 300):
            for probe in rng.sample(probes, 3):  # far past, near, far future: all read-only
                probed.compute(probe)
            assert probed.observe(event) == plain.observe(event)

    def test_observe_is_compute_then_record(self):
        one, two = InMemoryFeatureSource(), InMemoryFeatureSource()
        for event in random_stream(5, 300):
            vector = two.compute(event)
            two.record(event)
            assert one.observe(event) == vector


class TestSmallEntities:
    """An entity keeps its first events as a list; the numbers must equal the windows'."""

    @pytest.mark.parametrize("seed", range(6))
    def test_lists_and_windows_give_the_same_numbers(self, seed):
        lists, windows = Velocity(), Velocity(small=0)
        for event in random_stream(seed, 600, customers=4):
            currency = amount_of(event)[0]
            assert lists.lookup(event, currency) == windows.lookup(event, currency)
            assert lists.received(event.customer_id, currency, event.occurred_at) == (
                windows.received(event.customer_id, currency, event.occurred_at)
            )
            lists.record(event)
            windows.record(event)


class TestPrune:
    def test_forgets_idle_entities_without_changing_any_later_vector(self):
        early = random_stream(21, 300, customers=8)
        late = [
            event
            for event in random_stream(22, 300, customers=8)
            if event.customer_id in {"c0", "c1", "c2"}
        ]
        shift = max(e.occurred_at for e in early) + 31 * DAY_NS - late[0].occurred_at
        pruned, kept = InMemoryFeatureSource(), InMemoryFeatureSource()
        for event in early:
            pruned.record(event)
            kept.record(event)
        now = max(e.occurred_at for e in early) + 30 * DAY_NS + 1
        assert pruned.prune(now) > 0
        assert pruned.prune(now) == 0
        for event in late:
            moved = dataclasses.replace(event, occurred_at=event.occurred_at + shift)
            assert pruned.observe(moved) == kept.observe(moved)

    def test_keeps_an_entity_active_within_thirty_days(self):
        source = InMemoryFeatureSource()
        event = _login("c1", 20_718 * DAY_NS, ip="10.0.0.1")
        source.record(event)
        assert source.prune(event.occurred_at + 30 * DAY_NS) == 0
        assert source.prune(event.occurred_at + 30 * DAY_NS + 1) == 2  # the customer, the IP


class TestThreads:
    def test_concurrent_observers_lose_no_event(self):
        source, start = InMemoryFeatureSource(), 20_718 * DAY_NS
        barrier = threading.Barrier(4)

        def pay(worker: int) -> None:
            barrier.wait()
            for k in range(200):
                source.observe(
                    RiskEvent(
                        event_id=f"w{worker}-{k}",
                        kind=EventKind.PAYMENT,
                        occurred_at=start + k * SECOND_NS,
                        customer_id="c1",
                        amount=Money(100, "CNY"),
                        merchant_id=f"m{k % 7}",
                        device_id="d1",
                    )
                )

        workers = [threading.Thread(target=pay, args=(w,)) for w in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        vector = source.compute(_login("c1", start + 200 * SECOND_NS, device_id="d1"))
        assert vector["customer_count_1h"] == 800
        assert vector["customer_sum_1h"] == 0  # a login carries no currency
        assert vector["customer_distinct_payees_1h"] == 7
        assert vector["device_distinct_customers_1h"] == 1
        assert vector["customer_events_total"] == 800


def _login(customer: str, at: int, *, device_id: str | None = None, ip: str | None = None):
    return RiskEvent(
        event_id=f"login-{customer}-{at}",
        kind=EventKind.LOGIN,
        occurred_at=at,
        customer_id=customer,
        device_id=device_id,
        ip=ip,
    )
