"""Claims: create (after the clean-claim edits), validate, submit, read, replace, void."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from edigateway.api.deps import GatewayDep, IdempotencyKey, PrincipalDep, RowId, idempotent, scope
from edigateway.api.schemas import (
    ClaimCreated,
    ClaimDetail,
    ClaimEstimateRequest,
    ClaimSummary,
    HistoryStep,
    Page,
    ReplaceRequest,
    SubmitRequest,
    Submitted,
    ValidationResult,
)
from edigateway.domain.claims import Claim, ClaimBatch
from edigateway.domain.eligibility import Estimate
from edigateway.errors import CleanClaimError
from edigateway.services import practice_claims
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/claims", tags=["claims"])
Reader = Annotated[Caller, Depends(scope("claims:read"))]
Writer = Annotated[Caller, Depends(scope("claims:write"))]
Limit = Annotated[int, Query(ge=1, le=200, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")]
Text = Annotated[str | None, Query(max_length=80)]


@router.post("", status_code=201, response_model=ClaimCreated)
def create_claim(claim: Claim, caller: Writer, principal: PrincipalDep, gateway: GatewayDep,
                 idempotency_key: IdempotencyKey = None) -> Response:
    """Store a claim (state ``ready``) after the clean-claim edits; 422 lists each failed
    edit with its field path. The same claim again returns it as ``unchanged``."""
    return idempotent(gateway, principal, idempotency_key, claim, lambda: (
        201, practice_claims.create(gateway.database, caller, claim, now=gateway.clock(),
                                    payer_ids=gateway.profile().payer_ids)))


@router.post("/validate", response_model=ValidationResult)
def validate_claim(claim: Claim, caller: Writer, gateway: GatewayDep) -> ValidationResult:
    """Run the clean-claim edits and validate the 837D it would become; nothing is stored."""
    from edigateway.domain.edits import ensure_clean
    from edigateway.services.claims import build_837d

    batch = ClaimBatch(claims=[claim])
    try:
        ensure_clean(batch, today=gateway.clock().date())
    except CleanClaimError as exc:
        return ValidationResult(clean=False, x12_valid=None, x12_errors=[], edit_failures=[
            {"edit_id": f.edit_id, "path": f.path, "message": f.message}
            for f in exc.failures])
    text = build_837d(batch, settings=gateway.settings,
                      control_numbers=gateway.draft_control_numbers, clock=gateway.clock)
    verdict = gateway.validator.validate_text(text, "claim.837")
    return ValidationResult(clean=True, edit_failures=[], x12_valid=verdict.valid,
                            x12_errors=[f.to_json() for f in verdict.errors])


@router.post("/submit", status_code=202, response_model=Submitted)
def submit_claims(request: SubmitRequest, caller: Writer, principal: PrincipalDep,
                  gateway: GatewayDep, idempotency_key: IdempotencyKey = None) -> Response:
    """Queue ready claims in one 837D for the clearinghouse (sent by the outbox sender)."""

    def run() -> tuple[int, object]:
        return 202, practice_claims.submit(
            gateway.database, caller, request.claim_ids, settings=gateway.settings,
            clearinghouse=gateway.profile(),
            numbers=gateway.control_numbers, now=gateway.clock())

    return idempotent(gateway, principal, idempotency_key, request, run)


@router.get("", response_model=Page[ClaimSummary])
def list_claims(caller: Reader, gateway: GatewayDep, state: Text = None,
                payer_id: Text = None, patient_control_number: Text = None,
                limit: Limit = 50, offset: Offset = 0,
                x_member_id: Annotated[str | None, Header(max_length=80, description=(
                    "filter by subscriber member ID; a header, so PHI never sits in a "
                    "URL or an access log"))] = None) -> dict[str, object]:
    """The practice's claims, newest first, filtered by state, payer, claim number or
    member ID."""
    items, total = practice_claims.list_claims(
        gateway.database, caller, state=state, payer_id=payer_id,
        patient_control_number=patient_control_number, limit=limit, offset=offset,
        now=gateway.clock(), member_id=x_member_id)
    return {"items": items, "total": total, "limit": limit, "offset": offset,
            "next_offset": offset + limit if offset + limit < total else None}


@router.get("/{claim_id:int}", response_model=ClaimDetail)
def get_claim(claim_id: RowId, caller: Reader, gateway: GatewayDep) -> dict[str, object]:
    """A claim as submitted, with its history and transmissions (read is audited)."""
    return practice_claims.get(gateway.database, caller, claim_id, now=gateway.clock())


@router.get("/{claim_id:int}/history", response_model=list[HistoryStep])
def claim_history(claim_id: RowId, caller: Reader, gateway: GatewayDep) -> list[dict[str, object]]:
    """Every state the claim went through, with its cause."""
    return practice_claims.history(gateway.database, caller, claim_id, now=gateway.clock())


@router.post("/{claim_id:int}/replace", status_code=201, response_model=ClaimCreated)
def replace_claim(claim_id: RowId, request: ReplaceRequest, caller: Writer,
                  principal: PrincipalDep, gateway: GatewayDep,
                  idempotency_key: IdempotencyKey = None) -> Response:
    """A corrected claim (frequency 7) replacing one the payer has."""
    return idempotent(gateway, principal, idempotency_key, request, lambda: (
        201, practice_claims.replace(gateway.database, caller, claim_id, request.claim,
                                     frequency="7", now=gateway.clock(),
                                     payer_ids=gateway.profile().payer_ids)))


@router.post("/{claim_id:int}/void", status_code=201, response_model=ClaimCreated)
def void_claim(claim_id: RowId, caller: Writer, principal: PrincipalDep, gateway: GatewayDep,
               idempotency_key: IdempotencyKey = None) -> Response:
    """A void (frequency 8) of a claim the payer has."""
    return idempotent(gateway, principal, idempotency_key, {"void": claim_id}, lambda: (
        201, practice_claims.replace(gateway.database, caller, claim_id, None,
                                     frequency="8", now=gateway.clock())))


@router.post("/{claim_id:int}/estimate", response_model=Estimate)
def estimate_claim(claim_id: RowId, request: ClaimEstimateRequest,
                   caller: Annotated[Caller, Depends(scope("estimates"))],
                   gateway: GatewayDep) -> Estimate:
    """Estimate a stored claim's procedures from the patient's benefits (from
    ``POST /v1/eligibility``) and keep it with the claim, to compare with the payment."""
    return practice_claims.estimate_claim(gateway.database, caller, claim_id,
                                          request.benefits, now=gateway.clock())
