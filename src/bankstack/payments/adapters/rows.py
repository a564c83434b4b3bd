"""Rows <-> records for the payments tables. Ids travel as 32-character hex strings."""

from __future__ import annotations

from typing import Any

from bankstack.kernel.money import Money
from bankstack.payments.domain import Trade, TradeStatus
from bankstack.payments.fees import Split
from bankstack.payments.records import (
    DeadlineAction,
    Escrow,
    EscrowStatus,
    EscrowTerms,
    Merchant,
    PaymentCode,
    Refund,
    RefundStatus,
    RiskCheck,
    RiskCheckStatus,
    Wallet,
)

Row = Any  # a SQLAlchemy Row, read by column name


def hex_id(value: int) -> str:
    return f"{value:032x}"


def opt_hex(value: int | None) -> str | None:
    return None if value is None else hex_id(value)


def int_id(value: str) -> int:
    return int(value, 16)


def opt_int(value: str | None) -> int | None:
    return None if value is None else int_id(value)


def merchant_row(m: Merchant) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "currency": m.currency,
        "fee_ppm": m.fee_ppm,
        "partner_id": m.partner_id,
        "commission_ppm": m.commission_ppm,
        "settlement_account_id": hex_id(m.settlement_account_id),
        "partner_account_id": opt_hex(m.partner_account_id),
        "created_at": m.created_at,
    }


def merchant_from(r: Row) -> Merchant:
    return Merchant(
        id=r.id,
        name=r.name,
        currency=r.currency,
        fee_ppm=r.fee_ppm,
        partner_id=r.partner_id,
        commission_ppm=r.commission_ppm,
        settlement_account_id=int_id(r.settlement_account_id),
        partner_account_id=opt_int(r.partner_account_id),
        created_at=r.created_at,
    )


def wallet_row(w: Wallet) -> dict[str, Any]:
    return {
        "customer_id": w.customer_id,
        "currency": w.currency,
        "account_id": hex_id(w.account_id),
        "created_at": w.created_at,
    }


def wallet_from(r: Row) -> Wallet:
    return Wallet(
        customer_id=r.customer_id,
        currency=r.currency,
        account_id=int_id(r.account_id),
        created_at=r.created_at,
    )


def _escrow_columns(t: Trade) -> dict[str, Any]:
    terms, escrow = t.escrow_terms, t.escrow
    return {
        "escrow_deadline_s": terms.deadline_s if terms else None,
        "escrow_on_deadline": terms.on_deadline.value if terms else None,
        "escrow_status": escrow.status.value if escrow else None,
        "escrow_deadline_at": escrow.deadline_at if escrow else None,
        "escrow_version": escrow.version if escrow else 0,
        "escrow_dispute_reason": escrow.dispute_reason if escrow else None,
        "escrow_resolved_by": escrow.resolved_by if escrow else None,
    }


def trade_state(t: Trade) -> dict[str, Any]:
    """The columns a trade's state changes may touch."""
    return {
        "status": t.status.value,
        "payer_id": t.payer_id,
        "payer_account_id": opt_hex(t.payer_account_id),
        "pay_attempt": t.pay_attempt,
        "processing_since": t.processing_since,
        "paid_amount": t.paid.minor,
        "refunded_amount": t.refunded.total.minor,
        "refunded_net": t.refunded.net.minor,
        "refunded_fee": t.refunded.fee.minor,
        "refunded_commission": t.refunded.commission.minor,
        "paid_at": t.paid_at,
        "settled_at": t.settled_at,
        "closed_at": t.closed_at,
        "version": t.version,
        **_escrow_columns(t),
    }


def trade_row(t: Trade) -> dict[str, Any]:
    return {
        "id": hex_id(t.id),
        "merchant_id": t.merchant_id,
        "out_trade_no": t.out_trade_no,
        "subject": t.subject,
        "currency": t.currency,
        "amount": t.amount.minor,
        "net_amount": t.split.net.minor,
        "fee_amount": t.split.fee.minor,
        "commission_amount": t.split.commission.minor,
        "buyer_id": t.buyer_id,
        "partner_account_id": opt_hex(t.partner_account_id),
        "timeout_s": t.timeout_s,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        **trade_state(t),
    }


def _split(currency: str, net: int, fee: int, commission: int) -> Split:
    return Split(Money(net, currency), Money(fee, currency), Money(commission, currency))


def _escrow_from(r: Row) -> tuple[EscrowTerms | None, Escrow | None]:
    if r.escrow_deadline_s is None:
        return None, None
    terms = EscrowTerms(r.escrow_deadline_s, DeadlineAction(r.escrow_on_deadline))
    if r.escrow_status is None:
        return terms, None
    escrow = Escrow(
        status=EscrowStatus(r.escrow_status),
        deadline_at=r.escrow_deadline_at,
        version=r.escrow_version,
        dispute_reason=r.escrow_dispute_reason,
        resolved_by=r.escrow_resolved_by,
    )
    return terms, escrow


def trade_from(r: Row) -> Trade:
    c = r.currency
    terms, escrow = _escrow_from(r)
    return Trade(
        id=int_id(r.id),
        merchant_id=r.merchant_id,
        out_trade_no=r.out_trade_no,
        subject=r.subject,
        amount=Money(r.amount, c),
        split=_split(c, r.net_amount, r.fee_amount, r.commission_amount),
        status=TradeStatus(r.status),
        created_at=r.created_at,
        expires_at=r.expires_at,
        timeout_s=r.timeout_s,
        buyer_id=r.buyer_id,
        payer_id=r.payer_id,
        payer_account_id=opt_int(r.payer_account_id),
        partner_account_id=opt_int(r.partner_account_id),
        pay_attempt=r.pay_attempt,
        processing_since=r.processing_since,
        paid=Money(r.paid_amount, c),
        refunded=_split(c, r.refunded_net, r.refunded_fee, r.refunded_commission),
        paid_at=r.paid_at,
        settled_at=r.settled_at,
        closed_at=r.closed_at,
        escrow_terms=terms,
        escrow=escrow,
        version=r.version,
    )


def refund_row(f: Refund) -> dict[str, Any]:
    return {
        "id": hex_id(f.id),
        "trade_id": hex_id(f.trade_id),
        "merchant_id": f.merchant_id,
        "out_trade_no": f.out_trade_no,
        "out_refund_no": f.out_refund_no,
        "currency": f.amount.asset,
        "amount": f.amount.minor,
        "net_amount": f.legs.net.minor,
        "fee_amount": f.legs.fee.minor,
        "commission_amount": f.legs.commission.minor,
        "status": f.status.value,
        "attempt": f.attempt,
        "payee_account_id": hex_id(f.payee_account_id),
        "reason": f.reason,
        "failure_code": f.failure_code,
        "processing_since": f.processing_since,
        "created_at": f.created_at,
        "succeeded_at": f.succeeded_at,
        "version": f.version,
    }


def refund_from(r: Row) -> Refund:
    c = r.currency
    return Refund(
        id=int_id(r.id),
        trade_id=int_id(r.trade_id),
        merchant_id=r.merchant_id,
        out_trade_no=r.out_trade_no,
        out_refund_no=r.out_refund_no,
        amount=Money(r.amount, c),
        legs=_split(c, r.net_amount, r.fee_amount, r.commission_amount),
        status=RefundStatus(r.status),
        attempt=r.attempt,
        payee_account_id=int_id(r.payee_account_id),
        created_at=r.created_at,
        reason=r.reason,
        failure_code=r.failure_code,
        processing_since=r.processing_since,
        succeeded_at=r.succeeded_at,
        version=r.version,
    )


def code_row(c: PaymentCode) -> dict[str, Any]:
    return {
        "code_hash": c.code_hash,
        "customer_id": c.customer_id,
        "issued_at": c.issued_at,
        "expires_at": c.expires_at,
        "used_at": c.used_at,
        "trade_id": opt_hex(c.trade_id),
    }


def code_from(r: Row) -> PaymentCode:
    return PaymentCode(
        code_hash=r.code_hash,
        customer_id=r.customer_id,
        issued_at=r.issued_at,
        expires_at=r.expires_at,
        used_at=r.used_at,
        trade_id=opt_int(r.trade_id),
    )


def risk_check_row(c: RiskCheck) -> dict[str, Any]:
    return {
        "trade_id": hex_id(c.trade_id),
        "payer_id": c.payer_id,
        "decision_id": c.decision_id,
        "status": c.status.value,
        "code_hash": c.code_hash,
        "code_expires_at": c.code_expires_at,
        "code_attempts": c.code_attempts,
        "hold_attempt": c.hold_attempt,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def risk_check_from(r: Row) -> RiskCheck:
    return RiskCheck(
        trade_id=int_id(r.trade_id),
        payer_id=r.payer_id,
        decision_id=r.decision_id,
        status=RiskCheckStatus(r.status),
        code_hash=r.code_hash,
        code_expires_at=r.code_expires_at,
        code_attempts=r.code_attempts,
        hold_attempt=r.hold_attempt,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )
