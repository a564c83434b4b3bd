"""Customer-to-customer transfers: screened by risk before the ledger, moved at most once.

``send_money`` names the transfer by the sender's ``reference`` (the id is derived from it,
accounts.customer_transfer_id), so a retry or a concurrent duplicate names the same transfer
before anything is stored. A transfer already stored answers as it stands: the same one again,
its rejection or decline again, ``transfer_reference_conflict`` for another recipient or
amount. Otherwise risk is asked (event ``transfer:<id>``, with no lock held, as payments do) and
its answer is stored with the transfer, and its event, in one transaction:

- **accept**: ``processing``, then the move is submitted and settled ``completed``;
- **review**: ``processing`` with ``via_hold``, then the pending hold is submitted and settled
  ``held_for_review``; its case decides later (p2p_review.py);
- **challenge**: ``pending_challenge`` with the code's hash; the code is sent once stored and
  ``ChallengeRequired`` raised. ``confirm_transfer`` with the right code makes it
  ``processing`` and completes it; sending again asks risk again (and sends a new code);
- **reject**: ``rejected``, and ``RiskRejected`` now and on every retry.

``processing`` is written before the ledger is asked, so a step in flight is never forgotten:
a retry, a confirmation or the worker (lifecycle.recover_in_flight) resubmits it with the same
derived id and settles it. A step the ledger declines (insufficient funds) settles ``failed``:
the ledger remembers the declined id forever, so the reference stays declined too.
"""

from __future__ import annotations

import dataclasses

from bankstack.payments import events
from bankstack.payments.commands import SendMoney, TransferRef
from bankstack.payments.errors import (
    ChallengeExpired,
    ChallengeRequired,
    InsufficientFunds,
    NoChallenge,
    PaymentDeclined,
    RiskRejected,
    TransferNotFound,
    TransferReferenceConflict,
    WalletNotFound,
)
from bankstack.payments.p2p_ledger import in_flight_step
from bankstack.payments.ports import Deps, PaymentsUnitOfWork
from bankstack.payments.records import CustomerTransfer, TransferStatus
from bankstack.payments.screening import (
    CodeCheck,
    PayerContext,
    check_code,
    code_expiry,
    draw_code,
    send_code,
    wrong_code,
)
from bankstack.payments.transfers import Verdict, declined, verdict
from bankstack.risk import Decision, EventKind, EventSubject, Outcome, RiskEvent

S = TransferStatus


def risk_event_id(transfer_id: int) -> str:
    """The risk event (and case reference) of a transfer: at most 48 characters."""
    return f"transfer:{transfer_id}"


def transfer_of(event_id: str) -> int | None:
    """The transfer id of an event id made by ``risk_event_id``; None for others."""
    kind, _, rest = event_id.partition(":")
    if kind != "transfer" or not rest.isascii() or not rest.isdigit():
        return None
    return int(rest)


def send_money(deps: Deps, cmd: SendMoney, context: PayerContext | None = None) -> CustomerTransfer:
    """Send money wallet to wallet, once per (sender, reference), after risk screening."""
    opened, existing = _look(deps, cmd)
    if existing is not None and existing.status is not S.PENDING_CHALLENGE:
        return replay(deps, existing)
    decision = _decide(deps, cmd, context or PayerContext(), opened)
    transfer, code = _record(deps, cmd, decision)
    if code is not None:
        send_code(deps, cmd.sender, code, f"confirm sending {cmd.amount} to {cmd.recipient}")
    ours = decision is not None and transfer.decision_id == decision.decision_id
    return replay(deps, transfer, reasons=decision.codes if decision and ours else ())


def _look(deps: Deps, cmd: SendMoney) -> tuple[int | None, CustomerTransfer | None]:
    """When the sender's wallet opened (risk's account age), and the transfer if stored."""
    currency = cmd.amount.asset
    with deps.store.read() as uow:
        sender = uow.wallets.get(cmd.sender, currency)
        recipient = uow.wallets.get(cmd.recipient, currency)
        existing = uow.transfers.get(cmd.transfer_id)
    opened = sender.created_at if sender is not None and sender.created_at > 0 else None
    if existing is not None:
        return opened, _same(cmd, existing)
    missing = cmd.sender if sender is None else cmd.recipient if recipient is None else None
    if missing is not None:
        raise WalletNotFound(
            f"{missing!r} has no {currency} wallet", customer_id=missing, currency=currency
        )
    return opened, None


def _same(cmd: SendMoney, stored: CustomerTransfer) -> CustomerTransfer:
    if not stored.same_request(cmd.recipient, cmd.amount):
        raise TransferReferenceConflict(
            "the reference names another transfer of this sender",
            reference=cmd.reference,
            transfer_id=str(stored.id),
        )
    return stored


def _decide(
    deps: Deps, cmd: SendMoney, context: PayerContext, opened: int | None
) -> Decision | None:
    if deps.risk is None:
        return None
    event = RiskEvent(
        event_id=risk_event_id(cmd.transfer_id),
        kind=EventKind.TRANSFER,
        occurred_at=deps.clock.now_ns(),
        customer_id=cmd.sender,
        amount=cmd.amount,
        counterparty_id=cmd.recipient,
        device_id=context.device_id,
        ip=context.ip,
        channel=context.channel,
        customer_since=opened,  # account age from the wallet, not from what risk has seen
        subject=EventSubject("transfer", str(cmd.transfer_id)),
    )
    return deps.risk.decide(event)


def _screened(
    deps: Deps, cmd: SendMoney, decision: Decision | None, now: int
) -> tuple[CustomerTransfer, str | None]:
    """The transfer as risk's answer makes it, and the one-time code to send, if any."""
    fresh = CustomerTransfer(
        id=cmd.transfer_id,
        sender=cmd.sender,
        recipient=cmd.recipient,
        amount=cmd.amount,
        reference=cmd.reference,
        status=S.PROCESSING,
        created_at=now,
        updated_at=now,
        decision_id=None if decision is None else decision.decision_id,
        processing_since=now,
    )
    outcome = Outcome.ACCEPT if decision is None else decision.outcome
    if outcome is Outcome.ACCEPT:
        return fresh, None
    if outcome is Outcome.REVIEW:
        return dataclasses.replace(fresh, via_hold=True), None
    if outcome is Outcome.REJECT:
        return dataclasses.replace(fresh, status=S.REJECTED, processing_since=None), None
    code, hashed = draw_code()
    challenged = dataclasses.replace(
        fresh,
        status=S.PENDING_CHALLENGE,
        processing_since=None,
        code_hash=hashed,
        code_expires_at=code_expiry(deps, now),
    )
    return challenged, code


def _record(
    deps: Deps, cmd: SendMoney, decision: Decision | None
) -> tuple[CustomerTransfer, str | None]:
    """Store risk's answer with its event. A transfer another call stored first (or confirmed
    since) wins: this call then answers that one, and has no code to send."""
    now = deps.clock.now_ns()
    fresh, code = _screened(deps, cmd, decision, now)
    with deps.store.write() as uow:
        stored = uow.transfers.get(fresh.id, lock=True)
        if stored is None and uow.transfers.add(fresh):
            transfer = fresh
        elif stored is not None and stored.status is S.PENDING_CHALLENGE:
            transfer = stored.moved(
                fresh.status,
                now,
                decision_id=fresh.decision_id,
                via_hold=fresh.via_hold,
                code_hash=fresh.code_hash,
                code_expires_at=fresh.code_expires_at,
                code_attempts=0,
            )
            uow.transfers.update(_same(cmd, transfer))
        else:
            return _same(cmd, stored or _get(uow, fresh.id)), None
        _announce(uow, transfer, now)
        uow.commit()
    return transfer, code


def replay(
    deps: Deps, transfer: CustomerTransfer, reasons: tuple[str, ...] = ()
) -> CustomerTransfer:
    """Answer a stored transfer: resume a step in flight, repeat a refusal, or return it."""
    status = transfer.status
    if status is S.PROCESSING:
        return resume_transfer(deps, transfer)
    if status is S.REJECTED:
        raise RiskRejected(
            "the transfer was declined by risk screening",
            transfer_id=str(transfer.id),
            decision_id=transfer.decision_id,
            reasons=list(reasons),
        )
    if status is S.FAILED:
        raise _declined(transfer)
    if status is S.PENDING_CHALLENGE:
        raise ChallengeRequired(
            "confirm the transfer with the one-time code sent to the sender",
            transfer_id=str(transfer.id),
            decision_id=transfer.decision_id,
        )
    return transfer  # completed, held for review, returned


def resume_transfer(deps: Deps, claimed: CustomerTransfer) -> CustomerTransfer:
    """Submit a ``processing`` transfer's step (same derived id on every call) and settle it."""
    results = deps.ledger.create_transfers([in_flight_step(claimed)])
    outcome = verdict(results, what="customer transfer")
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        current = _get(uow, claimed.id, lock=True)
        if current.status is S.PROCESSING:
            if not outcome.applied:
                current = current.moved(S.FAILED, now, failure_code=outcome.reason)
            elif current.via_hold:
                current = current.moved(S.HELD_FOR_REVIEW, now)
            else:
                current = current.moved(S.COMPLETED, now, completed_at=now)
            uow.transfers.update(current)
            _announce(uow, current, now)
            uow.commit()
    if current.status is S.FAILED:
        raise _declined(current)
    return current  # or as another caller settled the same step first


def confirm_transfer(deps: Deps, ref: TransferRef, code: str) -> CustomerTransfer:
    """Check the sender's one-time code; the right one sends the money."""
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        transfer = _get(uow, ref.transfer_id, lock=True)
        if transfer.status is not S.PENDING_CHALLENGE:
            if transfer.status in {S.PROCESSING, S.COMPLETED} and not transfer.via_hold:
                claimed = transfer  # a retry of a confirmation that worked
            else:
                raise NoChallenge("no challenge is waiting for this transfer", **_ids(transfer))
        else:
            tries = transfer.code_attempts + 1
            judged = check_code(
                deps, code, transfer.code_hash, transfer.code_expires_at, tries, now
            )
            if judged is CodeCheck.EXPIRED:
                raise ChallengeExpired("the code expired; send again to get a new one")
            if judged is CodeCheck.WRONG:
                uow.transfers.update(transfer.moved(transfer.status, now, code_attempts=tries))
                uow.commit()
                raise wrong_code(deps, tries)
            claimed = transfer.moved(S.PROCESSING, now, code_hash=None, code_expires_at=None)
            uow.transfers.update(claimed)
            uow.commit()
    return replay(deps, claimed)


def get_transfer(deps: Deps, ref: TransferRef) -> CustomerTransfer:
    with deps.store.read() as uow:
        return _get(uow, ref.transfer_id)


def _get(uow: PaymentsUnitOfWork, transfer_id: int, *, lock: bool = False) -> CustomerTransfer:
    transfer = uow.transfers.get(transfer_id, lock=lock)
    if transfer is None:
        raise TransferNotFound("no such transfer", transfer_id=str(transfer_id))
    return transfer


def _announce(uow: PaymentsUnitOfWork, transfer: CustomerTransfer, now: int) -> None:
    record = events.transfer_status_event(transfer, now)
    if record is not None:
        uow.outbox.add(record)


def _ids(transfer: CustomerTransfer) -> dict[str, str]:
    return {"transfer_id": str(transfer.id), "status": transfer.status.value}


def _declined(transfer: CustomerTransfer) -> InsufficientFunds | PaymentDeclined:
    outcome = Verdict(applied=False, reason=transfer.failure_code)
    return declined(outcome, "transfer", transfer_id=str(transfer.id))
