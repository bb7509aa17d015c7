"""Plan the posting of one remittance: pure functions, no database, no X12.

``plan_remittance(remittance, claims)`` matches each claim payment to our claim (CLP01 =
patient control number), each service payment to our line (REF*6R line control number,
then procedure + tooth + date, then procedure + date, then a unique procedure), and turns
every amount into a :class:`~edigateway.domain.postings.Posting`:

=============================  ===========================================================
835 amount                     posting
=============================  ===========================================================
SVC03 (or CLP04 without SVC)   ``paid`` on the line (claim); ``reversal`` for CLP02 = 22
CAS CO                         ``contractual``
CAS PR 1 / 2 / 3 / other       ``deductible`` / ``coinsurance`` / ``copay`` / ``patient_other``
CAS OA, PI, CR                 ``other_adjustment``
CAS of a denied claim or line  ``denied`` (still owed: appeal or write off), except PR and
                               CO-24 (capitation), which are no denial
claim CAS when lines exist     the adjustment, and ``paid`` −amount at claim level
AMT*I included in CLP04        ``interest`` (and ``paid`` reduced by it)
PLB                            ``provider_adjustment`` (positive = taken from the payment)
=============================  ===========================================================

so that for every claim Σ ``paid``/``reversal``/``interest`` postings = CLP04, per line
Σ ``paid`` = SVC03, and Σ claim money − Σ PLB = BPR02. What cannot be posted becomes a
:class:`~edigateway.domain.postings.WorkItem`: unmatched claims (their money is reported as
unapplied), denials, denied lines, reversals, recoupments, codes we do not know.

A predetermination's answer (CLP02 = 25: "pricing only, no payment") posts nothing: its
lines are the payer's estimate (:class:`EstimateLine`), which the outcome carries to be
kept beside the predetermination.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from edigateway.domain.postings import Posting, PostingKind, WorkItem, WorkReason

if TYPE_CHECKING:
    from datetime import date

    from edigateway.domain.remittances import (
        Adjustment,
        ClaimPayment,
        ProviderAdjustment,
        Remittance,
        ServicePayment,
    )

ZERO = Decimal("0.00")
PATIENT_KINDS = frozenset(
    {PostingKind.DEDUCTIBLE, PostingKind.COINSURANCE, PostingKind.COPAY, PostingKind.PATIENT_OTHER}
)
MONEY_KINDS = frozenset({PostingKind.PAID, PostingKind.REVERSAL, PostingKind.INTEREST})
_PR_KINDS = {"1": PostingKind.DEDUCTIBLE, "2": PostingKind.COINSURANCE, "3": PostingKind.COPAY}
RECOUPMENT_REASONS = frozenset({"WO", "FB", "72", "CS", "J1", "B2"})

Describe = Callable[[str], "str | None"]


class ToothToMatch(Protocol):
    """A tooth a line treats (only its number matters to matching)."""

    @property
    def tooth(self) -> str: ...


class LineToMatch(Protocol):
    """What matching reads of one of our service lines."""

    @property
    def procedure_code(self) -> str: ...
    @property
    def charge(self) -> Decimal: ...
    @property
    def service_date(self) -> date | None: ...
    @property
    def line_control_number(self) -> str | None: ...
    @property
    def teeth(self) -> Sequence[ToothToMatch]: ...


class OtherPayerToMatch(Protocol):
    """Another plan of the claim (only its responsibility matters: is a secondary due)."""

    @property
    def responsibility(self) -> str: ...


class ClaimToMatch(Protocol):
    """What planning reads of our claim: its lines, dates, other plans and kind — a
    :class:`~edigateway.domain.claims.Claim` as submitted, or the non-PHI matching
    projection posting reads from the claim's columns without opening its document."""

    @property
    def lines(self) -> Sequence[LineToMatch]: ...
    @property
    def service_date(self) -> date | None: ...
    @property
    def other_payers(self) -> Sequence[OtherPayerToMatch]: ...
    @property
    def is_predetermination(self) -> bool: ...


def _no_description(_code: str) -> str | None:
    return None


def adjustment_kind(group: str, reason: str) -> PostingKind:
    """The posting kind of a CAS group/reason pair."""
    if group == "PR":
        return _PR_KINDS.get(reason, PostingKind.PATIENT_OTHER)
    if group == "CO":
        return PostingKind.CONTRACTUAL
    return PostingKind.OTHER_ADJUSTMENT


@dataclass(frozen=True, slots=True)
class EstimateLine:
    """One line of a payer's predetermination answer: what it would allow and pay, and
    what the patient would owe."""

    line_number: int | None
    procedure_code: str
    charge: Decimal
    allowed: Decimal | None
    insurance: Decimal
    patient: Decimal


PREDETERMINATION_ANSWER = "25"
"""CLP02 of a predetermination's answer: pricing only, no payment."""


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """What happened to one claim payment (CLP loop)."""

    patient_control_number: str
    matched: bool
    status: str
    paid: Decimal
    new_state: str | None
    line_matches: tuple[int | None, ...] = ()
    needs_secondary: bool = False
    source_position: int | None = None
    estimate: tuple[EstimateLine, ...] = ()
    postings: int = 0
    """How many of the plan's postings are this payment's (they come in payment order)."""
    work_items: int = 0
    """How many of the plan's work items this payment opened."""


@dataclass(frozen=True, slots=True)
class PostingPlan:
    """Everything posting one remittance will write, and its totals."""

    postings: list[Posting]
    work_items: list[WorkItem]
    outcomes: list[ClaimOutcome]

    def total(self, kinds: frozenset[PostingKind] | set[PostingKind]) -> Decimal:
        """Σ posting amounts of the given kinds."""
        return sum((p.amount for p in self.postings if p.kind in kinds), ZERO)

    @property
    def posted_total(self) -> Decimal:
        """Money applied to claims: paid, reversals and interest."""
        return self.total(MONEY_KINDS)

    @property
    def adjustments_total(self) -> Decimal:
        """Contractual and other write-offs."""
        return self.total({PostingKind.CONTRACTUAL, PostingKind.OTHER_ADJUSTMENT})

    @property
    def patient_responsibility_total(self) -> Decimal:
        """Deductible, coinsurance, copay and other patient responsibility."""
        return self.total(PATIENT_KINDS)

    @property
    def plb_total(self) -> Decimal:
        """Provider-level adjustments (positive = taken from the payment)."""
        return self.total({PostingKind.PROVIDER_ADJUSTMENT})

    @property
    def unapplied_total(self) -> Decimal:
        """Money paid for claims we could not match (held in the work queue)."""
        return sum(
            (i.amount or ZERO for i in self.work_items if i.reason is WorkReason.UNMATCHED_CLAIM),
            ZERO,
        )


@dataclass
class _Builder:
    describe_carc: Describe
    describe_rarc: Describe
    is_known_carc: Callable[[str], bool]
    postings: list[Posting] = field(default_factory=list)
    work_items: list[WorkItem] = field(default_factory=list)
    outcomes: list[ClaimOutcome] = field(default_factory=list)
    unknown_seen: set[str] = field(default_factory=set)
    claim_start: tuple[int, int] = (0, 0)
    """How many postings and work items were planned before the claim being planned."""

    def planned_for_claim(self) -> tuple[int, int]:
        """The postings and work items the claim being planned has added so far: its
        outcome, built last, records them, so the outcome is built once and not copied."""
        postings, work_items = self.claim_start
        return len(self.postings) - postings, len(self.work_items) - work_items

    def explain(self, adjustments: list[Adjustment], remarks: list[str]) -> tuple[list[str], str]:
        codes = [f"{a.group}-{a.reason}" for a in adjustments] + list(remarks)
        words = [
            f"{a.group}-{a.reason}: {self.describe_carc(a.reason) or 'unknown code'}"
            for a in adjustments
        ]
        words += [f"{r}: {self.describe_rarc(r) or 'unknown remark'}" for r in remarks]
        return codes, "; ".join(words)

    def check_codes(self, adjustments: list[Adjustment], pcn: str | None) -> None:
        for adj in adjustments:
            if not self.is_known_carc(adj.reason) and adj.reason not in self.unknown_seen:
                self.unknown_seen.add(adj.reason)
                self.work_items.append(
                    WorkItem(
                        patient_control_number=pcn,
                        reason=WorkReason.UNKNOWN_CODE,
                        message=f"adjustment reason code {adj.reason} is not in our CARC list; "
                        "it was posted as given, check the payer's explanation",
                        codes=[f"{adj.group}-{adj.reason}"],
                        source_position=adj.source_position,
                    )
                )

    def adjust(
        self,
        adjustments: list[Adjustment],
        pcn: str,
        line: int | None,
        remarks: list[str],
        *,
        denied: bool = False,
    ) -> None:
        for adj in adjustments:
            kind = adjustment_kind(adj.group, adj.reason)
            if denied and not _settled(adj):
                kind = PostingKind.DENIED
            self.postings.append(
                Posting(
                    kind=kind,
                    amount=adj.amount,
                    patient_control_number=pcn,
                    line_number=line,
                    group=adj.group,
                    reason_code=adj.reason,
                    remark_codes=remarks,
                    source_position=adj.source_position,
                )
            )


class Planner:
    """Plans a remittance piece by piece, for readers that stream claims.

    Feed it claim payments as they are read and PLB entries at the end; :meth:`take` hands
    over what was planned so far (and forgets it), so memory stays flat::

        planner = Planner(describe_carc=codes.describe_carc)
        for payment in claims_from_the_file:
            planner.claim(payment, our_claims.get(payment.patient_control_number))
        rows = planner.take()
    """

    def __init__(
        self,
        *,
        describe_carc: Describe = _no_description,
        describe_rarc: Describe = _no_description,
        is_known_carc: Callable[[str], bool] | None = None,
    ) -> None:
        self._b = _Builder(
            describe_carc,
            describe_rarc,
            is_known_carc or (lambda code: describe_carc(code) is not None),
        )

    def claim(
        self, payment: ClaimPayment, claim: ClaimToMatch | None, *, correction_follows: bool = False
    ) -> ClaimOutcome:
        """Plan one claim payment against our claim (``None`` when we have none)."""
        corrected = {payment.patient_control_number} if correction_follows else set()
        _plan_claim(self._b, payment, claim, corrected)
        return self._b.outcomes[-1]

    def provider_adjustment(
        self,
        plb: ProviderAdjustment,
        claims: Mapping[str, ClaimToMatch],
        payer_claim_numbers: Mapping[str, str],
    ) -> None:
        """Plan one PLB entry, linked to a claim when its reference names one."""
        _plan_provider_adjustment(self._b, plb, claims, payer_claim_numbers)

    def take(self) -> PostingPlan:
        """What was planned since the last call."""
        b = self._b
        plan = PostingPlan(b.postings, b.work_items, b.outcomes)
        b.postings, b.work_items, b.outcomes = [], [], []
        return plan


def plan_remittance(
    remittance: Remittance,
    claims: Mapping[str, ClaimToMatch],
    *,
    payer_claim_numbers: Mapping[str, str] | None = None,
    describe_carc: Describe = _no_description,
    describe_rarc: Describe = _no_description,
    is_known_carc: Callable[[str], bool] | None = None,
) -> PostingPlan:
    """Postings, work items and claim outcomes for one (balanced) remittance.

    ``claims`` maps patient control numbers to our claims as submitted;
    ``payer_claim_numbers`` maps payer claim control numbers (CLP07) we have seen before to
    our patient control numbers, so a PLB recoupment can name the claim it takes money from.
    """
    planner = Planner(
        describe_carc=describe_carc, describe_rarc=describe_rarc, is_known_carc=is_known_carc
    )
    corrected = {c.patient_control_number for c in remittance.claims if not c.is_reversal}
    for payment in remittance.claims:
        planner.claim(
            payment,
            claims.get(payment.patient_control_number),
            correction_follows=payment.patient_control_number in corrected,
        )
    for plb in remittance.provider_adjustments:
        planner.provider_adjustment(plb, claims, payer_claim_numbers or {})
    return planner.take()


def _plan_claim(
    b: _Builder, payment: ClaimPayment, claim: ClaimToMatch | None, corrected: set[str]
) -> None:
    b.claim_start = (len(b.postings), len(b.work_items))
    _plan_claim_payment(b, payment, claim, corrected)


def _plan_claim_payment(
    b: _Builder, payment: ClaimPayment, claim: ClaimToMatch | None, corrected: set[str]
) -> None:
    pcn = payment.patient_control_number
    b.check_codes(payment.adjustments + [a for s in payment.services for a in s.adjustments], pcn)
    if claim is None:
        b.work_items.append(
            WorkItem(
                patient_control_number=pcn,
                reason=WorkReason.UNMATCHED_CLAIM,
                message=f"the payer paid {payment.paid} for claim {pcn}, which we have no record "
                "of; the money is unapplied until someone finds the claim",
                codes=[],
                amount=payment.paid,
                source_position=payment.source_position,
            )
        )
        postings, work_items = b.planned_for_claim()
        b.outcomes.append(
            ClaimOutcome(
                pcn,
                matched=False,
                status=payment.status,
                paid=payment.paid,
                new_state=None,
                source_position=payment.source_position,
                postings=postings,
                work_items=work_items,
            )
        )
        return
    if payment.status == PREDETERMINATION_ANSWER:
        _plan_estimate(b, payment, claim)
        return
    money_kind = PostingKind.REVERSAL if payment.is_reversal else PostingKind.PAID
    claim_denied = _claim_denied(payment)
    interest = payment.interest or ZERO
    if interest and payment.paid == payment.charge - _adjusted(payment):
        interest = ZERO  # reported, but not part of CLP04: nothing extra to post
    line_matches = match_lines(claim, payment.services)
    denied_lines: list[tuple[int | None, ServicePayment]] = []
    for service, line_number in zip(payment.services, line_matches, strict=True):
        b.postings.append(
            Posting(
                kind=money_kind,
                amount=service.paid,
                patient_control_number=pcn,
                line_number=line_number,
                remark_codes=service.remark_codes,
                source_position=service.source_position,
            )
        )
        line_denied = claim_denied or _line_denied(service)
        b.adjust(service.adjustments, pcn, line_number, service.remark_codes, denied=line_denied)
        if line_number is None:
            b.work_items.append(
                WorkItem(
                    patient_control_number=pcn,
                    reason=WorkReason.UNMATCHED_LINE,
                    message=f"claim {pcn}: the payer's line {service.procedure_code} "
                    f"({service.charge}) matches none of our lines; posted at claim level",
                    codes=[service.procedure_code],
                    amount=service.paid,
                    source_position=service.source_position,
                )
            )
        if line_denied and not payment.is_reversal:
            denied_lines.append((line_number, service))
    claim_adjustments = sum((a.amount for a in payment.adjustments), ZERO)
    if payment.services:
        if claim_adjustments:
            b.postings.append(
                Posting(
                    kind=money_kind,
                    amount=-claim_adjustments,
                    patient_control_number=pcn,
                    reference="claim-level adjustments taken from the line payments",
                    source_position=payment.source_position,
                )
            )
    else:
        b.postings.append(
            Posting(
                kind=money_kind,
                amount=payment.paid - interest,
                patient_control_number=pcn,
                remark_codes=payment.remark_codes,
                source_position=payment.source_position,
            )
        )
    if interest:
        b.postings.append(
            Posting(
                kind=PostingKind.INTEREST,
                amount=interest,
                patient_control_number=pcn,
                source_position=payment.source_position,
            )
        )
    b.adjust(payment.adjustments, pcn, None, payment.remark_codes, denied=claim_denied)
    state = _new_state(b, payment, denied_lines, corrected)
    needs_secondary = (
        payment.processed_as == 1
        and state in ("paid", "partially_paid", "denied")
        and any(o.responsibility == "S" for o in claim.other_payers)
    )
    if needs_secondary:
        b.work_items.append(
            WorkItem(
                patient_control_number=pcn,
                reason=WorkReason.SECONDARY_NEEDED,
                message=f"claim {pcn} was processed by the primary payer; the patient has a "
                "secondary plan, so a secondary claim is due",
                source_position=payment.source_position,
            )
        )
    postings, work_items = b.planned_for_claim()
    b.outcomes.append(
        ClaimOutcome(
            pcn,
            matched=True,
            status=payment.status,
            paid=payment.paid,
            new_state=state,
            line_matches=tuple(line_matches),
            needs_secondary=needs_secondary,
            source_position=payment.source_position,
            postings=postings,
            work_items=work_items,
        )
    )


def _adjusted(payment: ClaimPayment) -> Decimal:
    return sum((a.amount for a in payment.adjustments), ZERO) + sum(
        (a.amount for s in payment.services for a in s.adjustments), ZERO
    )


def _settled(adjustment: Adjustment) -> bool:
    """An adjustment that is no denial: the patient's share, or CO-24 (covered under a
    capitation agreement: a DHMO office is paid per member, so its encounters pay 0)."""
    return adjustment.group == "PR" or (adjustment.group, adjustment.reason) == ("CO", "24")


def _line_denied(service: ServicePayment) -> bool:
    """A line the payer paid nothing on, for reasons the patient does not owe and no
    capitation covers (or the reversal of such a line: a negative charge)."""
    if service.paid != ZERO or service.charge == ZERO:
        return False
    return any(not _settled(a) for a in service.adjustments)


def _claim_denied(payment: ClaimPayment) -> bool:
    """A claim the payer denied (CLP02 = 4, or nothing paid and nothing the patient owes
    or capitation covers), or the reversal of such a denial."""
    all_adjustments = payment.adjustments + [a for s in payment.services for a in s.adjustments]
    patient_owes = any(_settled(a) for a in all_adjustments)
    return payment.is_denied or (
        payment.paid == ZERO
        and not patient_owes
        and payment.status != PREDETERMINATION_ANSWER
        and payment.charge != ZERO
    )


def _plan_estimate(b: _Builder, payment: ClaimPayment, claim: ClaimToMatch) -> None:
    """A predetermination's answer: the estimate per line, nothing posted. An answer for
    a claim that is not a predetermination is a work item (the payer priced what we
    billed for payment)."""
    pcn = payment.patient_control_number
    numbers = match_lines(claim, payment.services)
    estimate = tuple(
        EstimateLine(
            line_number=number,
            procedure_code=service.submitted_procedure_code or service.procedure_code,
            charge=service.charge,
            allowed=service.allowed_amount
            if service.allowed_amount is not None
            else service.charge
            - sum((a.amount for a in service.adjustments if a.group == "CO"), ZERO),
            insurance=service.paid,
            patient=sum((a.amount for a in service.adjustments if a.group == "PR"), ZERO),
        )
        for service, number in zip(payment.services, numbers, strict=True)
    )
    state: str | None = "predetermined"
    if not claim.is_predetermination:
        state = None
        b.work_items.append(
            WorkItem(
                patient_control_number=pcn,
                reason=WorkReason.ESTIMATE_ON_CLAIM,
                message=f"the payer answered claim {pcn} as a predetermination (CLP02=25, pricing "
                "only, no payment); nothing was posted: check whether the claim was sent as a "
                "predetermination or resend it for payment",
                source_position=payment.source_position,
            )
        )
    postings, work_items = b.planned_for_claim()
    b.outcomes.append(
        ClaimOutcome(
            pcn,
            matched=True,
            status=payment.status,
            paid=payment.paid,
            new_state=state,
            line_matches=tuple(numbers),
            source_position=payment.source_position,
            estimate=estimate,
            postings=postings,
            work_items=work_items,
        )
    )


def _new_state(
    b: _Builder,
    payment: ClaimPayment,
    denied_lines: list[tuple[int | None, ServicePayment]],
    corrected: set[str],
) -> str:
    pcn = payment.patient_control_number
    if payment.is_reversal:
        follows = pcn in corrected
        b.work_items.append(
            WorkItem(
                patient_control_number=pcn,
                reason=WorkReason.REVERSAL,
                message=f"the payer reversed its earlier payment of claim {pcn} "
                f"(payer claim {payment.payer_claim_control_number or 'unknown'}, "
                f"{payment.paid}); "
                + (
                    "the corrected claim follows in this remittance"
                    if follows
                    else "watch for the corrected claim"
                ),
                codes=[f"{a.group}-{a.reason}" for a in payment.adjustments],
                amount=payment.paid,
                source_position=payment.source_position,
            )
        )
        return "reversed"
    all_adjustments = payment.adjustments + [a for s in payment.services for a in s.adjustments]
    if _claim_denied(payment):
        codes, words = b.explain(all_adjustments, payment.remark_codes)
        b.work_items.append(
            WorkItem(
                patient_control_number=pcn,
                reason=WorkReason.DENIED,
                message=f"claim {pcn} was denied ({payment.charge} billed, nothing paid): "
                + (words or "the payer gave no reason code"),
                codes=codes,
                amount=payment.charge,
                source_position=payment.source_position,
            )
        )
        return "denied"
    for line_number, service in denied_lines:
        codes, words = b.explain(service.adjustments, service.remark_codes)
        b.work_items.append(
            WorkItem(
                patient_control_number=pcn,
                reason=WorkReason.LINE_DENIED,
                message=f"claim {pcn} line {line_number or '?'} ({service.procedure_code}, "
                f"{service.charge}) was not paid: {words}",
                codes=codes,
                amount=service.charge,
                source_position=service.source_position,
            )
        )
    return "partially_paid" if denied_lines else "paid"


def match_lines(claim: ClaimToMatch, services: list[ServicePayment]) -> list[int | None]:
    """Our 1-based line number for each service payment (``None`` when nothing fits).

    Tried in order, each of our lines used once: REF*6R line control number; procedure +
    tooth + date (for payers that report the tooth); procedure + date + charge (an 835
    carries no tooth, so two fillings on one day are told apart by their fees); procedure +
    date; the first remaining line with that procedure.
    """
    result: list[int | None] = [None] * len(services)
    free = dict(enumerate(claim.lines, start=1))

    def code_of(service: ServicePayment) -> str:
        return service.submitted_procedure_code or service.procedure_code

    def line_date(line: LineToMatch) -> object:
        return line.service_date or claim.service_date

    def teeth(line: LineToMatch) -> set[str]:
        return {t.tooth for t in line.teeth}

    rules: list[Callable[[ServicePayment, LineToMatch], bool]] = [
        lambda s, ln: (
            bool(s.line_control_number) and s.line_control_number == ln.line_control_number
        ),
        lambda s, ln: (
            code_of(s) == ln.procedure_code
            and s.tooth is not None
            and s.tooth in teeth(ln)
            and s.service_date is not None
            and s.service_date == line_date(ln)
        ),
        lambda s, ln: (
            code_of(s) == ln.procedure_code
            and s.service_date is not None
            and s.service_date == line_date(ln)
            and s.charge == ln.charge
        ),
        lambda s, ln: (
            code_of(s) == ln.procedure_code
            and s.service_date is not None
            and s.service_date == line_date(ln)
        ),
    ]
    for rule in rules:
        for index, service in enumerate(services):
            if result[index] is not None:
                continue
            for number, line in free.items():
                if rule(service, line):
                    result[index] = number
                    del free[number]
                    break
    for index, service in enumerate(services):
        if result[index] is None:
            candidates = [n for n, ln in free.items() if ln.procedure_code == code_of(service)]
            if len(candidates) >= 1:
                result[index] = candidates[0]
                del free[candidates[0]]
    return result


def _plan_provider_adjustment(
    b: _Builder,
    plb: ProviderAdjustment,
    claims: Mapping[str, ClaimToMatch],
    payer_claim_numbers: Mapping[str, str],
) -> None:
    linked: str | None = None
    if plb.reference:
        if plb.reference in claims:
            linked = plb.reference
        else:
            linked = payer_claim_numbers.get(plb.reference)
    b.postings.append(
        Posting(
            kind=PostingKind.PROVIDER_ADJUSTMENT,
            amount=plb.amount,
            patient_control_number=linked,
            reason_code=plb.reason,
            reference=plb.reference,
            source_position=plb.source_position,
        )
    )
    if plb.reason in RECOUPMENT_REASONS and plb.amount > ZERO:
        target = f"claim {linked}" if linked else f"reference {plb.reference or '(none)'}"
        b.work_items.append(
            WorkItem(
                patient_control_number=linked,
                reason=WorkReason.RECOUPMENT,
                message=f"the payer took back {plb.amount} ({plb.reason}) for {target}; "
                "check the earlier payment and the patient's balance",
                codes=[plb.reason],
                amount=plb.amount,
                source_position=plb.source_position,
            )
        )
