"""Eligibility use cases: build a 270 from JSON, read a 271, estimate a treatment plan.

The CLI and the API call these; they parse input into domain models (field paths on
error), allocate control numbers and format what people read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from edigateway.domain.eligibility import EligibilityInquiry, TreatmentPlan
from edigateway.errors import (
    ClaimInputError,
    FieldProblem,
    UnreadableAnswerError,
    X12Error,
    X12Location,
    X12StructureError,
)
from edigateway.estimates.engine import estimate
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x270_005010X279A1 import write_270
from edigateway.x12.x271_005010X279A1 import read_271

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path

    from edigateway.clearinghouses import ClearinghouseProfile, InterchangeProfile
    from edigateway.domain.eligibility import DentalBenefits, Estimate
    from edigateway.services.control_numbers import ControlNumberSource
    from edigateway.settings import Settings
    from edigateway.transports.https import CoreHttpClient


def _problems(exc: ValidationError, prefix: str = "") -> list[FieldProblem]:
    return [
        FieldProblem(prefix + ".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()
    ]


def load_inquiries(path: Path) -> list[EligibilityInquiry]:
    """Inquiries from JSON: one inquiry, a list, or ``{"inquiries": [...]}``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ClaimInputError(str(path), [FieldProblem(f"line {exc.lineno}", exc.msg)]) from exc
    items = document.get("inquiries", document) if isinstance(document, dict) else document
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        raise ClaimInputError(str(path), [FieldProblem("", "expected an inquiry or a list")])
    result = []
    for index, item in enumerate(items):
        try:
            result.append(EligibilityInquiry.model_validate(item))
        except ValidationError as exc:
            where = f"inquiries.{index}." if len(items) > 1 else ""
            raise ClaimInputError(str(path), _problems(exc, where)) from exc
    return result


def build_270(
    inquiries: list[EligibilityInquiry],
    *,
    settings: Settings,
    control_numbers: ControlNumberSource,
    clock: Callable[[], datetime],
    receiver: InterchangeProfile | None = None,
) -> str:
    """The 270 for ``inquiries`` with freshly allocated control numbers, addressed to
    ``receiver`` (a clearinghouse profile's IDs) or the settings' default receiver."""
    numbers = control_numbers.allocate(settings.isa_sender_id)
    return write_270(inquiries, InterchangeParams.outbound(settings, receiver, numbers, clock()))


def check_realtime(
    inquiries: list[EligibilityInquiry],
    *,
    client: CoreHttpClient,
    profile: ClearinghouseProfile,
    settings: Settings,
    control_numbers: ControlNumberSource,
    clock: Callable[[], datetime],
) -> list[DentalBenefits]:
    """Ask the clearinghouse about each inquiry in real time (one 270 per request, as CORE
    real-time expects) and read each 271 into :class:`DentalBenefits`.

    A 271 that cannot be read is the clearinghouse's failure, not the caller's input:
    :class:`UnreadableAnswerError` (a :class:`TransportError`) with the location in it.
    """
    return [
        b
        for inquiry in inquiries
        for b in ask_realtime(
            inquiry,
            client=client,
            profile=profile,
            settings=settings,
            control_numbers=control_numbers,
            clock=clock,
        ).benefits
    ]


@dataclass(frozen=True, slots=True)
class RealtimeAnswer:
    """One inquiry's 271 as received and as read (the patients it answers for; a payer-
    or provider-level rejection comes as one entry holding only the rejections)."""

    raw_271: str
    benefits: list[DentalBenefits]


def ask_realtime(
    inquiry: EligibilityInquiry,
    *,
    client: CoreHttpClient,
    profile: ClearinghouseProfile,
    settings: Settings,
    control_numbers: ControlNumberSource,
    clock: Callable[[], datetime],
) -> RealtimeAnswer:
    """One 270 → 271 over the clearinghouse (see :func:`check_realtime`), keeping the 271."""
    x270 = build_270(
        [inquiry],
        settings=settings,
        control_numbers=control_numbers,
        clock=clock,
        receiver=profile.interchange,
    )
    x271 = client.realtime(
        x270, sender_id=settings.isa_sender_id, receiver_id=profile.interchange.receiver_id
    )
    try:
        parsed = read_271(x271.encode("utf-8", "surrogateescape"), name=f"271 from {profile.name}")
    except X12Error as exc:
        raise UnreadableAnswerError(
            f"the clearinghouse's 271 could not be read: {exc}", exc.location
        ) from exc
    return RealtimeAnswer(x271, parsed.benefits)


def load_plan(path: Path) -> TreatmentPlan:
    """A treatment plan from JSON (see ``edigateway schema plan``)."""
    try:
        return TreatmentPlan.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise ClaimInputError(str(path), _problems(exc)) from exc


def benefits_of(path: Path) -> list[DentalBenefits]:
    """Every patient's benefits in the 271 at ``path``, each with its payer's and
    provider's rejections (held in memory: ``x12 parse`` streams with
    :func:`~edigateway.x12.x271_005010X279A1.iter_271`)."""
    return read_271(path).benefits


def estimate_from_files(benefits_file: Path, plan_file: Path) -> Estimate:
    """Estimate ``plan_file`` against the (first) patient of ``benefits_file``."""
    found = benefits_of(benefits_file)
    if not found:
        raise X12StructureError(
            "the 271 holds no patient's benefits to estimate with (no subscriber loop, HL*22)",
            X12Location(file=str(benefits_file)),
        )
    return estimate(found[0], load_plan(plan_file))


def describe_benefits(b: DentalBenefits) -> list[str]:
    """The benefits as a coordinator reads them out; "not stated" where the payer was
    silent."""

    def said(value: Any) -> str:
        return "not stated" if value is None else str(value)

    who = b.patient or b.subscriber
    lines = [
        f"{who.first_name or ''} {who.last_name}".strip() if who else "patient unknown",
        (
            f"  payer {said(b.payer_name)}  member {said(b.member_id)}  group "
            f"{said(b.group_number)}  plan {said(b.plan_name)}"
        ),
        (
            f"  coverage {b.coverage.replace('_', ' ')}  from {said(b.plan_begin)} to "
            f"{said(b.plan_end)}"
        ),
    ]
    for rejection in b.rejections:
        lines.append(f"  REJECTED ({rejection.level}): {rejection.reason}; {rejection.advice}")
    for c in b.categories:
        share = (
            f"patient pays {c.coinsurance_in_network * 100:.0f} % in network"
            if c.coinsurance_in_network is not None
            else f"copay {c.copay_in_network}"
            if c.copay_in_network is not None
            else "in-network coinsurance not stated"
        )
        if c.coinsurance_out_of_network is not None:
            share += f", {c.coinsurance_out_of_network * 100:.0f} % out of network"
        covered = "" if c.covered is not False else " (NOT COVERED)"
        lines.append(f"  {c.category.value.replace('_', ' ')}: {share}{covered}")
    for label, rows in (("deductible", b.deductibles), ("maximum", b.maximums)):
        if not rows:
            lines.append(f"  {label}: not stated")
        for a in rows:
            lines.append(
                f"  {label} {a.level} {a.period.replace('_', ' ')} "
                f"({'/'.join(a.service_types)}): {said(a.amount)}, remaining "
                f"{said(a.remaining)}"
            )
    if b.orthodontic_age_limit is not None:
        lines.append(f"  orthodontics up to age {b.orthodontic_age_limit}")
    lines += [f"  limit {f.text}" for f in b.frequencies]
    lines += [
        f"  waiting period: {w.text}" + (f" (until {w.until})" if w.until else "")
        for w in b.waiting_periods
    ]
    lines += [f"  history: {h.text}" for h in b.service_history]
    lines += [f"  note: {m}" for m in b.messages]
    return lines


def describe_estimate(result: Estimate) -> list[str]:
    """An estimate as a table a patient can follow, with the rule behind each figure."""
    lines = [
        (
            f"{'code':6} {'tooth':5} {'fee':>9} {'allowed':>9} {'deduct.':>8} "
            f"{'insurance':>10} {'patient':>9}"
        )
    ]
    for ln in result.lines:
        lines.append(
            f"{ln.procedure_code:6} {ln.tooth or '':5} {ln.fee:>9} "
            f"{ln.allowed.amount:>9} {ln.deductible.amount:>8} "
            f"{ln.insurance.amount:>10} {ln.patient.amount:>9}"
        )
        if ln.description:
            lines.append(f"    {ln.description}")
        lines += [
            f"    {name}: {fig.rule}"
            for name, fig in (
                ("allowed", ln.allowed),
                ("deductible", ln.deductible),
                ("coinsurance", ln.coinsurance),
                ("insurance", ln.insurance),
            )
        ]
        lines += [f"    ! {flag}" for flag in ln.flags]
    lines.append(
        f"{'total':12} {result.total_fee:>9} {result.total_allowed:>9} "
        f"{'':8} {result.total_insurance:>10} {result.total_patient:>9}"
    )
    lines += [f"plan fact: {fact}" for fact in result.facts]
    lines += [f"note: {n}" for n in result.notes]
    return lines
