"""``edigateway claims edit``, ``cancel``, ``resubmit``, ``replace`` and ``void``: a claim
fixed before or after it was sent (registered on the ``claims`` command group by
:mod:`edigateway.cli`)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.claims import (
    ClaimFile,
    ClaimRef,
    SendOption,
    one_claim,
    print_warnings,
    send_exit,
    sent_lines,
    summary_line,
)
from edigateway.cli.exits import EXIT_INVALID, exit_codes, fail
from edigateway.cli.gateway import ClearinghouseOption, PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.domain.claims import Claim
    from edigateway.services.claim_edits import Resubmitted
    from edigateway.services.outbox import SendResult
    from edigateway.services.practice_claims import ClaimCreated


@exit_codes()
def claims_edit(
    claim: ClaimRef,
    claim_file: ClaimFile,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Correct a claim not yet sent (ready) with the whole corrected claim; the clean-claim
    edits run again, and the claim keeps its ID and number. Exit 1 when an edit fails or
    the claim was queued already (resend a rejected one with `claims resubmit`), 2 when
    the file cannot be read. Example: ``edigateway claims edit PC1001 fixed.json``
    """
    from edigateway.services import claim_edits
    from edigateway.services.attachments import claim_for
    from edigateway.services.practice_claims import Caller

    corrected = one_claim(claim_file)
    with open_gateway() as gateway:
        practice_id, claim_id = claim_for(gateway.database, claim, practice_npi=practice)
        done = claim_edits.edit(
            gateway.database, Caller(practice_id, "cli"), claim_id, corrected, now=gateway.clock()
        )
    emit(done, json=as_json, text=lambda c: (summary_line("edited", c),))


@exit_codes()
def claims_cancel(
    claim: ClaimRef,
    reason: Annotated[str | None, typer.Option(help="why (kept in the claim's history)")] = None,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel a claim that will not be sent: ready, or rejected and not to be resent (its
    rejection work items close). Exit 1 once it is queued or sent (void it instead).
    Example: ``edigateway claims cancel PC1001 --reason "visit cancelled"``
    """
    from edigateway.services import claim_edits
    from edigateway.services.attachments import claim_for
    from edigateway.services.practice_claims import Caller

    with open_gateway() as gateway:
        practice_id, claim_id = claim_for(gateway.database, claim, practice_npi=practice)
        done = claim_edits.cancel(
            gateway.database,
            Caller(practice_id, "cli"),
            claim_id,
            now=gateway.clock(),
            reason=reason,
        )
    emit(done, json=as_json, text=lambda c: (summary_line("cancelled", c),))


@exit_codes()
def claims_resubmit(
    claim: ClaimRef,
    claim_file: ClaimFile,
    practice: PracticeOption = None,
    clearinghouse: ClearinghouseOption = None,
    send: SendOption = True,
    as_json: JsonOption = False,
) -> None:
    """Resend a claim the clearinghouse (999) or payer (277CA) rejected, corrected, under
    its own number: stored as a new claim with the rejected claim's attachments, queued
    and uploaded; the rejected one becomes ``resubmitted`` (out of A/R). Exit 1 when the
    claim is not rejected (or was resubmitted), an edit fails or the upload failed (it
    stays queued); 2 when the file cannot be read. A claim whose payer's timely-filing
    deadline is within 30 days or past is sent all the same, with a ``warning:`` line on
    stderr (and in ``--json``'s ``warnings``), as ``claims submit`` does.
    Example: ``edigateway claims resubmit PC1001 fixed.json``
    """
    from edigateway.jobs import send_outbox
    from edigateway.services import claim_edits
    from edigateway.services.attachments import claim_for
    from edigateway.services.practice_claims import Caller

    corrected = one_claim(claim_file)
    with open_gateway() as gateway:
        profile = gateway.profile(clearinghouse)
        practice_id, claim_id = claim_for(gateway.database, claim, practice_npi=practice)
        done = claim_edits.resubmit(
            gateway.database,
            Caller(practice_id, "cli"),
            claim_id,
            corrected,
            settings=gateway.settings,
            clearinghouse=profile,
            numbers=gateway.control_numbers,
            now=gateway.clock(),
            payer_ids=profile.payer_ids,
        )
        sent = send_outbox(gateway, profile.name) if send else []
    print_warnings(done.warnings)
    emit(
        done,
        json=as_json,
        text=lambda _: _resubmitted_lines(done, sent, profile.name),
        document=lambda _: _resubmitted_document(done, sent),
    )
    raise typer.Exit(send_exit(sent))


def _resubmitted_document(done: Resubmitted, sent: list[SendResult]) -> dict[str, object]:
    """``claims resubmit --json``: the resubmission, what became of each upload, and the
    warnings as ``claims submit --json`` gives them (once, at the top)."""
    resubmitted = dataclasses.asdict(done)
    del resubmitted["warnings"]
    return {
        "resubmitted": resubmitted,
        "sent": sent,
        "warnings": [w.warning_json() for w in done.warnings],
    }


def _resubmitted_lines(
    done: Resubmitted, sent: list[SendResult], clearinghouse: str
) -> Iterator[str]:
    yield (
        f"claim {done.resubmission_of} resubmitted as claim {done.claim.id} "
        f"{done.claim.patient_control_number}, queued as {done.file_name} (ISA13 "
        f"{done.interchange_control_number}) for {clearinghouse}"
    )
    yield from (f"closed work item {item}" for item in done.work_items_closed)
    yield from sent_lines(sent)


@exit_codes()
def claims_replace(
    claim: ClaimRef,
    claim_file: ClaimFile,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Store a replacement (frequency 7) of a claim the payer has, from the corrected
    claim; it is ready to send (`claims submit --id`). Exit 1 when the payer gave no claim
    number yet (put ``payer_claim_control_number`` in the file) or an edit fails.
    Example: ``edigateway claims replace PC1001 corrected.json``
    """
    _supersede(claim, one_claim(claim_file), "7", practice, as_json=as_json)


@exit_codes()
def claims_void(
    claim: ClaimRef,
    practice: PracticeOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask to confirm")] = False,
    as_json: JsonOption = False,
) -> None:
    """Store a void (frequency 8) of a claim the payer has; it is ready to send (`claims
    submit --id`). Asks to confirm at a terminal unless ``--yes``. Exit 1 when the payer
    gave no claim number yet. Example: ``edigateway claims void PC1001 --yes``
    """
    import sys

    if (
        not yes
        and sys.stdin.isatty()
        and not typer.confirm(f"void claim {claim}? The payer takes back what it paid on it")
    ):
        raise fail("not voided", EXIT_INVALID)
    _supersede(claim, None, "8", practice, as_json=as_json)


def _supersede(
    claim: str, corrected: Claim | None, frequency: str, practice: str | None, *, as_json: bool
) -> None:
    from edigateway.services import practice_claims
    from edigateway.services.attachments import claim_for

    with open_gateway() as gateway:
        practice_id, claim_id = claim_for(gateway.database, claim, practice_npi=practice)
        done = practice_claims.replace(
            gateway.database,
            practice_claims.Caller(practice_id, "cli"),
            claim_id,
            corrected,
            frequency=frequency,
            now=gateway.clock(),
            payer_ids=gateway.profile().payer_ids,
        )
    verb = "void" if frequency == "8" else "replacement"
    emit(done, json=as_json, text=lambda c: (_superseding_line(verb, claim_id, c),))


def _superseding_line(verb: str, claim_id: int, new: ClaimCreated) -> str:
    return (
        f"{verb} of claim {claim_id} stored as claim {new.id} {new.patient_control_number}"
        f" ({new.status}, {new.state}); send it with `edigateway claims submit --id "
        f"{new.id}`"
    )
