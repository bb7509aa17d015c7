"""``edigateway era``: post 835 remittances (ERAs), here or on the workers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NotRequired, TypedDict

import typer

from edigateway.cli.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, exit_codes, fail
from edigateway.cli.gateway import PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit, json_option

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from edigateway.bootstrap import Gateway
    from edigateway.services.era_review import Decided, PendingPayment
    from edigateway.services.posting_result import PostingResult

app = typer.Typer(help="Post 835 remittances (ERAs).", no_args_is_help=True)


@app.command("post")
@exit_codes()
def era_post(
    files: Annotated[list[Path], typer.Argument(help="835 files (or folders of them)")],
    as_json: Annotated[bool, json_option("one JSON object per file")] = False,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="hand each file to the workers (EDIGATEWAY_BROKER_URL) instead of "
            "posting here; the files must be readable by the workers",
        ),
    ] = False,
) -> None:
    """Post 835 remittances: balance, match, post; quarantine what does not balance.

    Exit 0 when every file was posted or was a duplicate, 1 when any was quarantined
    (malformed or not balancing), 2 when any is not X12 or is ``unsupported`` (4010, a GS08
    other than 005010X221A1, not an 835). Example: ``edigateway era post era.835 --json``
    """
    from edigateway.jobs import post_era_file

    with open_gateway() as gateway:
        if queue:
            _queue(gateway, list(_iter_files(files)), as_json=as_json)
            return
        worst = EXIT_OK
        for path in _iter_files(files):
            result = post_era_file(gateway, str(path), source="cli")
            emit(result, json=as_json, text=_posting_lines, document=posting_document)
            if not result.readable:
                worst = EXIT_UNREADABLE
            elif result.status == "quarantined" and worst == EXIT_OK:
                worst = EXIT_INVALID
    raise typer.Exit(worst)


def _iter_files(paths: list[Path]) -> Iterator[Path]:
    """Files to post: each path, or the files of a folder in name order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.is_file())
        else:
            yield path


def _queue(gateway: Gateway, paths: list[Path], *, as_json: bool) -> None:
    """Hand each file, named by its SHA-256 (read a piece at a time), to the workers'
    ``post_era_file`` job."""
    from edigateway.services.received import file_sha256
    from edigateway.workers.celery_app import dispatch

    if not gateway.settings.broker_url:
        raise fail(
            "--queue needs EDIGATEWAY_BROKER_URL (workers to hand the files to)", EXIT_UNREADABLE
        )
    for path in paths:
        digest = file_sha256(path)
        task = dispatch(gateway, "post_era_file", str(path.resolve()), digest)
        emit(
            {"file": str(path), "sha256": digest, "task": task},
            json=as_json,
            text=lambda queued: (f"{queued['file']}\tqueued as task {queued['task']}",),
        )


class WorkItemDocument(TypedDict):
    """A work item in ``era post --json``."""

    claim: str | None
    reason: str
    codes: list[str]
    message: str


class ProblemDocument(TypedDict):
    """Where a file that was not posted failed."""

    segment_index: int | None
    segment_id: str | None
    loop: str | None
    element: str | None


class PostingDocument(TypedDict):
    """``era post --json`` for one file (README's contract): amounts as exact strings."""

    file: str
    status: str
    payment_amount: str
    claims_matched: int
    claims_unmatched: int
    posted_total: str
    adjustments_total: str
    patient_responsibility_total: str
    plb_total: str
    interest_total: str
    payments: int
    payments_skipped: int
    secondary_claims: list[str]
    work_items: list[WorkItemDocument]
    message: NotRequired[str]
    problem: NotRequired[ProblemDocument]


def posting_document(result: PostingResult) -> PostingDocument:
    """The JSON document of what posting one file did."""
    doc: PostingDocument = {
        "file": result.file,
        "status": result.status,
        "payment_amount": str(result.payment_amount),
        "claims_matched": result.claims_matched,
        "claims_unmatched": result.claims_unmatched,
        "posted_total": str(result.posted_total),
        "adjustments_total": str(result.adjustments_total),
        "patient_responsibility_total": str(result.patient_responsibility_total),
        "plb_total": str(result.plb_total),
        "interest_total": str(result.interest_total),
        "payments": result.payments,
        "payments_skipped": result.payments_skipped,
        "secondary_claims": result.secondary_claims,
        "work_items": [
            {"claim": w.claim, "reason": w.reason, "codes": w.codes, "message": w.message}
            for w in result.work_items
        ],
    }
    if result.message:
        doc["message"] = result.message
    if result.problem is not None:
        doc["problem"] = {
            "segment_index": result.problem.segment_index,
            "segment_id": result.problem.segment_id,
            "loop": result.problem.loop,
            "element": result.problem.element,
        }
    return doc


def _posting_lines(result: PostingResult) -> Iterator[str]:
    yield f"{result.file}: {result.status.upper()}"
    if result.message:
        yield f"  {result.message}"
    if result.status != "posted":
        return
    yield (
        f"  payments {result.payments} (skipped as already posted: "
        f"{result.payments_skipped}), amount {result.payment_amount}"
    )
    yield f"  claims matched {result.claims_matched}, unmatched {result.claims_unmatched}"
    yield (
        f"  posted {result.posted_total}, write-offs {result.adjustments_total}, "
        f"patient responsibility {result.patient_responsibility_total}, "
        f"provider adjustments {result.plb_total}, interest {result.interest_total}"
    )
    for item in result.work_items:
        yield f"  work: [{item.reason}] {item.message}"


@app.command("pending")
@exit_codes()
def era_pending(practice: PracticeOption = None, as_json: JsonOption = False) -> None:
    """Claim payments written but not posted: held by a guard (a duplicate, an
    over-payment …) or awaiting approval (the payer's ERA policy is semi or review).

    Example: ``edigateway era pending --json``
    """
    from edigateway.services.era_review import pending
    from edigateway.services.payer_limits import payer_practice

    with open_gateway() as gateway:
        found = pending(gateway.database, practice_id=_practice(gateway, practice, payer_practice))
    emit(found, json=as_json, text=_pending_lines)


def _practice(gateway: Gateway, npi: str | None, lookup: Callable[..., int | None]) -> int | None:
    return lookup(gateway.database, npi) if npi is not None else None


def _pending_lines(found: list[PendingPayment]) -> Iterator[str]:
    if not found:
        yield "no claim payment waits for a decision"
    for p in found:
        yield (
            f"#{p.id} {p.claim} CLP02={p.status} paid {p.paid} [{p.review}] {p.reason} "
            f"({p.file}, TRN {p.trace_number})"
        )


@app.command("approve")
@exit_codes()
def era_approve(
    payment_id: Annotated[
        int, typer.Argument(help="the claim payment's number (#N in era pending)")
    ],
    as_json: JsonOption = False,
) -> None:
    """Post a held or awaiting claim payment; the claim moves as the payment says and its
    work items close. Approving a payment a guard held is recorded as your decision.
    Refused when it would settle the claim past what was billed.

    Example: ``edigateway era approve 12``
    """
    from edigateway.services.era_review import approve

    with open_gateway() as gateway:
        done = approve(gateway.database, payment_id, now=gateway.clock(), actor="cli")
    emit(done, json=as_json, text=_decided_lines)


@app.command("dismiss")
@exit_codes()
def era_dismiss(
    payment_id: Annotated[
        int, typer.Argument(help="the claim payment's number (#N in era pending)")
    ],
    reason: Annotated[str, typer.Option(help="why it is not posted (a true duplicate …)")] = "",
    as_json: JsonOption = False,
) -> None:
    """Keep a held or awaiting claim payment unposted for good (its rows stay as evidence).

    Example: ``edigateway era dismiss 12 --reason "same check sent twice"``
    """
    from edigateway.services.era_review import dismiss

    with open_gateway() as gateway:
        done = dismiss(
            gateway.database, payment_id, now=gateway.clock(), actor="cli", reason=reason
        )
    emit(done, json=as_json, text=_decided_lines)


def _decided_lines(done: Decided) -> Iterator[str]:
    state = f"; claim {done.claim} is {done.state}" if done.state else ""
    closed = f"{done.items_closed} work item(s) closed"
    yield f"claim payment {done.id} {done.decision}{state} ({closed})"
    if done.secondary_claim:
        yield (
            f"secondary claim {done.secondary_claim} stored (ready): send it with "
            f"`edigateway claims send-secondary {done.secondary_claim}`"
        )
