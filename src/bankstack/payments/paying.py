"""Paying a trade: from the customer's wallet (cashier page) or by the customer's code.

Paid at most once, whatever the retries and across processes, in three steps:

1. **claim** (one transaction, trade row locked): ``waiting -> processing`` with the next
   ``pay_attempt``; only one caller can win it. A caller finding the trade ``processing``
   for the same payer resumes that attempt instead (a retry); any other payer is told
   ``trade_payment_in_progress``.
2. **submit** the attempt's ledger chain; its transfer ids are derived from
   ``(trade, attempt, leg)``, so resubmitting an attempt can never move money twice.
3. **settle** (one transaction): ``processing -> succeeded`` with ``trade.succeeded`` (and
   ``escrow.held``) in the outbox, or back to ``waiting`` when the ledger declined (an
   attempt the ledger declined is remembered by it as failed forever, so that attempt can
   never succeed later; the next try uses a new attempt number).

A process that dies between the steps leaves the trade ``processing``; ``process_due``
resubmits such attempts after ``in_doubt_after_s`` and settles them.

Payment codes (barcode payment): ``issue_payment_code`` gives the customer an 18-digit code
(``28`` + 16 random digits, like the codes wallet apps show) valid for
``payment_code_ttl_s`` and usable for one trade only. Only its SHA-256 is stored. A code is
consumed when a trade is paid with it; presenting it again for the same trade (a retry)
is accepted, for another trade refused.
"""

from __future__ import annotations

import hashlib
import secrets

from bankstack.kernel.clock import NS_PER_SECOND
from bankstack.payments import events
from bankstack.payments.commands import PARTY_ID, PayByCode, TradeRef, check_pattern
from bankstack.payments.domain import Trade, TradeStatus
from bankstack.payments.errors import (
    AuthCodeExpired,
    AuthCodeInvalid,
    AuthCodeUsed,
    LedgerRefused,
    TradeClosed,
    WalletNotFound,
)
from bankstack.payments.ports import Deps
from bankstack.payments.records import IssuedCode, PaymentCode, RiskCheck, RiskCheckStatus
from bankstack.payments.screening import PayerContext, screen
from bankstack.payments.trading import close_if_expired, create_trade, find_trade
from bankstack.payments.transfers import (
    Verdict,
    declined,
    payment_transfers,
    review_hold_transfer,
    verdict,
)

CODE_PREFIX = "28"
CODE_RANDOM_DIGITS = 16


def pay_with_wallet(
    deps: Deps, ref: TradeRef, customer_id: str, context: PayerContext | None = None
) -> Trade:
    """Pay the trade from ``customer_id``'s wallet in the trade's currency, after risk
    screening (screening.py): a payment under review is paid into a hold and the trade
    returned ``processing``; a rejected or challenged one raises."""
    check_pattern(customer_id, PARTY_ID, "customer_id")
    verdict_ = screen(deps, ref, customer_id, context or PayerContext())
    claimed, held = _claim(deps, ref, customer_id, verdict_.review_decision)
    if held:
        if verdict_.review_decision is not None:
            return _submit_review_hold(deps, claimed)
        return claimed  # a retry while the review is pending: nothing to do
    return submit_payment(deps, claimed)


def _submit_review_hold(deps: Deps, held: Trade) -> Trade:
    outcome = verdict(deps.ledger.create_transfers([review_hold_transfer(held)]), what="hold")
    if outcome.applied:
        return held
    with deps.store.write() as uow:
        trade = find_trade(uow, TradeRef.by_id(held.id), lock=True)
        check = uow.risk_checks.get(held.id, held.payer_id or "", lock=True)
        if trade.pay_attempt == held.pay_attempt and trade.status is TradeStatus.PROCESSING:
            uow.trades.update(trade.abandon_payment())
        if check is not None:
            uow.risk_checks.delete(check)
        uow.commit()
    raise _declined(held, outcome)


def _claim(
    deps: Deps, ref: TradeRef, customer_id: str, review: str | None = None
) -> tuple[Trade, bool]:
    """Claim the next attempt (or find the one in flight): the trade, and whether the attempt
    pays into a review hold (recorded with the claim, so the worker never resubmits it as a
    plain payment)."""
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        trade = find_trade(uow, ref, lock=True)
        if trade.status is TradeStatus.PROCESSING and trade.payer_id == customer_id:
            check = uow.risk_checks.get(trade.id, customer_id)
            held = check is not None and check.status is RiskCheckStatus.HELD
            return trade, held  # a retry of the attempt in flight: resume it
        if close_if_expired(uow, trade, now) is not None:
            uow.commit()
            raise TradeClosed("the trade expired unpaid", trade_id=str(trade.id))
        trade.check_payable(now)
        wallet = uow.wallets.get(customer_id, trade.currency)
        if wallet is None:
            raise WalletNotFound(
                f"{customer_id!r} has no {trade.currency} wallet", customer_id=customer_id
            )
        claimed = trade.begin_payment(customer_id, wallet.account_id, now)
        if review is not None:
            uow.risk_checks.put(held_check(claimed, customer_id, review, now))
        uow.trades.update(claimed)
        uow.commit()
    return claimed, review is not None


def submit_payment(deps: Deps, claimed: Trade) -> Trade:
    """Submit the claimed attempt's ledger step and settle the trade by the answer."""
    results = deps.ledger.create_transfers(payment_transfers(claimed))
    outcome = verdict(results, what="payment")
    return _settle(deps, claimed, outcome)


def _settle(deps: Deps, claimed: Trade, outcome: Verdict) -> Trade:
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        trade = find_trade(uow, TradeRef.by_id(claimed.id), lock=True)
        ours = trade.pay_attempt == claimed.pay_attempt
        if ours and trade.status is TradeStatus.PROCESSING:
            if outcome.applied:
                paid = trade.complete_payment(now)
                uow.trades.update(paid)
                uow.outbox.add(events.trade_event(events.TRADE_SUCCEEDED, paid, now))
                if paid.escrow is not None:
                    uow.outbox.add(events.escrow_event(events.ESCROW_HELD, paid, now))
                uow.commit()
                return paid
            uow.trades.update(trade.abandon_payment())
            uow.commit()
        elif ours and outcome.applied and trade.paid_at is not None:
            return trade  # another caller settled the same attempt first
    if outcome.applied:
        raise LedgerRefused(
            "the ledger applied a payment attempt the trade no longer expects",
            trade_id=str(claimed.id),
            attempt=claimed.pay_attempt,
        )
    raise _declined(claimed, outcome)


def _declined(trade: Trade, outcome: Verdict) -> Exception:
    return declined(outcome, "payment", trade_id=str(trade.id))


def pay_by_code(deps: Deps, cmd: PayByCode) -> Trade:
    """Barcode payment: create (or find, by ``out_trade_no``) the trade and pay it from the
    wallet of the customer the code belongs to."""
    trade = create_trade(deps, cmd.trade)
    if trade.status is not TradeStatus.PROCESSING:
        trade.check_payable(deps.clock.now_ns())
    customer_id = redeem_code(deps, cmd.auth_code, trade.id)
    return pay_with_wallet(deps, TradeRef.by_id(trade.id), customer_id)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def issue_payment_code(deps: Deps, customer_id: str) -> IssuedCode:
    check_pattern(customer_id, PARTY_ID, "customer_id")
    now = deps.clock.now_ns()
    expires_at = now + deps.config.payment_code_ttl_s * NS_PER_SECOND
    while True:  # a clash with a stored code (1 in 10**16 per code) just draws again
        code = CODE_PREFIX + str(secrets.randbelow(10**CODE_RANDOM_DIGITS)).zfill(
            CODE_RANDOM_DIGITS
        )
        record = PaymentCode(
            code_hash=code_hash(code),
            customer_id=customer_id,
            issued_at=now,
            expires_at=expires_at,
        )
        with deps.store.write() as uow:
            if uow.codes.add(record):
                uow.commit()
                return IssuedCode(code, customer_id, expires_at)


def redeem_code(deps: Deps, code: str, trade_id: int) -> str:
    """The customer ``code`` belongs to, consuming it for ``trade_id``."""
    now = deps.clock.now_ns()
    hashed = code_hash(code)
    with deps.store.write() as uow:
        record = uow.codes.get(hashed, lock=True)
        if record is None:
            raise AuthCodeInvalid("unknown payment code", field="auth_code")
        if record.used_at is not None:
            if record.trade_id == trade_id:
                return record.customer_id
            raise AuthCodeUsed("the payment code was already used", field="auth_code")
        if record.expires_at <= now:
            raise AuthCodeExpired("the payment code expired", field="auth_code")
        if not uow.codes.mark_used(hashed, trade_id, now):
            raise AuthCodeUsed("the payment code was already used", field="auth_code")
        uow.commit()
    return record.customer_id


def held_check(trade: Trade, payer_id: str, decision_id: str, now: int) -> RiskCheck:
    return RiskCheck(
        trade_id=trade.id,
        payer_id=payer_id,
        decision_id=decision_id,
        status=RiskCheckStatus.HELD,
        created_at=now,
        updated_at=now,
        hold_attempt=trade.pay_attempt,
    )
