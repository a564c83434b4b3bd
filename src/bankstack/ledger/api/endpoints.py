"""The ledger's HTTP endpoints (internal: staff and services), mounted at ``/v1/ledger``.

Writes go to the group-commit writer and are awaited without blocking the event loop
(``asyncio.wrap_future``, shielded: a client hanging up must not cancel a submission the
writer already holds, and it is applied either way). Reads are plain functions, which FastAPI
runs in its thread pool, since the reader does blocking database I/O.

Bodies of the money-moving POSTs are parsed by ``schemas`` straight from the raw bytes; the
request models are declared for OpenAPI only. Results come back one per item, in order, with
``"ok"`` or the result code: a failed transfer is an answer, not an HTTP error.
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from concurrent.futures import Future
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Annotated, Any, Final, Protocol, TypeVar

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.responses import Response

from bankstack.ledger import queries
from bankstack.ledger.api.auth import staff_auth
from bankstack.ledger.api.responses import (
    AccountOut,
    ResultsOut,
    StatementOut,
    TransferOut,
    account_json,
    request_body,
    statement_json,
    transfer_json,
)
from bankstack.ledger.api.schemas import (
    BATCH_LIMIT,
    CreateAccounts,
    CreateTransfers,
    accounts_from_body,
    id_param,
    time_query,
    transfers_from_body,
)
from bankstack.ledger.errors import BatchTooLarge
from bankstack.platform.problems import RequestTooLarge, problem_responses

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pydantic import SecretStr

    from bankstack.ledger.domain import Account, AccountResult, Transfer, TransferResult

MAX_BODY_BYTES: Final = 16 * 1024 * 1024  # 8190 fully spelled-out transfers take about 5 MiB
_PARSE_IN_THREAD_BYTES: Final = 64 * 1024  # bigger bodies are parsed off the event loop
_SIZE_BUCKETS: Final = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 8190)

E = TypeVar("E")
R = TypeVar("R")


AccountId = Annotated[str, Path(description="u128 as a decimal string")]
TransferId = Annotated[str, Path(description="u128 as a decimal string")]
AtTime = Annotated[str | None, Query(description="RFC 3339 time: balances effective at that time")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=1000, description="lines per page")]


class LedgerWriter(Protocol):
    def submit_accounts(self, accounts: Sequence[Account]) -> Future[list[AccountResult]]: ...
    def submit_transfers(self, transfers: Sequence[Transfer]) -> Future[list[TransferResult]]: ...


@dataclass(frozen=True, slots=True)
class LedgerMetrics:
    submissions: Histogram
    latency: Histogram
    results: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> LedgerMetrics:
        return cls(
            Histogram(
                "bankstack_ledger_submission_size",
                "Events per ledger submission (one POST).",
                ["kind"],
                buckets=_SIZE_BUCKETS,
                registry=registry,
            ),
            Histogram(
                "bankstack_ledger_submission_seconds",
                "Time from handing a submission to the writer until it is durable.",
                ["kind"],
                registry=registry,
            ),
            Counter(
                "bankstack_ledger_events",
                "Ledger events submitted, by result code.",
                ["kind", "result"],
                registry=registry,
            ),
        )


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RequestTooLarge(f"the body must be at most {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestTooLarge(f"the body must be at most {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def ledger_router(
    *,
    writer: LedgerWriter,
    reader: queries.LedgerReader,
    admin_token: SecretStr | None,
    registry: CollectorRegistry | None = None,
) -> APIRouter:
    """The ``/v1/ledger`` routes over ``writer`` and ``reader``, admitting ``admin_token``."""
    metrics = LedgerMetrics.create(registry or CollectorRegistry())
    router = APIRouter(
        prefix="/v1/ledger",
        tags=["ledger"],
        dependencies=[Depends(staff_auth(admin_token))],
        responses=problem_responses(401, 422, 503),
    )

    async def submit(
        kind: str, parse: Callable[[bytes], list[E]], send: Callable[[list[E]], Future[list[R]]],
        request: Request,
    ) -> Response:  # fmt: skip
        body = await _read_body(request)
        if len(body) > _PARSE_IN_THREAD_BYTES:
            events = await run_in_threadpool(parse, body)
        else:
            events = parse(body)
        if len(events) > BATCH_LIMIT:
            raise BatchTooLarge(
                f"at most {BATCH_LIMIT} {kind} per request, got {len(events)}",
                limit=BATCH_LIMIT,
                count=len(events),
            )
        started = perf_counter()
        results = await asyncio.shield(asyncio.wrap_future(send(events)))
        metrics.latency.labels(kind).observe(perf_counter() - started)
        metrics.submissions.labels(kind).observe(len(events))
        for result, count in Tally(results).items():
            metrics.results.labels(kind, str(result)).inc(count)
        return _json({"results": [{"index": i, "result": r} for i, r in enumerate(results)]})

    @router.post(
        "/accounts",
        summary="Create accounts",
        response_model=ResultsOut,
        openapi_extra=request_body(CreateAccounts),
    )
    async def create_accounts(request: Request) -> Response:
        """Create up to 8190 accounts; one result per account, in order."""
        return await submit("accounts", accounts_from_body, writer.submit_accounts, request)

    @router.post(
        "/transfers",
        summary="Create transfers",
        response_model=ResultsOut,
        openapi_extra=request_body(CreateTransfers),
    )
    async def create_transfers(request: Request) -> Response:
        """Create up to 8190 transfers; one result per transfer, in order.

        Every transfer carries its own id, so a retry is safe: it answers ``exists`` (or
        ``exists_with_different_*`` when the retry differs) and never moves money twice.
        """
        return await submit("transfers", transfers_from_body, writer.submit_transfers, request)

    @router.get(
        "/accounts/{account_id}",
        summary="Look up an account",
        response_model=AccountOut,
        responses=problem_responses(404),
    )
    def get_account(account_id: AccountId, at: AtTime = None) -> Response:
        at_ns = time_query(at, "at")
        account = queries.get_account(reader, id_param(account_id, "account_id"), at_ns)
        return _json(account_json(account, at_ns))

    @router.get(
        "/accounts/{account_id}/statement",
        summary="An account's statement",
        response_model=StatementOut,
        responses=problem_responses(404),
    )
    def get_statement(account_id: AccountId, cursor: Cursor = None, limit: Limit = 100) -> Response:
        """Posted movements in effective-time order, with running totals."""
        page = queries.statement(reader, id_param(account_id, "account_id"), cursor, limit)
        return _json(statement_json(page))

    @router.get(
        "/transfers/{transfer_id}",
        summary="Look up a transfer",
        response_model=TransferOut,
        responses=problem_responses(404),
    )
    def get_transfer(transfer_id: TransferId) -> Response:
        transfer, state = queries.get_transfer(reader, id_param(transfer_id, "transfer_id"))
        return _json(transfer_json(transfer, state))

    return router
