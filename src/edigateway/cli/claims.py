"""``edigateway claims``: store claims, submit them, and follow the answers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypedDict

import typer

from edigateway.cli.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, exit_codes
from edigateway.cli.gateway import ClearinghouseOption, PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.attachments import AttachmentInfo
    from edigateway.services.ledger import ClaimView
    from edigateway.services.outbox import SendResult
    from edigateway.services.submissions import Queued

app = typer.Typer(help="Store and follow claims.", no_args_is_help=True)

ClaimsFile = Annotated[Path, typer.Argument(help="claims JSON (see `edigateway schema`)")]


@app.command("import")
@exit_codes()
def claims_import(claims_file: ClaimsFile, as_json: JsonOption = False) -> None:
    """Store claims as submitted (after the clean-claim edits) and print their IDs.

    Importing the same claim again is harmless (``unchanged``). Example:
    ``edigateway claims import fixtures/claims/05_crown_initial.json``
    """
    from edigateway.services.claim_store import import_claims
    from edigateway.services.claims import load_claim_file

    with open_gateway() as gateway:
        batch = load_claim_file(claims_file)
        imported = import_claims(gateway.database, batch, now=gateway.clock())
    emit(
        imported,
        json=as_json,
        text=lambda rows: (f"{r.id}\t{r.patient_control_number}\t{r.status}" for r in rows),
    )


@app.command("submit")
@exit_codes()
def claims_submit(
    claims_file: ClaimsFile,
    clearinghouse: ClearinghouseOption = None,
    send: Annotated[
        bool,
        typer.Option("--send/--no-send", help="upload now (default) or only queue in the outbox"),
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Store claims, queue their 837D in the outbox and upload it to the clearinghouse.

    The claims, their state change and the outbox row commit together; the upload happens
    after, so a failure only leaves the file queued for `edigateway claims send`.
    Exit 1 when the clean-claim edits fail (nothing stored) or the upload failed (queued).
    Example: ``edigateway claims submit fixtures/claims/05_crown_initial.json``
    """
    from edigateway.services.claims import load_claim_file
    from edigateway.services.submissions import queue_837d
    from edigateway.workers.jobs import send_outbox

    with open_gateway() as gateway:
        profile = gateway.profile(clearinghouse)
        batch = load_claim_file(claims_file)
        queued = queue_837d(
            gateway.database,
            batch,
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


def _submitted_document(queued: Queued, sent: list[SendResult]) -> SubmittedDocument:
    return {
        "submission_id": queued.submission_id,
        "file": queued.file_name,
        "interchange_control_number": queued.interchange_control_number,
        "claim_ids": list(queued.claim_ids),
        "sent": sent,
    }


def _submitted_lines(queued: Queued, sent: list[SendResult], clearinghouse: str) -> Iterator[str]:
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
    from edigateway.workers.jobs import send_outbox

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
    from edigateway.workers.jobs import poll_clearinghouse

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
    send: Annotated[
        bool,
        typer.Option("--send/--no-send", help="upload now (default) or only queue in the outbox"),
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Send the secondary claim built from the primary payer's 835 (coordination of benefits).

    Posting the primary's 835 stores the secondary claim (``<PCN>-S``: the primary's payment,
    AMT*EAF and line adjudication) and opens a "secondary claim due" work item; this queues
    it in one 837D, closes that work item and uploads it. Exit 1 when the claim has no
    secondary claim (yet), it was sent already, or the upload failed (it stays queued).
    Example: ``edigateway claims send-secondary MSD1017``
    """
    from edigateway.services.secondary import send_secondary
    from edigateway.workers.jobs import send_outbox

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
    report_type: Annotated[str, typer.Option("--type", help="PWK01 report type: RB "
                                             "radiographs, DA dental models, OZ support "
                                             "data, P6 perio charts, B4 narrative …")],
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Attach a file to a claim (sealed like all PHI, with an attachment control number);
    it goes with the claim when it is sent: in a 275 to payers that take one, else in the
    printable packet. Exit 2 when the file cannot be read, 1 when it is refused (type,
    size) or the claim is not found.

    Example: ``edigateway claims attach PC1001 bitewings.jpg --type RB``
    """
    from edigateway.cli.exits import fail
    from edigateway.services import attachments
    from edigateway.services.practice_claims import Caller

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise fail(f"{file}: cannot read the file ({exc.strerror or exc})",
                   EXIT_UNREADABLE) from exc
    with open_gateway() as gateway:
        practice_id, claim_id = attachments.claim_for(gateway.database, claim,
                                                      practice_npi=practice)
        caller = Caller(practice_id, "cli")
        info = attachments.upload(
            gateway.database, caller, claim_id, file_name=file.name, data=data,
            report_type=report_type.upper(), max_bytes=gateway.settings.attachment_max_bytes,
            now=gateway.clock())
    emit(info, json=as_json, text=_attached_lines)


def _attached_lines(info: AttachmentInfo) -> Iterator[str]:
    yield (f"attached {info.file_name} ({info.media_type}, {info.size:,} bytes) to claim "
           f"{info.patient_control_number} as {info.control_number} ({info.report_type}: "
           f"{info.report_description})")


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
    doc = view.document()
    yield (
        f"claim {doc['patient_control_number']} (id {doc['id']}, {doc['kind']}, frequency "
        f"{doc['frequency']}) to payer {doc['payer_id']}: {doc['state']}"
    )
    yield "ledger: " + ", ".join(f"{k} {v}" for k, v in doc["ledger"].items())
    for line in doc["lines"]:
        what = ", ".join(f"{k} {v}" for k, v in line["postings"].items())
        yield f"  line {line['line_number'] or 'claim'}: {what}"
    for held in doc["held_payments"]:
        yield f"  {held['review']} payment {held['remittance_claim_id']}: {held['reason']}"
    for line in doc["estimate"]:
        yield (
            f"  estimate line {line['line_number']} {line['procedure_code']}: charge "
            f"{line['charge']}, allowed {line['allowed']}, insurance {line['insurance']}, "
            f"patient {line['patient']} (predetermination {line['predetermination_number']})"
        )
    for step in doc["history"]:
        yield f"  {step['at']}  {step['from'] or '-'} -> {step['to']}: {step['reason']}"
    for item in doc["work_items"]:
        yield f"  work [{item['reason']}] {item['message']}"
