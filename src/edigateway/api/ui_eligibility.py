"""The dashboard's Eligibility pages (``/ui/eligibility``): check a patient now, the
verification queue (patients to verify before their visits, checked in bulk), the kept
checks (history), one check with its benefits, service history and raw 271, and the
patient's estimate from a check as PDF.

The same sessions, scopes, CSRF and origin checks as every other page (:mod:`.ui`): the
eligibility pages need the ``eligibility`` scope, the estimate ``estimates``. URLs hold
record IDs only; names and member IDs travel in form posts.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from edigateway.api.deps import GatewayDep, RowId
from edigateway.api.ui_common import Csrf, Session, page, render
from edigateway.domain.eligibility import (
    EligibilityInquiry,
    PlannedProcedure,
    TreatmentPlan,
)
from edigateway.errors import (
    EdigatewayError,
    InputError,
    MemberNotFoundError,
    NotFoundError,
    TransportError,
)
from edigateway.services import estimates, verifications, visits
from edigateway.services.eligibility import describe_benefits
from edigateway.services.estimate_documents import render_pdf

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway

router = APIRouter(prefix="/ui/eligibility", include_in_schema=False)
EligibilityPage = Annotated[Session, Depends(page("eligibility"))]
EstimatesPage = Annotated[Session, Depends(page("estimates"))]
Text = Annotated[str, Form(max_length=80)]


def _overview(
    request: Request,
    session: Session,
    gateway: Gateway,
    *,
    days: int,
    within: int,
    status: int = 200,
    **more: Any,
) -> HTMLResponse:
    queue = visits.queue(
        gateway.database,
        session.caller,
        days=days,
        within=within,
        today=gateway.clock().date(),
        now=gateway.clock(),
    )
    history, total = verifications.list_verifications(
        gateway.database,
        session.caller,
        member_id=None,
        patient=None,
        limit=50,
        offset=0,
        now=gateway.clock(),
    )
    return render(
        request,
        "eligibility.html",
        session,
        status=status,
        queue=queue,
        history=history,
        total=total,
        days=days,
        within=within,
        **more,
    )


@router.get("", response_class=HTMLResponse)
def eligibility_page(
    request: Request,
    session: EligibilityPage,
    gateway: GatewayDep,
    days: Annotated[int, Query(ge=0, le=365)] = 30,
    within: Annotated[int, Query(ge=0, le=180)] = 14,
) -> HTMLResponse:
    """The check form, the verification queue and the latest kept checks."""
    return _overview(request, session, gateway, days=days, within=within)


def _person(
    last: str, first: str, born: str, member: str | None = None, relationship: str | None = None
) -> dict[str, Any] | None:
    if not last.strip():
        return None
    return {
        "name": {"last_name": last, "first_name": first or None},
        "date_of_birth": born or None,
        "member_id": member,
        "relationship": relationship or None,
    }


@router.post("/check")
def check(
    request: Request,
    session: EligibilityPage,
    gateway: GatewayDep,
    csrf: Csrf = "",
    payer_id: Text = "",
    payer_name: Text = "",
    member_id: Text = "",
    subscriber_last_name: Text = "",
    subscriber_first_name: Text = "",
    subscriber_date_of_birth: Text = "",
    patient_last_name: Text = "",
    patient_first_name: Text = "",
    patient_date_of_birth: Text = "",
    relationship: Text = "",
) -> Response:
    """Ask the payer now; the kept check's page, or the form again with what is wrong."""
    session.check(request, csrf)
    now = gateway.clock()
    try:
        inquiry = EligibilityInquiry.model_validate(
            {
                "trace_number": f"UI{session.caller.practice_id}-{now:%Y%m%d%H%M%S%f}",
                "payer": {"payer_id": payer_id, "name": payer_name},
                "provider": verifications.practice_provider(gateway.database, session.caller),
                "subscriber": {
                    **(
                        _person(
                            subscriber_last_name, subscriber_first_name, subscriber_date_of_birth
                        )
                        or {}
                    ),
                    "member_id": member_id or None,
                },
                "dependent": _person(
                    patient_last_name,
                    patient_first_name,
                    patient_date_of_birth,
                    relationship=relationship,
                ),
                "service_date": now.date(),
            }
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return _overview(
            request,
            session,
            gateway,
            days=30,
            within=14,
            status=422,
            error=f"the inquiry is incomplete: {problems}",
        )
    try:
        done = verifications.check(
            gateway.database, session.caller, inquiry, realtime=gateway.realtime(), channel="ui"
        )
    except MemberNotFoundError as exc:
        return RedirectResponse(f"/ui/eligibility/{exc.verification_ids[0]}", status_code=303)
    except TransportError as exc:
        return _overview(
            request,
            session,
            gateway,
            days=30,
            within=14,
            status=502,
            error=f"the payer could not be asked: {exc}",
        )
    return RedirectResponse(f"/ui/eligibility/{done.verification.id}", status_code=303)


@router.post("/verify-queue", response_class=HTMLResponse)
def verify_queue(
    request: Request,
    session: EligibilityPage,
    gateway: GatewayDep,
    csrf: Csrf = "",
    days: Annotated[int, Form(ge=0, le=365)] = 30,
    within: Annotated[int, Form(ge=0, le=180)] = 14,
) -> HTMLResponse:
    """Check every patient of the queue now; the page with each outcome."""
    session.check(request, csrf)
    outcomes = visits.verify_queue(
        gateway.database,
        session.caller,
        days=days,
        within=within,
        today=gateway.clock().date(),
        realtime=gateway.realtime(),
    )
    return _overview(request, session, gateway, days=days, within=within, outcomes=outcomes)


def _detail(
    request: Request,
    session: Session,
    gateway: Gateway,
    verification_id: int,
    status: int = 200,
    **more: Any,
) -> HTMLResponse:
    detail = verifications.get(
        gateway.database, session.caller, verification_id, now=gateway.clock()
    )
    return render(
        request,
        "verification.html",
        session,
        status=status,
        v=detail,
        described=[describe_benefits(b) for b in detail.benefits],
        history=[h for b in detail.benefits for h in b.service_history],
        **more,
    )


@router.get("/{verification_id:int}", response_class=HTMLResponse)
def verification_page(
    request: Request, verification_id: RowId, session: EligibilityPage, gateway: GatewayDep
) -> HTMLResponse:
    """One kept check: the benefits, service history, the raw 271, the estimate form."""
    return _detail(request, session, gateway, verification_id)


def _plan(lines: str) -> TreatmentPlan:
    """``D1110 110.00`` per line (optionally a tooth: ``D2391 210.00 19``)."""
    procedures = []
    for number, line in enumerate(filter(None, (ln.strip() for ln in lines.splitlines())), start=1):
        parts = line.split()
        if len(parts) not in (2, 3):
            raise InputError(
                f"procedure line {number}: write the code and the fee, e.g. "
                "D1110 110.00 (and a tooth, if any)"
            )
        try:
            fee = Decimal(parts[1])
        except InvalidOperation as exc:
            raise InputError(f"procedure line {number}: {parts[1]!r} is not a fee") from exc
        try:
            procedures.append(
                PlannedProcedure(
                    procedure_code=parts[0].upper(),
                    fee=fee,
                    tooth=parts[2] if len(parts) == 3 else None,
                )
            )
        except ValidationError as exc:
            raise InputError(
                f"procedure line {number}: " + "; ".join(e["msg"] for e in exc.errors())
            ) from exc
    if not procedures:
        raise InputError("list at least one procedure")
    return TreatmentPlan(procedures=procedures)


@router.post("/{verification_id:int}/estimate")
def estimate_pdf(
    request: Request,
    verification_id: RowId,
    session: EstimatesPage,
    gateway: GatewayDep,
    csrf: Csrf = "",
    procedures: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """The patient's estimate from this check's benefits, on the fee schedule, as PDF."""
    session.check(request, csrf)
    session.principal.require("eligibility")  # the page it comes back to shows the check
    try:
        result = estimates.estimate_plan(
            gateway.database,
            session.caller,
            _plan(procedures),
            verification_id=verification_id,
            now=gateway.clock(),
        )
    except NotFoundError:
        raise
    except EdigatewayError as exc:
        return _detail(
            request,
            session,
            gateway,
            verification_id,
            status=422,
            error=str(exc),
            procedures=procedures,
        )
    return Response(
        render_pdf(result),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="estimate-{verification_id}.pdf"'},
    )
