"""The ``edigateway`` command line.

Exit codes are the same everywhere: 0 ok, 1 invalid input or a business failure (an invalid
file, failed clean-claim edits), 2 usage errors and files that cannot be read or whose
version/transaction is not supported. ``--json`` output is for machines; everything else
is for people.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from edigateway.errors import (
    ClaimInputError,
    CleanClaimError,
    EdigatewayError,
    UnsupportedX12Error,
    X12Error,
    X12SyntaxError,
)

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway

app = typer.Typer(
    name="edigateway",
    help="EDI gateway for dental practices: 837D claims, 270/271, 835 posting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
x12_app = typer.Typer(help="Build, validate and parse X12 5010 files.", no_args_is_help=True)
app.add_typer(x12_app, name="x12")
claims_app = typer.Typer(help="Store and follow claims.", no_args_is_help=True)
app.add_typer(claims_app, name="claims")
era_app = typer.Typer(help="Post 835 remittances (ERAs).", no_args_is_help=True)
app.add_typer(era_app, name="era")
report_app = typer.Typer(help="Reports for the coordinator.", no_args_is_help=True)
app.add_typer(report_app, name="report")
workqueue_app = typer.Typer(help="What needs a person's attention.", no_args_is_help=True)
app.add_typer(workqueue_app, name="workqueue")
payers_app = typer.Typer(help="Payers and their timely-filing limits.", no_args_is_help=True)
app.add_typer(payers_app, name="payers")
eligibility_app = typer.Typer(help="Real-time eligibility and benefits.",
                              no_args_is_help=True)
app.add_typer(eligibility_app, name="eligibility")
keys_app = typer.Typer(help="API keys and PHI encryption keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
audit_app = typer.Typer(help="The audit trail of PHI access.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
codes_app = typer.Typer(help="Code lists the practice licenses (CDT).", no_args_is_help=True)
app.add_typer(codes_app, name="codes")

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def _gateway() -> Gateway:
    from edigateway.bootstrap import bootstrap

    return bootstrap()


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=None, default=str))


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _failed_edits(exc: CleanClaimError, outcome: str) -> typer.Exit:
    typer.echo(f"error: {len(exc.failures)} clean-claim edit(s) failed; {outcome}", err=True)
    for failure in exc.failures:
        typer.echo(f"  {failure}", err=True)
    return typer.Exit(EXIT_INVALID)


@app.command("schema")
def schema(
    name: Annotated[str, typer.Argument(
        help="claim, batch, inquiry, plan or clearinghouse")] = "claim",
) -> None:
    """Print the JSON Schema of a claim, a claim batch, an eligibility inquiry or a plan.

    Example: ``edigateway schema claim > claim.schema.json``
    """
    from edigateway.clearinghouses import ClearinghouseProfile
    from edigateway.domain.claims import Claim, ClaimBatch
    from edigateway.domain.eligibility import EligibilityInquiry, TreatmentPlan

    models: dict[str, Any] = {"claim": Claim, "batch": ClaimBatch,
                              "inquiry": EligibilityInquiry, "plan": TreatmentPlan,
                              "clearinghouse": ClearinghouseProfile}
    if name not in models:
        raise _fail(f"unknown schema {name!r}; choose {', '.join(models)}", EXIT_UNREADABLE)
    typer.echo(json.dumps(models[name].model_json_schema(), indent=2))


@x12_app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="X12 files to validate")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file, per line")]
    = False,
    level: Annotated[int, typer.Option(
        "--level", min=1, max=5,
        help="report WEDI SNIP types 1..LEVEL: 1 syntax, 2 implementation guide, "
             "3 balancing, 4 situational rules, 5 code sets")] = 5,
) -> None:
    """Validate X12 5010 files: 837D with our map; 837P/837I/835/999 with pyx12's.

    Every finding carries its WEDI SNIP type; an 837D also gets the clean-claim edits and
    our code-set rules, an 835 the posting engine's balancing. Exit 0 when every file is
    valid (at --level), 1 when any is invalid, 2 when any is unreadable or of an
    unsupported version/transaction. Example: ``edigateway x12 validate --level 2 claims.837``
    """
    from edigateway.services.codes import loaded_cdt

    gateway = _gateway()
    validator = gateway.validator
    try:
        cdt = loaded_cdt(gateway.settings.data_dir)
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_UNREADABLE) from exc
    worst = EXIT_OK
    for path in files:
        verdict = validator.validate_file(path, level=level, cdt=cdt,
                                          today=gateway.clock().date())
        if as_json:
            _echo_json(verdict.to_json())
        else:
            _print_verdict(verdict)
        if verdict.status in ("unreadable", "unsupported"):
            worst = EXIT_UNREADABLE
        elif not verdict.valid and worst == EXIT_OK:
            worst = EXIT_INVALID
    raise typer.Exit(worst)


def _print_verdict(verdict: Any) -> None:
    label = {"valid": "valid", "invalid": "INVALID", "unsupported": "UNSUPPORTED",
             "unreadable": "UNREADABLE"}[verdict.status]
    kind = " ".join(x for x in (verdict.transaction, verdict.version) if x)
    typer.echo(f"{verdict.file}: {label}" + (f" ({kind})" if kind else ""))
    for finding in verdict.errors:
        where = ", ".join(
            str(x) for x in (
                f"segment {finding.segment_index}" if finding.segment_index else None,
                finding.segment_id, f"loop {finding.loop}" if finding.loop else None,
                finding.element,
            ) if x
        )
        typer.echo(f"  [{finding.code}, SNIP {finding.snip_type}] "
                   f"{where + ': ' if where else ''}{finding.message}")
    for note in verdict.notes:
        typer.echo(f"  note: {note}")


@x12_app.command("maps")
def maps() -> None:
    """Print the pyx12 map folder we validate with (pyx12's own maps plus ours).

    pyx12's tools can use it directly. Example:
    ``x12valid --map-path "$(edigateway x12 maps)" claims.837`` checks an 837D with our map.
    """
    typer.echo(str(_gateway().validator.map_path()))


@x12_app.command("parse")
def parse(
    file: Annotated[Path, typer.Argument(help="an X12 file")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Print the domain objects an X12 file holds (837D claims, 835 remittances).

    Without ``--json`` an 835 is streamed and summarised. Example:
    ``edigateway x12 parse claims.837 --json``
    """
    from edigateway.services.parsing import parse_file

    try:
        document = parse_file(file, full=as_json)
    except (X12SyntaxError, UnsupportedX12Error, OSError) as exc:
        raise _fail(str(exc), EXIT_UNREADABLE) from exc
    except X12Error as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    summary = document.pop("summary")
    if as_json:
        typer.echo(json.dumps(document.get("document", document), indent=2))
        return
    for line in summary:
        typer.echo(line)


@x12_app.command("build")
def build(
    kind: Annotated[str, typer.Argument(help="what to build: 837d")],
    claims_file: Annotated[Path, typer.Argument(
        help="claims JSON for 837d, inquiries for 270 (see `edigateway schema`)")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write")]
    = None,
) -> None:
    """Build an X12 file from JSON. Example:
    ``edigateway x12 build 837d claims.json -o claims.837`` or
    ``edigateway x12 build 270 inquiry.json``.

    Exits 1, listing every failed clean-claim edit, when the claims are not clean; nothing
    is written then.
    """
    from edigateway.services.claims import build_837d, load_claim_file
    from edigateway.services.eligibility import build_270, load_inquiries

    if kind.lower() not in ("837d", "270"):
        raise _fail(f"cannot build {kind!r}; supported: 837d, 270", EXIT_UNREADABLE)
    gateway = _gateway()
    try:
        if kind.lower() == "270":
            text = build_270(load_inquiries(claims_file), settings=gateway.settings,
                             control_numbers=gateway.control_numbers, clock=gateway.clock)
        else:
            batch = load_claim_file(claims_file)
            text = build_837d(batch, settings=gateway.settings,
                              control_numbers=gateway.control_numbers, clock=gateway.clock)
    except OSError as exc:
        raise _fail(f"{claims_file}: {exc.strerror or exc}", EXIT_UNREADABLE) from exc
    except CleanClaimError as exc:
        raise _failed_edits(exc, "nothing written") from exc
    except (ClaimInputError, X12Error) as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if output is None:
        sys.stdout.write(text)
        return
    tmp = output.with_name(output.name + ".partial")
    tmp.write_text(text, encoding="ascii", errors="strict")
    tmp.replace(output)
    typer.echo(f"wrote {output}", err=True)


@app.command("demo")
def demo(
    data_dir: Annotated[Path | None, typer.Option(
        help="an empty folder for the demo's database and files (default: a temporary "
        "one); the simulator's files go beside it, in DIR-sim")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """The whole gateway in one command, on embedded defaults, with the simulator.

    50 patients' eligibility (270/271), two estimates, their claims as one 837D over SFTP,
    the 999/277CA/835 answers applied and posted, then the summary: accepted/rejected,
    paid, written off, patient responsibility, denials, work queue, A/R aging.
    Example: ``edigateway demo`` or ``edigateway demo --json``
    """
    from edigateway.bootstrap import bootstrap
    from edigateway.services.demo import fresh_data_dir, fresh_sim_dir, run_demo
    from edigateway.settings import Settings

    try:
        folder = fresh_data_dir(data_dir)
        sim_folder = fresh_sim_dir(folder)
        settings = Settings().model_copy(update={"data_dir": folder,
                                                 "sim_data_dir": sim_folder})
        summary = run_demo(bootstrap(settings), progress=not as_json)
    except OSError as exc:
        raise _fail(f"{exc.filename or ''}: {exc.strerror or exc}", EXIT_UNREADABLE) from exc
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if as_json:
        _echo_json(summary)
    else:
        typer.echo(f"data in {folder}; the simulator's files (PLAINTEXT test data) in "
                   f"{sim_folder}", err=True)


@app.command("estimate")
def estimate_command(
    benefits: Annotated[Path, typer.Option("--benefits", help="the patient's 271")],
    plan: Annotated[Path, typer.Option("--plan", help="treatment plan JSON "
                                       "(see `edigateway schema plan`)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Estimate insurance and patient portions of a treatment plan from a 271.

    Every figure comes with the rule that produced it. Exit 1 for an invalid plan or a
    malformed 271, 2 when a file cannot be read or is not a 005010X279A1 271. Example:
    ``edigateway estimate --benefits patient.271 --plan plan.json``
    """
    from edigateway.services.eligibility import describe_estimate, estimate_from_files
    from edigateway.services.parsing import PARSED, require_file

    try:
        require_file(benefits, "271", PARSED["271"], "estimate")
        result = estimate_from_files(benefits, plan)
    except OSError as exc:
        raise _fail(f"{exc.filename}: {exc.strerror or exc}", EXIT_UNREADABLE) from exc
    except (X12SyntaxError, UnsupportedX12Error) as exc:
        raise _fail(str(exc), EXIT_UNREADABLE) from exc
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    for line in describe_estimate(result):
        typer.echo(line)


@claims_app.command("import")
def claims_import(
    claims_file: Annotated[Path, typer.Argument(help="claims JSON (see `edigateway schema`)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Store claims as submitted (after the clean-claim edits) and print their IDs.

    Importing the same claim again is harmless (``unchanged``). Example:
    ``edigateway claims import fixtures/claims/05_crown_initial.json``
    """
    from edigateway.services.claim_store import import_claims
    from edigateway.services.claims import load_claim_file

    gateway = _gateway()
    try:
        batch = load_claim_file(claims_file)
        imported = import_claims(gateway.database, batch, now=gateway.clock())
    except OSError as exc:
        raise _fail(f"{claims_file}: {exc.strerror or exc}", EXIT_UNREADABLE) from exc
    except CleanClaimError as exc:
        raise _failed_edits(exc, "nothing stored") from exc
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if as_json:
        _echo_json([{"id": c.id, "patient_control_number": c.patient_control_number,
                     "status": c.status} for c in imported])
        return
    for claim in imported:
        typer.echo(f"{claim.id}\t{claim.patient_control_number}\t{claim.status}")


ClearinghouseOption = Annotated[str | None, typer.Option(
    "--clearinghouse", help="clearinghouse profile (default: EDIGATEWAY_CLEARINGHOUSE, "
    "'simulator')")]


@claims_app.command("submit")
def claims_submit(
    claims_file: Annotated[Path, typer.Argument(help="claims JSON (see `edigateway schema`)")],
    clearinghouse: ClearinghouseOption = None,
    send: Annotated[bool, typer.Option("--send/--no-send", help="upload now (default) or "
                                       "only queue in the outbox")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Store claims, queue their 837D in the outbox and upload it to the clearinghouse.

    The claims, their state change and the outbox row commit together; the upload happens
    after, so a failure only leaves the file queued for `edigateway claims send`.
    Exit 1 when the clean-claim edits fail (nothing stored) or the upload failed (queued).
    Example: ``edigateway claims submit fixtures/claims/05_crown_initial.json``
    """
    from edigateway.services.claims import load_claim_file
    from edigateway.services.control_numbers import DatabaseControlNumbers
    from edigateway.services.exchange import drain_outbox
    from edigateway.services.submissions import queue_837d

    gateway = _gateway()
    try:
        profile = gateway.profile(clearinghouse)
        batch = load_claim_file(claims_file)
        numbers = gateway.control_numbers
        if not isinstance(numbers, DatabaseControlNumbers):  # a test's in-memory numbers
            numbers = DatabaseControlNumbers(lambda: gateway.database)
        queued = queue_837d(gateway.database, batch, settings=gateway.settings,
                            clearinghouse=profile, numbers=numbers, now=gateway.clock())
        sent = []
        if send:
            with gateway.sftp_transport(profile) as transport:
                sent = drain_outbox(gateway.database, transport, clearinghouse=profile.name,
                                    now=gateway.clock())
    except OSError as exc:
        raise _fail(f"{claims_file}: {exc.strerror or exc}", EXIT_UNREADABLE) from exc
    except CleanClaimError as exc:
        raise _failed_edits(exc, "nothing stored") from exc
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    failed = [r for r in sent if r.status == "failed"]
    if as_json:
        _echo_json({"submission_id": queued.submission_id, "file": queued.file_name,
                    "interchange_control_number": queued.interchange_control_number,
                    "claim_ids": list(queued.claim_ids),
                    "sent": [_as_dict(r) for r in sent]})
    else:
        typer.echo(f"queued {len(queued.claim_ids)} claim(s) as {queued.file_name} "
                   f"(ISA13 {queued.interchange_control_number}) for {profile.name}")
        _print_sent(sent)
    raise typer.Exit(EXIT_INVALID if failed else EXIT_OK)


def _as_dict(result: Any) -> dict[str, Any]:
    """A result dataclass as JSON-ready dict."""
    from dataclasses import asdict

    return asdict(result)


def _print_sent(sent: list[Any]) -> None:
    for r in sent:
        where = f" as {r.remote_name}" if r.remote_name else ""
        tail = f": {r.message}" if r.message else ""
        typer.echo(f"{r.file_name}: {r.status}{where}{tail}")


@claims_app.command("send")
def claims_send(
    clearinghouse: ClearinghouseOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Upload every queued 837D (the outbox) to the clearinghouse, each exactly once.

    An upload interrupted earlier is first looked for on the server. Exit 1 when any
    upload failed (it stays queued). Example: ``edigateway claims send``
    """
    from edigateway.services.exchange import drain_outbox

    gateway = _gateway()
    try:
        profile = gateway.profile(clearinghouse)
        with gateway.sftp_transport(profile) as transport:
            sent = drain_outbox(gateway.database, transport, clearinghouse=profile.name,
                                now=gateway.clock())
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if as_json:
        _echo_json([_as_dict(r) for r in sent])
    elif not sent:
        typer.echo("the outbox is empty")
    else:
        _print_sent(sent)
    raise typer.Exit(EXIT_INVALID if any(r.status == "failed" for r in sent) else EXIT_OK)


@claims_app.command("poll")
def claims_poll(
    clearinghouse: ClearinghouseOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
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
    from datetime import timedelta

    from edigateway.services.exchange import InboundLimits, poll_inbound
    from edigateway.services.submissions import flag_missing_acknowledgments

    gateway = _gateway()
    try:
        profile = gateway.profile(clearinghouse)
        with gateway.sftp_transport(profile) as transport:
            results = poll_inbound(gateway.database, transport, clearinghouse=profile.name,
                                   codes=gateway.codes, now=gateway.clock(),
                                   limits=InboundLimits.of(gateway.settings))
        overdue = flag_missing_acknowledgments(
            gateway.database, now=gateway.clock(),
            after=timedelta(hours=profile.no_999_after_hours))
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if as_json:
        _echo_json({"files": [_as_dict(r) for r in results], "missing_999": overdue})
    else:
        for r in results:
            typer.echo(f"{r.remote_name}\t{r.kind}\t{r.status}\t{r.message}")
        typer.echo(f"{len(results)} file(s) received"
                   + (f"; {overdue} submission(s) still without a 999" if overdue else ""))
    failed = any(r.status in ("failed", "unmatched", "quarantined") for r in results)
    unsupported = any(r.status == "unsupported" for r in results)
    raise typer.Exit(EXIT_UNREADABLE if unsupported else EXIT_INVALID if failed else EXIT_OK)


@claims_app.command("status")
def claims_status(
    after_days: Annotated[int, typer.Option(help="ask about claims with no answer for this "
                                            "many days")] = 30,
    clearinghouse: ClearinghouseOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Ask payers (276 → 277, real time) about claims with no answer after N days.

    Each answer goes into the claim's history; answers needing action (no such claim,
    paid or denied without an 835, information requested) become work items. A claim is
    asked about at most once per period. Example: ``edigateway claims status --after-days 30``
    """
    from edigateway.services.claim_status import inquire_stale

    gateway = _gateway()
    try:
        profile = gateway.profile(clearinghouse)
        client = gateway.core_client(profile)
        try:
            results = inquire_stale(gateway.database, client=client, profile=profile,
                                    settings=gateway.settings,
                                    control_numbers=gateway.control_numbers,
                                    clock=gateway.clock, after_days=after_days)
        finally:
            client.close()
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if as_json:
        _echo_json([_as_dict(r) for r in results])
        return
    for r in results:
        typer.echo(f"{r.patient_control_number}\t{r.outcome}\t{r.message}")
    typer.echo(f"{len(results)} claim(s) asked about")


@eligibility_app.command("check")
def eligibility_check(
    inquiries_file: Annotated[Path, typer.Argument(help="inquiry JSON (see `edigateway "
                                                   "schema inquiry`)")],
    clearinghouse: ClearinghouseOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Ask the payer in real time (270 → 271 over the clearinghouse's HTTPS endpoint) and
    print each patient's dental benefits.

    Example: ``edigateway eligibility check fixtures/inquiries/01_subscriber_all_dental.json``
    """
    from edigateway.services.eligibility import (
        check_realtime,
        describe_benefits,
        load_inquiries,
    )

    gateway = _gateway()
    try:
        inquiries = load_inquiries(inquiries_file)
        profile = gateway.profile(clearinghouse)
        client = gateway.core_client(profile)
        try:
            answers = check_realtime(inquiries, client=client, profile=profile,
                                     settings=gateway.settings,
                                     control_numbers=gateway.control_numbers,
                                     clock=gateway.clock)
        finally:
            client.close()
    except OSError as exc:
        raise _fail(f"{inquiries_file}: {exc.strerror or exc}", EXIT_UNREADABLE) from exc
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if as_json:
        typer.echo(json.dumps([json.loads(b.model_dump_json()) for b in answers], indent=2))
        return
    for benefits in answers:
        for line in describe_benefits(benefits):
            typer.echo(line)
        typer.echo("")


@era_app.command("post")
def era_post(
    files: Annotated[list[Path], typer.Argument(help="835 files (or folders of them)")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file")] = False,
    queue: Annotated[bool, typer.Option(
        "--queue", help="hand each file to the workers (EDIGATEWAY_BROKER_URL) instead of "
        "posting here; the files must be readable by the workers")] = False,
) -> None:
    """Post 835 remittances: balance, match, post; quarantine what does not balance.

    Exit 0 when every file was posted or was a duplicate, 1 when any was quarantined
    (malformed or not balancing), 2 when any is not X12 or is ``unsupported`` (4010, a GS08
    other than 005010X221A1, not an 835). Example: ``edigateway era post era.835 --json``
    """
    from edigateway.services.remittances import iter_files, post_era

    gateway = _gateway()
    if queue:
        _queue_eras(gateway, list(iter_files(files)), as_json=as_json)
        return
    worst = EXIT_OK
    for path in iter_files(files):
        try:
            result = post_era(gateway.database, path, codes=gateway.codes,
                              now=gateway.clock())
        except OSError as exc:
            raise _fail(f"{path}: {exc.strerror or exc}", EXIT_UNREADABLE) from exc
        except EdigatewayError as exc:
            raise _fail(str(exc), EXIT_INVALID) from exc
        if as_json:
            _echo_json(result.to_json())
        else:
            _print_posting(result)
        if not result.readable:
            worst = EXIT_UNREADABLE
        elif result.status == "quarantined" and worst == EXIT_OK:
            worst = EXIT_INVALID
    raise typer.Exit(worst)


def _queue_eras(gateway: Gateway, paths: list[Path], *, as_json: bool) -> None:
    import hashlib

    from edigateway.workers.celery_app import dispatch

    if not gateway.settings.broker_url:
        raise _fail("--queue needs EDIGATEWAY_BROKER_URL (workers to hand the files to)",
                    EXIT_UNREADABLE)
    for path in paths:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise _fail(f"{path}: {exc.strerror or exc}", EXIT_UNREADABLE) from exc
        task = dispatch(gateway, "post_era_file", str(path.resolve()), digest)
        if as_json:
            _echo_json({"file": str(path), "sha256": digest, "task": task})
        else:
            typer.echo(f"{path}\tqueued as task {task}")


def _print_posting(result: Any) -> None:
    typer.echo(f"{result.file}: {result.status.upper()}")
    if result.message:
        typer.echo(f"  {result.message}")
    if result.status != "posted":
        return
    typer.echo(f"  payments {result.payments} (skipped as already posted: "
               f"{result.payments_skipped}), amount {result.payment_amount}")
    typer.echo(f"  claims matched {result.claims_matched}, unmatched {result.claims_unmatched}")
    typer.echo(f"  posted {result.posted_total}, write-offs {result.adjustments_total}, "
               f"patient responsibility {result.patient_responsibility_total}, "
               f"provider adjustments {result.plb_total}, interest {result.interest_total}")
    for item in result.work_items:
        typer.echo(f"  work: [{item.reason}] {item.message}")


@report_app.command("aging")
def report_aging(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    warn_days: Annotated[int, typer.Option(help="flag claims this close to their "
                                           "timely-filing limit")] = 30,
) -> None:
    """A/R aging by payer (days since submission) and claims nearing timely filing.

    Example: ``edigateway report aging --json``
    """
    from edigateway.services.followup import aging_report

    gateway = _gateway()
    report = aging_report(gateway.database, today=gateway.clock().date(), warn_days=warn_days)
    if as_json:
        _echo_json(report)
        return
    typer.echo(f"A/R aging on {report['as_of']} (days since submission)")
    buckets = report["buckets"]
    typer.echo("payer".ljust(28) + "".join(b.rjust(12) for b in [*buckets, "total"]))
    for row in [*report["payers"], report["total"]]:
        typer.echo(row["payer"][:27].ljust(28)
                   + "".join(row["buckets"][b].rjust(12) for b in buckets)
                   + row["total"].rjust(12))
    for alert in report["timely_filing"]:
        typer.echo(f"  timely filing: claim {alert['claim']} ({alert['payer']}) "
                   f"{alert['message']}")


@workqueue_app.command("list")
def workqueue_list(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="include resolved items")] = False,
) -> None:
    """The open work items, oldest first: denials, unmatched payments, recoupments …

    Example: ``edigateway workqueue list --json``
    """
    from edigateway.services.followup import work_items

    items = work_items(_gateway().database, include_resolved=show_all)
    if as_json:
        _echo_json(items)
        return
    if not items:
        typer.echo("the work queue is empty")
    for item in items:
        typer.echo(f"#{item['id']} [{item['reason']}] {item['claim'] or '-'}: {item['message']}")


@workqueue_app.command("resolve")
def workqueue_resolve(
    item_id: Annotated[int, typer.Argument(help="the work item's number (#N in the list)")],
    note: Annotated[str, typer.Option(help="what was done: corrected claim sent, appeal "
                                      "sent, written off …")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Close a work item with a note (audited as the CLI user).

    Example: ``edigateway workqueue resolve 12 --note "appeal sent 2026-11-23"``
    """
    from edigateway.services.followup import resolve_work_item

    gateway = _gateway()
    try:
        result = resolve_work_item(gateway.database, item_id, note=note, now=gateway.clock())
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if as_json:
        _echo_json(result)
    else:
        typer.echo(f"#{item_id} resolved: {result['resolution_note']}")


PracticeOption = Annotated[str | None, typer.Option(
    "--practice", help="the practice's NPI (required when the database holds several; "
    "default: the only one)")]


@payers_app.command("list")
def payers_list(
    practice: PracticeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """A practice's payers: the name it sends, other names it has sent, filing limits.

    Example: ``edigateway payers list --practice 1456789019``
    """
    from edigateway.services.followup import payer_practice, payers

    try:
        database = _gateway().database
        rows = payers(database, payer_practice(database, practice))
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        also = f"\talso sent as: {'; '.join(row['aliases'])}" if row["aliases"] else ""
        typer.echo(f"{row['payer_id']}\t{row['name']}\t{row['timely_filing_days']} days{also}")


@payers_app.command("set-limit")
def payers_set_limit(
    payer_id: Annotated[str, typer.Argument(help="the payer ID claims are sent with")],
    days: Annotated[int, typer.Argument(help="days from the date of service")],
    practice: PracticeOption = None,
) -> None:
    """Set a practice's timely-filing limit with a payer (new payers start at 365 days).

    Example: ``edigateway payers set-limit DDPIL 180 --practice 1456789019``
    """
    from edigateway.services.followup import payer_practice, set_timely_filing

    try:
        database = _gateway().database
        set_timely_filing(database, payer_id, days,
                          practice_id=payer_practice(database, practice))
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    typer.echo(f"{payer_id}: claims must reach the payer within {days} days of service")


@app.command("sim")
def sim(
    interval: Annotated[float, typer.Option(help="seconds between answering cycles")] = 2.0,
    sftp_port: Annotated[int | None, typer.Option(help="SFTP port (default "
                                                  "EDIGATEWAY_SIM_SFTP_PORT, 2222)")] = None,
    http_port: Annotated[int | None, typer.Option(help="HTTP port (default "
                                                  "EDIGATEWAY_SIM_HTTP_PORT, 8089)")] = None,
) -> None:
    """Run the local clearinghouse simulator on 127.0.0.1 until Ctrl-C.

    SFTP (key authentication; files in its own folder, <data_dir>-sim/sftp unless
    EDIGATEWAY_SIM_DATA_DIR says otherwise, in plain text) answers each uploaded 837D
    with TA1/999/277CA and an 835 adjudicated from mappings/simulator/; HTTP answers
    real-time 270s with 271s from the benefit-plan table. The gateway's `simulator` profile
    talks to it with no further set-up. Example: ``edigateway sim --interval 1``
    """
    import time

    from edigateway.sim.runner import Simulator

    gateway = _gateway()
    try:
        simulator = Simulator(gateway.settings, validator=gateway.validator,
                              clock=gateway.clock, sftp_port=sftp_port, http_port=http_port)
    except (OSError, EdigatewayError) as exc:
        raise _fail(f"cannot start the simulator: {exc}", EXIT_INVALID) from exc
    simulator.start(interval=interval)
    try:
        typer.echo(simulator.notice)
        typer.echo(f"SFTP  127.0.0.1:{simulator.sftp.port}  host key "
                   f"{simulator.sftp.host_key_line}")
        typer.echo(f"HTTP  {simulator.http.url}/core/realtime")
        typer.echo(f"files {simulator.root}; answering every {interval:g} s; Ctrl-C stops")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        typer.echo("stopped")
    finally:
        simulator.stop()


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes (PostgreSQL only)")] = 1,
) -> None:
    """Serve the PM-facing HTTP API (OpenAPI at /v1/openapi.json, docs at /v1/docs).

    Example: ``edigateway serve --port 8000``; create a key first with
    ``edigateway keys create --practice <NPI> --scopes admin``.
    """
    import uvicorn

    from edigateway.api.app import create_app
    from edigateway.security.redaction import install

    gateway = _gateway()
    try:
        gateway.database  # noqa: B018 - open and migrate before taking requests
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if workers > 1:
        raise _fail("several workers need a process manager and PostgreSQL; run one "
                    "`edigateway serve` per core behind a proxy (see deploy/)", EXIT_UNREADABLE)
    config = uvicorn.Config(create_app(gateway), host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    install()  # after uvicorn configured its loggers, so their handlers get the filter too
    server.run()


@keys_app.command("create")
def keys_create(
    practice: Annotated[str, typer.Option(help="the practice's NPI (or ID)")],
    scopes: Annotated[str, typer.Option(help="comma-separated, e.g. claims:write,eligibility "
                                        "(see `edigateway keys scopes`)")],
    name: Annotated[str, typer.Option(help="what the key is for")] = "PM system",
    practice_name: Annotated[str | None, typer.Option(
        help="create the practice with this name if the NPI is new")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Create an API key for a practice. The key is printed once and never stored.

    Example: ``edigateway keys create --practice 1456789019 --scopes claims:write,claims:read``
    """
    from edigateway.services.access import create_key

    gateway = _gateway()
    try:
        created = create_key(gateway.database, practice=practice, scopes=scopes, name=name,
                             keyring=gateway.keyring, now=gateway.clock(),
                             create_name=practice_name)
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    if as_json:
        _echo_json(_as_dict(created))
        return
    typer.echo(created.token)
    typer.echo(f"key {created.key_id} for practice {created.practice_id} with "
               f"{', '.join(created.scopes)}; shown once, store it now", err=True)


@keys_app.command("scopes")
def keys_scopes() -> None:
    """List the scopes a key can hold. Example: ``edigateway keys scopes``"""
    from edigateway.security.api_keys import SCOPES

    for scope_name, meaning in SCOPES.items():
        typer.echo(f"{scope_name:20} {meaning}")


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False
              ) -> None:
    """List API keys (IDs and scopes only). Example: ``edigateway keys list``"""
    from edigateway.services.access import list_keys

    keys = list_keys(_gateway().database)
    if as_json:
        _echo_json(keys)
        return
    for key in keys:
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else "active"
        typer.echo(f"{key['key_id']}\tpractice {key['practice_id']}\t{state}\t"
                   f"{','.join(key['scopes'])}\t{key['name']}")  # type: ignore[arg-type]


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key ID (not the secret)")]
                ) -> None:
    """Revoke an API key at once. Example: ``edigateway keys revoke 3f9a1c2b7d10``"""
    from edigateway.services.access import revoke_key

    gateway = _gateway()
    try:
        revoke_key(gateway.database, key_id, now=gateway.clock())
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    typer.echo(f"revoked {key_id}")


@keys_app.command("rotate")
def keys_rotate(
    new_key: Annotated[bool, typer.Option(
        "--new-key/--no-new-key", help="embedded setup: add a fresh active key to the key "
        "file first (with configured keys, put the new key first in EDIGATEWAY_PHI_KEYS "
        "and restart every process before rotating)")] = True,
) -> None:
    """Re-encrypt all PHI to the active key, a batch at a time, while the gateway runs.

    Prints which key IDs still protect data; a key no longer listed can be retired.
    Example: ``edigateway keys rotate``
    """
    from edigateway.security.phi import PhiCipher
    from edigateway.services.rotation import keys_in_use, rotate_phi

    gateway = _gateway()
    try:
        keyring = gateway.keyring
        if new_key and gateway.settings.phi_keys is None:
            keyring = keyring.with_new_key(f"k{gateway.clock():%Y%m%d%H%M%S}")
            keyring.save(gateway.key_file)
            gateway.database.phi = PhiCipher(keyring)
        counts = rotate_phi(gateway.database)
        used = keys_in_use(gateway.database)
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    typer.echo(f"active key {keyring.active}; re-encrypted "
               + ", ".join(f"{n} {table}" for table, n in counts.items()))
    typer.echo("values per key: " + (", ".join(f"{k}: {n}" for k, n in sorted(used.items()))
                                     or "none"))


@audit_app.command("export")
def audit_export(
    start: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD (included)")],
    practice: Annotated[int | None, typer.Option(help="only this practice ID")] = None,
) -> None:
    """Export audit events of a date range as JSON lines (the export itself is audited).

    Example: ``edigateway audit export --from 2026-11-01 --to 2026-11-30 > audit.jsonl``
    """
    from datetime import date as _date
    from datetime import datetime as _dt
    from datetime import timedelta

    from edigateway.services.access import audit_events, record

    try:
        first, last = _date.fromisoformat(start), _date.fromisoformat(end)
    except ValueError as exc:
        raise _fail(f"--from/--to: {exc}", EXIT_UNREADABLE) from exc
    gateway = _gateway()
    lower, upper = _dt.combine(first, _dt.min.time()), _dt.combine(last + timedelta(days=1),
                                                                 _dt.min.time())
    try:
        events = list(audit_events(gateway.database, start=lower, end=upper,
                                   practice_id=practice))
        with gateway.database.transaction() as session:
            record(session, actor="cli", practice_id=practice, action="export",
                   resource="audit_events", resource_id=None, at=gateway.clock(),
                   detail=f"{first}..{last}: {len(events)} events")
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    for event in events:
        _echo_json(event)


@app.command("worker")
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="tasks at once in this "
                                             "worker (processes)")] = 1,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "WARNING",
) -> None:
    """Run a Celery worker: ERA posting, outbox sending and polling from the broker.

    Needs EDIGATEWAY_BROKER_URL (RabbitMQ: amqp://guest:guest@127.0.0.1:5672//) and, to
    share work with other workers, PostgreSQL (EDIGATEWAY_DATABASE_URL). Tasks are
    acknowledged after they finish and are idempotent, so a killed worker's task is
    simply done again. Example: ``edigateway worker --concurrency 2``
    """
    import os

    from edigateway.settings import Settings
    from edigateway.workers.celery_app import make_celery

    settings = Settings()
    if not settings.broker_url:
        raise _fail("no broker: set EDIGATEWAY_BROKER_URL (without one, commands run their "
                    "jobs in-process and no worker is needed)", EXIT_UNREADABLE)
    pool = "solo" if concurrency == 1 else "prefork"
    make_celery(settings).worker_main([
        "worker", f"--concurrency={concurrency}", f"--pool={pool}", f"--loglevel={loglevel}",
        "-Q", settings.worker_queue, "--without-gossip", "--without-mingle",
        f"--hostname=edigateway-{os.getpid()}@%h"])  # several workers may share a host


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (the embedded SQLite file does this by itself).

    Example: ``EDIGATEWAY_DATABASE_URL=postgresql+psycopg://... edigateway db upgrade``
    """
    gateway = _gateway()
    try:
        gateway.upgrade_database()
    except EdigatewayError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    typer.echo("database is up to date")


@codes_app.command("load")
def codes_load(
    kind: Annotated[str, typer.Argument(help="the code list: cdt")],
    file: Annotated[Path, typer.Argument(help="the licensed file (CSV: code, descriptor, "
                                              "effective date, deleted date)")],
) -> None:
    """Load the practice's licensed ADA CDT file; validation then flags unknown and
    deleted procedure codes (without it, CDT codes are checked for their format only).

    Exit 0 loaded, 1 a row is wrong (line and column named; nothing replaced), 2 the file
    cannot be read or the list is not one we know. Example:
    ``edigateway codes load cdt CDT2026.csv``
    """
    from edigateway.services.codes import (
        CodeFileError,
        CodeFileUnreadableError,
        load_cdt,
    )

    if kind != "cdt":
        raise _fail(f"unknown code list {kind!r}; edigateway loads: cdt", EXIT_UNREADABLE)
    gateway = _gateway()
    try:
        result = load_cdt(file, gateway.settings.data_dir, now=gateway.clock())
    except CodeFileUnreadableError as exc:
        raise _fail(str(exc), EXIT_UNREADABLE) from exc
    except CodeFileError as exc:
        raise _fail(str(exc), EXIT_INVALID) from exc
    typer.echo(f"loaded {result.codes} CDT codes ({result.deleted} deleted) from "
               f"{result.source} into {result.stored}")


def main() -> None:
    """Console-script entry point."""
    app()
