"""Tamper evidence: a digest per journal record and a hash chain over batches.

Every transfer, account creation and expiry has a canonical byte encoding; its BLAKE2b-128
digest is stored beside it. Each batch's hash is SHA-256 over the previous batch's hash, the
batch number and the digests of its records in timestamp order, so changing, removing or
reordering any record, or any batch, breaks every later hash. ``ledger verify`` recomputes
both and names the first record or batch that does not match.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from typing import Final

from bankstack.ledger.domain.model import Account, Resolution, Transfer

GENESIS: Final = bytes(32)
_U64 = (1 << 64) - 1
_TRANSFER = struct.Struct(">c QQ QQ QQ q QQ II QQ I I q q")
_ACCOUNT = struct.Struct(">c QQ I I QQ I q q")
_EXPIRY = struct.Struct(">c QQ q")


def transfer_digest(t: Transfer) -> bytes:
    packed = _TRANSFER.pack(
        b"T",
        t.id >> 64,
        t.id & _U64,
        t.debit_account_id >> 64,
        t.debit_account_id & _U64,
        t.credit_account_id >> 64,
        t.credit_account_id & _U64,
        t.amount,
        t.pending_id >> 64,
        t.pending_id & _U64,
        t.ledger,
        t.code,
        t.user_data >> 64,
        t.user_data & _U64,
        t.flags,
        t.timeout,
        t.effective_at,
        t.timestamp,
    )
    return hashlib.blake2b(packed, digest_size=16).digest()


def account_digest(a: Account) -> bytes:
    """Covers the account's creation fields; balances are derived state, checked by replay."""
    packed = _ACCOUNT.pack(
        b"A",
        a.id >> 64,
        a.id & _U64,
        a.ledger,
        a.code,
        a.user_data >> 64,
        a.user_data & _U64,
        a.flags & ~0b100000,
        a.credit_limit,
        a.timestamp,
    )
    return hashlib.blake2b(packed, digest_size=16).digest()


def expiry_digest(r: Resolution) -> bytes:
    packed = _EXPIRY.pack(b"X", r.pending_id >> 64, r.pending_id & _U64, r.timestamp)
    return hashlib.blake2b(packed, digest_size=16).digest()


def batch_hash(previous: bytes, batch_id: int, record_digests: Iterable[bytes]) -> bytes:
    h = hashlib.sha256(previous)
    h.update(batch_id.to_bytes(8, "big"))
    for digest in record_digests:
        h.update(digest)
    return h.digest()
