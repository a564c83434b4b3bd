"""The smallest app shaped like one ``/v1`` call: a JSON body validated by pydantic, an endpoint,
a JSON answer. No middleware, database, signatures or idempotency: what uvicorn, Starlette,
FastAPI and pydantic cost by themselves, as a sync endpoint (run in anyio's worker threads,
as bankstack's are) and as a coroutine (on the event loop)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Amount(BaseModel):
    amount: int
    currency: str


class TradeIn(BaseModel):
    out_trade_no: str
    amount: Amount
    subject: str
    method: str = "qr"


def _answer(body: TradeIn) -> dict[str, Any]:
    return {
        "object": "trade",
        "id": "trd_" + "0" * 32,
        "status": "waiting",
        "out_trade_no": body.out_trade_no,
        "amount": body.amount.model_dump(),
        "subject": body.subject,
    }


@app.post("/sync", status_code=201)
def create_sync(body: TradeIn) -> dict[str, Any]:
    return _answer(body)


@app.post("/async", status_code=201)
async def create_async(body: TradeIn) -> dict[str, Any]:
    return _answer(body)
