"""``edigateway claims``: store claims, submit them, fix and resend them, and follow the
answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypedDict

import typer

from edigateway.cli.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, exit_codes, fail
from edigateway.cli.gateway import ClearinghouseOption, PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.domain.claims import Claim, ClaimBatch
    from edigateway.services.attachments import AttachmentInfo
    from edigateway.services.claim_edits import Resubmitted
    from edigateway.services.ledger import ClaimView
    from edigateway.services.outbox import SendResult
    from edigateway.services.practice_claims import ClaimCreated, ClaimSummary, Submitted
    from edigateway.services.submissions import Queued

app = typer.Typer(help="Store and follow claims.", no_args_is_help=True)

ClaimsFile = Annotated[Path, typer.Argument(help="claims JSON (see `edigateway schema`)")]
ClaimFile = Annotated[
    Path,
    typer.Argument(
        help="the corrected claim, whole: JSON as on create (a claim, or a batch of one)"
    ),
]
ClaimRef = Annotated[str, typer.Argument(help="the claim's ID or number (CLM01)")]
SendOption = Annotated[
    bool,
    typer.Option("--send/--no-send", help="upload now (default) or only queue in the outbox"),
]


def read_claims(path: Path) -> ClaimBatch:
    """The claims of a JSON file; a file that is not JSON text cannot be read (exit 2),
    one whose JSON is not claims is invalid (exit 1, each field named)."""
    from edigateway.services.claims import parse_claim_document

    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise fail(f"{path}: not UTF-8 text (byte {exc.start})", EXIT_UNREADABLE) from exc
    except json.JSONDecodeError as exc:
        raise fail(
            f"{path}: not JSON (line {exc.lineno} column {exc.colno}: {exc.msg})", EXIT_UNREADABLE
        ) from exc
    return parse_claim_document(document, str(path))


def _one_claim(path: Path) -> Claim:
    from edigateway.errors import InputError

    batch = read_claims(path)
    if len(batch.claims) != 1:
        raise InputError(f"{path}: give one claim, not {len(batch.claims)}")
    return batch.claims[0]


@app.command("import")
@exit_codes()
def claims_import(claims_file: ClaimsFile, as_json: JsonOption = False) -> None:
    """Store claims as submitted (after the clean-claim edits) and print their IDs.

    Importing the same claim again is harmless (``unchanged``). Example:
    ``edigateway claims import fixtures/claims/05_crown_initial.json``
    """
    from edigateway.services.claim_store import import_claims

    with open_gateway() as gateway:
        batch = read_claims(claims_file)
        imported = import_claims(gateway.database, batch, now=gateway.clock())
    emit(
        imported,
        json=as_json,
        text=lambda rows: (f"{r.id}\t{r.patient_control_number}\t{r.status}" for r in rows),
    )


@app.command("submit")
@exit_codes()
def claims_submit(
    claims_file: Annotated[
        Path | None, typer.Argument(help="claims JSON to store and send (or give --id)")
    ] = None,
    claim_ids: Annotated[
        list[str] | None,
        typer.Option(
            "--id",
            help="a stored claim to send (ID or number; repeat for more): "
            "ready claims such as replacements, voids or secondaries",
        ),
    ] = None,
    practice: PracticeOption = None,
    clearinghouse: ClearinghouseOption = None,
    send: SendOption = True,
    as_json: JsonOption = False,
) -> None:
    """Queue claims in one 837D in the outbox and upload it to the clearinghouse: the
    claims of a file (stored first), or claims stored already (``--id``, state ready).

    The claims, their state change and the outbox row commit together; the upload happens
    after, so a failure only leaves the file queued for `edigateway claims send`.
    Exit 1 when the clean-claim edits fail (nothing stored), a claim is not ready or not
    found, or the upload failed (queued); 2 when the file cannot be read.
    Examples: ``edigateway claims submit fixtures/claims/05_crown_initial.json``;
    ``edigateway claims submit --id 42 --id MSD1017-S``
    """
    from edigateway.jobs import send_outbox
    from edigateway.services import practice_claims
    from edigateway.services.attachments import claim_for
    from edigateway.services.submissions import queue_837d

    if (claims_file is None) == (not claim_ids):
        raise fail("give a claims file or --id, one of the two", EXIT_INVALID)
    with open_gateway() as gateway:
        profile = gateway.profile(clearinghouse)
        queued: Queued | Submitted
        if claims_file is not None:
            queued = queue_837d(
                gateway.database,
                read_claims(claims_file),
                settings=gateway.settings,
                clearinghouse=profile,
                numbers=gateway.control_numbers,
                now=gateway.clock(),
            )
        else:
            found = [
                claim_for(gateway.database, ref, practice_npi=practice) for ref in claim_ids or []
            ]
            practices = {practice_id for practice_id, _ in found}
            if len(practices) > 1:
                raise fail(
                    "the claims belong to several practices; one 837D is sent for "
                    "one practice (say --practice NPI)",
                    EXIT_INVALID,
                )
            queued = practice_claims.submit(
                gateway.database,
                practice_claims.Caller(practices.pop(), "cli"),
                [claim_id for _, claim_id in found],
                settings=gateway.settings,
                clearinghouse=profile,
                numbers=gateway.control_numbers,
                now=gateway.clock(),
            )
        sent = send_outbox(gateway, profile.name) if send else []
    emit(
        (queued, sent),
        json=as_json,
        text=lambda done: _submitted_lines(*done, profile.name),
        document=lambda done: _submitted_document(*done),
    )
    raise typer.Exit(_send_exit(sent))


class SubmittedDocument(TypedDict):
    """``claims submit --json``: the outbox row queued and what became of each upload."""

    submission_id: int
    file: str
    interchange_control_number: str
    claim_ids: list[int]
    sent: list[SendResult]


def _submitted_document(queued: Queued | Submitted, sent: list[SendResult]) -> SubmittedDocument:
    return {
        "submission_id": queued.submission_id,
        "file": queued.file_name,
        "interchange_control_number": queued.interchange_control_number,
        "claim_ids": list(queued.claim_ids),
        "sent": sent,
    }


def _submitted_lines(
    queued: Queued | Submitted, sent: list[SendResult], clearinghouse: str
) -> Iterator[str]:
    yield (
        f"queued {len(queued.claim_ids)} claim(s) as {queued.file_name} "
        f"(ISA13 {queued.interchange_control_number}) for {clearinghouse}"
    )
    yield from _sent_lines(sent)


def _sent_lines(sent: list[SendResult]) -> Iterator[str]:
    for r in sent:
        where = f" as {r.remote_name}" if r.remote_name else ""
        tail = f": {r.message}" if r.message else ""
        yield f"{r.file_name}: {r.status}{where}{tail}"


def _send_exit(sent: list[SendResult]) -> int:
    return EXIT_INVALID if any(r.status == "failed" for r in sent) else EXIT_OK


@app.command("send")
@exit_codes()
def claims_send(clearinghouse: ClearinghouseOption = None, as_json: JsonOption = False) -> None:
    """Upload every queued 837D (the outbox) to the clearinghouse, each exactly once.

    An upload interrupted earlier is first looked for on the server. Exit 1 when any
    upload failed (it stays queued). Example: ``edigateway claims send``
    """
    from edigateway.jobs import send_outbox

    with open_gateway() as gateway:
        sent = send_outbox(gateway, clearinghouse)
    emit(
        sent,
        json=as_json,
        text=lambda sent: _sent_lines(sent) if sent else ("the outbox is empty",),
    )
    raise typer.Exit(_send_exit(sent))


@app.command("poll")
@exit_codes()
def claims_poll(clearinghouse: ClearinghouseOption = None, as_json: JsonOption = False) -> None:
    """Collect the clearinghouse's answers (TA1, 999, 277CA, 835) and apply them.

    Each file is stored before it is archived on the server, applied once (duplicates are
    recognised by content and ISA13), and moves its claims: accepted or rejected by the
    clearinghouse, then by the payer, then paid or denied (835s are posted). Submissions
    still without a 999 after the profile's ``no_999_after_hours`` become work items.
    A file that cannot be applied is quarantined with a work item and the rest go on;
    files over EDIGATEWAY_DOWNLOAD_MAX_BYTES are not downloaded (status ``quarantined``),
    and files still being written are left for the next poll (``deferred``).
    Exit 0 when every file was applied, 1 when any could not be (failed, unmatched,
    quarantined), 2 when any is not X12 or not a transaction and version we read
    (``unsupported``). Example: ``edigateway claims poll --json``
    """
    from edigateway.jobs import poll_clearinghouse

    with open_gateway() as gateway:
        polled = poll_clearinghouse(gateway, clearinghouse)
    results = polled.files
    emit(
        polled,
        json=as_json,
        text=lambda polled: (
            *(f"{r.remote_name}\t{r.kind}\t{r.status}\t{r.message}" for r in polled.files),
            f"{len(polled.files)} file(s) received"
            + (
                f"; {polled.missing_999} submission(s) still without a 999"
                if polled.missing_999
                else ""
            ),
        ),
    )
    failed = any(r.status in ("failed", "unmatched", "quarantined") for r in results)
    unsupported = any(r.status == "unsupported" for r in results)
    raise typer.Exit(EXIT_UNREADABLE if unsupported else EXIT_INVALID if failed else EXIT_OK)


@app.command("status")
@exit_codes()
def claims_status(
    after_days: Annotated[
        int, typer.Option(help="ask about claims with no answer for this many days")
    ] = 30,
    clearinghouse: ClearinghouseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask payers (276 → 277, real time) about claims with no answer after N days.

    Each answer goes into the claim's history; answers needing action (no such claim,
    paid or denied without an 835, information requested) become work items. A claim is
    asked about at most once per period. Example: ``edigateway claims status --after-days 30``
    """
    from edigateway.services.claim_status import inquire_stale

    with open_gateway() as gateway:
        profile = gateway.profile(clearinghouse)
        results = inquire_stale(
            gateway.database,
            client=gateway.core_client(profile),
            profile=profile,
            settings=gateway.settings,
            control_numbers=gateway.control_numbers,
            clock=gateway.clock,
            after_days=after_days,
        )
    emit(
        results,
        json=as_json,
        text=lambda results: (
            *(f"{r.patient_control_number}\t{r.outcome}\t{r.message}" for r in results),
            f"{len(results)} claim(s) asked about",
        ),
    )


@app.command("send-secondary")
@exit_codes()
def claims_send_secondary(
    claim: Annotated[
        str,
        typer.Argument(
            help="the primary claim (or its secondary claim): ID or patient control number"
        ),
    ],
    clearinghouse: ClearinghouseOption = None,
    send: SendOption = True,
    as_json: JsonOption = False,
) -> None:
    """Send the secondary claim built from the primary payer's 835 (coordination of benefits).

    Posting the primary's 835 stores the secondary claim (``<PCN>-S``: the primary's payment,
    AMT*EAF and line adjudication) and opens a "secondary claim due" work item; this queues
    it in one 837D, closes that work item and uploads it. Exit 1 when the claim has no
    secondary claim (yet), it was sent already, or the upload failed (it stays queued).
    Example: ``edigateway claims send-secondary MSD1017``
    """
    from edigateway.jobs import send_outbox
    from edigateway.services.secondary import send_secondary

    with open_gateway() as gateway:
        profile = gateway.profile(clearinghouse)
        done = send_secondary(
            gateway.database,
            int(claim) if claim.isdigit() else claim,
            practice_id=None,
            settings=gateway.settings,
            clearinghouse=profile,
            numbers=gateway.control_numbers,
            now=gateway.clock(),
            actor="cli",
        )
        sent = send_outbox(gateway, profile.name) if send else []
    emit(
        {
            "primary_id": done.primary_id,
            "secondary_id": done.secondary_id,
            "patient_control_number": done.patient_control_number,
            "submission_id": done.submission_id,
            "file": done.file_name,
            "interchange_control_number": done.interchange_control_number,
            "work_items_closed": list(done.work_items_closed),
            "sent": sent,
        },
        json=as_json,
        text=lambda _: (
            (
                f"queued secondary claim {done.patient_control_number} (claim "
                f"{done.secondary_id}, of claim {done.primary_id} {done.primary_control_number})"
                f" as {done.file_name} (ISA13 {done.interchange_control_number}) for "
                f"{profile.name}"
            ),
            *(f"closed work item {item}" for item in done.work_items_closed),
            *_sent_lines(sent),
        ),
    )
    raise typer.Exit(_send_exit(sent))


@app.command("attach")
@exit_codes()
def claims_attach(
    claim: Annotated[str, typer.Argument(help="the claim's ID or number (CLM01)")],
    file: Annotated[Path, typer.Argument(help="the file: JPEG, PNG, TIFF or PDF")],
    report_type: Annotated[
        str,
        typer.Option(
            "--type",
            help="PWK01 report type: RB "
            "radiographs, DA dental models, OZ support "
            "data, P6 perio charts, B4 narrative …",
        ),
    ],
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Attach a file to a claim (sealed like all PHI, with an attachment control number);
    it goes with the claim when it is sent: in a 275 to payers that take one, else in the
    printable packet. Exit 2 when the file cannot be read, 1 when it is refused (type,
    size) or the claim is not found.

    Example: ``edigateway claims attach PC1001 bitewings.jpg --type RB``
    """
    from edigateway.services import attachments
    from edigateway.services.practice_claims import Caller

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise fail(
            f"{file}: cannot read the file ({exc.strerror or exc})", EXIT_UNREADABLE
        ) from exc
    with open_gateway() as gateway:
        practice_id, claim_id = attachments.claim_for(
            gateway.database, claim, practice_npi=practice
        )
        caller = Caller(practice_id, "cli")
        info = attachments.upload(
            gateway.database,
            caller,
            claim_id,
            file_name=file.name,
            data=data,
            report_type=report_type.upper(),
            max_bytes=gateway.settings.attachment_max_bytes,
            now=gateway.clock(),
        )
    emit(info, json=as_json, text=_attached_lines)


def _attached_lines(info: AttachmentInfo) -> Iterator[str]:
    yield (
        f"attached {info.file_name} ({info.media_type}, {info.size:,} bytes) to claim "
        f"{info.patient_control_number} as {info.control_number} ({info.report_type}: "
        f"{info.report_description})"
    )


@app.command("show")
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
    yield "ledger: " + ", ".join(f"{k} {v}" for k, v in view.ledger.as_json().items())
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


@app.command("list")
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


def _summary_line(verb: str, claim: ClaimSummary) -> str:
    return (
        f"{verb} claim {claim.id} {claim.patient_control_number}: {claim.state}, "
        f"{claim.total_charge} to {claim.payer_id}"
    )


@app.command("edit")
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

    corrected = _one_claim(claim_file)
    with open_gateway() as gateway:
        practice_id, claim_id = claim_for(gateway.database, claim, practice_npi=practice)
        done = claim_edits.edit(
            gateway.database, Caller(practice_id, "cli"), claim_id, corrected, now=gateway.clock()
        )
    emit(done, json=as_json, text=lambda c: (_summary_line("edited", c),))


@app.command("cancel")
@exit_codes()
def claims_cancel(
    claim: ClaimRef,
    reason: Annotated[
        str | None, typer.Option(help="why (kept in the claim's history)")
    ] = None,
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
    emit(done, json=as_json, text=lambda c: (_summary_line("cancelled", c),))


@app.command("resubmit")
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
    stays queued); 2 when the file cannot be read.
    Example: ``edigateway claims resubmit PC1001 fixed.json``
    """
    from edigateway.jobs import send_outbox
    from edigateway.services import claim_edits
    from edigateway.services.attachments import claim_for
    from edigateway.services.practice_claims import Caller

    corrected = _one_claim(claim_file)
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
    emit(
        {"resubmitted": done, "sent": sent},
        json=as_json,
        text=lambda _: _resubmitted_lines(done, sent, profile.name),
    )
    raise typer.Exit(_send_exit(sent))


def _resubmitted_lines(
    done: Resubmitted, sent: list[SendResult], clearinghouse: str
) -> Iterator[str]:
    yield (
        f"claim {done.resubmission_of} resubmitted as claim {done.claim.id} "
        f"{done.claim.patient_control_number}, queued as {done.file_name} (ISA13 "
        f"{done.interchange_control_number}) for {clearinghouse}"
    )
    yield from (f"closed work item {item}" for item in done.work_items_closed)
    yield from _sent_lines(sent)


@app.command("replace")
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
    _supersede(claim, _one_claim(claim_file), "7", practice, as_json=as_json)


@app.command("void")
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
