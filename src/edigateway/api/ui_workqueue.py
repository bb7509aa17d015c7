"""The dashboard's Today page (``/ui/``) and the work queue: the open items filtered by
reason, payer and age, one item with its codes in words, and resolving it with a note —
the same use cases as ``/v1/workqueue``, audited as the user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from edigateway.api.deps import GatewayDep, RowId
from edigateway.api.ui_common import Csrf, QueueReader, QueueWriter, Session, render
from edigateway.domain.postings import WorkReason
from edigateway.errors import EdigatewayError, NotFoundError
from edigateway.services import dashboard
from edigateway.services.work_queue import resolve_work_item

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request, session: QueueReader, gateway: GatewayDep) -> HTMLResponse:
    """Today: what needs action (work queue); filing limits and A/R with reports:read."""
    data = dashboard.today(
        gateway.database,
        session.caller,
        now=gateway.clock(),
        with_aging=session.can("reports:read"),
    )
    return render(request, "today.html", session, data=data)


@router.get("/workqueue", response_class=HTMLResponse)
def workqueue_page(
    request: Request,
    session: QueueReader,
    gateway: GatewayDep,
    reason: Annotated[str | None, Query(max_length=200)] = None,
    payer: Annotated[str | None, Query(max_length=80)] = None,
    age: Annotated[str, Query(max_length=4, pattern=r"^\d*$")] = "",
) -> HTMLResponse:
    """The open items, filtered by reason, payer and age (an empty field = no filter, as
    a browser sends every field of the form)."""
    items = dashboard.work_queue(
        gateway.database,
        session.caller,
        gateway.codes,
        reason=reason or None,
        payer_id=payer or None,
        min_age_days=int(age) if age else None,
        now=gateway.clock(),
    )
    return render(
        request,
        "workqueue.html",
        session,
        items=items,
        reasons=[r.value for r in WorkReason],
        payers=dashboard.payers_with_items(gateway.database, session.caller),
        filters={"reason": reason, "payer": payer, "age": age},
    )


def _work_item(session: Session, gateway: Gateway, item_id: int) -> dashboard.WorkItem:
    """A work item; the 835 segment it came from only for keys that may read ERAs."""
    return dashboard.work_item(
        gateway.database,
        session.caller,
        gateway.codes,
        item_id,
        now=gateway.clock(),
        with_segment=session.can("remittances:read"),
    )


@router.get("/workqueue/{item_id:int}", response_class=HTMLResponse)
def workitem_page(
    request: Request, item_id: RowId, session: QueueReader, gateway: GatewayDep
) -> HTMLResponse:
    """One item with its codes explained and the resolve form."""
    return render(request, "workitem.html", session, item=_work_item(session, gateway, item_id))


@router.post("/workqueue/{item_id:int}/resolve")
def resolve(
    request: Request,
    item_id: RowId,
    session: QueueWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    preset: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Resolve with the note (or the chosen common resolution); audited."""
    session.check(request, csrf)
    text = note.strip() or preset.strip()
    try:
        resolve_work_item(
            gateway.database,
            item_id,
            note=text,
            now=gateway.clock(),
            practice_id=session.caller.practice_id,
            actor=session.caller.actor,
            remote_addr=session.caller.remote_addr,
        )
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        return render(
            request,
            "workitem.html",
            session,
            status=422,
            item=_work_item(session, gateway, item_id),
            error=str(exc),
        )
    return RedirectResponse(f"/ui/workqueue/{item_id}", status_code=303)
