"""Use cases that span the others: cancel, and the worker's periodic ``process_due``.

``cancel`` reverses a trade whatever its state: unpaid -> closed; paid -> refunded in
full (whatever partial refunds left) and then closed; escrow held -> hold voided, closed.
Its refund's ``out_refund_no`` is ``sys:cancel:<amount>`` (a colon never appears in a
partner's number), so concurrent or repeated cancels share one refund.

``process_due(now)`` is what the payments worker runs every few seconds with the clock:
close unpaid trades past their timeout, act on escrow deadlines, and take over ledger steps
left in flight longer than ``in_doubt_after_s`` (their caller may have died), customer
transfers included: resubmitting them with the same ids either finds them done (``exists``)
or does them now, once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bankstack.kernel.clock import NS_PER_SECOND
from bankstack.kernel.errors import BankstackError
from bankstack.payments.commands import CancelResult, DueReport, TradeRef, TransferRef
from bankstack.payments.domain import TradeStatus
from bankstack.payments.errors import (
    InsufficientFunds,
    MerchantInsufficientFunds,
    PaymentDeclined,
    RefundInProgress,
)
from bankstack.payments.escrow import refund_escrow, run_deadlines, submit_escrow
from bankstack.payments.p2p import get_transfer, resume_transfer
from bankstack.payments.paying import submit_payment
from bankstack.payments.ports import Deps
from bankstack.payments.records import EscrowStatus, TransferStatus
from bankstack.payments.refunding import request_refund, resume_refund
from bankstack.payments.trading import close_trade, expire_due, query_trade

_IN_FLIGHT_ESCROW = frozenset({EscrowStatus.RELEASING, EscrowStatus.REFUNDING})


def cancel_trade(deps: Deps, ref: TradeRef) -> CancelResult:
    trade = query_trade(deps, ref)
    by_id = TradeRef.by_id(trade.id)
    if trade.status is TradeStatus.CLOSED:
        return CancelResult(trade, "none")
    if trade.status is not TradeStatus.SUCCEEDED:
        return CancelResult(close_trade(deps, by_id), "close")  # processing raises
    if trade.escrow is not None and trade.escrow.status is not EscrowStatus.RELEASED:
        return CancelResult(refund_escrow(deps, by_id), "refund")
    remaining = trade.refundable
    if remaining.minor == 0:
        raise RefundInProgress("refunds of the whole amount are in flight", trade_id=str(trade.id))
    refund = request_refund(
        deps, by_id, f"sys:cancel:{remaining.minor}", remaining, reason="cancelled"
    )
    return CancelResult(query_trade(deps, by_id), "refund", refund)


def process_due(deps: Deps, now: int | None = None, limit: int = 500) -> DueReport:
    now = deps.clock.now_ns() if now is None else now
    expired = expire_due(deps, now, limit)
    released, refunded, failed = run_deadlines(deps, now, limit)
    recovered, failures = recover_in_flight(deps, now, limit)
    return DueReport(expired, released, refunded, recovered, (*failed, *failures))


def recover_in_flight(deps: Deps, now: int, limit: int = 500) -> tuple[int, list[str]]:
    """Resubmit and settle payment, escrow, refund and customer-transfer steps in flight since
    before ``now - in_doubt_after_s``; returns how many were settled, and what failed (a
    declined payment, refund or transfer counts as settled: its outcome is now recorded)."""
    cutoff = now - deps.config.in_doubt_after_s * NS_PER_SECOND
    with deps.store.read() as uow:
        trade_ids = uow.trades.in_flight(cutoff, limit)
        refund_ids = uow.refunds.in_flight(cutoff, limit)
    settled, failures = 0, []
    for trade_id in trade_ids:
        try:
            trade = query_trade(deps, TradeRef.by_id(trade_id))
            if trade.status is TradeStatus.PROCESSING:
                _settle_declines(partial(submit_payment, deps, trade))
            elif trade.escrow is not None and trade.escrow.status in _IN_FLIGHT_ESCROW:
                submit_escrow(deps, trade)
            settled += 1
        except BankstackError as error:
            failures.append(f"trade {trade_id}: {error.code}")
    for refund_id in refund_ids:
        try:
            _settle_declines(partial(resume_refund, deps, refund_id))
            settled += 1
        except BankstackError as error:
            failures.append(f"refund {refund_id}: {error.code}")
    transfers, failed = _recover_transfers(deps, cutoff, limit)
    return settled + transfers, [*failures, *failed]


def _recover_transfers(deps: Deps, cutoff: int, limit: int) -> tuple[int, list[str]]:
    """Customer transfers ``processing`` since before ``cutoff``: their step is resubmitted."""
    with deps.store.read() as uow:
        ids = uow.transfers.in_flight(cutoff, limit)
    settled, failures = 0, []
    for transfer_id in ids:
        try:
            transfer = get_transfer(deps, TransferRef(transfer_id))
            if transfer.status is TransferStatus.PROCESSING:
                _settle_declines(partial(resume_transfer, deps, transfer))
            settled += 1
        except BankstackError as error:
            failures.append(f"transfer {transfer_id}: {error.code}")
    return settled, failures


def _settle_declines(step: Callable[[], object]) -> None:
    """Run ``step``; a decline is a settled outcome here, not a failure of the worker."""
    try:
        step()
    except (InsufficientFunds, MerchantInsufficientFunds, PaymentDeclined):
        return
