"""``edigateway claims show`` and ``claims list``: a claim with its money and history, and
the practice's claims (registered on the ``claims`` command group by :mod:`edigateway.cli`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.ledger import ClaimView


@exit_codes()
def claims_show(
    patient_control_number: Annotated[str, typer.Argument(help="the claim's number (CLM01)")],
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a claim: its state and history, its ledger (billed = paid + contractual +
    patient responsibility + other adjustments + outstanding), postings per line, payments
    held for review, open work items and, for a predetermination, the payer's estimate.

    Example: ``edigateway claims show PC1001 --json``
    """
    from edigateway.services.ledger import show_claim

    with open_gateway() as gateway:
        view = show_claim(gateway.database, patient_control_number, practice_npi=practice)
    emit(view, json=as_json, text=_show_lines, document=lambda v: v.document())


def _show_lines(view: ClaimView) -> Iterator[str]:
    yield (
        f"claim {view.patient_control_number} (id {view.id}, {view.kind}, frequency "
        f"{view.frequency}) to payer {view.payer_id}: {view.state}"
    )
    unsent = "" if view.sent else " (not sent yet: what it will bill; the payer owes nothing)"
    yield "ledger: " + ", ".join(f"{k} {v}" for k, v in view.ledger.as_json().items()) + unsent
    for line in view.lines:
        what = ", ".join(f"{k} {v}" for k, v in sorted(line.postings.items()))
        yield f"  line {line.line_number or 'claim'}: {what}"
    for held in view.held_payments:
        yield f"  {held.review} payment {held.remittance_claim_id}: {held.reason}"
    for est in view.estimate:
        yield (
            f"  estimate line {est.line_number} {est.procedure_code}: charge "
            f"{est.charge}, allowed {est.allowed}, insurance {est.insurance}, "
            f"patient {est.patient} (predetermination {est.predetermination_number})"
        )
    for step in view.history:
        at = step.at.isoformat(timespec="seconds")
        yield f"  {at}  {step.from_ or '-'} -> {step.to}: {step.reason}"
    for item in view.work_items:
        yield f"  work [{item.reason}] {item.message}"


@exit_codes()
def claims_list(
    state: Annotated[
        str | None, typer.Option(help="only claims in this state (ready, ch_rejected, denied …)")
    ] = None,
    payer: Annotated[str | None, typer.Option(help="only claims to this payer ID")] = None,
    number: Annotated[str | None, typer.Option(help="only this claim number (CLM01)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="claims per page")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="claims to skip")] = 0,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the practice's claims, newest first: ID, number, state, payer, charge.

    Example: ``edigateway claims list --state ch_rejected``
    """
    from edigateway.services import practice_claims
    from edigateway.services.claim_edits import practice_for

    with open_gateway() as gateway:
        caller = practice_claims.Caller(practice_for(gateway.database, practice), "cli")
        items, total = practice_claims.list_claims(
            gateway.database,
            caller,
            state=state,
            payer_id=payer,
            patient_control_number=number,
            limit=limit,
            offset=offset,
            now=gateway.clock(),
        )
    emit(
        {"items": items, "total": total, "limit": limit, "offset": offset},
        json=as_json,
        text=lambda _: (
            *(
                f"{c.id}\t{c.patient_control_number}\t{c.state}\t{c.payer_id or '-'}\t"
                f"{c.total_charge}\t{c.first_service_date or '-'}"
                for c in items
            ),
            f"{len(items)} of {total} claim(s)",
        ),
    )
