"""Escrow on both tiers: hold, confirm, deadlines, disputes and their resolution."""

from __future__ import annotations

import pytest

from bankstack.payments import (
    DeadlineAction,
    DisputeOutcome,
    EscrowDisputed,
    EscrowNotDisputed,
    EscrowNotHeld,
    EscrowNotReleased,
    EscrowStatus,
    EscrowTerms,
    NotAnEscrowTrade,
    RefundTrade,
    TradeBuyerMismatch,
    TradeRef,
    TradeStatus,
)
from bankstack.payments import accounts as acc
from tests.integration.payments.conftest import World, cny

DAY = 86_400


def _escrow_trade(world: World, on_deadline: DeadlineAction = DeadlineAction.REFUND):
    shop, alice = world.merchant(), world.customer()
    trade = world.trade(shop, 5_000, escrow=EscrowTerms(7 * DAY, on_deadline))
    held = world.payments.pay_with_wallet(trade.id, alice)
    return shop, alice, held


def _topics(world: World, trade_id: int) -> list[tuple[str, int, str]]:
    return [(t, d["version"], d["status"]) for t, d in world.events(trade_id)]


class TestHold:
    def test_payment_is_held_pending_not_moved(self, world: World):
        shop, alice, held = _escrow_trade(world)
        assert held.status is TradeStatus.SUCCEEDED
        assert held.escrow is not None
        assert held.escrow.status is EscrowStatus.HELD
        assert held.escrow.deadline_at == held.paid_at + 7 * DAY * 10**9
        assert (world.posted(alice), world.available(alice)) == (100_000, 95_000)
        assert world.merchant_posted(shop) == 0
        assert held.settled_at is None
        assert _topics(world, held.id)[-2:] == [
            ("trade.succeeded", 3, "succeeded"),
            ("escrow.held", 1, "held"),
        ]

    def test_refund_api_waits_for_release(self, world: World):
        _, _, held = _escrow_trade(world)
        with pytest.raises(EscrowNotReleased):
            world.payments.refund(
                RefundTrade(trade=TradeRef.by_id(held.id), out_refund_no="r", amount=cny(1))
            )

    def test_not_an_escrow_trade(self, world: World):
        shop, alice = world.merchant(), world.customer()
        trade = world.payments.pay_with_wallet(world.trade(shop, 100).id, alice)
        with pytest.raises(NotAnEscrowTrade):
            world.payments.confirm_receipt(trade.id, alice)


class TestRelease:
    def test_buyer_confirmation_releases_with_the_split(self, world: World):
        shop, alice, held = _escrow_trade(world)
        fee_before = world.account_net(acc.fee_account_id("CNY"))[0]
        with pytest.raises(TradeBuyerMismatch):
            world.payments.confirm_receipt(held.id, world.customer("mallory"))
        released = world.payments.confirm_receipt(held.id, alice)
        assert released.escrow is not None
        assert released.escrow.status is EscrowStatus.RELEASED
        assert released.settled_at is not None
        assert (world.posted(alice), world.available(alice)) == (95_000, 95_000)
        assert world.merchant_posted(shop) == held.split.net.minor
        assert world.account_net(acc.fee_account_id("CNY"))[0] - fee_before == held.split.fee.minor
        assert world.account_net(shop.partner_account_id or 0)[0] == held.split.commission.minor
        assert _topics(world, held.id)[-1] == ("escrow.released", 3, "released")
        assert world.payments.confirm_receipt(held.id, alice) == released  # a retry
        with pytest.raises(EscrowNotHeld):
            world.payments.refund_escrow(held.id)

    def test_after_release_refunds_work_as_for_any_trade(self, world: World):
        shop, alice, held = _escrow_trade(world)
        world.payments.confirm_receipt(held.id, alice)
        refund = world.payments.refund(
            RefundTrade(trade=TradeRef.by_id(held.id), out_refund_no="r", amount=cny(1_000))
        )
        assert refund.legs.total == cny(1_000)
        assert world.posted(alice) == 96_000
        assert world.merchant_posted(shop) == held.split.net.minor - refund.legs.net.minor


class TestDeadline:
    @pytest.mark.parametrize("rule", [DeadlineAction.RELEASE, DeadlineAction.REFUND])
    def test_the_worker_applies_the_rule_at_the_deadline(self, world: World, rule):
        shop, alice, held = _escrow_trade(world, rule)
        world.clock.advance(7 * DAY - 1)
        world.payments.process_due()
        assert world.payments.query(held.id).escrow.status is EscrowStatus.HELD  # type: ignore[union-attr]
        world.clock.advance(1)
        report = world.payments.process_due()
        after = world.payments.query(held.id)
        assert after.escrow is not None
        if rule is DeadlineAction.RELEASE:
            assert report.escrow_released >= 1
            assert after.escrow.status is EscrowStatus.RELEASED
            assert world.merchant_posted(shop) == held.split.net.minor
            assert world.posted(alice) == 95_000
        else:
            assert report.escrow_refunded >= 1
            assert (after.escrow.status, after.status) == (
                EscrowStatus.REFUNDED,
                TradeStatus.CLOSED,
            )
            assert world.merchant_posted(shop) == 0
            assert (world.posted(alice), world.available(alice)) == (100_000, 100_000)
            assert _topics(world, held.id)[-2:] == [
                ("escrow.refunded", 3, "refunded"),
                ("trade.closed", 5, "closed"),
            ]


class TestDispute:
    def test_a_dispute_freezes_everything_until_staff_resolve(self, world: World):
        shop, alice, held = _escrow_trade(world, DeadlineAction.RELEASE)
        disputed = world.payments.dispute(held.id, "not delivered")
        assert disputed.escrow is not None
        assert (disputed.escrow.status, disputed.escrow.dispute_reason) == (
            EscrowStatus.DISPUTED, "not delivered"
        )  # fmt: skip
        assert world.payments.dispute(held.id, "again") == disputed
        with pytest.raises(EscrowDisputed):
            world.payments.confirm_receipt(held.id, alice)
        with pytest.raises(EscrowDisputed):
            world.payments.refund_escrow(held.id)
        with pytest.raises(EscrowDisputed):
            world.payments.cancel(held.id)
        world.clock.advance(30 * DAY)
        world.payments.process_due()
        assert world.payments.query(held.id).escrow == disputed.escrow
        assert world.available(alice) == 95_000
        resolved = world.payments.resolve_dispute(
            held.id, staff_id="staff-7", outcome=DisputeOutcome.BUYER
        )
        assert resolved.escrow is not None
        assert (resolved.escrow.status, resolved.escrow.resolved_by) == (
            EscrowStatus.REFUNDED, "staff-7"
        )  # fmt: skip
        assert (world.posted(alice), world.available(alice)) == (100_000, 100_000)
        assert world.merchant_posted(shop) == 0
        assert ("escrow.disputed", 2, "disputed") in _topics(world, held.id)

    def test_resolved_to_the_seller(self, world: World):
        shop, alice, held = _escrow_trade(world)
        with pytest.raises(EscrowNotDisputed):
            world.payments.resolve_dispute(held.id, staff_id="s", outcome=DisputeOutcome.SELLER)
        world.payments.dispute(held.id, "late")
        released = world.payments.resolve_dispute(
            held.id, staff_id="s", outcome=DisputeOutcome.SELLER
        )
        assert released.escrow is not None
        assert released.escrow.status is EscrowStatus.RELEASED
        assert world.merchant_posted(shop) == held.split.net.minor
        assert world.posted(alice) == 95_000

    def test_cancel_of_a_held_escrow_voids_the_hold(self, world: World):
        _, alice, held = _escrow_trade(world)
        result = world.payments.cancel(held.id)
        assert (result.action, result.trade.status) == ("refund", TradeStatus.CLOSED)
        assert (world.posted(alice), world.available(alice)) == (100_000, 100_000)
