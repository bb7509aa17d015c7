"""``edigateway claims attach`` and ``claims send-secondary``: what goes with a claim or
after it (registered on the ``claims`` command group by :mod:`edigateway.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.claims import SendOption, print_warnings, send_exit, sent_lines
from edigateway.cli.exits import EXIT_UNREADABLE, exit_codes, fail
from edigateway.cli.gateway import ClearinghouseOption, PracticeOption, open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.attachments import AttachmentInfo


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
    A secondary claim whose payer's timely-filing deadline (from the date of service) is
    within 30 days or past is sent all the same, with a ``warning:`` line on stderr (and
    in ``--json``'s ``warnings``), as ``claims submit`` does.
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
    print_warnings(done.warnings)
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
            "warnings": [w.warning_json() for w in done.warnings],
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
            *sent_lines(sent),
        ),
    )
    raise typer.Exit(send_exit(sent))


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
