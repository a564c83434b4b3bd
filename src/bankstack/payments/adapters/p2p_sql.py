"""Customer transfers on SQL (``payments_transfers``, migration 0008_payments_transfers).

The same rules as the other payments repositories (repositories.py): ``lock=True`` reads lock
the row on PostgreSQL (SQLite's write unit of work already holds the one write lock); updates
are conditional on the version read, and a mismatch raises ``StaleWrite``. Inserting a transfer
whose id or ``(sender, reference)`` exists inserts nothing and says so, which is how two
concurrent sends of one reference find out which of them stored it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from bankstack.kernel.money import Money
from bankstack.payments.adapters.repositories import StaleWrite, locked
from bankstack.payments.adapters.rows import Row, hex_id, int_id
from bankstack.payments.adapters.tables import transfers
from bankstack.payments.records import CustomerTransfer, TransferStatus
from bankstack.platform.sql import insert_absent, update_versioned


def transfer_row(t: CustomerTransfer) -> dict[str, Any]:
    return {
        "id": hex_id(t.id),
        "sender_id": t.sender,
        "recipient_id": t.recipient,
        "reference": t.reference,
        "currency": t.currency,
        "amount": t.amount.minor,
        "status": t.status.value,
        "decision_id": t.decision_id,
        "via_hold": t.via_hold,
        "code_hash": t.code_hash,
        "code_expires_at": t.code_expires_at,
        "code_attempts": t.code_attempts,
        "failure_code": t.failure_code,
        "processing_since": t.processing_since,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "completed_at": t.completed_at,
        "version": t.version,
    }


def transfer_from(r: Row) -> CustomerTransfer:
    return CustomerTransfer(
        id=int_id(r.id),
        sender=r.sender_id,
        recipient=r.recipient_id,
        amount=Money(r.amount, r.currency),
        reference=r.reference,
        status=TransferStatus(r.status),
        decision_id=r.decision_id,
        via_hold=bool(r.via_hold),
        code_hash=r.code_hash,
        code_expires_at=r.code_expires_at,
        code_attempts=r.code_attempts,
        failure_code=r.failure_code,
        processing_since=r.processing_since,
        created_at=r.created_at,
        updated_at=r.updated_at,
        completed_at=r.completed_at,
        version=r.version,
    )


class SqlCustomerTransfers:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, transfer_id: int, *, lock: bool = False) -> CustomerTransfer | None:
        query = select(transfers).where(transfers.c.id == hex_id(transfer_id))
        row = self._conn.execute(locked(query, lock)).first()
        return None if row is None else transfer_from(row)

    def add(self, transfer: CustomerTransfer) -> bool:
        return insert_absent(self._conn, transfers, transfer_row(transfer))

    def update(self, transfer: CustomerTransfer) -> None:
        values = transfer_row(transfer)
        key = values.pop("id")
        if not update_versioned(self._conn, transfers, key, transfer.version - 1, values):
            raise StaleWrite(f"transfer {transfer.id} is not at version {transfer.version - 1}")

    def in_flight(self, started_before: int, limit: int) -> list[int]:
        c = transfers.c
        query = select(c.id).where(c.processing_since < started_before)
        ids = self._conn.execute(query.order_by(c.processing_since).limit(limit)).scalars()
        return [int_id(value) for value in ids]
