"""Deciding a customer transfer held for risk review (the hold itself is made by p2p.py).

The review case's outcome (risk/cases, announced through the outbox and delivered by
adapters/risk_events.ReviewOutcomes) comes here:

- cleared (``release=True``): post the pending hold; the recipient has the money and the
  transfer is ``completed`` (``transfer.completed``, which the AML detectors read);
- fraud confirmed (``release=False``): void the hold; the sender's money never left and the
  transfer is ``returned`` (``transfer.returned``).

Both are idempotent: the post and the void have derived ids (a resubmission answers
``exists``), and a transfer already ``completed``/``returned`` is answered as it stands. A
case decided while the hold was still in flight (its caller died before submitting it) first
places the hold, with the same id as the caller would have, then decides it.
"""

from __future__ import annotations

from bankstack.ledger import TransferResult
from bankstack.payments import events
from bankstack.payments.commands import TransferRef
from bankstack.payments.errors import LedgerRefused, NoChallenge
from bankstack.payments.p2p import get_transfer, resume_transfer
from bankstack.payments.p2p_ledger import post_transfer, void_transfer
from bankstack.payments.ports import Deps
from bankstack.payments.records import CustomerTransfer, TransferStatus

S = TransferStatus
_APPLIED = frozenset({TransferResult.OK, TransferResult.EXISTS})


def resolve_transfer_review(deps: Deps, transfer_id: int, *, release: bool) -> CustomerTransfer:
    transfer = get_transfer(deps, TransferRef(transfer_id))
    if transfer.status is S.PROCESSING and transfer.via_hold:
        transfer = resume_transfer(deps, transfer)  # place the hold the caller left in flight
    if transfer.via_hold and transfer.status in {S.COMPLETED, S.RETURNED}:
        return transfer  # decided already (a case event delivered again)
    if transfer.status is not S.HELD_FOR_REVIEW:
        raise NoChallenge(
            "the transfer is not held for review",
            transfer_id=str(transfer.id),
            status=transfer.status.value,
        )
    step = post_transfer(transfer) if release else void_transfer(transfer)
    (result,) = deps.ledger.create_transfers([step])
    if result not in _APPLIED:
        what = "posted" if release else "voided"
        raise LedgerRefused(f"the review hold cannot be {what}", result=result)
    return _settle(deps, transfer, release=release)


def _settle(deps: Deps, held: CustomerTransfer, *, release: bool) -> CustomerTransfer:
    now = deps.clock.now_ns()
    with deps.store.write() as uow:
        current = uow.transfers.get(held.id, lock=True)
        if current is None or current.status is not S.HELD_FOR_REVIEW:
            return current or held  # another caller settled it first
        if release:
            done = current.moved(S.COMPLETED, now, completed_at=now)
        else:
            done = current.moved(S.RETURNED, now)
        uow.transfers.update(done)
        record = events.transfer_status_event(done, now)
        if record is not None:
            uow.outbox.add(record)
        uow.commit()
    return done
