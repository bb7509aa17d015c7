"""``edigateway appeals``: appeal a payer's decision on a claim, download the letter, and
track the appeal (sent, outcome, follow-up reminders) — the same use cases as the API's
``/v1/claims/{id}/appeals`` and ``/v1/appeals`` (:mod:`edigateway.services.appeals`)."""

from __future__ import annotations

import typing
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import EXIT_UNREADABLE, exit_codes, fail
from edigateway.cli.gateway import PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit
from edigateway.domain.appeals import REASONS, AppealReason, Decision, SendMethod

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.appeals import AppealInfo

app = typer.Typer(
    help="Appeals of a payer's decision: letter, sending, outcome.", no_args_is_help=True
)
ACTOR = "cli"


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    """``value`` when it is one of ``allowed``, else a usage error naming them."""
    if value not in allowed:
        raise typer.BadParameter(f"{value!r} is not a {what}; use one of {', '.join(allowed)}")
    return value


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from exc


def _lines(items: list[AppealInfo]) -> Iterator[str]:
    if not items:
        yield "no appeals"
    for a in items:
        sent = (
            f" sent {a.sent_on} by {a.sent_method}, follow up {a.follow_up_on}" if a.sent_on else ""
        )
        decided = f", {a.outcome} on {a.outcome_on}" if a.outcome_on else ""
        yield (
            f"#{a.id} claim {a.patient_control_number} ({a.claim_state}) {a.reason} "
            f"{a.denied_amount} [{a.status}]{sent}{decided}"
        )


@app.command("create")
@exit_codes()
def appeals_create(
    claim: Annotated[str, typer.Argument(help="the claim's ID or number (CLM01)")],
    reason: Annotated[
        str, typer.Option(help="why the decision should change: " + ", ".join(REASONS))
    ],
    narrative_file: Annotated[
        Path,
        typer.Option(
            "--narrative-file",
            help="a UTF-8 text file with the argument (blank lines between paragraphs)",
        ),
    ],
    attachment: Annotated[
        list[int] | None,
        typer.Option("--attachment", help="an attachment ID of the claim to enclose (repeat)"),
    ] = None,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make an appeal of a claim the payer answered, with its letter (download it with
    ``appeals letter``). Exit 2 when the narrative file cannot be read, 1 when the appeal
    is refused (claim not answered, not found, attachment not the claim's).

    Example: ``edigateway appeals create PC1001 --reason medical_necessity
    --narrative-file why.txt --attachment 12``
    """
    from edigateway.services import appeals, attachments
    from edigateway.services.practice_claims import Caller

    chosen = typing.cast("AppealReason", _choice(reason, tuple(REASONS), "reason"))
    try:
        narrative = narrative_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"{narrative_file}: not UTF-8 text (byte {exc.start})", EXIT_UNREADABLE) from exc
    with open_gateway() as gateway:
        practice_id, claim_id = attachments.claim_for(
            gateway.database, claim, practice_npi=practice
        )
        info = appeals.create(
            gateway.database,
            Caller(practice_id, ACTOR),
            claim_id,
            reason=chosen,
            narrative=narrative,
            attachment_ids=list(attachment or []),
            codes=gateway.codes,
            now=gateway.clock(),
        )
    emit(info, json=as_json, text=lambda i: _lines([i]), document=appeals.as_json)


@app.command("list")
@exit_codes()
def appeals_list(
    claim: Annotated[str | None, typer.Option(help="only this claim's (ID or CLM01)")] = None,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """The practice's appeals, newest first.

    Example: ``edigateway appeals list --claim PC1001 --json``
    """
    from edigateway.services import appeals, attachments
    from edigateway.services.payer_limits import payer_practice
    from edigateway.services.practice_claims import Caller

    with open_gateway() as gateway:
        claim_id = None
        if claim is not None:
            practice_id, claim_id = attachments.claim_for(
                gateway.database, claim, practice_npi=practice
            )
        else:
            found = payer_practice(gateway.database, practice)
            if found is None:
                emit([], json=as_json, text=_lines)
                return
            practice_id = found
        items = appeals.appeals_of(gateway.database, Caller(practice_id, ACTOR), claim_id=claim_id)
    emit(items, json=as_json, text=_lines, document=lambda a: [appeals.as_json(i) for i in a])


@app.command("letter")
@exit_codes()
def appeals_letter(
    appeal_id: Annotated[int, typer.Argument(help="the appeal's ID")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="where to write it: FILE.pdf or FILE.html")
    ],
    practice: PracticeOption = None,
) -> None:
    """Write the appeal letter as PDF or HTML (by the file's extension).

    Example: ``edigateway appeals letter 4 -o appeal-4.pdf``
    """
    from edigateway.services import appeals
    from edigateway.services.appeal_documents import render_html, render_pdf
    from edigateway.services.practice_claims import Caller

    kind = output.suffix.lower()
    if kind not in (".pdf", ".html", ".htm"):
        raise typer.BadParameter(f"{output}: name a .pdf or .html file", param_hint="-o")
    with open_gateway() as gateway:
        practice_id = appeals.practice_of(gateway.database, appeal_id, practice_npi=practice)
        letter = appeals.letter(
            gateway.database, Caller(practice_id, ACTOR), appeal_id, now=gateway.clock()
        )
    if kind == ".pdf":
        output.write_bytes(render_pdf(letter))
    else:
        output.write_text(render_html(letter), encoding="utf-8")
    typer.echo(f"wrote {output}")


@app.command("sent")
@exit_codes()
def appeals_sent(
    appeal_id: Annotated[int, typer.Argument(help="the appeal's ID")],
    method: Annotated[str, typer.Option(help="mail, fax, portal or electronic")],
    sent_on: Annotated[
        str | None, typer.Option("--sent-on", help="the day it went (default today)")
    ] = None,
    follow_up: Annotated[
        str | None,
        typer.Option("--follow-up", help="when to chase the payer (default 30 days after sending)"),
    ] = None,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record that the appeal went to the payer: the claim becomes appealed and its
    denial work items close; a reminder opens on the follow-up date.

    Example: ``edigateway appeals sent 4 --method fax --follow-up 2027-01-08``
    """
    from edigateway.services import appeals
    from edigateway.services.practice_claims import Caller

    how = typing.cast("SendMethod", _choice(method, typing.get_args(SendMethod), "method"))
    day, due = _day(sent_on, "--sent-on"), _day(follow_up, "--follow-up")
    with open_gateway() as gateway:
        practice_id = appeals.practice_of(gateway.database, appeal_id, practice_npi=practice)
        info = appeals.mark_sent(
            gateway.database,
            Caller(practice_id, ACTOR),
            appeal_id,
            method=how,
            sent_on=day,
            follow_up_on=due,
            now=gateway.clock(),
        )
    emit(info, json=as_json, text=lambda i: _lines([i]), document=appeals.as_json)


@app.command("outcome")
@exit_codes()
def appeals_outcome(
    appeal_id: Annotated[int, typer.Argument(help="the appeal's ID")],
    outcome: Annotated[str, typer.Argument(help="won, partially_won or lost")],
    decided_on: Annotated[
        str | None, typer.Option("--decided-on", help="the day the payer decided (default today)")
    ] = None,
    note: Annotated[str | None, typer.Option(help="what the payer said")] = None,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the payer's answer to a sent appeal (the money comes with its 835).

    Example: ``edigateway appeals outcome 4 won``
    """
    from edigateway.services import appeals
    from edigateway.services.practice_claims import Caller

    decision = typing.cast(
        "Decision", _choice(outcome.replace("-", "_"), typing.get_args(Decision), "outcome")
    )
    with open_gateway() as gateway:
        practice_id = appeals.practice_of(gateway.database, appeal_id, practice_npi=practice)
        info = appeals.record_outcome(
            gateway.database,
            Caller(practice_id, ACTOR),
            appeal_id,
            outcome=decision,
            decided_on=_day(decided_on, "--decided-on"),
            note_text=note,
            now=gateway.clock(),
        )
    emit(info, json=as_json, text=lambda i: _lines([i]), document=appeals.as_json)


@app.command("remind")
@exit_codes()
def appeals_remind() -> None:
    """Open the follow-up work item of every sent appeal whose follow-up date has come
    (the work queue does this too before listing; run it from cron to have the items
    without anyone listing).

    Example: ``edigateway appeals remind``
    """
    from edigateway.services.appeals import open_due_reminders

    with open_gateway() as gateway:
        opened = open_due_reminders(gateway.database, now=gateway.clock())
    typer.echo(f"{opened} follow-up reminder(s) opened")
