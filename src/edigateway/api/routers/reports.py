"""Reports: A/R aging with timely-filing alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from edigateway.api.deps import GatewayDep, answer, render, scope
from edigateway.api.schemas import AgingReport
from edigateway.reconcile.followup import AgingBasis
from edigateway.services.followup import CSV_COLUMNS, aging_report
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get(
    "/aging",
    response_model=AgingReport,
    operation_id="getAgingReport",
    responses={
        200: {
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": f"{','.join(CSV_COLUMNS)}\n"
                    "41,MSD1042,LKDP1,LAKESHORE DENTAL PLAN,2026-10-05,2026-10-10,"
                    "218.43,0.00,218.43,44,31-60\n",
                }
            },
            "description": "the report as JSON, or with `Accept: text/csv` one row per claim",
        }
    },
)
def aging(
    request: Request,
    caller: Annotated[Caller, scope("reports:read")],
    gateway: GatewayDep,
    by: Annotated[
        AgingBasis,
        Query(description="count ages from the day each claim was sent, or its date of service"),
    ] = "sent",
) -> Response:
    """Insurance A/R by payer and age bucket (0-30 … 120+ days since submission, or since
    the date of service with ``by=service``), with timely-filing alerts. With ``Accept:
    text/csv`` the answer is one row per claim: claim ID and number (CLM01), payer, dates
    of service and sending, billed, paid, outstanding (exact amounts), age in days and
    bucket — no patient names or member IDs."""
    report = aging_report(
        gateway.database, today=gateway.clock().date(), practice_id=caller.practice_id, by=by
    )
    if _wants_csv(request.headers.get("accept", "")):
        return Response(
            report.csv(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="aging-{report.as_of}.csv"',
                "Vary": "Accept",
            },
        )
    return render(answer(AgingReport, report), headers={"Vary": "Accept"})


def _wants_csv(accept: str) -> bool:
    """Whether the ``Accept`` header names CSV before JSON (the first media type of
    either that it lists wins; ``*/*`` and anything else mean JSON)."""
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media == "text/csv":
            return True
        if media in ("application/json", "application/*"):
            return False
    return False
