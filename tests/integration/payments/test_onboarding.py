"""Merchants, wallets and top-ups on both tiers: idempotent setup, conflicts, balances."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bankstack.kernel.money import Money
from bankstack.ledger import AccountFlags
from bankstack.payments import (
    CurrencyNotSupported,
    FundingReferenceConflict,
    FundWallet,
    MerchantConflict,
    MerchantNotFound,
    RegisterMerchant,
    WalletNotFound,
)
from bankstack.payments import accounts as acc
from tests.integration.payments.conftest import World, cny


class TestMerchants:
    def test_registering_again_is_idempotent_and_other_terms_conflict(self, world: World):
        shop = world.merchant()
        assert world.merchant() == shop
        assert world.payments.get_merchant(shop.id) == shop
        assert (shop.fee_rate, shop.commission_rate) == (Decimal("0.006"), Decimal("0.001"))
        with pytest.raises(MerchantConflict) as raised:
            world.merchant(fee="0.007")
        assert raised.value.code == "merchant_conflict"
        with pytest.raises(MerchantNotFound):
            world.payments.get_merchant("nobody")

    def test_ledger_accounts_exist_and_may_not_go_negative(self, world: World):
        shop = world.merchant()
        for account_id in (shop.settlement_account_id, shop.partner_account_id):
            account = world.runtime.reader.account(account_id or 0)
            assert account is not None
            assert account.flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
            assert account.ledger == acc.ledger_of("CNY")

    def test_an_unsupported_currency(self, world: World):
        with pytest.raises(CurrencyNotSupported):
            world.payments.register_merchant(
                RegisterMerchant(
                    merchant_id=world.name("btc"), name="n", currency="BTC", fee_rate=Decimal(0)
                )
            )
        with pytest.raises(CurrencyNotSupported):
            world.payments.open_wallet(world.name("a"), "BTC")


class TestWallets:
    def test_open_is_idempotent_and_funding_moves_money_once_per_reference(self, world: World):
        alice = world.name("alice")
        wallet = world.payments.open_wallet(alice, "CNY")
        assert world.payments.open_wallet(alice, "CNY") == wallet
        assert world.payments.get_wallet(alice, "CNY") == wallet
        cmd = FundWallet(customer_id=alice, amount=cny(2_500), reference="dep1")
        first = world.payments.fund_wallet(cmd)
        assert world.payments.fund_wallet(cmd) == first
        assert world.posted(alice) == 2_500
        with pytest.raises(FundingReferenceConflict):
            world.payments.fund_wallet(
                FundWallet(customer_id=alice, amount=cny(2_600), reference="dep1")
            )
        assert world.posted(alice) == 2_500

    def test_no_wallet_no_funding(self, world: World):
        with pytest.raises(WalletNotFound):
            world.payments.fund_wallet(
                FundWallet(customer_id=world.name("ghost"), amount=Money(1, "HKD"), reference="r")
            )
        with pytest.raises(WalletNotFound):
            world.payments.wallet_balance(world.name("ghost"), "CNY")
