"""A transfer batch's writes for PostgreSQL, built before its transaction opens.

Building the ``COPY`` text and the balance arrays is most of the Python work of a write; doing
it here, as plain strings and tuples, lets the pipelined writer prepare batch N+1 while batch N
commits, and leaves nothing in the plan that the next batch's state machine could change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bankstack.ledger.domain import PendingState, Transfer, TransferEffects

NULL = "\\N"  # COPY text format's NULL


def hex_id(value: int) -> str:
    return f"{value:032x}"


def id_array(ids: Iterable[int]) -> str:
    """A ``uuid[]`` literal in one string: psycopg sends it as is, instead of dumping each
    element in Python, which costs more than the query for a batch of 8,190."""
    return "{" + ",".join([f"{i:032x}" for i in ids]) + "}"


def int_array(values: Iterable[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def bytea(data: bytes) -> str:
    return "\\\\x" + data.hex()


@dataclass(frozen=True, slots=True)
class PgTransferPlan:
    batch_id: int
    transfers_copy: str
    balances: tuple[str, str, str, str, str, str] | None
    resolutions: list[tuple[str, int, str | None, int, int, bytes | None]]
    failures: list[tuple[str, str, int]]
    timeouts_added: list[tuple[str, int]]
    timeouts_removed: str | None
    history_copy: str


def plan_transfers(
    effects: TransferEffects, digests: list[bytes], expiry_digests: list[bytes], batch_id: int
) -> PgTransferPlan:
    return PgTransferPlan(
        batch_id=batch_id,
        transfers_copy=_transfers_copy(effects.transfers, digests, batch_id),
        balances=_balance_arrays(effects),
        resolutions=_resolution_rows(effects, expiry_digests, batch_id),
        failures=[(hex_id(i), str(code), ts) for i, code, ts in effects.failures],
        timeouts_added=[(hex_id(i), at) for i, at in effects.timeouts_added],
        timeouts_removed=id_array(effects.timeouts_removed) if effects.timeouts_removed else None,
        history_copy="".join(
            f"{hex_id(h.account_id)}\t{h.timestamp}\t{h.debits_pending}\t"
            f"{h.debits_posted}\t{h.credits_pending}\t{h.credits_posted}\n"
            for h in effects.history
        ),
    )


def _transfers_copy(transfers: list[Transfer], digests: list[bytes], batch: int) -> str:
    return "".join(
        [
            f"{hex_id(t.id)}\t{hex_id(t.debit_account_id)}\t{hex_id(t.credit_account_id)}\t"
            f"{t.amount}\t{hex_id(t.pending_id) if t.pending_id else NULL}\t{t.ledger}\t"
            f"{t.code}\t{hex_id(t.user_data)}\t{t.flags}\t{t.timeout}\t{t.effective_at}\t"
            f"{t.timestamp}\t{batch}\t{bytea(d)}\n"
            for t, d in zip(transfers, digests, strict=True)
        ]
    )


def _balance_arrays(effects: TransferEffects) -> tuple[str, str, str, str, str, str] | None:
    """The touched accounts' new balances, sorted by id: the UPDATE walks them in this order,
    which is the order it takes their row locks in."""
    touched = sorted(effects.touched.values(), key=lambda a: a.id)
    if not touched:
        return None
    return (
        id_array(a.id for a in touched),
        int_array(a.debits_pending for a in touched),
        int_array(a.debits_posted for a in touched),
        int_array(a.credits_pending for a in touched),
        int_array(a.credits_posted for a in touched),
        int_array(a.flags for a in touched),
    )


def _resolution_rows(
    effects: TransferEffects, expiry_digests: list[bytes], batch_id: int
) -> list[tuple[str, int, str | None, int, int, bytes | None]]:
    expiry_digest = iter(expiry_digests)
    return [
        (
            hex_id(r.pending_id),
            int(r.state),
            hex_id(r.transfer_id) if r.transfer_id else None,
            r.timestamp,
            batch_id,
            next(expiry_digest) if r.state is PendingState.EXPIRED else None,
        )
        for r in effects.resolutions
    ]
