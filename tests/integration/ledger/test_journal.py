"""Expiry, events, the database backstops, tamper evidence and point-in-time reads."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bankstack.entrypoints.bootstrap import build_runtime
from bankstack.kernel.clock import ManualClock
from bankstack.kernel.ids import new_id
from bankstack.ledger import PendingState, Transfer, TransferFlags
from bankstack.ledger.queries import get_account, get_transfer, statement
from bankstack.ledger.verify import verify_journal
from bankstack.platform.outbox import Inbox
from bankstack.platform.settings import load_settings
from tests.integration.ledger.conftest import DMNEC, Collector, fund, open_accounts

PENDING = int(TransferFlags.PENDING)
POST = int(TransferFlags.POST_PENDING_TRANSFER)
VOID = int(TransferFlags.VOID_PENDING_TRANSFER)


def wait_for(predicate, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


class TestExpiry:
    def test_worker_expires_pending_transfers_and_releases_them(self, make_runtime):
        # Start at the real now: the journal's timestamps never run behind its last batch,
        # so a clock left at import time could lag a shared database's journal.
        clock = ManualClock(time.time_ns())
        rt = make_runtime(clock=clock)
        a, b = open_accounts(rt, 2)
        pending = new_id()
        rt.writer.create_transfers(
            [Transfer(pending, a, b, 50, ledger=1, code=1, flags=PENDING, timeout=2)]
        )
        assert get_account(rt.reader, a).debits_pending == 50
        clock.advance(3)  # the idle writer notices within its expiry interval
        wait_for(lambda: get_transfer(rt.reader, pending)[1] is PendingState.EXPIRED)
        assert get_account(rt.reader, a).debits_pending == 0
        assert rt.writer.create_transfers(
            [Transfer(new_id(), pending_id=pending, flags=POST, amount=50)]
        ) == ["pending_transfer_expired"]


class TestEvents:
    def test_one_event_per_movement_delivered_once_per_consumer(self, make_runtime):
        collector = Collector()
        rt = make_runtime(subscribers=[collector])
        while rt.relay.relay_once():  # drain what earlier tests on this database left
            pass
        collector.events.clear()
        a, b = open_accounts(rt, 2)
        t, p, post = new_id(), new_id(), new_id()
        rt.writer.create_transfers(
            [
                Transfer(t, a, b, 5, ledger=1, code=1),
                Transfer(p, a, b, 6, ledger=1, code=1, flags=PENDING),
            ]
        )
        rt.writer.create_transfers([Transfer(post, pending_id=p, flags=POST, amount=6)])
        while rt.relay.relay_once():
            pass
        topics = {e.event_id: e.topic for e in collector.events}
        assert topics[f"ledger.transfer.posted/{t}"] == "ledger.transfer.posted"
        assert topics[f"ledger.transfer.pending/{p}"] == "ledger.transfer.pending"
        assert topics[f"ledger.pending.posted/{post}"] == "ledger.pending.posted"
        assert f"ledger.account.created/{a}" in topics
        # A crash before marking rows published delivers them again; the inbox dedupes.
        with rt.engine.begin() as conn:
            conn.execute(text("UPDATE outbox SET published_at = NULL"))
        collector.events.clear()
        while rt.relay.relay_once():
            pass
        inbox, handled = Inbox(rt.engine, "test-consumer"), []
        for event in collector.events + collector.events:
            inbox.process(event, lambda _conn, e: handled.append(e.event_id))
        assert sorted(handled) == sorted({e.event_id for e in collector.events})


class TestBackstops:
    @pytest.mark.parametrize(
        "statement_sql",
        [
            "UPDATE ledger_transfers SET amount = amount + 1",
            "DELETE FROM ledger_transfers",
            "UPDATE ledger_batches SET record_count = 0",
            "UPDATE ledger_accounts SET ledger = 2",
            "DELETE FROM ledger_accounts",
        ],
    )
    def test_journal_refuses_changes(self, runtime, statement_sql):
        a, b = open_accounts(runtime, 2)
        fund(runtime, a, [b], 3)
        with pytest.raises(DBAPIError), runtime.engine.begin() as conn:
            conn.execute(text(statement_sql))

    def test_balance_constraint_holds_even_if_python_were_wrong(self, runtime):
        (guarded,) = open_accounts(runtime, 1, flags=DMNEC)
        with pytest.raises(DBAPIError), runtime.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE ledger_accounts SET debits_posted = credits_posted + 1"
                    f" WHERE (flags & {DMNEC}) <> 0"
                )
            )
        assert get_account(runtime.reader, guarded).debits_posted == 0


def _tamper(engine, sql: str) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE ledger_transfers DISABLE TRIGGER USER"))
            conn.execute(text("ALTER TABLE ledger_accounts DISABLE TRIGGER USER"))
            conn.execute(text(sql))
        else:
            conn.execute(text("DROP TRIGGER ledger_transfers_no_update"))
            conn.execute(text("DROP TRIGGER ledger_transfers_no_delete"))
            conn.execute(text(sql))


_LAST = "timestamp = (SELECT max(timestamp) FROM ledger_transfers)"
_INFLATE_CREDITS = (
    "UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE credits_posted > 0"
)


@pytest.fixture(params=["sqlite", "postgres"])
def private_url(request):
    """A database of this test's own: tampering must not break other tests."""
    name = "sqlite_url" if request.param == "sqlite" else "fresh_pg_url"
    return request.getfixturevalue(name)


class TestTamperEvidence:
    def _journal(self, url):
        rt = build_runtime(load_settings(database_url=url), start_relay=False)
        a, b = open_accounts(rt, 2)
        ids = [new_id() for _ in range(3)]
        for i in ids:
            rt.writer.create_transfers([Transfer(i, a, b, 10, ledger=1, code=1)])
        assert verify_journal(rt.engine).ok
        return rt, ids, b

    @pytest.mark.parametrize(
        ("change", "kind"),
        [
            (
                (
                    "UPDATE ledger_transfers SET amount = 11 WHERE timestamp ="
                    " (SELECT max(timestamp) FROM ledger_transfers)"
                ),
                "DIGEST_MISMATCH",
            ),
            (
                (
                    "DELETE FROM ledger_transfers WHERE timestamp ="
                    " (SELECT max(timestamp) FROM ledger_transfers)"
                ),
                "RECORD_COUNT_MISMATCH",
            ),
            (
                (
                    "UPDATE ledger_accounts SET credits_posted = credits_posted + 1"
                    " WHERE credits_posted > 0"
                ),
                "BALANCE_MISMATCH",
            ),
        ],
    )
    def test_verify_names_the_first_discrepancy(self, private_url, change, kind):
        rt, ids, credited = self._journal(private_url)
        _tamper(rt.engine, change)
        report = verify_journal(rt.engine)
        rt.close()
        assert not report.ok
        assert report.first_bad is not None
        assert report.first_bad["kind"] == kind
        if kind == "DIGEST_MISMATCH":
            assert report.first_bad["subject"] == f"transfer {ids[-1]}"
        if kind == "BALANCE_MISMATCH":
            assert report.first_bad["subject"] == f"account {credited}"


class TestPointInTime:
    def test_balance_at_and_statement_follow_effective_time(self, runtime):
        a, b = open_accounts(runtime, 2)
        now = runtime.clock.now_ns()
        day = 86_400 * 10**9
        runtime.writer.create_transfers(
            [
                Transfer(new_id(), a, b, 100, ledger=1, code=1, effective_at=now - 3 * day),
                Transfer(new_id(), a, b, 30, ledger=1, code=1),
                Transfer(new_id(), a, b, 20, ledger=1, code=1, effective_at=now - 1 * day),
            ]
        )
        at = get_account(runtime.reader, b, at=now - 2 * day)
        assert (at.credits_posted, at.debits_posted) == (100, 0)
        assert get_account(runtime.reader, b, at=now - day).credits_posted == 120
        assert get_account(runtime.reader, b).credits_posted == 150
        first = statement(runtime.reader, b, limit=2)
        assert [line.transfer.amount for line in first.lines] == [100, 20]
        assert [line.credits_posted for line in first.lines] == [100, 120]
        second = statement(runtime.reader, b, cursor=first.next_cursor, limit=2)
        assert [(line.transfer.amount, line.credits_posted) for line in second.lines] == [(30, 150)]
        assert second.next_cursor is None
