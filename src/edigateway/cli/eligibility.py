"""``edigateway eligibility``: real-time 270 → 271 through the clearinghouse, every check
kept; ``history`` and ``show`` read the kept checks back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import EXIT_INVALID, exit_codes, fail
from edigateway.cli.gateway import ClearinghouseOption, PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.verifications import VerificationSummary, Verified

app = typer.Typer(help="Real-time eligibility and benefits.", no_args_is_help=True)


@app.command("check")
@exit_codes()
def eligibility_check(
    inquiries_file: Annotated[
        Path, typer.Argument(help="inquiry JSON (see `edigateway schema inquiry`)")
    ],
    clearinghouse: ClearinghouseOption = None,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask the payer in real time (270 → 271 over the clearinghouse's HTTPS endpoint),
    keep each answer (``eligibility history``) and print each patient's dental benefits
    (``--json``: the list of benefits, as before checks were kept).

    Exit 1 when the payer did not find a member or could not answer (the check is kept all
    the same) or the inquiry is invalid, 2 when the file cannot be read. Example:
    ``edigateway eligibility check fixtures/inquiries/01_subscriber_all_dental.json``
    """
    from edigateway.errors import MemberNotFoundError
    from edigateway.services import verifications
    from edigateway.services.eligibility import load_inquiries

    answers: list[Verified] = []
    missing: list[str] = []
    with open_gateway() as gateway:
        inquiries = load_inquiries(inquiries_file)
        realtime = gateway.realtime(clearinghouse)
        for inquiry in inquiries:
            caller = verifications.command_line_caller(
                gateway.database, practice, provider=inquiry.provider, now=gateway.clock()
            )
            try:
                done = verifications.check(
                    gateway.database, caller, inquiry, realtime=realtime, channel="cli"
                )
            except MemberNotFoundError as exc:
                missing.append(str(exc))
                continue
            answers.append(done)
            if done.verification.status == "rejected":
                missing.append(
                    f"the payer could not answer for member {inquiry.subscriber.member_id} "
                    f"(kept as verification {done.verification.id}); see REJECTED above"
                )
    emit(
        answers,
        json=as_json,
        text=_benefits_lines,
        document=lambda found: [b for done in found for b in done.benefits],
        indent=2,
    )
    if missing:
        for message in missing[:-1]:
            typer.echo(f"error: {message}", err=True)
        raise fail(missing[-1], EXIT_INVALID)


def _benefits_lines(answers: list[Verified]) -> Iterator[str]:
    from edigateway.services.eligibility import describe_benefits

    for done in answers:
        for benefits in done.benefits:
            yield from describe_benefits(benefits)
            yield f"  kept as verification {done.verification.id}"
            yield ""


@app.command("history")
@exit_codes()
def eligibility_history(
    member: Annotated[
        str | None, typer.Option("--member", help="only checks of this member ID")
    ] = None,
    practice: PracticeOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="how many")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The practice's kept eligibility checks, newest first: when, who asked, the patient,
    the payer's answer.

    Example: ``edigateway eligibility history --member PDP300412``
    """
    from edigateway.services import verifications

    with open_gateway() as gateway:
        caller = verifications.command_line_caller(gateway.database, practice, now=gateway.clock())
        items, _ = verifications.list_verifications(
            gateway.database,
            caller,
            member_id=member,
            patient=None,
            limit=limit,
            offset=0,
            now=gateway.clock(),
        )
    emit(items, json=as_json, text=_history_lines)


def _history_lines(items: list[VerificationSummary]) -> Iterator[str]:
    if not items:
        yield "no eligibility checks kept"
    for item in items:
        yield (
            f"{item.id}\t{item.created_at:%Y-%m-%d %H:%M}\t{item.status}\t{item.payer_id}\t"
            f"{item.member_id or ''}\t{item.patient_name}\t{item.actor} ({item.channel})"
        )


@app.command("show")
@exit_codes()
def eligibility_show(
    verification_id: Annotated[int, typer.Argument(help="the kept check's ID", min=1)],
    raw: Annotated[bool, typer.Option("--raw", help="print the 271 exactly as received")] = False,
    practice: PracticeOption = None,
    as_json: JsonOption = False,
) -> None:
    """One kept check: the benefits as the payer stated them (or ``--raw``: the 271).

    Example: ``edigateway eligibility show 12 --raw > patient.271``
    """
    from edigateway.services import verifications
    from edigateway.services.eligibility import describe_benefits

    with open_gateway() as gateway:
        caller = verifications.command_line_caller(gateway.database, practice, now=gateway.clock())
        detail = verifications.get(gateway.database, caller, verification_id, now=gateway.clock())
    if raw:
        typer.echo(detail.raw_271, nl=False)
        return
    emit(
        detail,
        json=as_json,
        text=lambda d: [
            f"verification {d.id} of {d.created_at:%Y-%m-%d %H:%M} by {d.actor}: {d.status}",
            *(line for b in d.benefits for line in describe_benefits(b)),
        ],
        indent=2,
    )
