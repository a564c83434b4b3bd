"""``/admin/transfers``: customer-to-customer transfers for staff and tests (no customer API yet).

A transfer goes through payments' risk screening as a customer's would. The answer says where
it stands: ``201`` when the recipient has the money; ``202`` when it waits, either for the
sender's one-time code (``pending_challenge``: confirm it at ``/admin/transfers/{id}/confirm``)
or for a review case (``held_for_review``: the sender's money is reserved). Refusals are
problem+json through the partner mapping: a risk rejection or insufficient funds is ``402``,
the same reference with other parameters ``409 transfer_reference_conflict``.

Parties are customer ids scoped by mode, as ``/admin/wallets``: test mode works on
``test.<id>``. The transfer's ``reference`` is the idempotency key: sending again answers the
same transfer and moves no money twice.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from bankstack.gateway.api.views import AmountIn, scoped, transfer_id, transfer_view
from bankstack.payments import (
    ChallengeRequired,
    CustomerTransfer,
    PayerContext,
    PaymentsService,
    SendMoney,
    TransferRef,
    TransferStatus,
)

_STRICT = ConfigDict(extra="forbid")
_ID = r"^[A-Za-z0-9_-]{1,64}$"


class TransferIn(BaseModel):
    model_config = _STRICT
    sender: Annotated[StrictStr, Field(pattern=_ID)]
    recipient: Annotated[StrictStr, Field(pattern=_ID)]
    amount: AmountIn
    reference: Annotated[StrictStr, Field(pattern=_ID, description="The sender's idempotency key")]
    mode: Literal["test", "live"] = "test"
    device_id: Annotated[StrictStr, Field(min_length=1, max_length=128)] | None = None
    ip: Annotated[StrictStr, Field(min_length=1, max_length=64)] | None = None


class ConfirmIn(BaseModel):
    model_config = _STRICT
    code: Annotated[StrictStr, Field(pattern=r"^[0-9]{6}$", description="The one-time code")]


def transfer_routes(router: APIRouter, payments: PaymentsService) -> None:
    @router.post("/transfers", status_code=201, summary="Send money from one customer to another")
    def send(body: TransferIn, response: Response) -> dict[str, Any]:
        live = body.mode == "live"
        cmd = SendMoney(
            sender=scoped(body.sender, livemode=live),
            recipient=scoped(body.recipient, livemode=live),
            amount=body.amount.money(),
            reference=body.reference,
        )
        context = PayerContext(device_id=body.device_id, ip=body.ip)
        try:
            transfer = payments.send_money(cmd, context)
        except ChallengeRequired:
            # Not a refusal: the transfer is stored and waits for the code sent to the sender.
            transfer = payments.get_transfer(TransferRef(cmd.transfer_id))
        return _answer(transfer, response)

    @router.post("/transfers/{transfer}/confirm", summary="Confirm with the one-time code")
    def confirm(transfer: str, body: ConfirmIn, response: Response) -> dict[str, Any]:
        confirmed = payments.confirm_transfer(transfer_id(transfer), body.code)
        return _answer(confirmed, response, done=200)

    @router.get("/transfers/{transfer}", summary="A customer transfer")
    def get(transfer: str) -> dict[str, Any]:
        return transfer_view(payments.get_transfer(transfer_id(transfer)))


def _answer(transfer: CustomerTransfer, response: Response, *, done: int = 201) -> dict[str, Any]:
    waiting = {TransferStatus.PENDING_CHALLENGE, TransferStatus.HELD_FOR_REVIEW}
    response.status_code = 202 if transfer.status in waiting else done
    return transfer_view(transfer)
