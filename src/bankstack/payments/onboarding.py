"""Use cases that set up who takes part: currencies, merchants, wallets and wallet top-ups.

Ledger accounts are created first, then the payments row: account creation is idempotent
(the ledger answers ``exists``), so a crash between the two is repaired by calling again.
"""

from __future__ import annotations

from collections.abc import Sequence

from bankstack.kernel.money import Money
from bankstack.ledger import Account, AccountResult, TransferResult
from bankstack.payments import accounts as acc
from bankstack.payments.commands import (
    PARTY_ID,
    FundWallet,
    RegisterMerchant,
    WalletBalance,
    check_pattern,
)
from bankstack.payments.errors import (
    FundingReferenceConflict,
    LedgerRefused,
    MerchantConflict,
    MerchantNotFound,
    WalletNotFound,
)
from bankstack.payments.fees import check_rates, rate_to_ppm
from bankstack.payments.ports import Deps
from bankstack.payments.records import Merchant, Wallet
from bankstack.payments.transfers import funding_transfer

_CREATED = frozenset({AccountResult.OK, AccountResult.EXISTS})


def create_accounts(deps: Deps, accounts: Sequence[Account]) -> None:
    results = deps.ledger.create_accounts(accounts)
    refused = {str(a.id): r for a, r in zip(accounts, results, strict=True) if r not in _CREATED}
    if refused:
        raise LedgerRefused("the ledger refused payments accounts", results=refused)


def setup_currency(deps: Deps, currency: str) -> None:
    """Create the platform's fee, escrow and funding accounts in ``currency`` (idempotent)."""
    create_accounts(deps, acc.platform_accounts(currency))


def register_merchant(deps: Deps, cmd: RegisterMerchant) -> Merchant:
    """Register the merchant and create its ledger accounts; registering again with the same
    terms returns it, with other terms raises ``merchant_conflict``."""
    merchant = _merchant(deps, cmd)
    with deps.store.read() as uow:
        existing = uow.merchants.get(merchant.id)
    if existing is None:
        create_accounts(deps, _merchant_accounts(merchant))
        with deps.store.write() as uow:
            inserted = uow.merchants.add(merchant)
            existing = merchant if inserted else uow.merchants.get(merchant.id)
            uow.commit()
    if existing is None or not existing.same_terms(merchant):
        raise MerchantConflict(
            "a merchant with this id exists with other terms", merchant_id=merchant.id
        )
    return existing


def _merchant(deps: Deps, cmd: RegisterMerchant) -> Merchant:
    fee_ppm = rate_to_ppm(cmd.fee_rate, field="fee_rate")
    commission_ppm = rate_to_ppm(cmd.commission_rate, field="commission_rate")
    check_rates(fee_ppm, commission_ppm)
    currency = cmd.currency
    acc.ledger_of(currency)  # raises currency_not_supported
    return Merchant(
        id=cmd.merchant_id,
        name=cmd.name,
        currency=currency,
        fee_ppm=fee_ppm,
        settlement_account_id=acc.merchant_account_id(cmd.merchant_id, currency),
        partner_id=cmd.partner_id,
        commission_ppm=commission_ppm,
        partner_account_id=(
            acc.partner_account_id(cmd.partner_id, currency) if cmd.partner_id else None
        ),
        created_at=deps.clock.now_ns(),
    )


def _merchant_accounts(merchant: Merchant) -> list[Account]:
    currency = merchant.currency
    accounts = acc.platform_accounts(currency)
    accounts.append(
        acc.owned_account(merchant.settlement_account_id, currency, acc.AccountCode.MERCHANT)
    )
    if merchant.partner_account_id is not None:
        accounts.append(
            acc.owned_account(merchant.partner_account_id, currency, acc.AccountCode.PARTNER)
        )
    return accounts


def get_merchant(deps: Deps, merchant_id: str) -> Merchant:
    with deps.store.read() as uow:
        merchant = uow.merchants.get(merchant_id)
    if merchant is None:
        raise MerchantNotFound(f"no merchant {merchant_id!r}", merchant_id=merchant_id)
    return merchant


def open_wallet(deps: Deps, customer_id: str, currency: str) -> Wallet:
    """The customer's wallet in ``currency``, created on first call."""
    check_pattern(customer_id, PARTY_ID, "customer_id")
    with deps.store.read() as uow:
        existing = uow.wallets.get(customer_id, currency)
    if existing is not None:
        return existing
    account_id = acc.wallet_account_id(customer_id, currency)
    accounts = acc.platform_accounts(currency)
    accounts.append(acc.owned_account(account_id, currency, acc.AccountCode.WALLET))
    create_accounts(deps, accounts)
    wallet = Wallet(
        customer_id=customer_id,
        currency=currency,
        account_id=account_id,
        created_at=deps.clock.now_ns(),
    )
    with deps.store.write() as uow:
        if not uow.wallets.add(wallet):
            wallet = uow.wallets.get(customer_id, currency) or wallet
        uow.commit()
    return wallet


def get_wallet(deps: Deps, customer_id: str, currency: str) -> Wallet:
    with deps.store.read() as uow:
        wallet = uow.wallets.get(customer_id, currency)
    if wallet is None:
        raise WalletNotFound(
            f"{customer_id!r} has no {currency} wallet", customer_id=customer_id, currency=currency
        )
    return wallet


def fund_wallet(deps: Deps, cmd: FundWallet) -> int:
    """Credit the wallet from the funding account; the same ``reference`` twice moves the
    money once. Returns the ledger transfer id."""
    get_wallet(deps, cmd.customer_id, cmd.amount.asset)
    transfer = funding_transfer(cmd.customer_id, cmd.amount, cmd.reference)
    (result,) = deps.ledger.create_transfers([transfer])
    if result.startswith("exists_with_different"):
        raise FundingReferenceConflict(
            "this reference funded a different amount", reference=cmd.reference
        )
    if result not in {TransferResult.OK, TransferResult.EXISTS}:
        raise LedgerRefused("the ledger refused the funding", result=result)
    return transfer.id


def balance_of(deps: Deps, account_id: int, currency: str) -> WalletBalance:
    account = deps.balances.account(account_id)
    if account is None:
        raise LedgerRefused("a payments account is missing from the ledger", account=account_id)
    posted = account.credits_posted - account.debits_posted
    return WalletBalance(
        account_id=account_id,
        posted=Money(posted, currency),
        available=Money(posted - account.debits_pending, currency),
    )


def wallet_balance(deps: Deps, customer_id: str, currency: str) -> WalletBalance:
    wallet = get_wallet(deps, customer_id, currency)
    return balance_of(deps, wallet.account_id, currency)


def merchant_balance(deps: Deps, merchant_id: str) -> WalletBalance:
    merchant = get_merchant(deps, merchant_id)
    return balance_of(deps, merchant.settlement_account_id, merchant.currency)
