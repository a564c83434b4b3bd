"""Steps left in flight by a dead caller are finished by the worker, once, on both tiers."""

from __future__ import annotations

from bankstack.payments import (
    DeadlineAction,
    EscrowStatus,
    EscrowTerms,
    RefundStatus,
    RefundTrade,
    TradeRef,
    TradeStatus,
)
from bankstack.payments.refunding import _reserve
from bankstack.payments.transfers import refund_transfers
from tests.integration.payments.conftest import World, cny


def _paid(world: World, amount: int = 4_000, escrow: EscrowTerms | None = None):
    shop, alice = world.merchant(), world.customer()
    trade = world.payments.pay_with_wallet(world.trade(shop, amount, escrow=escrow).id, alice)
    return shop, alice, trade


def test_a_reserved_refund_is_finished_by_the_worker(world: World):
    _, alice, trade = _paid(world)
    deps = world.payments._deps
    refund, _ = _reserve(deps, TradeRef.by_id(trade.id), "r1", cny(1_500), "")
    assert world.payments.query_refund(trade.id, "r1").status is RefundStatus.PROCESSING
    world.clock.advance(31)
    report = world.payments.process_due()
    assert report.failures == ()
    assert world.payments.query_refund(trade.id, "r1").status is RefundStatus.SUCCEEDED
    assert world.posted(alice) == 100_000 - 4_000 + 1_500
    assert refund.id == world.payments.query_refund(trade.id, "r1").id


def test_a_refund_applied_but_not_recorded_is_not_applied_twice(world: World):
    shop, alice, trade = _paid(world)
    deps = world.payments._deps
    refund, reserved = _reserve(deps, TradeRef.by_id(trade.id), "r1", cny(1_500), "")
    assert set(world.runtime.writer.create_transfers(refund_transfers(refund, reserved))) == {"ok"}
    retry = RefundTrade(trade=TradeRef.by_id(trade.id), out_refund_no="r1", amount=cny(1_500))
    again = world.payments.refund(retry)  # the partner retries the same request
    assert again.status is RefundStatus.SUCCEEDED
    assert world.posted(alice) == 100_000 - 4_000 + 1_500
    assert world.merchant_posted(shop) == trade.split.net.minor - refund.legs.net.minor


def test_an_escrow_release_in_flight_is_finished_by_the_worker(world: World):
    shop, alice, held = _paid(world, escrow=EscrowTerms(86_400, DeadlineAction.REFUND))
    deps = world.payments._deps
    with deps.store.write() as uow:
        trade = uow.trades.get(held.id, lock=True)
        assert trade is not None
        uow.trades.update(trade.begin_escrow(DeadlineAction.RELEASE, world.clock.now_ns()))
        uow.commit()
    world.clock.advance(31)
    report = world.payments.process_due()
    assert report.failures == ()
    after = world.payments.query(held.id)
    assert after.escrow is not None
    assert (after.escrow.status, after.status) == (EscrowStatus.RELEASED, TradeStatus.SUCCEEDED)
    assert world.merchant_posted(shop) == held.split.net.minor
    assert world.posted(alice) == 100_000 - 4_000
