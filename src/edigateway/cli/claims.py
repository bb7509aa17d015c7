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
    from collections.abc import Iterable, Iterator

    from edigateway.domain.claims import Claim, ClaimBatch
    from edigateway.services.followup import FilingWarning
    from edigateway.services.outbox import SendResult
    from edigateway.services.practice_claims import ClaimSummary, Submitted
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


def one_claim(path: Path) -> Claim:
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
    found, or the upload failed (queued); 2 when the file cannot be read. A claim whose
    payer's timely-filing deadline is within 30 days or past is sent all the same, with a
    ``warning:`` line on stderr (and in ``--json``'s ``warnings``).
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
    print_warnings(queued.warnings)
    emit(
        (queued, sent),
        json=as_json,
        text=lambda done: _submitted_lines(*done, profile.name),
        document=lambda done: _submitted_document(*done),
    )
    raise typer.Exit(send_exit(sent))


class SubmittedDocument(TypedDict):
    """``claims submit --json``: the outbox row queued and what became of each upload."""

    submission_id: int
    file: str
    interchange_control_number: str
    claim_ids: list[int]
    sent: list[SendResult]
    warnings: list[dict[str, object]]
    """Claims near or past their timely-filing limit (``code``, ``message``, ``claim``,
    ``deadline``, ``days_left``)."""


def _submitted_document(queued: Queued | Submitted, sent: list[SendResult]) -> SubmittedDocument:
    return {
        "submission_id": queued.submission_id,
        "file": queued.file_name,
        "interchange_control_number": queued.interchange_control_number,
        "claim_ids": list(queued.claim_ids),
        "sent": sent,
        "warnings": [w.warning_json() for w in queued.warnings],
    }


def _submitted_lines(
    queued: Queued | Submitted, sent: list[SendResult], clearinghouse: str
) -> Iterator[str]:
    yield (
        f"queued {len(queued.claim_ids)} claim(s) as {queued.file_name} "
        f"(ISA13 {queued.interchange_control_number}) for {clearinghouse}"
    )
    yield from sent_lines(sent)


def sent_lines(sent: list[SendResult]) -> Iterator[str]:
    for r in sent:
        where = f" as {r.remote_name}" if r.remote_name else ""
        tail = f": {r.message}" if r.message else ""
        yield f"{r.file_name}: {r.status}{where}{tail}"


def print_warnings(warnings: Iterable[FilingWarning]) -> None:
    """One ``warning:`` line on stderr per claim near or past its timely-filing limit:
    stdout stays the command's answer (text or ``--json``), the exit code unchanged."""
    for warning in warnings:
        typer.echo(f"warning: claim {warning.claim}: {warning.message}", err=True)


def send_exit(sent: list[SendResult]) -> int:
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
        text=lambda sent: sent_lines(sent) if sent else ("the outbox is empty",),
    )
    raise typer.Exit(send_exit(sent))


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


def summary_line(verb: str, claim: ClaimSummary) -> str:
    return (
        f"{verb} claim {claim.id} {claim.patient_control_number}: {claim.state}, "
        f"{claim.total_charge} to {claim.payer_id}"
    )
