"""``/risk``: the review queue for staff (bearer token), built by ``cases_router``.

    GET  /risk/cases                     the queue: ?status=, cursor pages, most urgent first
    GET  /risk/cases/{id}                a case with its links, history and alerts
    POST /risk/cases/{id}/assign         {"assignee", "staff_id"}
    POST /risk/cases/{id}/investigate    {"staff_id", "note"?}
    POST /risk/cases/{id}/resolve        {"confirmed", "note", "staff_id"}
    GET  /risk/alerts?subject=           a subject's newest alerts

Who may call is decided by ``staff_dependency``: the composition root passes the staff check
it uses elsewhere (the gateway's ``staff_only(admin_token)``, ``Authorization: Bearer
<BANKSTACK_ADMIN_TOKEN>``). Risk cannot import the gateway (it sits above risk), so the check
comes in as a parameter instead of a second token mechanism here. The admin token names no
person, so, as in the gateway's dispute resolution, each change carries the ``staff_id`` that
the case history records as its actor.

Errors are the app's problem+json (platform/problems.py): ``risk.case_not_found`` 404,
``risk.case_transition_invalid`` 409 (a final case, a case already under investigation),
``risk.case_query_invalid`` and ``request.invalid`` 422. Endpoints are plain functions: FastAPI
runs them in its thread pool, since the store does blocking database I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from bankstack.platform.problems import problem_responses
from bankstack.risk.api.case_views import alerts_view, case_file_view, case_view, queue_view
from bankstack.risk.cases.queue import DEFAULT_LIMIT, MAX_LIMIT
from bankstack.risk.cases.records import CaseStatus
from bankstack.risk.cases.service import CaseService

_STRICT: Final = ConfigDict(extra="forbid")
_PARTY: Final = r"^[A-Za-z0-9_.:@-]{1,64}$"
_NOTE_MAX: Final = 4000

CaseId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
StaffId = Annotated[StrictStr, Field(pattern=_PARTY, description="who acts (recorded)")]
Note = Annotated[StrictStr, Field(max_length=_NOTE_MAX)]


class AssignIn(BaseModel):
    model_config = _STRICT
    assignee: Annotated[StrictStr, Field(pattern=_PARTY)]
    staff_id: StaffId


class InvestigateIn(BaseModel):
    model_config = _STRICT
    staff_id: StaffId
    note: Note = ""


class ResolveIn(BaseModel):
    model_config = _STRICT
    confirmed: StrictBool = Field(description="true: fraud confirmed; false: false positive")
    note: Annotated[StrictStr, Field(min_length=1, max_length=_NOTE_MAX)]
    staff_id: StaffId


def cases_router(service: CaseService, staff_dependency: Callable[..., Any]) -> APIRouter:
    """The ``/risk`` router over ``service``, every route behind ``staff_dependency``."""
    router = APIRouter(
        prefix="/risk",
        tags=["risk"],
        dependencies=[Depends(staff_dependency)],
        responses=problem_responses(401, 422),
    )

    @router.get("/cases", summary="The review queue, most urgent first, then oldest")
    def queue(
        status: Annotated[
            CaseStatus | None, Query(description="default: open and investigating")
        ] = None,
        cursor: Annotated[str | None, Query(max_length=300)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        return queue_view(service.queue(status, cursor, limit))

    @router.get(
        "/cases/{case_id}",
        summary="A case with its links, history and alerts",
        responses=problem_responses(404),
    )
    def get_case(case_id: CaseId) -> dict[str, Any]:
        return case_file_view(service.get(case_id))

    @router.post(
        "/cases/{case_id}/assign", summary="Assign a case", responses=problem_responses(404, 409)
    )
    def assign(case_id: CaseId, body: AssignIn) -> dict[str, Any]:
        return case_view(service.assign(case_id, body.assignee, actor=body.staff_id))

    @router.post(
        "/cases/{case_id}/investigate",
        summary="Start investigating a case (assigns it to the caller if unassigned)",
        responses=problem_responses(404, 409),
    )
    def investigate(case_id: CaseId, body: InvestigateIn) -> dict[str, Any]:
        changed = service.start_investigation(case_id, actor=body.staff_id, note=body.note)
        return case_view(changed)

    @router.post(
        "/cases/{case_id}/resolve",
        summary="Resolve a case: fraud confirmed or false positive (final)",
        responses=problem_responses(404, 409),
    )
    def resolve(case_id: CaseId, body: ResolveIn) -> dict[str, Any]:
        return case_view(
            service.resolve(case_id, confirmed=body.confirmed, actor=body.staff_id, note=body.note)
        )

    @router.get("/alerts", summary="A subject's newest alerts")
    def alerts(
        subject: Annotated[str, Query(min_length=1, max_length=64)],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        return alerts_view(service.alerts(subject, limit))

    return router
