"""The dashboard's payments: the ERA list and one ERA's page, the practice's ERA automation
policy, and what a coordinator decides on a claim's page about what the payer paid —
approve or dismiss a held payment, write off what is left, close the claim
(:mod:`edigateway.services.era_review`, the same use cases as ``/v1/era``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from edigateway.api.deps import GatewayDep, RowId
from edigateway.api.ui_claims import act_on_claim
from edigateway.api.ui_common import (
    ClaimsWriter,
    Csrf,
    QueueWriter,
    RemittanceReader,
    Session,
    render,
)
from edigateway.errors import InputError
from edigateway.services import dashboard_eras, era_review
from edigateway.services.practice_remittances import list_remittances

if TYPE_CHECKING:
    from collections.abc import Callable

    from edigateway.bootstrap import Gateway

router = APIRouter(prefix="/ui", include_in_schema=False)


EraPolicyField = Annotated[Literal["full", "semi", "review"], Form()]


def _decide_on_claim(
    request: Request,
    session: Session,
    gateway: Gateway,
    csrf: str,
    claim_id: int,
    decision: Callable[[era_review.Acting], object],
) -> Response:
    """One decision of a claim's page: the form checked (our page, CSRF; the role may read
    claims), ``decision`` made by the signed-in user, now, then back to the claim page or
    the page saying why not (:func:`act_on_claim`)."""
    session.check(request, csrf)
    session.principal.require("claims:read")
    return act_on_claim(
        request,
        session,
        gateway,
        claim_id,
        lambda: decision(era_review.acting(session.caller, now=gateway.clock(), kind="user")),
    )


def _amount(typed: str) -> Decimal | None:
    """The amount typed (none: all that is outstanding); an :class:`InputError` when it is
    not one."""
    try:
        return Decimal(typed.strip()) if typed.strip() else None
    except InvalidOperation:
        raise InputError(f"amount {typed.strip()!r} is not an amount (e.g. 45.00)") from None


@router.post("/claims/{claim_id:int}/payments/{payment_id:int}/approve")
def approve_payment(
    request: Request,
    claim_id: RowId,
    payment_id: RowId,
    session: QueueWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
) -> Response:
    """Post a payment a guard held or the payer's ERA policy keeps for approval (the same
    use case as ``POST /v1/era/pending/{id}/approve``); refused when it would settle the
    claim past what was billed."""
    return _decide_on_claim(
        request,
        session,
        gateway,
        csrf,
        claim_id,
        lambda by: era_review.approve(gateway.database, payment_id, **by),
    )


@router.post("/claims/{claim_id:int}/payments/{payment_id:int}/dismiss")
def dismiss_payment(
    request: Request,
    claim_id: RowId,
    payment_id: RowId,
    session: QueueWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Keep a held or awaiting payment unposted for good (a true duplicate, another
    practice's money); its rows stay as evidence."""
    return _decide_on_claim(
        request,
        session,
        gateway,
        csrf,
        claim_id,
        lambda by: era_review.dismiss(gateway.database, payment_id, reason=reason.strip(), **by),
    )


@router.post("/claims/{claim_id:int}/write-off")
def write_off(
    request: Request,
    claim_id: RowId,
    session: ClaimsWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    amount: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Write off what the payer left on an answered claim: all that is outstanding, or
    the amount typed (the same use case as ``POST /v1/claims/{id}/write-off``)."""
    return _decide_on_claim(
        request,
        session,
        gateway,
        csrf,
        claim_id,
        lambda by: era_review.write_off(
            gateway.database, claim_id, amount=_amount(amount), note_text=note.strip(), **by
        ),
    )


@router.post("/claims/{claim_id:int}/close")
def close(
    request: Request,
    claim_id: RowId,
    session: ClaimsWriter,
    gateway: GatewayDep,
    csrf: Csrf = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Close an answered claim the payer will pay no more on: what is outstanding becomes
    the patient's to pay."""
    return _decide_on_claim(
        request,
        session,
        gateway,
        csrf,
        claim_id,
        lambda by: era_review.close(gateway.database, claim_id, note_text=note.strip(), **by),
    )


@router.get("/eras", response_class=HTMLResponse)
def eras_page(request: Request, session: RemittanceReader, gateway: GatewayDep) -> HTMLResponse:
    """Payments, newest first."""
    items, _total = list_remittances(
        gateway.database, session.caller, limit=200, offset=0, now=gateway.clock()
    )
    return render(
        request,
        "eras.html",
        session,
        items=items,
        policies=era_review.policies(gateway.database, practice_id=session.caller.practice_id),
    )


@router.post("/eras/policy")
def era_policy(
    request: Request,
    session: QueueWriter,
    gateway: GatewayDep,
    policy: EraPolicyField,
    csrf: Csrf = "",
    payer: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    """Set one payer's ERA automation, or the practice's default when no payer is named
    (the same use case as ``PUT /v1/payers/{payer}/era-policy``; audited)."""
    session.check(request, csrf)
    session.principal.require("remittances:read")
    era_review.set_policy(
        gateway.database,
        policy,
        practice_id=session.caller.practice_id,
        payer_id=payer.strip() or None,
        actor=session.caller.actor,
        now=gateway.clock(),
    )
    return RedirectResponse("/ui/eras", status_code=303)


@router.get("/eras/{remittance_id:int}", response_class=HTMLResponse)
def era_page(
    request: Request, remittance_id: RowId, session: RemittanceReader, gateway: GatewayDep
) -> HTMLResponse:
    """A payment: postings by claim number with their codes in words, the payments that
    matched no claim, the PLB ledger and the balance proof."""
    data = dashboard_eras.era_page(
        gateway.database, session.caller, remittance_id, gateway.codes, now=gateway.clock()
    )
    return render(request, "era.html", session, r=data)
