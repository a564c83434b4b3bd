"""Ledger numbering for payments: currency ledgers, account and transfer codes, and ids.

Every ledger account and transfer payments creates has an id derived from what it is
(BLAKE2b-128 of a readable name such as ``"trade:<id>:pay:1:net"``), never a random one.
A retry after a crash, in this process or another, therefore submits the very same ids,
and the ledger answers ``exists`` instead of moving money twice. Names are namespaced with
a personalisation string so they cannot collide with other domains' derived ids.

Per currency the platform has three accounts: ``fee`` (platform fee income), ``escrow``
(the hold/clearing account escrow payments wait in) and ``funding`` (the counterpart of
money entering wallets from outside, e.g. a bank top-up).
"""

from __future__ import annotations

import hashlib
from enum import IntEnum
from typing import Final

from bankstack.kernel.ids import U128_MAX
from bankstack.ledger import Account, AccountFlags
from bankstack.payments.errors import CurrencyNotSupported

# The ledger number of each currency. Ledger 1 is CNY as in the rest of bankstack (demo).
# Append only: a currency's ledger can never change once accounts exist in it.
CURRENCY_LEDGERS: Final[dict[str, int]] = {
    "CNY": 1,
    "HKD": 2,
    "MOP": 3,
    "USD": 4,
    "EUR": 5,
    "GBP": 6,
    "SGD": 7,
    "JPY": 8,
    "TWD": 9,
    "THB": 10,
    "MYR": 11,
    "KRW": 12,
    "AUD": 13,
    "CAD": 14,
    "CHF": 15,
}

_PERSON: Final = b"bankstack.pay"  # BLAKE2b personalisation: payments' own id space
_DMNEC: Final = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)


class AccountCode(IntEnum):
    WALLET = 10
    MERCHANT = 20
    PARTNER = 21
    PLATFORM_FEE = 30
    ESCROW = 31
    FUNDING = 32


class TransferCode(IntEnum):
    FUNDING = 1001
    PAYMENT_NET = 1101
    PAYMENT_FEE = 1102
    PAYMENT_COMMISSION = 1103
    ESCROW_HOLD = 1201
    REFUND_NET = 1301
    REFUND_FEE = 1302
    REFUND_COMMISSION = 1303
    CUSTOMER_TRANSFER = 1401


def ledger_of(currency: str) -> int:
    try:
        return CURRENCY_LEDGERS[currency]
    except KeyError:
        raise CurrencyNotSupported(
            f"payments do not support {currency!r}", currency=currency
        ) from None


def derived_id(name: str) -> int:
    """The 128-bit id of ``name``; never 0 or 2**128-1 (the ledger's reserved values)."""
    digest = hashlib.blake2b(name.encode(), digest_size=16, person=_PERSON).digest()
    value = int.from_bytes(digest, "big")
    return value if 0 < value < U128_MAX else derived_id(name + "'")


def customer_transfer_id(sender: str, reference: str) -> int:
    """A customer transfer's id, from the sender's idempotency key: a retry, or a concurrent
    duplicate, names the same transfer before anything is stored (so risk is asked about one
    event id, and the ledger steps derived from it are the same)."""
    return derived_id(f"transfer-ref:{sender}:{reference}")


def wallet_account_id(customer_id: str, currency: str) -> int:
    return derived_id(f"wallet:{customer_id}:{currency}")


def merchant_account_id(merchant_id: str, currency: str) -> int:
    return derived_id(f"merchant:{merchant_id}:{currency}")


def partner_account_id(partner_id: str, currency: str) -> int:
    return derived_id(f"partner:{partner_id}:{currency}")


def platform_account_id(role: str, currency: str) -> int:
    return derived_id(f"platform:{role}:{currency}")


def fee_account_id(currency: str) -> int:
    return platform_account_id("fee", currency)


def escrow_account_id(currency: str) -> int:
    return platform_account_id("escrow", currency)


def funding_account_id(currency: str) -> int:
    return platform_account_id("funding", currency)


def platform_accounts(currency: str) -> list[Account]:
    """The platform's accounts in ``currency``. Fee and escrow are balances the platform
    owes or earns and may never go negative; funding is the outside world's mirror and is
    unconstrained (its debit balance is all the money that entered wallets)."""
    ledger = ledger_of(currency)
    return [
        Account(fee_account_id(currency), ledger, AccountCode.PLATFORM_FEE, flags=_DMNEC),
        Account(escrow_account_id(currency), ledger, AccountCode.ESCROW, flags=_DMNEC),
        Account(funding_account_id(currency), ledger, AccountCode.FUNDING),
    ]


def owned_account(account_id: int, currency: str, code: AccountCode) -> Account:
    """A wallet, merchant or partner account: money held for someone, never negative."""
    return Account(account_id, ledger_of(currency), code, flags=_DMNEC)
