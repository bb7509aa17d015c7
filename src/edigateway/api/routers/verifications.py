"""Kept eligibility checks: every real-time check is stored (who asked, when, the raw 271,
the benefits read) and listed here, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from edigateway.api.deps import GatewayDep, RowId, answer, page, scope
from edigateway.api.problems import responses
from edigateway.api.verification_models import Verification, VerificationPage
from edigateway.domain.common import PersonName
from edigateway.services import verifications
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/eligibility/verifications", tags=["eligibility"])
Reader = Annotated[Caller, scope("eligibility")]


@router.get("", response_model=VerificationPage, operation_id="listVerifications")
def list_verifications(
    caller: Reader,
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")] = 0,
    x_member_id: Annotated[
        str | None,
        Header(
            max_length=80,
            description=(
                "only checks of this member ID; a header, so PHI never sits in a URL or an "
                "access log"
            ),
        ),
    ] = None,
    x_patient_last_name: Annotated[
        str | None,
        Header(
            max_length=60,
            description=(
                "only checks of this patient (with X-Patient-First-Name); a header, like the "
                "member ID"
            ),
        ),
    ] = None,
    x_patient_first_name: Annotated[
        str | None,
        Header(max_length=35, description=("the patient's first name, with X-Patient-Last-Name")),
    ] = None,
) -> VerificationPage:
    """The practice's kept eligibility checks, newest first, for a member and/or a
    patient (read is audited)."""
    patient = (
        PersonName(last_name=x_patient_last_name, first_name=x_patient_first_name)
        if x_patient_last_name
        else None
    )
    items, total = verifications.list_verifications(
        gateway.database,
        caller,
        member_id=x_member_id,
        patient=patient,
        limit=limit,
        offset=offset,
        now=gateway.clock(),
    )
    return page(VerificationPage, items, total, limit, offset)


@router.get(
    "/{verification_id:int}",
    response_model=Verification,
    operation_id="getVerification",
    responses=responses(404),
)
def get_verification(verification_id: RowId, caller: Reader, gateway: GatewayDep) -> Verification:
    """One kept check: the inquiry, the benefits read and the 271 exactly as received
    (read is audited)."""
    return answer(
        Verification,
        verifications.get(gateway.database, caller, verification_id, now=gateway.clock()),
    )
