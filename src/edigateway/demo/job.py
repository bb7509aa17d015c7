"""The main job end to end, on embedded defaults: ``edigateway demo``.

In a fresh data folder (SQLite file, generated PHI keys) with the clearinghouse simulator
started in-process on loopback, a practice's month goes through the whole gateway:

1. 50 patients' eligibility is checked in real time (270 → simulator's HTTP endpoint →
   271 → ``DentalBenefits``), and two patients are shown an estimate of their visit;
2. their claims are stored (clean-claim edits) and queued as one 837D in the outbox, which
   is uploaded over SFTP (temporary name, rename, size check);
3. the simulator answers (999, 277CA, an 835, and later a reversal + correction); the
   poller stores, archives and applies each file: acknowledgments move claims, 835s post;
4. the summary: claims accepted/rejected, money paid, written off and left to patients,
   denials with their reasons, the work queue and A/R aging.

Every figure in the summary comes from the database, so the end-to-end test can assert it.
The simulator's folder (plain-text test data) is ``settings.sim_dir``, beside the demo's
data folder (:func:`fresh_sim_dir`), never inside it.

The demo wires its own gateway, once: the simulator starts first on free loopback ports,
then :func:`~edigateway.bootstrap.bootstrap` builds the gateway pointed at them (sharing
the simulator's validator), and both are closed when the job is done.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select

from edigateway.bootstrap import bootstrap, local_now, validator_for
from edigateway.demo.practice import PRACTICE_NPI, demo_batch, inquiry_for
from edigateway.persistence.tables import ClaimRow, PostingRow, WorkItemRow
from edigateway.security.files import private_dir
from edigateway.services.access import practice_by
from edigateway.services.eligibility import check_realtime
from edigateway.services.estimates import estimate_claim
from edigateway.services.followup import aging_report
from edigateway.services.inbound import poll_inbound
from edigateway.services.ledger import practice_ledger
from edigateway.services.outbox import drain_outbox
from edigateway.services.practice_claims import Caller
from edigateway.services.submissions import queue_837d
from edigateway.sim.contract import SIMULATOR
from edigateway.sim.runner import Simulator

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from edigateway.bootstrap import Gateway
    from edigateway.domain.claims import Claim
    from edigateway.domain.eligibility import DentalBenefits
    from edigateway.settings import Settings

ZERO = Decimal("0.00")
PATIENT_KINDS = ("deductible", "coinsurance", "copay", "patient_other")


def run_demo(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = local_now,
    progress: bool = True,
    patients: int = 50,
) -> dict[str, Any]:
    """Run the whole job in ``settings.data_dir`` (which should be fresh) at ``clock``'s
    time, with a simulator in ``settings.sim_dir``."""
    console = Console(stderr=True, quiet=not progress)
    today = clock().date()
    batch = demo_batch(today, patients)
    validator = validator_for(settings)
    with ExitStack() as stack:
        sim = stack.enter_context(
            Simulator(settings, validator=validator, clock=clock, sftp_port=0, http_port=0)
        )
        gateway = stack.enter_context(
            bootstrap(
                settings.model_copy(update=sim.client_settings()), clock=clock, validator=validator
            )
        )
        profile = gateway.profile(SIMULATOR)
        bar = stack.enter_context(Progress(console=console, transient=True))

        task = bar.add_task("eligibility (270/271 in real time)", total=len(batch.claims))
        client = gateway.core_client(profile)
        benefits: list[DentalBenefits] = []
        for claim in batch.claims:
            benefits += check_realtime(
                [inquiry_for(claim, today)],
                client=client,
                profile=profile,
                settings=gateway.settings,
                control_numbers=gateway.control_numbers,
                clock=gateway.clock,
            )
            bar.advance(task)
        eligible = [(c, b) for c, b in zip(batch.claims, benefits, strict=True) if not b.rejections]

        task = bar.add_task("claims → 837D → SFTP", total=3)
        queued = queue_837d(
            gateway.database,
            batch,
            settings=gateway.settings,
            clearinghouse=profile,
            numbers=gateway.control_numbers,
            now=gateway.clock(),
        )
        bar.advance(task)
        estimates = _estimates(gateway, queued.claim_ids, batch.claims, eligible[:2])
        transport = stack.enter_context(gateway.sftp_transport(profile))
        sent = drain_outbox(
            gateway.database, transport, clearinghouse=profile.name, now=gateway.clock()
        )
        bar.advance(task, 2)

        task = bar.add_task("999/277CA/835 back, posted", total=2)
        received = []
        for _ in range(2):  # the answers, then the payer's later reversal + correction
            sim.cycle()
            received += poll_inbound(
                gateway.database,
                transport,
                clearinghouse=profile.name,
                codes=gateway.codes,
                now=gateway.clock(),
            )
            bar.advance(task)
        summary = _summary(gateway, queued.file_name, sent, received, benefits, estimates)
    if progress:
        _print(summary)
    return summary


def _estimates(
    gateway: Gateway,
    ids: tuple[int, ...],
    claims: list[Claim],
    chosen: list[tuple[Claim, DentalBenefits]],
) -> list[dict[str, Any]]:
    """Estimate two patients' visits and keep each with its claim (shown beside the
    payment on the claim page)."""
    with gateway.database.transaction() as session:
        practice = practice_by(session, PRACTICE_NPI).id
    caller = Caller(practice, "demo")
    id_of = {c.patient_control_number: i for c, i in zip(claims, ids, strict=True)}
    return [
        {
            "claim": claim.patient_control_number,
            **estimate_claim(
                gateway.database,
                caller,
                id_of[claim.patient_control_number],
                benefits=benefits,
                now=gateway.clock(),
            ).estimate.model_dump(mode="json"),
        }
        for claim, benefits in chosen
    ]


def _summary(
    gateway: Gateway,
    file_name: str,
    sent: list[Any],
    received: list[Any],
    benefits: list[DentalBenefits],
    estimates: list[dict[str, Any]],
) -> dict[str, Any]:
    db = gateway.database
    with db.transaction() as session:
        states = Counter(
            dict(
                session.execute(
                    select(ClaimRow.state, func.count())
                    .where(ClaimRow.superseded_by_id.is_(None))
                    .group_by(ClaimRow.state)
                ).all()
            )
        )
        totals: dict[str, Decimal] = {
            kind: amount or ZERO
            for kind, amount in session.execute(
                select(PostingRow.kind, func.sum(PostingRow.amount)).group_by(PostingRow.kind)
            ).all()
        }
        work = list(session.scalars(select(WorkItemRow).order_by(WorkItemRow.id)))
        denials = [
            {"claim": w.patient_control_number, "codes": w.codes, "reason": w.message}
            for w in work
            if w.reason in ("denied", "line_denied")
        ]
        queue = Counter(w.reason for w in work if w.status == "open")
    rejected_ch = states.get("ch_rejected", 0)
    rejected_payer = states.get("payer_rejected", 0)
    total_claims = sum(states.values())
    return {
        "claims": total_claims,
        "eligibility": {
            "checked": len(benefits),
            "active": sum(1 for b in benefits if b.coverage == "active"),
            "not_found": sum(1 for b in benefits if b.rejections),
        },
        "estimates": estimates,
        "submission": {"file": file_name, "sent": [s.status for s in sent]},
        "files_received": [
            {"file": r.remote_name, "kind": r.kind, "status": r.status} for r in received
        ],
        "accepted": total_claims - rejected_ch - rejected_payer,
        "rejected_by_clearinghouse": rejected_ch,
        "rejected_by_payer": rejected_payer,
        "states": dict(sorted(states.items())),
        "paid": str(totals.get("paid", ZERO)),
        "contractual_write_offs": str(totals.get("contractual", ZERO)),
        "patient_responsibility": str(sum((totals.get(k, ZERO) for k in PATIENT_KINDS), ZERO)),
        "denials": denials,
        "work_queue": dict(sorted(queue.items())),
        "aging": aging_report(db, today=gateway.clock().date()).as_json(),
        "ledger": practice_ledger(db).as_json(),
    }


def _print(summary: dict[str, Any]) -> None:
    console = Console()
    elig = summary["eligibility"]
    console.print(
        f"[bold]Eligibility[/]: {elig['checked']} checked, {elig['active']} active, "
        f"{elig['not_found']} not found by the payer"
    )
    for item in summary["estimates"]:
        console.print(
            f"  estimate for {item['claim']}: fee {item['total_fee']}, insurance "
            f"{item['total_insurance']}, patient {item['total_patient']}"
        )
    file = summary["submission"]["file"]
    console.print(
        f"[bold]Submitted[/] {summary['claims']} claims as {file}; received "
        + ", ".join(f"{f['kind']} ({f['status']})" for f in summary["files_received"])
    )
    table = Table(title="edigateway demo: the month's claims")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, key in (
        ("claims accepted", "accepted"),
        ("rejected by the clearinghouse", "rejected_by_clearinghouse"),
        ("rejected by the payer", "rejected_by_payer"),
        ("paid", "paid"),
        ("contractual write-offs", "contractual_write_offs"),
        ("patient responsibility", "patient_responsibility"),
    ):
        table.add_row(label, str(summary[key]))
    console.print(table)
    for denial in summary["denials"]:
        console.print(f"  denied {denial['claim']} [{denial['codes']}]: {denial['reason']}")
    console.print(
        "[bold]Work queue[/]: "
        + ", ".join(f"{n} {reason}" for reason, n in summary["work_queue"].items())
    )
    total = summary["aging"]["total"]
    console.print(
        "[bold]A/R aging[/]: "
        + ", ".join(f"{bucket} {amount}" for bucket, amount in total["buckets"].items())
        + f"; total {total['total']}"
    )


def fresh_data_dir(given: Path | None) -> Path:
    """The demo's data folder, private (0700): the one given (must be empty or new) or a
    temporary one."""
    if given is None:
        return Path(tempfile.mkdtemp(prefix="edigateway-demo-"))  # made 0700
    return _fresh(given, "the demo needs a fresh folder (or none: a temporary one)")


def fresh_sim_dir(data_dir: Path) -> Path:
    """The simulator's folder for a demo in ``data_dir``: beside it (``<data_dir>-sim``),
    not inside, since the simulator keeps what it receives in plain text; it must be new
    or empty too, or the simulator would remember an earlier run's interchanges."""
    folder = data_dir.resolve()
    return _fresh(
        folder.with_name(f"{folder.name}-sim"),
        "the simulator's folder beside the demo's must be fresh too; remove it",
    )


def _fresh(folder: Path, advice: str) -> Path:
    if folder.exists() and any(folder.iterdir()):
        from edigateway.errors import InputError

        raise InputError(f"{folder}: not empty; {advice}")
    return private_dir(folder)
