"""The ledger's write path end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import text

from bankstack.kernel.ids import new_id
from bankstack.ledger import AMOUNT_MAX, Transfer, TransferFlags
from bankstack.ledger.queries import get_account, get_transfer
from tests.integration.ledger.conftest import DMNEC, RuntimeFactory, fund, open_accounts

PENDING = int(TransferFlags.PENDING)
POST = int(TransferFlags.POST_PENDING_TRANSFER)
VOID = int(TransferFlags.VOID_PENDING_TRANSFER)
LINKED = int(TransferFlags.LINKED)


def balances(runtime, account_id):
    a = get_account(runtime.reader, account_id)
    return a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted


class TestLifecycle:
    def test_posted_pending_post_void_and_linked(self, make_runtime: RuntimeFactory):
        rt = make_runtime()
        bank, alice = open_accounts(rt, 2)
        (bob,) = open_accounts(rt, 1, flags=DMNEC)
        t1, p1, p2, post, void = (new_id() for _ in range(5))
        results = rt.writer.create_transfers(
            [
                Transfer(t1, bank, alice, 1_000, ledger=1, code=1),
                Transfer(p1, alice, bank, 300, ledger=1, code=1, flags=PENDING),
                Transfer(p2, alice, bank, 200, ledger=1, code=1, flags=PENDING),
            ]
        )
        assert results == ["ok", "ok", "ok"]
        results = rt.writer.create_transfers(
            [
                Transfer(post, pending_id=p1, amount=120, flags=POST),
                Transfer(void, pending_id=p2, flags=VOID),
                # bob has no credits: the chain fails whole and the first member is undone
                Transfer(new_id(), bank, bob, 5, ledger=1, code=1, flags=LINKED),
                Transfer(new_id(), bob, bank, 10, ledger=1, code=1),
            ]
        )
        assert results == ["ok", "ok", "linked_event_failed", "exceeds_credits"]
        assert balances(rt, alice) == (0, 120, 0, 1_000)
        assert balances(rt, bank) == (0, 1_000, 0, 120)
        assert balances(rt, bob) == (0, 0, 0, 0)
        transfer, state = get_transfer(rt.reader, p1)
        assert (transfer.amount, state.name if state else None) == (300, "POSTED")
        assert get_transfer(rt.reader, post)[0].amount == 120

    def test_idempotency_survives_a_restart(self, make_runtime: RuntimeFactory):
        rt = make_runtime()
        source, target = open_accounts(rt, 2)
        (guarded,) = open_accounts(rt, 1, flags=DMNEC)
        ok_id, failed_id = new_id(), new_id()
        first = [
            Transfer(ok_id, source, target, 10, ledger=1, code=1),
            Transfer(failed_id, guarded, target, 10, ledger=1, code=1),
        ]
        assert rt.writer.create_transfers(first) == ["ok", "exceeds_credits"]
        rt.close()
        again = make_runtime()
        fund(again, source, [guarded], 50)  # the failure was state-dependent; state changed
        retry = [
            Transfer(ok_id, source, target, 10, ledger=1, code=1),
            Transfer(failed_id, guarded, target, 10, ledger=1, code=1),
            Transfer(ok_id, source, target, 11, ledger=1, code=1),
        ]
        assert again.writer.create_transfers(retry) == [
            "exists",
            "id_already_failed",
            "exists_with_different_amount",
        ]
        assert balances(again, target) == (0, 0, 0, 10)

    def test_post_of_full_amount_by_sentinel(self, runtime):
        a, b = open_accounts(runtime, 2)
        pending, post = new_id(), new_id()
        runtime.writer.create_transfers(
            [Transfer(pending, a, b, 77, ledger=1, code=1, flags=PENDING)]
        )
        assert runtime.writer.create_transfers(
            [Transfer(post, pending_id=pending, amount=AMOUNT_MAX, flags=POST)]
        ) == ["ok"]
        assert balances(runtime, b) == (0, 0, 0, 77)


class TestConcurrency:
    def test_concurrent_callers_are_coalesced_and_conserve_money(self, make_runtime):
        rt = make_runtime()
        accounts = open_accounts(rt, 8, flags=DMNEC)
        (bank,) = open_accounts(rt, 1)
        fund(rt, bank, accounts, 100)
        before = _batch_count(rt)
        outcomes: list[str] = []
        lock = threading.Lock()

        def client(seed: int) -> None:
            import random  # noqa: PLC0415

            rnd = random.Random(seed)
            for _ in range(15):
                batch = []
                for _ in range(5):
                    d, c = rnd.sample(accounts, 2)
                    batch.append(Transfer(new_id(), d, c, rnd.randint(1, 40), ledger=1, code=1))
                results = rt.writer.create_transfers(batch)
                with lock:
                    outcomes.extend(results)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(outcomes) == 32 * 15 * 5
        assert set(outcomes) <= {"ok", "exceeds_credits"}
        assert outcomes.count("ok") > 0
        # 480 submissions of one caller each would be 480 batches; group commit made fewer.
        assert _batch_count(rt) - before < 480
        total = 0
        for account in accounts:
            dp, dpo, cp, cpo = balances(rt, account)
            assert dp == 0
            assert cp == 0
            assert dpo <= cpo  # the account's constraint held throughout
            total += cpo - dpo
        assert total == 800  # money only moved between the eight accounts

    def test_two_writers_on_one_database(self, make_runtime):
        first, second = make_runtime(), make_runtime()
        accounts = open_accounts(first, 4, flags=DMNEC)
        (bank,) = open_accounts(first, 1)
        fund(first, bank, accounts, 1_000)
        oks = [0, 0]

        def hammer(index: int) -> None:
            rt = (first, second)[index]
            for n in range(60):
                d, c = accounts[n % 4], accounts[(n + 1 + index) % 4]
                batch = [Transfer(new_id(), d, c, 7, ledger=1, code=1) for _ in range(20)]
                oks[index] += rt.writer.create_transfers(batch).count("ok")

        threads = [threading.Thread(target=hammer, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        net = 0
        for account in accounts:
            _, dpo, _, cpo = balances(first, account)
            assert dpo <= cpo
            net += cpo - dpo
        assert net == 4_000
        moved = sum(balances(first, a)[1] for a in accounts)
        assert moved == 7 * sum(oks)


def _batch_count(rt) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM ledger_batches")).scalar_one())
