"""Patient cost estimates: a treatment plan from the patient's benefits (or a kept
verification) on the payer's fee schedule — as JSON, or as the patient's copy (PDF or
HTML, by ``Accept``) — and the patient's copy of a claim's kept estimate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header
from fastapi.responses import Response

from edigateway.api.deps import GatewayDep, JsonBody, RowId, render, scope
from edigateway.api.examples import BENEFITS, PLAN, examples
from edigateway.api.middleware import document_csp
from edigateway.api.problems import responses
from edigateway.api.verification_models import PlanEstimateRequest
from edigateway.domain.eligibility import Estimate
from edigateway.services import estimates
from edigateway.services.estimate_documents import render_html, render_pdf
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/estimates", tags=["estimates"])
claim_documents = APIRouter(prefix="/claims", tags=["estimates"])
Estimates = Annotated[Caller, scope("estimates")]
PDF, HTML = "application/pdf", "text/html"
DOCUMENTS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            PDF: {"schema": {"type": "string", "format": "binary"}},
            HTML: {"schema": {"type": "string"}},
        },
        "description": "the estimate; the patient's copy as PDF or HTML when Accept asks",
    }
}
Accept = Annotated[
    str | None,
    Header(
        max_length=500,
        description=("application/pdf or text/html for the patient's copy; JSON otherwise"),
    ),
]


def _wanted(accept: str | None) -> str | None:
    """The document type ``Accept`` asks for first (PDF or HTML), if any."""
    for part in (accept or "").split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media in (PDF, HTML):
            return media
        if media in ("application/json", "application/*", "*/*"):
            return None
    return None


def _document(result: estimates.PatientEstimate, media: str, name: str) -> Response:
    disposition = {"Content-Disposition": f'inline; filename="{name}.pdf"'}
    if media == PDF:
        return Response(render_pdf(result), media_type=PDF, headers=disposition)
    html = render_html(result)
    return Response(html, media_type=HTML, headers={"Content-Security-Policy": document_csp(html)})


@router.post(
    "",
    response_model=Estimate,
    operation_id="createEstimate",
    dependencies=[JsonBody],
    responses={**DOCUMENTS, **responses(404)},
)
def create_estimate(
    request: Annotated[
        PlanEstimateRequest,
        Body(
            openapi_examples=examples(
                "a cleaning and a filling", {"benefits": BENEFITS, "plan": PLAN}
            )
        ),
    ],
    caller: Estimates,
    gateway: GatewayDep,
    accept: Accept = None,
) -> Response:
    """Insurance and patient portions of each planned procedure, each with its rule, on
    the practice's fee schedule for the payer (unless the plan gives one). Give the
    benefits, or ``verification_id`` of a kept check. With ``Accept: application/pdf``
    (or ``text/html``) the answer is the patient's copy: practice header, patient, each
    procedure in the practice's words, fee, insurance, patient share, plan facts and a
    disclaimer."""
    result = estimates.estimate_plan(
        gateway.database,
        caller,
        request.plan,
        benefits=request.benefits,
        verification_id=request.verification_id,
        now=gateway.clock(),
    )
    media = _wanted(accept)
    if media is not None:
        return _document(result, media, "estimate")
    return render(result.estimate)


def _claim_document(claim_id: int, caller: Caller, gateway: GatewayDep, media: str) -> Response:
    result = estimates.claim_estimate(gateway.database, caller, claim_id, now=gateway.clock())
    return _document(result, media, f"estimate-{result.claim_number or claim_id}")


@claim_documents.get(
    "/{claim_id:int}/estimate.pdf",
    operation_id="getClaimEstimatePdf",
    response_class=Response,
    responses={
        200: {
            "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
            "description": "the patient's copy as PDF",
        },
        **responses(404),
    },
)
def claim_estimate_pdf(claim_id: RowId, caller: Estimates, gateway: GatewayDep) -> Response:
    """The patient's copy of the claim's latest kept estimate, as PDF (404 when the claim
    has none: ``POST /v1/claims/{id}/estimate`` makes one)."""
    return _claim_document(claim_id, caller, gateway, PDF)


@claim_documents.get(
    "/{claim_id:int}/estimate.html",
    operation_id="getClaimEstimateHtml",
    response_class=Response,
    responses={
        200: {
            "content": {HTML: {"schema": {"type": "string"}}},
            "description": "the patient's copy as HTML",
        },
        **responses(404),
    },
)
def claim_estimate_html(claim_id: RowId, caller: Estimates, gateway: GatewayDep) -> Response:
    """The patient's copy of the claim's latest kept estimate, as one HTML page."""
    return _claim_document(claim_id, caller, gateway, HTML)
