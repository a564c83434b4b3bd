"""Risk screening of a payment, before any money moves.

``screen`` asks the risk engine about one payer paying one trade and acts on the answer:

- **accept**: go ahead.
- **reject**: ``RiskRejected``; remembered per (trade, payer), so a retry is refused without
  asking again.
- **challenge**: a one-time code (6 digits, valid ``challenge_ttl_s``, at most
  ``challenge_max_attempts`` tries; only its SHA-256 stored) goes to the customer through the
  ``CodeSender``, and the call answers ``ChallengeRequired``. ``confirm_challenge`` checks
  the code; the next payment call then goes ahead without asking risk again.
- **review**: the caller pays into a hold instead of paying the merchant (review.py) and a
  person decides the case.

A payer resuming the attempt in flight, or a trade already held for review, is not asked again.
Screening runs before the trade is claimed, with no lock held: the decision takes
milliseconds, and two racing calls at worst ask twice (both decisions are recorded).

The one-time code helpers at the end (draw, send, check) serve customer transfers too (p2p.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import Enum

from bankstack.kernel.clock import NS_PER_SECOND
from bankstack.payments.commands import TradeRef
from bankstack.payments.domain import Trade, TradeStatus
from bankstack.payments.errors import (
    ChallengeCodeInvalid,
    ChallengeExpired,
    ChallengeRequired,
    NoChallenge,
    RiskRejected,
)
from bankstack.payments.ports import Deps
from bankstack.payments.records import RiskCheck, RiskCheckStatus
from bankstack.payments.trading import find_trade
from bankstack.risk import Decision, EventKind, EventSubject, Outcome, RiskEvent

CODE_DIGITS = 6


@dataclass(frozen=True, slots=True)
class PayerContext:
    """What the request knows about the payer's session (cashier page, app)."""

    device_id: str | None = None
    ip: str | None = None
    channel: str = "api"


@dataclass(frozen=True, slots=True)
class Screen:
    review_decision: str | None = None  # set: pay into a hold for this review decision


ACCEPTED = Screen()


def risk_event_id(trade_id: int, payer_id: str) -> str:
    """One risk event per (trade, payer): the id the case and the decision log carry."""
    return f"trade:{trade_id}:{payer_id}"


def trade_payer_of(event_id: str) -> tuple[int, str] | None:
    """The (trade id, payer) of a risk event id made by ``risk_event_id``; None for others."""
    kind, _, rest = event_id.partition(":")
    trade, _, payer = rest.partition(":")
    if kind != "trade" or not trade.isdigit() or not payer:
        return None
    return int(trade), payer


def screen(deps: Deps, ref: TradeRef, payer_id: str, context: PayerContext) -> Screen:
    if deps.risk is None:
        return ACCEPTED
    with deps.store.read() as uow:
        trade = find_trade(uow, ref)
        check = uow.risk_checks.get(trade.id, payer_id)
        wallet = uow.wallets.get(payer_id, trade.currency)
    if trade.status is not TradeStatus.WAITING:
        return ACCEPTED  # a retry of the attempt in flight, or the trade's own errors follow
    if check is not None and check.status is not RiskCheckStatus.CHALLENGED:
        return _replay(check, trade)
    opened = wallet.created_at if wallet is not None and wallet.created_at > 0 else None
    decision = deps.risk.decide(_event(deps, trade, payer_id, context, opened))
    return _act(deps, trade, payer_id, decision)


def _event(
    deps: Deps, trade: Trade, payer_id: str, context: PayerContext, opened: int | None
) -> RiskEvent:
    return RiskEvent(
        event_id=risk_event_id(trade.id, payer_id),
        kind=EventKind.PAYMENT,
        occurred_at=deps.clock.now_ns(),
        customer_id=payer_id,
        amount=trade.amount,
        merchant_id=trade.merchant_id,
        device_id=context.device_id,
        ip=context.ip,
        channel=context.channel,
        customer_since=opened,  # account age from the wallet, not from what risk has seen
        subject=EventSubject("trade", str(trade.id)),
    )


def _replay(check: RiskCheck, trade: Trade) -> Screen:
    if check.status is RiskCheckStatus.REJECTED:
        raise _rejected(check.decision_id, trade, ())
    return ACCEPTED  # confirmed (or a finished hold: the trade's own state decides)


def _act(deps: Deps, trade: Trade, payer_id: str, decision: Decision) -> Screen:
    outcome = decision.outcome
    if outcome is Outcome.ACCEPT:
        return ACCEPTED
    if outcome is Outcome.REVIEW:
        return Screen(review_decision=decision.decision_id)
    now = deps.clock.now_ns()
    if outcome is Outcome.REJECT:
        _put(deps, _check(trade, payer_id, decision, RiskCheckStatus.REJECTED, now))
        raise _rejected(decision.decision_id, trade, decision.codes)
    code, hashed = draw_code()
    challenged = _check(trade, payer_id, decision, RiskCheckStatus.CHALLENGED, now)
    _put(
        deps,
        challenged.moved(
            challenged.status, now, code_hash=hashed, code_expires_at=code_expiry(deps, now)
        ),
    )
    send_code(deps, payer_id, code, f"confirm paying {trade.amount} to {trade.merchant_id}")
    raise ChallengeRequired(
        "confirm the payment with the one-time code sent to the customer",
        trade_id=str(trade.id),
        decision_id=decision.decision_id,
    )


def confirm_challenge(deps: Deps, ref: TradeRef, payer_id: str, code: str) -> None:
    """Check the payer's one-time code; on success the next payment call goes ahead."""
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        trade = find_trade(uow, ref)
        check = uow.risk_checks.get(trade.id, payer_id, lock=True)
        if check is None or check.status is not RiskCheckStatus.CHALLENGED:
            if check is not None and check.status is RiskCheckStatus.CONFIRMED:
                return  # a retry of a confirmation that worked
            raise NoChallenge("no challenge is waiting for this payer", trade_id=str(trade.id))
        tries = check.code_attempts + 1
        verdict = check_code(deps, code, check.code_hash, check.code_expires_at, tries, now)
        if verdict is CodeCheck.EXPIRED:
            raise ChallengeExpired("the code expired; pay again to get a new one")
        if verdict is CodeCheck.WRONG:
            uow.risk_checks.put(check.moved(check.status, now, code_attempts=tries))
            uow.commit()
            raise wrong_code(deps, tries)
        uow.risk_checks.put(check.moved(RiskCheckStatus.CONFIRMED, now, code_hash=None))
        uow.commit()


def _check(
    trade: Trade, payer_id: str, decision: Decision, status: RiskCheckStatus, now: int
) -> RiskCheck:
    return RiskCheck(
        trade_id=trade.id,
        payer_id=payer_id,
        decision_id=decision.decision_id,
        status=status,
        created_at=now,
        updated_at=now,
    )


def _put(deps: Deps, check: RiskCheck) -> None:
    with deps.store.write() as uow:
        uow.risk_checks.put(check)
        uow.commit()


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


# -- one-time codes, shared with customer transfers (p2p.py) ------------------------------


class CodeCheck(Enum):
    RIGHT = "right"
    WRONG = "wrong"
    EXPIRED = "expired"  # past its ttl, or tried too often: a new one must be asked for


def draw_code() -> tuple[str, str]:
    """A fresh one-time code, and its SHA-256: the only form of it that is stored."""
    code = str(secrets.randbelow(10**CODE_DIGITS)).zfill(CODE_DIGITS)
    return code, _hash(code)


def code_expiry(deps: Deps, now: int) -> int:
    return now + deps.config.challenge_ttl_s * NS_PER_SECOND


def send_code(deps: Deps, customer_id: str, code: str, purpose: str) -> None:
    """Send the code once it is stored: a code that reached the phone always works."""
    if deps.codes is not None:
        deps.codes.send(customer_id, code, purpose)


def check_code(
    deps: Deps, code: str, stored: str | None, expires_at: int | None, tries: int, now: int
) -> CodeCheck:
    """Judge ``code`` against the stored hash; ``tries`` counts this try. Compared in constant
    time, so the answer's timing tells nothing about the code."""
    spent = tries > deps.config.challenge_max_attempts
    if spent or expires_at is None or expires_at <= now:
        return CodeCheck.EXPIRED
    if stored is None or not hmac.compare_digest(stored, _hash(code)):
        return CodeCheck.WRONG
    return CodeCheck.RIGHT


def wrong_code(deps: Deps, tries: int) -> ChallengeCodeInvalid:
    return ChallengeCodeInvalid(
        "the code is not right", field="code", tries_left=deps.config.challenge_max_attempts - tries
    )


def _rejected(decision_id: str, trade: Trade, codes: tuple[str, ...]) -> RiskRejected:
    return RiskRejected(
        "the payment was declined by risk screening",
        trade_id=str(trade.id),
        decision_id=decision_id,
        reasons=list(codes),
    )
