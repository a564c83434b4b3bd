"""The ledger transfers of a customer transfer (pure): wallet to wallet, directly or held.

- accepted (or confirmed): one transfer, sender's wallet -> recipient's wallet;
- held for review: the same movement as a *pending* transfer. The sender's money is reserved
  (their available balance drops) and the recipient sees only a pending credit, which is not
  available to spend; posting it completes the transfer, voiding it gives the sender their
  money back. No clearing account sits in between: the hold is the movement itself, so
  releasing it is one step that cannot half-happen.

Ids are derived from the transfer id and the step (``transfer:<id>:move``), so a retry, the
worker and a concurrent duplicate all submit the same ids and the ledger answers ``exists``
instead of moving the money twice. The hold has no ledger timeout: a review may take days, and
only its case decides.
"""

from __future__ import annotations

from typing import Final

from bankstack.ledger import AMOUNT_MAX, Transfer, TransferFlags
from bankstack.payments import accounts as acc
from bankstack.payments.accounts import TransferCode
from bankstack.payments.records import CustomerTransfer

_PENDING: Final = int(TransferFlags.PENDING)
_POST: Final = int(TransferFlags.POST_PENDING_TRANSFER)
_VOID: Final = int(TransferFlags.VOID_PENDING_TRANSFER)


def step_id(transfer: CustomerTransfer, step: str) -> int:
    return acc.derived_id(f"transfer:{transfer.id}:{step}")


def _movement(transfer: CustomerTransfer, step: str, flags: int) -> Transfer:
    currency = transfer.currency
    return Transfer(
        step_id(transfer, step),
        acc.wallet_account_id(transfer.sender, currency),
        acc.wallet_account_id(transfer.recipient, currency),
        transfer.amount.minor,
        ledger=acc.ledger_of(currency),
        code=TransferCode.CUSTOMER_TRANSFER,
        user_data=transfer.id,
        flags=flags,
    )


def move_transfer(transfer: CustomerTransfer) -> Transfer:
    """The transfer as one posted movement."""
    return _movement(transfer, "move", 0)


def hold_transfer(transfer: CustomerTransfer) -> Transfer:
    """The transfer as a pending movement, until its review is decided."""
    return _movement(transfer, "hold", _PENDING)


def in_flight_step(transfer: CustomerTransfer) -> Transfer:
    """What a ``processing`` transfer submits: the hold when risk asked for a review."""
    return hold_transfer(transfer) if transfer.via_hold else move_transfer(transfer)


def post_transfer(transfer: CustomerTransfer) -> Transfer:
    """The review cleared the sender: post the hold in full (the recipient has the money)."""
    return Transfer(
        step_id(transfer, "post"),
        pending_id=step_id(transfer, "hold"),
        amount=AMOUNT_MAX,
        user_data=transfer.id,
        flags=_POST,
    )


def void_transfer(transfer: CustomerTransfer) -> Transfer:
    """The review confirmed fraud: void the hold (the sender's money never left)."""
    return Transfer(
        step_id(transfer, "void"),
        pending_id=step_id(transfer, "hold"),
        user_data=transfer.id,
        flags=_VOID,
    )
