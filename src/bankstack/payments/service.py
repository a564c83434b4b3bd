"""``PaymentsService``: the one object the API, the worker and other domains call.

Each method is one use case (implemented in the module named in its section) and runs
synchronously: a method that moves money returns once the ledger has committed the movement
and the payments state recording it. Errors are ``bankstack.payments.errors`` classes (see
that module for the codes); ``ledger.unavailable`` (``LedgerUnavailable``) may also come
through from the ledger writer and means "retry the same call": every step is idempotent.

Trades are named by a ``TradeRef`` or, for convenience, by their id (an ``int``).
"""

from __future__ import annotations

from datetime import UTC, date, tzinfo

from bankstack.kernel.clock import Clock
from bankstack.payments import (
    escrow,
    lifecycle,
    onboarding,
    p2p,
    p2p_review,
    paying,
    refunding,
    review,
    screening,
    settlement,
)
from bankstack.payments import trading as trades
from bankstack.payments.commands import (
    CancelResult,
    CreateTrade,
    DueReport,
    FundWallet,
    PayByCode,
    PrecreateResult,
    RefundTrade,
    RegisterMerchant,
    SendMoney,
    TradeRef,
    TransferRef,
    WalletBalance,
)
from bankstack.payments.domain import Trade
from bankstack.payments.ports import (
    BalanceReader,
    CodeSender,
    Deps,
    LedgerWriter,
    PaymentsConfig,
    PaymentsStore,
    RiskDecider,
)
from bankstack.payments.records import (
    CustomerTransfer,
    DisputeOutcome,
    IssuedCode,
    Merchant,
    Refund,
    Wallet,
)
from bankstack.payments.screening import PayerContext
from bankstack.payments.settlement import ReconciliationReport, SettlementLine


def _ref(trade: TradeRef | int) -> TradeRef:
    return trade if isinstance(trade, TradeRef) else TradeRef.by_id(trade)


def _transfer(transfer: TransferRef | int) -> TransferRef:
    return transfer if isinstance(transfer, TransferRef) else TransferRef(transfer)


class PaymentsService:
    def __init__(
        self,
        *,
        store: PaymentsStore,
        ledger: LedgerWriter,
        balances: BalanceReader,
        clock: Clock,
        config: PaymentsConfig | None = None,
        risk: RiskDecider | None = None,
        codes: CodeSender | None = None,
    ) -> None:
        self._deps = Deps(store, ledger, balances, clock, config or PaymentsConfig(), risk, codes)

    # -- parties (onboarding.py) -------------------------------------------------------------

    def setup_currency(self, currency: str) -> None:
        onboarding.setup_currency(self._deps, currency)

    def register_merchant(self, cmd: RegisterMerchant) -> Merchant:
        return onboarding.register_merchant(self._deps, cmd)

    def get_merchant(self, merchant_id: str) -> Merchant:
        return onboarding.get_merchant(self._deps, merchant_id)

    def open_wallet(self, customer_id: str, currency: str) -> Wallet:
        return onboarding.open_wallet(self._deps, customer_id, currency)

    def get_wallet(self, customer_id: str, currency: str) -> Wallet:
        return onboarding.get_wallet(self._deps, customer_id, currency)

    def fund_wallet(self, cmd: FundWallet) -> int:
        return onboarding.fund_wallet(self._deps, cmd)

    def wallet_balance(self, customer_id: str, currency: str) -> WalletBalance:
        return onboarding.wallet_balance(self._deps, customer_id, currency)

    def merchant_balance(self, merchant_id: str) -> WalletBalance:
        return onboarding.merchant_balance(self._deps, merchant_id)

    # -- trades (trading.py, paying.py, lifecycle.py) ---------------------------------------

    def precreate(self, cmd: CreateTrade) -> PrecreateResult:
        return trades.precreate_trade(self._deps, cmd)

    def create(self, cmd: CreateTrade) -> Trade:
        return trades.create_trade(self._deps, cmd)

    def cashier_url(self, trade_id: int) -> str:
        return trades.cashier_url(self._deps, trade_id)

    def query(self, trade: TradeRef | int) -> Trade:
        return trades.query_trade(self._deps, _ref(trade))

    def list_trades(
        self, merchant_id: str, *, before: tuple[int, int] | None = None, limit: int = 20
    ) -> list[Trade]:
        """The merchant's trades newest first; ``before`` = (created_at, id) of the last one
        of the previous page."""
        return trades.list_trades(self._deps, merchant_id, before, limit)

    def close(self, trade: TradeRef | int) -> Trade:
        return trades.close_trade(self._deps, _ref(trade))

    def cancel(self, trade: TradeRef | int) -> CancelResult:
        return lifecycle.cancel_trade(self._deps, _ref(trade))

    def issue_payment_code(self, customer_id: str) -> IssuedCode:
        return paying.issue_payment_code(self._deps, customer_id)

    def pay(self, cmd: PayByCode) -> Trade:
        return paying.pay_by_code(self._deps, cmd)

    def pay_with_wallet(
        self, trade: TradeRef | int, customer_id: str, context: PayerContext | None = None
    ) -> Trade:
        return paying.pay_with_wallet(self._deps, _ref(trade), customer_id, context)

    # -- risk screening (screening.py, review.py) -------------------------------------------

    def confirm_challenge(self, trade: TradeRef | int, customer_id: str, code: str) -> None:
        screening.confirm_challenge(self._deps, _ref(trade), customer_id, code)

    def resolve_review(self, trade_id: int, payer_id: str, *, release: bool) -> Trade:
        return review.resolve_review(self._deps, trade_id, payer_id, release=release)

    # -- customer transfers (p2p.py, p2p_review.py) ----------------------------------------

    def send_money(self, cmd: SendMoney, context: PayerContext | None = None) -> CustomerTransfer:
        """Send money wallet to wallet after risk screening: ``completed``, or
        ``held_for_review`` (money reserved); a rejected or challenged one raises."""
        return p2p.send_money(self._deps, cmd, context)

    def confirm_transfer(self, transfer: TransferRef | int, code: str) -> CustomerTransfer:
        return p2p.confirm_transfer(self._deps, _transfer(transfer), code)

    def get_transfer(self, transfer: TransferRef | int) -> CustomerTransfer:
        return p2p.get_transfer(self._deps, _transfer(transfer))

    def resolve_transfer_review(self, transfer_id: int, *, release: bool) -> CustomerTransfer:
        return p2p_review.resolve_transfer_review(self._deps, transfer_id, release=release)

    # -- refunds (refunding.py) --------------------------------------------------------------

    def refund(self, cmd: RefundTrade) -> Refund:
        return refunding.refund_trade(self._deps, cmd)

    def query_refund(self, trade: TradeRef | int, out_refund_no: str) -> Refund:
        return refunding.query_refund(self._deps, _ref(trade), out_refund_no)

    def list_refunds(self, trade: TradeRef | int) -> list[Refund]:
        return refunding.list_refunds(self._deps, _ref(trade))

    # -- escrow (escrow.py) ------------------------------------------------------------------

    def confirm_receipt(self, trade: TradeRef | int, customer_id: str) -> Trade:
        return escrow.confirm_receipt(self._deps, _ref(trade), customer_id)

    def refund_escrow(self, trade: TradeRef | int) -> Trade:
        return escrow.refund_escrow(self._deps, _ref(trade))

    def dispute(self, trade: TradeRef | int, reason: str) -> Trade:
        return escrow.dispute_escrow(self._deps, _ref(trade), reason)

    def resolve_dispute(
        self, trade: TradeRef | int, *, staff_id: str, outcome: DisputeOutcome
    ) -> Trade:
        return escrow.resolve_dispute(self._deps, _ref(trade), staff_id, outcome)

    # -- settlement (settlement.py) ----------------------------------------------------------

    def settlement_lines(
        self, merchant_id: str, day: date, tz: tzinfo = UTC
    ) -> list[SettlementLine]:
        return settlement.settlement_lines(self._deps, merchant_id, day, tz)

    def settlement_csv(self, merchant_id: str, day: date, tz: tzinfo = UTC) -> str:
        return settlement.settlement_csv(self._deps, merchant_id, day, tz)

    def reconcile(
        self, external_csv: str, merchant_id: str, day: date, tz: tzinfo = UTC
    ) -> ReconciliationReport:
        return settlement.reconcile(self._deps, external_csv, merchant_id, day, tz)

    # -- the worker (lifecycle.py) -----------------------------------------------------------

    def process_due(self, now_ns: int | None = None, limit: int = 500) -> DueReport:
        """Expire unpaid trades, act on escrow deadlines, recover steps left in flight."""
        return lifecycle.process_due(self._deps, now_ns, limit)
