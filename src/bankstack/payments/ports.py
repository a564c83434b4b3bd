"""What the payments service needs from the world, as Protocols; adapters/ implements them.

- ``PaymentsStore`` opens units of work on the payments tables: ``write()`` one that
  serialises with other writers on the rows it locks (``lock=True`` reads), ``read()`` a
  plain one. A unit of work commits only when ``commit()`` is called; outbox records added
  through it commit (or vanish) with the payments rows.
- ``LedgerWriter`` is the ledger's group-commit writer (``GroupCommitWriter`` fits it).
- ``BalanceReader`` reads one ledger account; the ledger's ``SqlLedgerReader`` fits it.

A payments unit of work is never open while a ledger submission waits: on SQLite both need
the one write lock, and a payment must never hold a row lock across the ledger's batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from bankstack.kernel.clock import Clock
from bankstack.kernel.events import Outbox
from bankstack.ledger import Account, AccountResult, Transfer, TransferResult
from bankstack.payments.domain import Trade
from bankstack.payments.fees import Split
from bankstack.payments.records import (
    CustomerTransfer,
    Merchant,
    PaymentCode,
    Refund,
    RiskCheck,
    Wallet,
)
from bankstack.risk import Decision, RiskEvent


class MerchantRepository(Protocol):
    def get(self, merchant_id: str) -> Merchant | None: ...
    def add(self, merchant: Merchant) -> bool:
        """Insert unless the id exists; True when inserted."""
        ...


class WalletRepository(Protocol):
    def get(self, customer_id: str, currency: str) -> Wallet | None: ...
    def add(self, wallet: Wallet) -> bool: ...


class TradeRepository(Protocol):
    def get(self, trade_id: int, *, lock: bool = False) -> Trade | None: ...
    def get_by_out_trade_no(
        self, merchant_id: str, out_trade_no: str, *, lock: bool = False
    ) -> Trade | None: ...
    def add(self, trade: Trade) -> bool:
        """Insert unless ``(merchant_id, out_trade_no)`` exists; True when inserted."""
        ...

    def update(self, trade: Trade) -> None:
        """Write ``trade`` over the stored version ``trade.version - 1``; raise if that is
        not the stored version (someone changed it: a bug, since writers lock first)."""
        ...

    def reserve_refund(self, trade: Trade, legs: Split) -> bool:
        """Add ``legs`` to the refunded amounts of ``trade`` (as read, at its version) with
        one conditional UPDATE that succeeds only while the stored version is unchanged, the
        trade is paid, and the refunded total stays within what was paid; True if it did."""
        ...

    def due_for_expiry(self, now: int, limit: int) -> list[int]: ...
    def escrow_due(self, now: int, limit: int) -> list[int]: ...
    def in_flight(self, started_before: int, limit: int) -> list[int]:
        """Trades whose payment or escrow step has been in flight since before the given
        instant (the process that started it may have died)."""
        ...

    def settled_between(self, merchant_id: str, start: int, end: int) -> list[Trade]: ...
    def page(self, merchant_id: str, before: tuple[int, int] | None, limit: int) -> list[Trade]:
        """The merchant's trades newest first (``created_at``, then id), after the cursor
        ``before`` = (created_at, id) of the last trade of the previous page."""
        ...


class RefundRepository(Protocol):
    def get(self, refund_id: int, *, lock: bool = False) -> Refund | None: ...
    def get_by_out_refund_no(
        self, trade_id: int, out_refund_no: str, *, lock: bool = False
    ) -> Refund | None: ...
    def add(self, refund: Refund) -> None: ...
    def update(self, refund: Refund) -> None: ...
    def for_trade(self, trade_id: int) -> list[Refund]: ...
    def count_processing(self, trade_id: int) -> int: ...
    def in_flight(self, started_before: int, limit: int) -> list[int]: ...
    def succeeded_between(self, merchant_id: str, start: int, end: int) -> list[Refund]: ...


class PaymentCodeRepository(Protocol):
    def add(self, code: PaymentCode) -> bool: ...
    def get(self, code_hash: str, *, lock: bool = False) -> PaymentCode | None: ...
    def mark_used(self, code_hash: str, trade_id: int, now: int) -> bool:
        """Mark an unused code used for ``trade_id``; True when this call did it."""
        ...


class RiskCheckRepository(Protocol):
    def get(self, trade_id: int, payer_id: str, *, lock: bool = False) -> RiskCheck | None: ...
    def put(self, check: RiskCheck) -> None:
        """Insert the check, or overwrite the stored one for the same trade and payer."""
        ...

    def delete(self, check: RiskCheck) -> None: ...


class CustomerTransferRepository(Protocol):
    def get(self, transfer_id: int, *, lock: bool = False) -> CustomerTransfer | None: ...
    def add(self, transfer: CustomerTransfer) -> bool:
        """Insert unless the id or ``(sender, reference)`` exists; True when inserted."""
        ...

    def update(self, transfer: CustomerTransfer) -> None:
        """Write over the stored version ``transfer.version - 1``, or raise (as trades)."""
        ...

    def in_flight(self, started_before: int, limit: int) -> list[int]:
        """Transfers ``processing`` since before the instant (their caller may have died)."""
        ...


class RiskDecider(Protocol):
    """The risk engine (``bankstack.risk``): asked before any money moves."""

    def decide(self, event: RiskEvent) -> Decision: ...


class CodeSender(Protocol):
    """Delivers a one-time code to the customer (SMS, app push; a log in development)."""

    def send(self, customer_id: str, code: str, purpose: str) -> None: ...


class PaymentsUnitOfWork(Protocol):
    @property
    def merchants(self) -> MerchantRepository: ...
    @property
    def wallets(self) -> WalletRepository: ...
    @property
    def trades(self) -> TradeRepository: ...
    @property
    def refunds(self) -> RefundRepository: ...
    @property
    def codes(self) -> PaymentCodeRepository: ...
    @property
    def risk_checks(self) -> RiskCheckRepository: ...
    @property
    def transfers(self) -> CustomerTransferRepository: ...
    @property
    def outbox(self) -> Outbox: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...


class PaymentsStore(Protocol):
    def write(self) -> PaymentsUnitOfWork: ...
    def read(self) -> PaymentsUnitOfWork: ...


class LedgerWriter(Protocol):
    def create_accounts(self, accounts: Sequence[Account]) -> list[AccountResult]: ...
    def create_transfers(self, transfers: Sequence[Transfer]) -> list[TransferResult]: ...


class BalanceReader(Protocol):
    def account(self, account_id: int) -> Account | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentsConfig:
    cashier_base_url: str = "https://pay.bankstack.local/cashier"
    """A trade's cashier page is ``<cashier_base_url>/<trade id>``; its QR code encodes it."""
    payment_code_ttl_s: int = 60
    in_doubt_after_s: int = 30
    """A step in flight this long is taken over by ``process_due`` (its caller may be dead)."""
    challenge_ttl_s: int = 300
    """A one-time code for a challenged payment is valid this long."""
    challenge_max_attempts: int = 5


@dataclass(frozen=True, slots=True)
class Deps:
    """Everything a use case needs, built once by the composition root."""

    store: PaymentsStore
    ledger: LedgerWriter
    balances: BalanceReader
    clock: Clock
    config: PaymentsConfig
    risk: RiskDecider | None = None  # None: no risk screening (tools, some tests)
    codes: CodeSender | None = None
