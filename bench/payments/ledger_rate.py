"""The raw ledger rate: a paid trade's ledger chain, without HTTP and without payments.

Paying a QR trade submits one linked chain to the ledger (``payments.transfers``): the
customer's wallet pays the merchant the net amount and the platform its fee, all or nothing
(a commission leg would be a third transfer; the bench merchant has no partner). Here the
same chains, built with the same functions (``split_payment``, ``chain``, the payments
account ids and transfer codes) between the same accounts as the HTTP cells' customers and
merchant, go straight to a ``GroupCommitWriter`` in this process, on the same database, one
chain per submission, from C client threads in a closed loop (``bench.ledger.loop``).
Chains are built before the cell starts; a cell whose clients run out is flagged.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from bankstack.gateway.api.views import scoped
from bankstack.kernel.clock import SystemClock
from bankstack.kernel.money import Money
from bankstack.ledger import Transfer, TransferResult
from bankstack.ledger.adapters.factory import open_ledger_store
from bankstack.ledger.writer import GroupCommitWriter
from bankstack.payments import accounts as acc
from bankstack.payments.accounts import TransferCode
from bankstack.payments.fees import rate_to_ppm, split_payment
from bankstack.payments.transfers import Leg, chain
from bench.ledger.loop import BenchFailure, frozen_heap, run_closed_loop
from bench.ledger.stats import BatchRecorder, Cell
from bench.payments.partner import CURRENCY, PartnerCredentials

FEE_RATE: Final = Decimal("0.006")  # the merchant's rate (the /admin/merchants default)
# Upper bound of the trades/s a cell might reach, per client and in total; it only sizes the
# pre-built chains (times --pool-scale).
_POOL_TPS_PER_CLIENT: Final = 1_000
_POOL_TPS_TOTAL: Final = 15_000


class _ChainClient:
    def __init__(self, writer: GroupCommitWriter) -> None:
        self._writer = writer

    def send(self, request: Sequence[Transfer]) -> int:
        results = self._writer.create_transfers(request)
        if any(r is not TransferResult.OK for r in results):
            codes = Counter(str(r) for r in results if r is not TransferResult.OK)
            raise BenchFailure(f"a payment chain was not applied: {dict(codes)}")
        return 1  # one paid trade

    def close(self) -> None:
        pass


def chains_per_client(clients: int, seconds: float, scale: float) -> int:
    rate = min(_POOL_TPS_PER_CLIENT * clients, _POOL_TPS_TOTAL) * scale
    return max(2, math.ceil(rate * seconds / clients) + 1)


def build_chains(
    creds: PartnerCredentials, tag: str, clients: int, per_client: int, seed: int
) -> list[list[list[Transfer]]]:
    """Per client, ``per_client`` chains, each a trade paid by one of the bench customers."""
    amount = Money(creds.amount_minor, CURRENCY)
    split = split_payment(amount, rate_to_ppm(FEE_RATE, field="fee_rate"), 0)
    merchant = acc.merchant_account_id(scoped(creds.merchant_id, livemode=False), CURRENCY)
    fee = acc.fee_account_id(CURRENCY)
    ledger = acc.ledger_of(CURRENCY)
    wallets = [acc.wallet_account_id(scoped(c, livemode=False), CURRENCY) for c in creds.customers]
    rng = random.Random(seed)
    pools = []
    number = 0
    for client in range(clients):
        pool = []
        for _ in range(per_client):
            number += 1
            # Like the HTTP cells: client i pays as customers i, i + C, ... (drawn at random).
            wallet = wallets[(client + clients * rng.randrange(len(wallets))) % len(wallets)]
            legs = [
                Leg("net", wallet, merchant, split.net.minor, TransferCode.PAYMENT_NET),
                Leg("fee", wallet, fee, split.fee.minor, TransferCode.PAYMENT_FEE),
            ]
            pool.append(chain(f"bench:{tag}:{number}:pay:1", legs, ledger=ledger, user_data=number))
        pools.append(pool)
    return pools


def run_ledger_cell(
    cell: Cell,
    *,
    database_url: str,
    creds: PartnerCredentials,
    tag: str,
    warmup_s: float,
    seconds: float,
    pool_scale: float,
    seed: int,
) -> None:
    """Fill ``cell`` (tps = trades/s, latency per chain, writer batch latency)."""
    per_client = chains_per_client(cell.clients, warmup_s + seconds, pool_scale)
    pools = build_chains(creds, tag, cell.clients, per_client, seed)
    cell.batch_size = len(pools[0][0])
    recorder = BatchRecorder()
    store = open_ledger_store(database_url)
    writer = GroupCommitWriter(store, SystemClock(), on_batch=recorder)
    writer.start()
    try:
        with frozen_heap():
            window = run_closed_loop(
                cell, pools, lambda: _ChainClient(writer), warmup_s=warmup_s, seconds=seconds
            )
    finally:
        writer.stop()
        store.close()
    recorder.summarise(cell, window.start_ns, window.end_ns)
