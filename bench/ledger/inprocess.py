"""In-process cells: client threads call ``GroupCommitWriter.create_transfers`` directly."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

from bankstack.kernel.clock import SystemClock
from bankstack.ledger.adapters.factory import open_ledger_store
from bankstack.ledger.domain import Transfer, TransferResult
from bankstack.ledger.writer import GroupCommitWriter
from bench.ledger.dbs import BenchDatabase
from bench.ledger.loop import BenchFailure, frozen_heap, run_closed_loop
from bench.ledger.stats import BatchRecorder, Cell
from bench.ledger.workload import Shape, TransferIds, pool_requests, transfer_pools


class _WriterClient:
    def __init__(self, writer: GroupCommitWriter) -> None:
        self._writer = writer

    def send(self, request: Sequence[Transfer]) -> int:
        results = self._writer.create_transfers(request)
        ok = sum(1 for r in results if r is TransferResult.OK)
        if ok != len(request):
            codes = Counter(str(r) for r in results if r is not TransferResult.OK)
            raise BenchFailure(f"{len(request) - ok} of {len(request)} not ok: {dict(codes)}")
        return ok

    def close(self) -> None:
        pass


def run_inprocess(
    cell: Cell,
    db: BenchDatabase,
    shape: Shape,
    ids: TransferIds,
    rng: random.Random,
    *,
    warmup_s: float,
    seconds: float,
    pool_scale: float,
) -> None:
    requests = pool_requests(
        "inprocess", cell.batch_size, cell.clients, warmup_s + seconds, pool_scale
    )
    pools = transfer_pools(shape, ids, rng, cell.batch_size, cell.clients, requests)
    recorder = BatchRecorder()
    store = open_ledger_store(db.url)
    writer = GroupCommitWriter(store, SystemClock(), on_batch=recorder)
    writer.start()
    try:
        with frozen_heap():
            window = run_closed_loop(
                cell, pools, lambda: _WriterClient(writer), warmup_s=warmup_s, seconds=seconds
            )
    finally:
        writer.stop()
        store.close()
    recorder.summarise(cell, window.start_ns, window.end_ns)
