"""``bankstack ledger verify``: replay the journal and name the first discrepancy.

Reads the journal through ``adapters.journal`` and checks it with ``domain.replay``: every
record against its digest, every batch against the hash chain, every stored balance against
the balance replayed from zero, and each ledger's debits against its credits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from bankstack.ledger.adapters.journal import SqlJournalSource
from bankstack.ledger.domain import Account, Resolution, Transfer
from bankstack.ledger.domain.replay import JournalBroken, Replayer


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    ok: bool
    batches: int
    accounts: int
    transfers: int
    expiries: int
    problem: str | None = None
    first_bad: dict[str, str] | None = None
    ledgers: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)


def verify_journal(engine: Engine) -> VerifyReport:
    source = SqlJournalSource(engine)
    replayer = Replayer()
    totals: dict[int, tuple[int, int, int, int]] = {}
    try:
        with source.snapshot() as conn:
            records = source.records(conn)
            pending_record = next(records, None)
            for batch in source.batches(conn):
                replayer.begin_batch(batch)
                while pending_record is not None and pending_record[0] <= batch.last_timestamp:
                    _feed(replayer, pending_record)
                    pending_record = next(records, None)
            if pending_record is not None:
                replayer.end_batch()
                _feed(replayer, pending_record)  # raises: no batch covers it
            replayer.finish(*source.head(conn))
            for stored in source.stored_accounts(conn):
                replayer.compare(stored)
            totals = replayer.ledger_totals()
            replayer.check_resolutions(source.resolution_count(conn))
    except JournalBroken as broken:
        d = broken.discrepancy
        return VerifyReport(
            ok=False,
            **_counts(replayer),
            problem=str(d),
            first_bad={"kind": d.kind, "subject": d.subject, "detail": d.detail},
        )
    return VerifyReport(ok=True, **_counts(replayer), ledgers=totals)


def _counts(replayer: Replayer) -> dict[str, Any]:
    return {
        name: replayer.counts[name] for name in ("batches", "accounts", "transfers", "expiries")
    }


def _feed(replayer: Replayer, record: tuple[int, int, object, bytes]) -> None:
    _, _, item, digest = record
    if isinstance(item, Account):
        replayer.account(item, digest)
    elif isinstance(item, Transfer):
        replayer.transfer(item, digest)
    elif isinstance(item, Resolution):
        replayer.expiry(item, digest)
