"""The dashboard's aging report (``/ui/aging``): the chart (an SVG drawn on the server) and
table of what is outstanding by age, and the same table as CSV.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from edigateway.api.deps import GatewayDep
from edigateway.api.ui_common import ReportReader, render
from edigateway.services import dashboard
from edigateway.services.followup import aging_report

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/aging", response_class=HTMLResponse)
def aging_page(request: Request, session: ReportReader, gateway: GatewayDep) -> HTMLResponse:
    """The aging chart (SVG drawn here) and table."""
    report = aging_report(
        gateway.database, today=gateway.clock().date(), practice_id=session.caller.practice_id
    )
    return render(request, "aging.html", session, report=report, svg=dashboard.aging_svg(report))


@router.get("/aging.csv")
def aging_csv(session: ReportReader, gateway: GatewayDep) -> Response:
    """The aging table as CSV."""
    report = aging_report(
        gateway.database, today=gateway.clock().date(), practice_id=session.caller.practice_id
    )
    return Response(
        dashboard.aging_csv(report),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="aging-{report.as_of}.csv"'},
    )
