"""Ledger events: one per applied transfer, post, void and expiry.

The batch's transaction writes a single outbox record, ``ledger.batch.sealed``, naming the
batch; the relay expands it, from the journal itself, into one event per record in timestamp
order. The journal is thus the event log and the outbox only points into it, so the hot path
writes each transfer once. Event ids are derived from the record (``<topic>/<id>``) and are
stable across redeliveries. Payload JSON is rendered without a JSON library; ids and amounts
are strings so that no client loses digits.
"""

from __future__ import annotations

from bankstack.kernel.events import Event, OutboxRecord
from bankstack.ledger.domain import Account, Resolution, Transfer, TransferFlags

BATCH_SEALED = "ledger.batch.sealed"
ACCOUNT_CREATED = "ledger.account.created"
TRANSFER_POSTED = "ledger.transfer.posted"
TRANSFER_PENDING = "ledger.transfer.pending"
PENDING_POSTED = "ledger.pending.posted"
PENDING_VOIDED = "ledger.pending.voided"
PENDING_EXPIRED = "ledger.pending.expired"
# What the relay's expansion of a sealed batch can produce.
BATCH_EVENT_TOPICS = frozenset(
    {TRANSFER_POSTED, TRANSFER_PENDING, PENDING_POSTED, PENDING_VOIDED, PENDING_EXPIRED}
)

_PENDING = int(TransferFlags.PENDING)
_POST = int(TransferFlags.POST_PENDING_TRANSFER)
_VOID = int(TransferFlags.VOID_PENDING_TRANSFER)


def batch_sealed(batch_id: int, kind: str, first: int, last: int, count: int) -> OutboxRecord:
    payload = (
        f'{{"batch_id":{batch_id},"kind":"{kind}","first_timestamp":{first},'
        f'"last_timestamp":{last},"record_count":{count}}}'
    )
    return OutboxRecord(BATCH_SEALED, str(batch_id), payload, last)


def transfer_topic(flags: int) -> str:
    if flags & _PENDING:
        return TRANSFER_PENDING
    if flags & _POST:
        return PENDING_POSTED
    if flags & _VOID:
        return PENDING_VOIDED
    return TRANSFER_POSTED


def transfer_event(t: Transfer) -> Event:
    topic = transfer_topic(t.flags)
    payload = (
        f'{{"id":"{t.id}","debit_account_id":"{t.debit_account_id}",'
        f'"credit_account_id":"{t.credit_account_id}","amount":"{t.amount}",'
        f'"pending_id":"{t.pending_id}","ledger":{t.ledger},"code":{t.code},'
        f'"user_data":"{t.user_data}","flags":{t.flags},"timeout":{t.timeout},'
        f'"effective_at":{t.effective_at},"timestamp":{t.timestamp}}}'
    )
    return Event(f"{topic}/{t.id}", topic, str(t.id), payload, t.timestamp)


def expiry_event(r: Resolution) -> Event:
    payload = f'{{"pending_id":"{r.pending_id}","timestamp":{r.timestamp}}}'
    return Event(
        f"{PENDING_EXPIRED}/{r.pending_id}",
        PENDING_EXPIRED,
        str(r.pending_id),
        payload,
        r.timestamp,
    )


def account_event(a: Account) -> Event:
    payload = (
        f'{{"id":"{a.id}","ledger":{a.ledger},"code":{a.code},"user_data":"{a.user_data}",'
        f'"flags":{a.flags},"credit_limit":"{a.credit_limit}","timestamp":{a.timestamp}}}'
    )
    return Event(f"{ACCOUNT_CREATED}/{a.id}", ACCOUNT_CREATED, str(a.id), payload, a.timestamp)
