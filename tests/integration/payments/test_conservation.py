"""Money conservation across every flow, on both tiers.

After a day of mixed business (payments with and without a partner, a declined payment, a
code payment, partial and full refunds, a cancel, escrow released, refunded, disputed and
still held) the ledger must show: every ledger's balances still sum to zero, and each
account's net is exactly what the payments records imply.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict

from sqlalchemy import text

from bankstack.payments import (
    CreateTrade,
    DeadlineAction,
    DisputeOutcome,
    EscrowStatus,
    EscrowTerms,
    InsufficientFunds,
    PayByCode,
    RefundStatus,
    RefundTrade,
    Trade,
    TradeRef,
)
from bankstack.payments import accounts as acc
from tests.integration.payments.conftest import World, cny


def _ledger_sums(world: World) -> list[tuple[int, int, int]]:
    with world.runtime.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ledger, SUM(credits_posted - debits_posted),"
                " SUM(credits_pending - debits_pending) FROM ledger_accounts GROUP BY ledger"
            )
        ).all()
    return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]


def _business(world: World) -> tuple[dict[str, int], list[Trade]]:
    p = world.payments
    shop, plain = world.merchant(), world.merchant("plain", partner=None)
    funded = {"alice": 50_000, "bob": 20_000, "carol": 400}
    ids = {name: world.customer(name, funds=amount) for name, amount in funded.items()}
    alice, bob, carol = ids["alice"], ids["bob"], ids["carol"]
    made = [world.trade(shop, 12_345), world.trade(plain, 999), world.trade(shop, 3_000)]
    p.pay_with_wallet(made[0].id, alice)
    p.pay_with_wallet(made[1].id, bob)
    p.pay_with_wallet(made[2].id, bob)
    with contextlib.suppress(InsufficientFunds):  # carol has 400: declined, nothing moves
        p.pay_with_wallet(world.trade(shop, 500).id, carol)
    code = p.issue_payment_code(carol)
    cmd = CreateTrade(merchant_id=plain.id, out_trade_no="code1", amount=cny(400), subject="s")
    made.append(p.pay(PayByCode(trade=cmd, auth_code=code.code)))
    for no, amount in (("r1", 1_111), ("r2", 2_222)):
        p.refund(
            RefundTrade(trade=TradeRef.by_id(made[0].id), out_refund_no=no, amount=cny(amount))
        )
    p.cancel(made[2].id)
    terms = EscrowTerms(3600, DeadlineAction.RELEASE)
    escrows = [world.trade(shop, amount, escrow=terms) for amount in (700, 800, 900, 1_000)]
    for trade in escrows:
        p.pay_with_wallet(trade.id, alice)
    p.confirm_receipt(escrows[0].id, alice)
    p.refund_escrow(escrows[1].id)
    p.dispute(escrows[2].id, "broken")
    p.resolve_dispute(escrows[2].id, staff_id="staff", outcome=DisputeOutcome.BUYER)
    p.refund(RefundTrade(trade=TradeRef.by_id(escrows[0].id), out_refund_no="e", amount=cny(70)))
    made += escrows
    return {ids[name]: amount for name, amount in funded.items()}, made


def test_every_flow_conserves_money(world: World):
    world.payments.setup_currency("CNY")
    world.payments.setup_currency("CNY")  # idempotent
    platform = [
        acc.fee_account_id("CNY"),
        acc.escrow_account_id("CNY"),
        acc.funding_account_id("CNY"),
    ]
    before = {a: world.account_net(a) for a in platform}
    sums_before = _ledger_sums(world)
    funded, trades = _business(world)

    expected: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # account -> [posted, pending]
    for customer, amount in funded.items():
        expected[acc.wallet_account_id(customer, "CNY")][0] += amount
        expected[acc.funding_account_id("CNY")][0] -= amount
    for trade in (world.payments.query(t.id) for t in trades):
        _expect_trade(expected, trade)
        for refund in world.payments.list_refunds(trade.id):
            if refund.status is RefundStatus.SUCCEEDED:
                _expect_legs(expected, trade, refund.legs, sign=-1, payer=trade.payer_account_id)

    for account_id, (posted, pending) in expected.items():
        base = before.get(account_id, (0, 0))
        net = world.account_net(account_id)
        assert (net[0] - base[0], net[1] - base[1]) == (posted, pending), account_id
    assert sum(p for p, _ in expected.values()) == 0
    assert sum(q for _, q in expected.values()) == 0
    assert _ledger_sums(world) == sums_before
    assert all(posted == 0 and pending == 0 for _, posted, pending in _ledger_sums(world))


def _expect_trade(expected: dict[int, list[int]], trade: Trade) -> None:
    if trade.paid.minor == 0:
        return
    payer = trade.payer_account_id
    assert payer is not None
    escrow = trade.escrow
    if escrow is None or escrow.status is EscrowStatus.RELEASED:
        _expect_legs(expected, trade, trade.split, sign=1, payer=payer)
    elif escrow.status is EscrowStatus.HELD:
        expected[payer][1] -= trade.amount.minor
        expected[acc.escrow_account_id("CNY")][1] += trade.amount.minor
    # an escrow refunded was voided: nothing moved


def _expect_legs(expected, trade: Trade, legs, *, sign: int, payer: int | None) -> None:
    assert payer is not None
    merchant = acc.merchant_account_id(trade.merchant_id, "CNY")
    moves = [(merchant, legs.net.minor), (acc.fee_account_id("CNY"), legs.fee.minor)]
    if trade.partner_account_id is not None:
        moves.append((trade.partner_account_id, legs.commission.minor))
    for account, amount in moves:
        expected[account][0] += sign * amount
        expected[payer][0] -= sign * amount
