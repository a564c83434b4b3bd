"""The ledger transfers of each payments step, and what the ledger's answer means.

Each step is one submission: either a single transfer or a linked chain (all or nothing).
Zero-amount legs are left out; what remains is fully determined by the stored trade or
refund, so a resubmission is identical and answers ``exists``. Ids name the object, the
attempt and the leg, for example ``trade:<id>:pay:2:fee``.

Interpreting the answer (``verdict``): the step happened if every member answered ``ok``,
or if the first member answered ``exists`` (a chain commits whole, and its ids belong to no
other chain, so one member existing means all of them do). It was declined if a member
failed for a reason that depends on balances or account state; anything else means the
payments rules and the ledger disagree, which is a bug: ``LedgerRefused``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from bankstack.kernel.money import Money
from bankstack.ledger import AMOUNT_MAX, Transfer, TransferFlags, TransferResult
from bankstack.payments import accounts as acc
from bankstack.payments.accounts import TransferCode
from bankstack.payments.domain import Trade
from bankstack.payments.errors import InsufficientFunds, LedgerRefused, PaymentDeclined
from bankstack.payments.records import Refund

_LINKED: Final = int(TransferFlags.LINKED)
_PENDING: Final = int(TransferFlags.PENDING)
_POST: Final = int(TransferFlags.POST_PENDING_TRANSFER)
_VOID: Final = int(TransferFlags.VOID_PENDING_TRANSFER)
R = TransferResult

DECLINE_REASONS: Final[dict[str, str]] = {
    R.EXCEEDS_CREDITS: "insufficient_funds",
    R.ID_ALREADY_FAILED: "attempt_already_failed",
    R.DEBIT_ACCOUNT_ALREADY_CLOSED: "account_closed",
    R.CREDIT_ACCOUNT_ALREADY_CLOSED: "account_closed",
    R.DEBIT_ACCOUNT_NOT_FOUND: "account_not_found",
    R.CREDIT_ACCOUNT_NOT_FOUND: "account_not_found",
}


@dataclass(frozen=True, slots=True)
class Leg:
    step: str
    debit: int
    credit: int
    amount: int
    code: TransferCode


@dataclass(frozen=True, slots=True)
class Verdict:
    applied: bool
    reason: str | None = None


def chain(prefix: str, legs: Sequence[Leg], *, ledger: int, user_data: int) -> list[Transfer]:
    """The non-zero legs as one linked chain, ids derived from ``prefix`` and the leg."""
    moving = [leg for leg in legs if leg.amount > 0]
    last = len(moving) - 1
    return [
        Transfer(
            acc.derived_id(f"{prefix}:{leg.step}"),
            leg.debit,
            leg.credit,
            leg.amount,
            ledger=ledger,
            code=leg.code,
            user_data=user_data,
            flags=_LINKED if i < last else 0,
        )
        for i, leg in enumerate(moving)
    ]


def split_legs(source: int, trade: Trade) -> list[Leg]:
    """The payment split, paid from ``source`` (the payer's wallet, or the escrow hold)."""
    currency, split = trade.currency, trade.split
    legs = [
        Leg(
            "net",
            source,
            acc.merchant_account_id(trade.merchant_id, currency),
            split.net.minor,
            TransferCode.PAYMENT_NET,
        ),
        Leg("fee", source, acc.fee_account_id(currency), split.fee.minor, TransferCode.PAYMENT_FEE),
    ]
    if trade.partner_account_id is not None:
        legs.append(
            Leg(
                "commission",
                source,
                trade.partner_account_id,
                split.commission.minor,
                TransferCode.PAYMENT_COMMISSION,
            )
        )
    return legs


def _payer(trade: Trade) -> int:
    if trade.payer_account_id is None:
        raise LedgerRefused("a payment step needs the payer's account", trade_id=str(trade.id))
    return trade.payer_account_id


def hold_id(trade: Trade) -> int:
    return acc.derived_id(f"trade:{trade.id}:pay:{trade.pay_attempt}:hold")


def payment_transfers(trade: Trade) -> list[Transfer]:
    """Pay the trade (attempt ``pay_attempt``): the split chain, or for escrow one pending
    transfer into the escrow hold. The hold has no ledger timeout: deadlines are the
    payments worker's, so that a dispute can stop the clock and the rule can be "release"."""
    ledger = acc.ledger_of(trade.currency)
    if trade.escrow_terms is not None:
        return [
            Transfer(
                hold_id(trade),
                _payer(trade),
                acc.escrow_account_id(trade.currency),
                trade.amount.minor,
                ledger=ledger,
                code=TransferCode.ESCROW_HOLD,
                user_data=trade.id,
                flags=_PENDING,
            )
        ]
    prefix = f"trade:{trade.id}:pay:{trade.pay_attempt}"
    return chain(prefix, split_legs(_payer(trade), trade), ledger=ledger, user_data=trade.id)


def review_hold_id(trade: Trade, attempt: int) -> int:
    return acc.derived_id(f"trade:{trade.id}:pay:{attempt}:review")


def review_hold_transfer(trade: Trade) -> Transfer:
    """A payment held for review: the payer's money reserved (pending) towards the hold
    account; nothing reaches the merchant until the review clears it."""
    return Transfer(
        review_hold_id(trade, trade.pay_attempt),
        _payer(trade),
        acc.escrow_account_id(trade.currency),
        trade.amount.minor,
        ledger=acc.ledger_of(trade.currency),
        code=TransferCode.ESCROW_HOLD,
        user_data=trade.id,
        flags=_PENDING,
    )


def review_release_transfers(trade: Trade, attempt: int) -> list[Transfer]:
    """The review cleared the payer: post the hold and pay the split out of it, linked."""
    post = Transfer(
        acc.derived_id(f"trade:{trade.id}:review:{attempt}:post"),
        pending_id=review_hold_id(trade, attempt),
        amount=AMOUNT_MAX,
        user_data=trade.id,
        flags=_POST | _LINKED,
    )
    escrow = acc.escrow_account_id(trade.currency)
    prefix = f"trade:{trade.id}:review:{attempt}:release"
    legs = chain(
        prefix, split_legs(escrow, trade), ledger=acc.ledger_of(trade.currency), user_data=trade.id
    )
    return [post, *legs]


def review_void_transfer(trade: Trade, attempt: int) -> Transfer:
    """The review confirmed fraud: void the hold (the payer's money never moved)."""
    return Transfer(
        acc.derived_id(f"trade:{trade.id}:review:{attempt}:void"),
        pending_id=review_hold_id(trade, attempt),
        user_data=trade.id,
        flags=_VOID,
    )


def escrow_release_transfers(trade: Trade) -> list[Transfer]:
    """Post the hold in full, then pay the split out of the escrow account, all linked."""
    post = Transfer(
        acc.derived_id(f"trade:{trade.id}:escrow:post"),
        pending_id=hold_id(trade),
        amount=AMOUNT_MAX,
        user_data=trade.id,
        flags=_POST | _LINKED,
    )
    escrow = acc.escrow_account_id(trade.currency)
    legs = chain(
        f"trade:{trade.id}:escrow:release",
        split_legs(escrow, trade),
        ledger=acc.ledger_of(trade.currency),
        user_data=trade.id,
    )
    return [post, *legs]


def escrow_refund_transfers(trade: Trade) -> list[Transfer]:
    """Void the hold: the buyer's money was never moved, only reserved."""
    void = Transfer(
        acc.derived_id(f"trade:{trade.id}:escrow:void"),
        pending_id=hold_id(trade),
        user_data=trade.id,
        flags=_VOID,
    )
    return [void]


def refund_transfers(refund: Refund, trade: Trade) -> list[Transfer]:
    """Reverse the refund's legs back into the payer's wallet, as one chain."""
    currency, legs, payee = trade.currency, refund.legs, refund.payee_account_id
    reversed_legs = [
        Leg(
            "net",
            acc.merchant_account_id(trade.merchant_id, currency),
            payee,
            legs.net.minor,
            TransferCode.REFUND_NET,
        ),
        Leg("fee", acc.fee_account_id(currency), payee, legs.fee.minor, TransferCode.REFUND_FEE),
    ]
    if trade.partner_account_id is not None:
        reversed_legs.append(
            Leg(
                "commission",
                trade.partner_account_id,
                payee,
                legs.commission.minor,
                TransferCode.REFUND_COMMISSION,
            )
        )
    prefix = f"refund:{refund.id}:{refund.attempt}"
    return chain(prefix, reversed_legs, ledger=acc.ledger_of(currency), user_data=refund.id)


def funding_transfer(customer_id: str, amount: Money, reference: str) -> Transfer:
    currency = amount.asset
    return Transfer(
        acc.derived_id(f"funding:{customer_id}:{currency}:{reference}"),
        acc.funding_account_id(currency),
        acc.wallet_account_id(customer_id, currency),
        amount.minor,
        ledger=acc.ledger_of(currency),
        code=TransferCode.FUNDING,
    )


def verdict(results: Sequence[str], *, what: str) -> Verdict:
    """What the ledger's per-transfer results say about the whole step."""
    if not results:
        raise LedgerRefused(f"{what}: nothing was submitted")
    if results[0] == R.EXISTS or all(r == R.OK for r in results):
        return Verdict(applied=True)
    for result in results:
        if result in DECLINE_REASONS:
            return Verdict(applied=False, reason=DECLINE_REASONS[result])
    raise LedgerRefused(f"{what}: the ledger refused it", results=list(results))


def declined(outcome: Verdict, what: str, **details: Any) -> InsufficientFunds | PaymentDeclined:
    """The error a step the ledger declined answers: the balance could not cover it, or another
    reason the account's state gives (``reason`` in the details)."""
    if outcome.reason == "insufficient_funds":
        return InsufficientFunds(f"the wallet balance does not cover the {what}", **details)
    return PaymentDeclined(f"the {what} was declined", reason=outcome.reason, **details)
