"""The trade and the rules of its state changes, pure (no I/O, no clock).

A trade moves ``waiting -> processing -> succeeded`` (paid) or ``waiting -> closed``
(closed unpaid, cancelled or expired); ``processing`` means a payment attempt was claimed
and its ledger chain is in flight, and falls back to ``waiting`` if the ledger declines.
A paid trade becomes ``closed`` when everything paid has been refunded (as Alipay's
TRADE_CLOSED). An escrow ("guaranteed") trade additionally carries an ``Escrow`` once paid:
``held -> releasing -> released`` or ``held -> refunding -> refunded``, with ``disputed``
freezing it until staff resolve it to one side. The ``-ing`` states mark a ledger
submission in flight, so that two callers can never submit opposite movements.

Every transition returns a new record with ``version`` (or the escrow's own version) one
higher; events carry that version, so consumers keep the newest state of each object.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from bankstack.kernel.money import Money
from bankstack.payments import errors
from bankstack.payments.fees import Split
from bankstack.payments.records import (
    DeadlineAction,
    Escrow,
    EscrowStatus,
    EscrowTerms,
)


class TradeStatus(StrEnum):
    WAITING = "waiting"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Trade:
    id: int
    merchant_id: str
    out_trade_no: str
    subject: str
    amount: Money
    split: Split
    status: TradeStatus
    created_at: int
    expires_at: int
    timeout_s: int
    buyer_id: str | None = None
    payer_id: str | None = None
    payer_account_id: int | None = None
    partner_account_id: int | None = None
    pay_attempt: int = 0
    processing_since: int | None = None
    paid: Money
    refunded: Split
    paid_at: int | None = None
    settled_at: int | None = None
    closed_at: int | None = None
    escrow_terms: EscrowTerms | None = None
    escrow: Escrow | None = None
    version: int = 1

    @property
    def currency(self) -> str:
        return self.amount.asset

    @property
    def refunded_amount(self) -> Money:
        return self.refunded.total

    @property
    def refundable(self) -> Money:
        return self.paid - self.refunded.total

    def _next(self, **changes: object) -> Trade:
        return dataclasses.replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]

    # -- creation idempotency --------------------------------------------------------------

    def same_request(
        self,
        *,
        amount: Money,
        subject: str,
        buyer_id: str | None,
        timeout_s: int,
        escrow: EscrowTerms | None,
    ) -> bool:
        """True when a create with these parameters asks for this very trade."""
        return (amount, subject, buyer_id, timeout_s, escrow) == (
            self.amount,
            self.subject,
            self.buyer_id,
            self.timeout_s,
            self.escrow_terms,
        )

    # -- payment ---------------------------------------------------------------------------

    def check_payable(self, now: int) -> None:
        """Raise unless a new payment attempt may start (``waiting`` and not expired)."""
        if self.status is TradeStatus.SUCCEEDED:
            raise errors.TradeAlreadyPaid("the trade is already paid", trade_id=str(self.id))
        if self.status is TradeStatus.CLOSED or self.is_expired(now):
            raise errors.TradeClosed("the trade is closed", trade_id=str(self.id))
        if self.status is TradeStatus.PROCESSING:
            raise errors.TradePaymentInProgress(
                "another payment of this trade is in progress", trade_id=str(self.id)
            )

    def is_expired(self, now: int) -> bool:
        return self.status is TradeStatus.WAITING and self.expires_at <= now

    def begin_payment(self, payer_id: str, account_id: int, now: int) -> Trade:
        self.check_payable(now)
        if self.buyer_id is not None and payer_id != self.buyer_id:
            raise errors.TradeBuyerMismatch(
                "this trade is for another buyer", trade_id=str(self.id)
            )
        return self._next(
            status=TradeStatus.PROCESSING,
            payer_id=payer_id,
            payer_account_id=account_id,
            pay_attempt=self.pay_attempt + 1,
            processing_since=now,
        )

    def complete_payment(self, now: int) -> Trade:
        escrow = None
        if self.escrow_terms is not None:
            deadline = now + self.escrow_terms.deadline_s * 1_000_000_000
            escrow = Escrow(status=EscrowStatus.HELD, deadline_at=deadline)
        return self._next(
            status=TradeStatus.SUCCEEDED,
            paid=self.amount,
            paid_at=now,
            settled_at=None if escrow else now,
            escrow=escrow,
            processing_since=None,
        )

    def close_held(self, now: int) -> Trade:
        """The review confirmed fraud: the held payment is void and the trade closed."""
        if self.status is not TradeStatus.PROCESSING:
            raise errors.TradeNotPaid("the trade is not held for review", trade_id=str(self.id))
        return self._next(
            status=TradeStatus.CLOSED,
            payer_id=None,
            payer_account_id=None,
            processing_since=None,
            closed_at=now,
        )

    def abandon_payment(self) -> Trade:
        """The ledger declined the attempt: back to ``waiting`` for another try."""
        return self._next(
            status=TradeStatus.WAITING,
            payer_id=None,
            payer_account_id=None,
            processing_since=None,
        )

    def close(self, now: int) -> Trade:
        if self.status is TradeStatus.SUCCEEDED:
            raise errors.TradeAlreadyPaid("a paid trade cannot be closed", trade_id=str(self.id))
        if self.status is TradeStatus.PROCESSING:
            raise errors.TradePaymentInProgress(
                "a payment of this trade is in progress", trade_id=str(self.id)
            )
        return self._next(status=TradeStatus.CLOSED, closed_at=now)

    # -- refunds ---------------------------------------------------------------------------

    def check_refundable(self, amount: Money) -> None:
        if amount.asset != self.currency:
            raise errors.CurrencyMismatch(
                f"the trade is in {self.currency}", trade_id=str(self.id), currency=amount.asset
            )
        if self.status in {TradeStatus.WAITING, TradeStatus.PROCESSING}:
            raise errors.TradeNotPaid("the trade is not paid", trade_id=str(self.id))
        if self.status is TradeStatus.CLOSED:
            raise errors.TradeClosed("the trade is closed", trade_id=str(self.id))
        if self.escrow is not None and self.escrow.status is not EscrowStatus.RELEASED:
            if self.escrow.status is EscrowStatus.DISPUTED:
                raise errors.EscrowDisputed("the escrow is disputed", trade_id=str(self.id))
            raise errors.EscrowNotReleased(
                "the payment is still in escrow; refund it through the escrow",
                trade_id=str(self.id),
            )
        if amount > self.refundable:
            raise errors.RefundExceedsPaid(
                "the refund exceeds what is left to refund",
                trade_id=str(self.id),
                refundable=self.refundable.minor,
                requested=amount.minor,
            )

    def reserve_refund(self, legs: Split) -> Trade:
        return self._next(refunded=self.refunded + legs)

    def release_refund(self, legs: Split) -> Trade:
        return self._next(refunded=self.refunded - legs)

    def close_if_fully_refunded(self, now: int, *, refunds_in_flight: int) -> Trade:
        """Closed once all that was paid is refunded and no refund is still in flight (one
        in flight may yet be declined and give its amount back)."""
        if (
            self.status is TradeStatus.SUCCEEDED
            and self.refundable.minor == 0
            and refunds_in_flight == 0
        ):
            return self._next(status=TradeStatus.CLOSED, closed_at=now)
        return self

    # -- escrow ----------------------------------------------------------------------------

    def held_escrow(self) -> Escrow:
        if self.escrow is None:
            if self.escrow_terms is None:
                raise errors.NotAnEscrowTrade("not an escrow trade", trade_id=str(self.id))
            raise errors.TradeNotPaid("the trade is not paid", trade_id=str(self.id))
        return self.escrow

    def begin_escrow(
        self, action: DeadlineAction, now: int, *, resolver: str | None = None
    ) -> Trade:
        """Claim the escrow for a release or a refund; ``resolver`` (staff) only for a
        disputed one, which nothing else may touch."""
        escrow = self.held_escrow()
        if resolver is None and escrow.status is EscrowStatus.DISPUTED:
            raise errors.EscrowDisputed("the escrow is disputed", trade_id=str(self.id))
        if resolver is not None and escrow.status is not EscrowStatus.DISPUTED:
            raise errors.EscrowNotDisputed("the escrow is not disputed", trade_id=str(self.id))
        if resolver is None and escrow.status is not EscrowStatus.HELD:
            raise errors.EscrowNotHeld(
                f"the escrow is {escrow.status.value}", trade_id=str(self.id)
            )
        status = (
            EscrowStatus.RELEASING if action is DeadlineAction.RELEASE else EscrowStatus.REFUNDING
        )
        return self._with_escrow(escrow, status=status, resolved_by=resolver, processing_since=now)

    def finish_escrow(self, now: int) -> Trade:
        escrow = self.held_escrow()
        if escrow.status is EscrowStatus.RELEASING:
            return self._with_escrow(
                escrow, status=EscrowStatus.RELEASED, settled_at=now, processing_since=None
            )
        if escrow.status is EscrowStatus.REFUNDING:
            return self._with_escrow(
                escrow,
                status=EscrowStatus.REFUNDED,
                refunded=self.split,
                trade_status=TradeStatus.CLOSED,
                closed_at=now,
                processing_since=None,
            )
        raise errors.EscrowNotHeld(f"the escrow is {escrow.status.value}", trade_id=str(self.id))

    def dispute_escrow(self, reason: str) -> Trade:
        escrow = self.held_escrow()
        if escrow.status is EscrowStatus.DISPUTED:
            return self
        if escrow.status is not EscrowStatus.HELD:
            raise errors.EscrowNotHeld(
                f"the escrow is {escrow.status.value}", trade_id=str(self.id)
            )
        return self._with_escrow(escrow, status=EscrowStatus.DISPUTED, dispute_reason=reason)

    def _with_escrow(
        self,
        escrow: Escrow,
        *,
        status: EscrowStatus,
        trade_status: TradeStatus | None = None,
        **changes: object,
    ) -> Trade:
        names = ("dispute_reason", "resolved_by")
        escrow_fields = {k: changes.pop(k) for k in names if k in changes}
        new_escrow = dataclasses.replace(
            escrow,
            status=status,
            version=escrow.version + 1,
            **escrow_fields,  # type: ignore[arg-type]
        )
        return self._next(escrow=new_escrow, status=trade_status or self.status, **changes)
