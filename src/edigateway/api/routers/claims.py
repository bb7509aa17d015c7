"""Claims: create (after the clean-claim edits), validate, submit, read, edit, cancel,
resubmit, replace, void."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response

from edigateway.api.claim_edit_models import CancelRequest, Resubmitted
from edigateway.api.deps import (
    ETAG,
    NOT_MODIFIED,
    GatewayDep,
    IdempotencyKey,
    IfNoneMatch,
    JsonBody,
    PrincipalDep,
    RowId,
    UpdatedSince,
    answer,
    conditional,
    idempotent,
    page,
    render,
    scope,
)
from edigateway.api.examples import BENEFITS, CLAIM, examples
from edigateway.api.problems import responses
from edigateway.api.schemas import (
    ClaimCreated,
    ClaimDetail,
    ClaimPage,
    ClaimState,
    ClaimSummary,
    EstimateVsActual,
    HistoryStep,
    ReplacementClaim,
    SecondarySubmitted,
    SubmitRequest,
    Submitted,
    ValidationResult,
    is_wrapped_claim,
    stored_time,
)
from edigateway.api.verification_models import ClaimEstimateBody
from edigateway.domain.claims import Claim
from edigateway.domain.eligibility import Estimate
from edigateway.services import claim_edits, estimates, practice_claims
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/claims", tags=["claims"])
Reader = Annotated[Caller, scope("claims:read")]
Writer = Annotated[Caller, scope("claims:write")]
Limit = Annotated[int, Query(ge=1, le=200, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")]
Text = Annotated[str | None, Query(max_length=80)]
NewClaim = Annotated[Claim, Body(openapi_examples=examples("a one-line amalgam filling", CLAIM))]

DEPRECATED_WRAPPED = datetime(2026, 11, 30, tzinfo=UTC)
"""When ``{"claim": …}`` on replace was deprecated (API 1.1.0; docs/api.md says how long
it stays accepted)."""


@router.post(
    "",
    status_code=201,
    response_model=ClaimCreated,
    operation_id="createClaim",
    dependencies=[JsonBody],
    responses=responses(409),
)
def create_claim(
    claim: NewClaim,
    caller: Writer,
    principal: PrincipalDep,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Store a claim (state ``ready``) after the clean-claim edits; 422 lists each failed
    edit with its field path and edit ID. The same claim again returns it as
    ``unchanged``; the same claim number with other content is a 409 (send a
    replacement)."""
    return idempotent(
        gateway,
        principal,
        idempotency_key,
        claim,
        lambda: (
            201,
            answer(
                ClaimCreated,
                practice_claims.create(
                    gateway.database,
                    caller,
                    claim,
                    now=gateway.clock(),
                    payer_ids=gateway.profile().payer_ids,
                ),
            ),
        ),
    )


@router.post(
    "/validate",
    response_model=ValidationResult,
    operation_id="validateClaim",
    dependencies=[JsonBody],
)
def validate_claim(claim: NewClaim, caller: Writer, gateway: GatewayDep) -> ValidationResult:
    """Run the clean-claim edits and validate the 837D it would become; nothing is stored."""
    return answer(
        ValidationResult,
        practice_claims.check(
            claim,
            settings=gateway.settings,
            draft_numbers=gateway.draft_control_numbers,
            validator=gateway.validator,
            clock=gateway.clock,
        ),
    )


@router.post(
    "/submit",
    status_code=202,
    response_model=Submitted,
    operation_id="submitClaims",
    dependencies=[JsonBody],
    responses=responses(404),
)
def submit_claims(
    request: Annotated[
        SubmitRequest,
        Body(openapi_examples=examples("two ready claims in one 837D", {"claim_ids": [41, 42]})),
    ],
    caller: Writer,
    principal: PrincipalDep,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Queue ready claims in one 837D for the clearinghouse (sent by the outbox sender).
    A claim no longer ready (already queued, sent …) refuses the whole request (422)."""

    def run() -> tuple[int, Submitted]:
        return 202, answer(
            Submitted,
            practice_claims.submit(
                gateway.database,
                caller,
                request.claim_ids,
                settings=gateway.settings,
                clearinghouse=gateway.profile(),
                numbers=gateway.control_numbers,
                now=gateway.clock(),
            ),
        )

    return idempotent(gateway, principal, idempotency_key, request, run)


@router.get("", response_model=ClaimPage, operation_id="listClaims")
def list_claims(
    caller: Reader,
    gateway: GatewayDep,
    state: Annotated[ClaimState | None, Query(description="only claims in this state")] = None,
    payer_id: Annotated[
        str | None, Query(max_length=80, description=("only claims to this payer"))
    ] = None,
    patient_control_number: Annotated[
        str | None,
        Query(max_length=80, description="only the claim with this number (and its replacements)"),
    ] = None,
    updated_since: UpdatedSince = None,
    limit: Limit = 50,
    offset: Offset = 0,
    x_member_id: Annotated[
        str | None,
        Header(
            max_length=80,
            description=(
                "filter by subscriber member ID; a header, so PHI never sits in a "
                "URL or an access log"
            ),
        ),
    ] = None,
) -> ClaimPage:
    """The practice's claims, newest first, filtered by state, payer, claim number, member
    ID or time of the last change."""
    items, total = practice_claims.list_claims(
        gateway.database,
        caller,
        state=state,
        payer_id=payer_id,
        patient_control_number=patient_control_number,
        limit=limit,
        offset=offset,
        now=gateway.clock(),
        member_id=x_member_id,
        updated_since=stored_time(updated_since) if updated_since else None,
    )
    return page(ClaimPage, items, total, limit, offset)


@router.get(
    "/{claim_id:int}",
    response_model=ClaimDetail,
    operation_id="getClaim",
    responses={**responses(404), 200: {"headers": ETAG}, **NOT_MODIFIED},
)
def get_claim(
    claim_id: RowId, caller: Reader, gateway: GatewayDep, if_none_match: IfNoneMatch = None
) -> Response:
    """A claim as submitted, with its history and transmissions (read is audited). The
    answer carries an ``ETag``; with ``If-None-Match`` it is 304 while nothing changed."""
    return conditional(
        answer(
            ClaimDetail,
            practice_claims.get(gateway.database, caller, claim_id, now=gateway.clock()),
        ),
        if_none_match,
    )


@router.get(
    "/{claim_id:int}/history",
    response_model=list[HistoryStep],
    operation_id="getClaimHistory",
    responses=responses(404),
)
def claim_history(claim_id: RowId, caller: Reader, gateway: GatewayDep) -> list[HistoryStep]:
    """Every state the claim went through, with its cause."""
    return [
        answer(HistoryStep, step)
        for step in practice_claims.history(gateway.database, caller, claim_id, now=gateway.clock())
    ]


@router.patch(
    "/{claim_id:int}",
    response_model=ClaimSummary,
    operation_id="editClaim",
    dependencies=[JsonBody],
    responses=responses(404, 409),
)
def edit_claim(
    claim_id: RowId,
    claim: Annotated[Claim, Body(openapi_examples=examples("the corrected claim, whole", CLAIM))],
    caller: Writer,
    principal: PrincipalDep,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Correct a claim not yet sent (state ``ready``): the body is the whole corrected
    claim, as on create (not a patch of fields: lines, teeth and codes are replaced as
    given). The clean-claim edits run again (422 lists each failure); the claim keeps its
    ID, number (``patient_control_number``), billing NPI and frequency. 409 once it is
    queued or sent (a rejected claim is resent with ``POST …/resubmit``; one the payer has
    is replaced)."""
    return idempotent(
        gateway,
        principal,
        idempotency_key,
        {"edit": claim_id, "claim": claim},
        lambda: (
            200,
            answer(
                ClaimSummary,
                claim_edits.edit(
                    gateway.database,
                    caller,
                    claim_id,
                    claim,
                    now=gateway.clock(),
                    payer_ids=gateway.profile().payer_ids,
                ),
            ),
        ),
    )


@router.post(
    "/{claim_id:int}/cancel",
    response_model=ClaimSummary,
    operation_id="cancelClaim",
    responses=responses(404, 409),
)
def cancel_claim(
    claim_id: RowId,
    caller: Writer,
    principal: PrincipalDep,
    gateway: GatewayDep,
    request: Annotated[
        CancelRequest | None,
        Body(openapi_examples=examples("why", {"reason": "patient rescheduled"})),
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Cancel a claim that will not be sent: one not yet queued (``ready``), or one the
    clearinghouse or payer rejected and that will not be resent (its rejection work items
    close). It leaves A/R. 409 once queued or sent: void a claim the payer has."""
    reason = request.reason if request else None
    return idempotent(
        gateway,
        principal,
        idempotency_key,
        {"cancel": claim_id, "reason": reason},
        lambda: (
            200,
            answer(
                ClaimSummary,
                claim_edits.cancel(
                    gateway.database, caller, claim_id, now=gateway.clock(), reason=reason
                ),
            ),
        ),
    )


@router.post(
    "/{claim_id:int}/resubmit",
    status_code=202,
    response_model=Resubmitted,
    operation_id="resubmitClaim",
    dependencies=[JsonBody],
    responses=responses(404, 409),
)
def resubmit_claim(
    claim_id: RowId,
    claim: Annotated[Claim, Body(openapi_examples=examples("the corrected claim", CLAIM))],
    caller: Writer,
    principal: PrincipalDep,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Resend a claim the clearinghouse (999) or payer (277CA) rejected, corrected: the
    payer never accepted it, so it goes again under the same claim number as it was sent
    (an original stays an original). The corrected claim is stored as a new claim (the
    clean-claim edits run: 422 lists each failure), takes the rejected claim's
    attachments and is queued in an 837D for the outbox sender, in one step; the rejected
    claim becomes ``resubmitted`` (out of A/R; ``superseded_by_id`` names the new claim
    and both histories name each other) and its rejection work items close. 409 when the
    claim is not rejected or was resubmitted already (of two concurrent calls, one wins)."""
    return idempotent(
        gateway,
        principal,
        idempotency_key,
        {"resubmit": claim_id, "claim": claim},
        lambda: (
            202,
            answer(
                Resubmitted,
                claim_edits.resubmit(
                    gateway.database,
                    caller,
                    claim_id,
                    claim,
                    settings=gateway.settings,
                    clearinghouse=gateway.profile(),
                    numbers=gateway.control_numbers,
                    now=gateway.clock(),
                    payer_ids=gateway.profile().payer_ids,
                ),
            ),
        ),
    )


async def _wrapped(request: Request) -> bool:
    """Whether the body has the deprecated ``{"claim": …}`` shape (the body is read once
    already; Starlette keeps it)."""
    try:
        return is_wrapped_claim(await request.json())
    except ValueError:
        return False


@router.post(
    "/{claim_id:int}/replace",
    status_code=201,
    response_model=ClaimCreated,
    operation_id="replaceClaim",
    dependencies=[JsonBody],
    responses={
        **responses(404, 409),
        201: {
            "headers": {
                "Deprecation": {
                    "description": 'present when the deprecated {"claim": …} body was '
                    "sent (RFC 9745)",
                    "schema": {"type": "string"},
                }
            }
        },
    },
)
def replace_claim(
    claim_id: RowId,
    claim: Annotated[
        ReplacementClaim, Body(openapi_examples=examples("the corrected claim", CLAIM))
    ],
    caller: Writer,
    principal: PrincipalDep,
    gateway: GatewayDep,
    wrapped: Annotated[bool, Depends(_wrapped)],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A corrected claim (frequency 7) replacing one the payer has. The body is the claim,
    as on create; ``{"claim": …}`` is still accepted (deprecated: the answer then carries
    a ``Deprecation`` header)."""
    response = idempotent(
        gateway,
        principal,
        idempotency_key,
        {"claim": claim},
        lambda: (
            201,
            answer(
                ClaimCreated,
                practice_claims.replace(
                    gateway.database,
                    caller,
                    claim_id,
                    claim,
                    frequency="7",
                    now=gateway.clock(),
                    payer_ids=gateway.profile().payer_ids,
                ),
            ),
        ),
    )
    if wrapped:
        response.headers["Deprecation"] = f"@{int(DEPRECATED_WRAPPED.timestamp())}"
    return response


@router.post(
    "/{claim_id:int}/void",
    status_code=201,
    response_model=ClaimCreated,
    operation_id="voidClaim",
    responses=responses(404, 409),
)
def void_claim(
    claim_id: RowId,
    caller: Writer,
    principal: PrincipalDep,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A void (frequency 8) of a claim the payer has."""
    return idempotent(
        gateway,
        principal,
        idempotency_key,
        {"void": claim_id},
        lambda: (
            201,
            answer(
                ClaimCreated,
                practice_claims.replace(
                    gateway.database, caller, claim_id, None, frequency="8", now=gateway.clock()
                ),
            ),
        ),
    )


@router.post(
    "/{claim_id:int}/secondary",
    status_code=202,
    response_model=SecondarySubmitted,
    operation_id="sendSecondaryClaim",
    responses=responses(404, 409),
)
def send_secondary_claim(
    claim_id: RowId,
    caller: Writer,
    principal: PrincipalDep,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Queue the secondary claim (coordination of benefits) of a claim: the one posting
    the primary payer's 835 built, carrying its payment, AMT*EAF and line adjudication.
    The ID may be the primary claim's or the secondary's. Its "secondary claim due" work
    item is resolved. 409 when the primary's 835 is not posted yet or the secondary was
    sent already; 422 when the claim names no secondary payer."""
    from edigateway.services.secondary import send_secondary

    return idempotent(
        gateway,
        principal,
        idempotency_key,
        {"secondary": claim_id},
        lambda: (
            202,
            answer(
                SecondarySubmitted,
                send_secondary(
                    gateway.database,
                    claim_id,
                    practice_id=caller.practice_id,
                    settings=gateway.settings,
                    clearinghouse=gateway.profile(),
                    numbers=gateway.control_numbers,
                    now=gateway.clock(),
                    actor=caller.actor,
                    remote_addr=caller.remote_addr,
                ),
            ),
        ),
    )


@router.get(
    "/{claim_id:int}/predetermination",
    response_model=EstimateVsActual,
    operation_id="getClaimPredetermination",
    responses=responses(404),
)
def claim_predetermination(
    claim_id: RowId, caller: Reader, gateway: GatewayDep
) -> EstimateVsActual:
    """The payer's predetermination estimate for the claim (the CLP02 25 answer to the
    predetermination whose number the claim carries in REF*G3), line by line, beside what
    it paid; for an answered predetermination itself, its own lines' estimate with nothing
    paid. 404 when the claim is neither an answered predetermination nor carries the number
    of one."""
    from edigateway.services.predeterminations import compare

    return answer(
        EstimateVsActual,
        compare(
            gateway.database,
            practice_id=caller.practice_id,
            claim_id=claim_id,
            actor=caller.actor,
            now=gateway.clock(),
            remote_addr=caller.remote_addr,
        ),
    )


@router.post(
    "/{claim_id:int}/estimate",
    response_model=Estimate,
    operation_id="estimateClaim",
    dependencies=[JsonBody],
    responses=responses(404),
)
def estimate_claim(
    claim_id: RowId,
    request: Annotated[
        ClaimEstimateBody,
        Body(openapi_examples=examples("the patient's benefits", {"benefits": BENEFITS})),
    ],
    caller: Annotated[Caller, scope("estimates")],
    gateway: GatewayDep,
) -> Response:
    """Estimate a stored claim's procedures from the patient's benefits (from
    ``POST /v1/eligibility``) or a kept verification (``verification_id``), on the
    practice's fee schedule for the payer, and keep it with the claim, to compare with the
    payment; ``GET /v1/claims/{id}/estimate.pdf`` is the patient's copy."""
    return render(
        estimates.estimate_claim(
            gateway.database,
            caller,
            claim_id,
            benefits=request.benefits,
            verification_id=request.verification_id,
            now=gateway.clock(),
        ).estimate
    )
