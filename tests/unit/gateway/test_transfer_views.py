"""The ``/admin/transfers`` wire shape: prefixed hex ids that parse back, unscoped parties."""

from __future__ import annotations

import pytest

from bankstack.gateway.api.views import transfer_id, transfer_view
from bankstack.kernel.money import Money
from bankstack.payments import CustomerTransfer, TransferNotFound, TransferStatus


def stored(sender: str) -> CustomerTransfer:
    return CustomerTransfer(
        id=2**127 + 5,
        sender=sender,
        recipient="test.bob" if sender.startswith("test.") else "bob",
        amount=Money(1234, "CNY"),
        reference="r-1",
        status=TransferStatus.HELD_FOR_REVIEW,
        created_at=1_800_000_000_000_000_000,
        updated_at=1_800_000_000_000_000_000,
        decision_id="dec_1",
    )


@pytest.mark.parametrize(("sender", "live"), [("test.alice", False), ("alice", True)])
def test_the_view_unscopes_the_parties_and_its_id_parses_back(sender: str, live: bool):
    view = transfer_view(stored(sender))
    assert (view["sender"], view["recipient"], view["livemode"]) == ("alice", "bob", live)
    assert view["amount"] == {"amount": 1234, "currency": "CNY"}
    assert view["status"] == "held_for_review"
    assert view["id"].startswith("tfr_")
    assert transfer_id(view["id"]) == 2**127 + 5


@pytest.mark.parametrize("public_id", ["trd_" + "0" * 32, "tfr_123", "tfr_" + "g" * 32, "5"])
def test_other_ids_are_no_transfer(public_id: str):
    with pytest.raises(TransferNotFound):
        transfer_id(public_id)
