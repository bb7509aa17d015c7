"""The simulator's clearinghouse and payer: what happens to an 837D after we upload it.

Works on the SFTP server's root folder. Each :meth:`SimClearinghouse.run_cycle` takes the
complete files in ``to_clearinghouse/`` (moving each to ``received/`` first, so it is
handled once) and answers in ``from_clearinghouse/`` the way a clearinghouse does:

1. **TA1** — the envelope: unreadable, not 5010, or an ISA13 this sender already used
   (note 025) → TA1 ``R`` and nothing else; ISA14 = 1 → TA1 ``A``.
2. **999** — one per functional group, from our pyx12 maps and rules: a transaction set
   with findings is rejected with IK3/IK4 naming the segment (position from ST = 1), loop,
   element and component with X12's error codes (:func:`_ack_error`); only accepted sets
   go on.
3. **277CA** — one per interchange, a status per claim: accepted (A1:20, with the payer's
   claim number in REF*1K) or rejected by the front-end edits of
   ``mappings/simulator/clearinghouse.json`` (unknown payer ID → A3:116; a member ID the
   payer does not know → A3:33) and the payer's (a void of a claim it holds no payment
   for → A3:35).
   A 275 (attachments, 005010X210) accepted by its 999 is kept in the state by its
   attachment control number (``attachments``), linked to its claim's patient control
   number; it is answered by the 999 alone.
4. **835** — accepted claims adjudicated by :class:`~edigateway.sim.adjudicate.Adjudicator`
   (predeterminations priced with CLP02 = 25, secondaries after the primary, replacements
   and voids reversing the earlier payment first), one payment per billing provider; a
   claim listed in the rules' ``reverse_and_correct`` comes back once more in the *next*
   cycle's 835 as a reversal and a corrected payment.

Everything the simulator must remember across restarts — interchanges seen, its own
control numbers and trace numbers, deductibles met, what it paid and still has to correct —
is in ``sim-state.json`` under the root, written atomically after every cycle, so a
restarted simulator behaves exactly as if it had run on. Bad input never raises: it is
answered (TA1 or 999 R) and listed in the :class:`CycleReport`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from edigateway.domain.acknowledgments import (
    ELEMENT_ERROR_CODES,
    SEGMENT_ERROR_CODES,
    AckError,
    AckParty,
    ClaimAck,
    ClaimAckFile,
    FunctionalAck,
    StatusCode,
    StatusReport,
    TransactionAck,
)
from edigateway.domain.claims import Claim
from edigateway.domain.remittances import ClaimPayment
from edigateway.errors import EdigatewayError, X12Error, X12Location
from edigateway.sim.adjudicate import Adjudicator, payer_claim_number
from edigateway.transports.base import PART_SUFFIX
from edigateway.x12.envelope import (
    EnvelopeReader,
    InterchangeParams,
    Segment,
    answer_interchange,
    read_segments,
)
from edigateway.x12.ta1 import write_ta1
from edigateway.x12.x275_005010X210 import read_275
from edigateway.x12.x277ca_005010X214 import write_277ca
from edigateway.x12.x835_005010X221A1 import write_835
from edigateway.x12.x837d_005010X224A2 import read_837d
from edigateway.x12.x999_005010X231A1 import write_999

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path

    from edigateway.sim.adjudicate import Rules
    from edigateway.sim.eligibility import BenefitPlans
    from edigateway.x12.validation import Finding, Validator

INBOX, OUTBOX, RECEIVED = "to_clearinghouse", "from_clearinghouse", "received"
STATE_FILE = "sim-state.json"


class FrontEndRules(BaseModel):
    """The clearinghouse's and payer's front-end edits (277CA rejections)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    known_payer_ids: list[str]
    unknown_member_ids: list[str] = []

    @classmethod
    def load(cls, mappings_dir: Path) -> FrontEndRules:
        """``mappings/simulator/clearinghouse.json``."""
        path = mappings_dir / "simulator" / "clearinghouse.json"
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


@dataclass(slots=True)
class CycleReport:
    """What one cycle received and answered."""

    received: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    claims_accepted: int = 0
    claims_rejected: int = 0


@dataclass(slots=True)
class _Received:
    """A received file as the envelope reader saw it: its segments, its functional groups
    (each GS with the list positions, counted from 1, of its transaction sets' ST and SE)
    and what is wrong with its interchange envelope (the message and the TA105 note code).
    """

    segments: list[Segment] = field(default_factory=list)
    groups: list[tuple[Segment, list[tuple[int, int]]]] = field(default_factory=list)
    problem: tuple[str, str] | None = None

    @property
    def isa(self) -> Segment | None:
        """The first ISA: the segment reader starts every file at one, even one whose
        envelope is refused (``None`` for a file it could not read at all)."""
        return self.segments[0] if self.segments else None


@dataclass(slots=True)
class _State:
    seen: list[str] = field(default_factory=list)
    last_control: int = 0
    last_trace: int = 0
    deductible_met: dict[str, str] = field(default_factory=dict)
    deductible_of: dict[str, str] = field(default_factory=dict)
    paid: dict[str, Any] = field(default_factory=dict)
    to_correct: dict[str, Any] = field(default_factory=dict)
    corrected: list[str] = field(default_factory=list)
    attachments: dict[str, Any] = field(default_factory=dict)
    """Attachments received in 275s, by attachment control number: the claim (patient
    control number) and payer they support, their size, SHA-256 and the file they came
    in — what a test asks to know "the simulator received the 275"."""


class SimClearinghouse:
    """The simulator's clearinghouse + payer over one SFTP root (see module docstring)."""

    def __init__(
        self,
        root: Path,
        *,
        rules: Rules,
        front_end: FrontEndRules,
        validator: Validator,
        clock: Callable[[], datetime],
        plans: BenefitPlans | None = None,
        sender_id: str = "EDGSIM",
    ) -> None:
        self.root, self.rules, self.front_end = root, rules, front_end
        self.validator, self.clock, self.sender_id = validator, clock, sender_id
        for folder in (INBOX, OUTBOX, RECEIVED):
            (root / folder).mkdir(parents=True, exist_ok=True)
        self.state = self._load_state()
        self.adjudicator = Adjudicator(
            rules,
            plans,
            deductible_met={k: Decimal(v) for k, v in self.state.deductible_met.items()},
            paid={k: ClaimPayment.model_validate(v) for k, v in self.state.paid.items()},
            deductible_of=dict(self.state.deductible_of),
        )

    # -- the cycle
    def run_cycle(self) -> CycleReport:
        """Answer every complete file waiting in the inbox, then release due corrections."""
        report = CycleReport()
        self._release_corrections(report)
        for path in sorted((self.root / INBOX).iterdir()):
            if not path.is_file() or path.name.startswith(".") or path.name.endswith(PART_SUFFIX):
                continue
            target = self.root / RECEIVED / f"{self.clock():%Y%m%d%H%M%S}-{path.name}"
            path.replace(target)
            report.received.append(path.name)
            try:
                self._answer(path.name, target.read_bytes(), report)
            except (EdigatewayError, ValueError) as exc:
                report.problems.append(f"{path.name}: {exc}")
        self._save_state()
        return report

    def _answer(self, name: str, data: bytes, report: CycleReport) -> None:
        received = self._envelope(name, data)
        isa, segments, problem = received.isa, received.segments, received.problem
        if problem is not None:
            message, note = problem
            said = message if message.startswith(name) else f"{name}: {message}"
            if isa is None:
                report.problems.append(f"{said} (no readable ISA: no TA1 can be addressed)")
            else:
                report.problems.append(said)
                self._ta1(isa, "R", note, report)
            return
        assert isa is not None  # noqa: S101 - an envelope without problems has its ISA
        sender, isa13 = isa.element(6).strip(), isa.element(13)
        if f"{sender}:{isa13}" in self.state.seen:
            report.problems.append(f"{name}: interchange {isa13} from {sender} seen before")
            self._ta1(isa, "R", "025", report)
            return
        self.state.seen.append(f"{sender}:{isa13}")
        if isa.element(14) == "1":
            self._ta1(isa, "A", "000", report)
        verdict = self.validator.validate_bytes(data, name, today=self.clock().date())
        accepted_sets = self._999(isa, received, list(verdict.errors), report)
        claims: list[Claim] = []
        submitter = ("", "")
        for gs, start, end in accepted_sets:
            if gs.element(1) == "PI" and segments[start - 1].element(1) == "275":
                # one accepted set, closed as a group and interchange of its own
                last = segments[end - 1]
                trailers = [
                    Segment("GE", ["1", gs.element(6)], last.position + 1, last.delimiters),
                    Segment("IEA", ["1", isa.element(13)], last.position + 2, last.delimiters),
                ]
                self._attachments(name, [isa, gs, *segments[start - 1 : end], *trailers], report)
                continue
            if gs.element(1) != "HC" or segments[start - 1].element(1) != "837":
                continue
            # One accepted set in its ISA and GS: the envelope was checked above and the
            # 999's, and the 837D reader leaves trailers to validation.
            one_set = [isa, gs, *segments[start - 1 : end]]
            try:
                parsed = read_837d(one_set, name=name)
            except EdigatewayError as exc:
                report.problems.append(f"{name}: {exc}")
                continue
            claims.extend(parsed.claims)
            if parsed.submitter is not None:
                submitter = (parsed.submitter.name, parsed.submitter.identifier)
        if claims:
            self._277ca_and_835(isa, *submitter, claims, report)

    def _attachments(self, name: str, one_set: list[Segment], report: CycleReport) -> None:
        """Keep what an accepted 275 carries (the 999 acknowledged it)."""
        try:
            received = read_275(one_set, name=name)
        except EdigatewayError as exc:
            report.problems.append(f"{name}: {exc}")
            return
        for item in received:
            self.state.attachments[item.control_number] = {
                "patient_control_number": item.patient_control_number,
                "payer_id": item.payer_id,
                "member_id": item.member_id,
                "size": len(item.data),
                "sha256": hashlib.sha256(item.data).hexdigest(),
                "file": name,
            }

    # -- TA1
    def _envelope(self, name: str, data: bytes) -> _Received:
        """The file as the envelope reader every codec uses sees it (see
        :class:`_Received`). SE and GE counts and control numbers are the 999's to answer,
        so they are not checked here."""
        reader = EnvelopeReader(name, trailers=False)
        received = _Received()
        segments, groups = received.segments, received.groups
        st: int | None = None
        try:
            for seg in read_segments(data, name):
                segments.append(seg)
                kind = reader.feed(seg)
                if kind == "GS":
                    groups.append((seg, []))
                elif kind == "ST":
                    st = len(segments)
                elif kind == "SE" and st is not None and groups:
                    groups[-1][1].append((st, len(segments)))
                    st = None
        except X12Error as exc:
            received.problem = (str(exc), _note_for(exc.location))
            return received
        try:
            reader.finish()
        except X12Error as exc:  # ends without its IEA: no trailer to match ISA13
            received.problem = (str(exc), "001")
        if received.problem is None and reader.warnings:  # IEA02 ≠ ISA13: a reader reads on
            received.problem = (str(reader.warnings[0]), _note_for(reader.warnings[0].location))
        return received

    def _ta1(self, isa: Segment, code: str, note: str, report: CycleReport) -> None:
        try:
            ack = answer_interchange(isa, code, note, self.clock().date())
        except ValueError as exc:
            report.problems.append(f"cannot answer ISA13 {isa.element(13)!r}: {exc}")
            return
        self._write(write_ta1(ack, self._params(isa)), "ta1", report)

    # -- 999
    def _999(
        self, isa: Segment, received: _Received, findings: list[Finding], report: CycleReport
    ) -> list[tuple[Segment, int, int]]:
        """Write the 999s; return (GS, ST position, SE position) of each accepted set."""
        accepted: list[tuple[Segment, int, int]] = []
        groups: list[FunctionalAck] = []
        for gs, spans in received.groups:
            sets: list[TransactionAck] = []
            for st_index, index in spans:
                st = received.segments[st_index - 1]
                mine = [
                    f
                    for f in findings
                    if f.segment_index is None or st_index <= f.segment_index <= index
                ]
                errors = _ack_errors(mine, st_index)
                status = "R" if mine else "A"
                sets.append(
                    TransactionAck(
                        transaction_set_id=st.element(1),
                        control_number=st.element(2),
                        implementation_guide=st.element(3) or None,
                        status=status,
                        error_codes=["5"] if mine else [],
                        errors=errors,
                    )
                )
                if not mine:
                    accepted.append((gs, st_index, index))
            groups.append(
                FunctionalAck.for_transactions(gs.element(1), gs.element(6), gs.element(8), sets)
            )
        if groups:
            self._write(write_999(groups, self._params(isa)), "999", report)
        return accepted

    # -- 277CA and 835
    def _277ca_and_835(
        self,
        isa: Segment,
        submitter_name: str,
        submitter_id: str,
        claims: list[Claim],
        report: CycleReport,
    ) -> None:
        today = self.clock().date()
        acks: list[ClaimAck] = []
        payable: list[Claim] = []
        for claim in claims:
            category, status, entity = self._front_end(claim)
            who = claim.patient.name if claim.patient else claim.subscriber.name
            provider = claim.billing_provider
            acks.append(
                ClaimAck(
                    patient_control_number=claim.patient_control_number,
                    category_code=category,
                    status_code=status,
                    entity_code=entity,
                    status_date=today,
                    amount=claim.total_charge,
                    payer_claim_control_number=(
                        payer_claim_number(claim.patient_control_number)
                        if category == "A1"
                        else None
                    ),
                    service_start=claim.service_date
                    or min(
                        (line.service_date for line in claim.lines if line.service_date),
                        default=None,
                    ),
                    billing_provider_name=(
                        provider.organization_name
                        or (provider.person.last_name if provider.person else "")
                    ),
                    billing_provider_id=provider.npi,
                    patient_last_name=who.last_name,
                    patient_first_name=who.first_name,
                    patient_id=claim.subscriber.member_id,
                )
            )
            if category == "A1":
                payable.append(claim)
                report.claims_accepted += 1
            else:
                report.claims_rejected += 1
        if not acks:
            return
        control = self.state.last_control + 1
        ack_file = ClaimAckFile(
            reference=f"SIM{control:09d}",
            created=self.clock().replace(microsecond=0),
            information_source=AckParty(
                name=self.rules.payer_name, id_qualifier="PI", identifier=self.rules.payer_id
            ),
            source_trace=f"SIM{control}",
            received_date=today,
            processed_date=today,
            receiver=AckParty(
                name=submitter_name or isa.element(6).strip(),
                identifier=submitter_id or isa.element(6).strip(),
            ),
            receiver_trace=isa.element(13),
            receiver_reports=[
                StatusReport(
                    codes=[StatusCode(category_code="A1", status_code="19", entity_code="PR")],
                    status_date=today,
                    action_code="WQ",
                    amount=sum((c.total_charge for c in claims), Decimal("0.00")),
                )
            ],
            claims=acks,
        ).with_totals()
        self._write(write_277ca([ack_file], self._params(isa)), "277", report)
        if payable:
            for claim in payable:
                if claim.patient_control_number in self.rules.reverse_and_correct:
                    self.state.to_correct[claim.patient_control_number] = {
                        "claim": claim.model_dump(mode="json"),
                        "receiver": [isa.element(5), isa.element(6).strip()],
                    }
            self._835(isa.element(5), isa.element(6).strip(), payable, report)

    def _front_end(self, claim: Claim) -> tuple[str, str, str]:
        """Category, status and entity of the claim's 277CA status: an unknown payer ID
        (A3:116), a member the payer does not know (A3:33), a void of a claim the payer
        holds no payment for (A3:35 claim not found), else accepted (A1:20)."""
        if claim.payer.payer_id not in self.front_end.known_payer_ids:
            return "A3", "116", "PR"
        if claim.subscriber.member_id in self.front_end.unknown_member_ids:
            return "A3", "33", "IL"
        if claim.frequency == "8" and claim.patient_control_number not in self.adjudicator.paid:
            return "A3", "35", "PR"
        return "A1", "20", "PR"

    def _835(self, qualifier: str, receiver: str, claims: list[Claim], report: CycleReport) -> None:
        by_payee: dict[str, list[Claim]] = {}
        for claim in claims:
            by_payee.setdefault(claim.billing_provider.npi, []).append(claim)
        remittances = []
        paid_on = self.clock().date()
        for npi, group in by_payee.items():
            self.state.last_trace += 1
            provider = group[0].billing_provider
            remittances.append(
                self.adjudicator.remittance(
                    group,
                    trace=f"SIM{self.state.last_trace:08d}",
                    paid_on=paid_on,
                    payee_name=provider.organization_name
                    or (provider.person.last_name if provider.person else "PROVIDER"),
                    payee_npi=npi,
                )
            )
        remittances = [
            r.model_copy(update={"transaction_control_number": f"{n:04d}"})
            for n, r in enumerate(remittances, start=1)
        ]
        params = self._params_to(qualifier, receiver)
        self._write(write_835(remittances, params), "835", report)

    def _release_corrections(self, report: CycleReport) -> None:
        due = {
            pcn: v
            for pcn, v in self.state.to_correct.items()
            if pcn not in self.state.corrected and pcn in self.adjudicator.paid
        }
        if not due:
            return
        by_receiver: dict[tuple[str, str], list[Claim]] = {}
        for pcn, value in due.items():
            qualifier, receiver = value["receiver"]
            by_receiver.setdefault((qualifier, receiver), []).append(
                Claim.model_validate(value["claim"])
            )
            self.state.corrected.append(pcn)
        for (qualifier, receiver), claims in by_receiver.items():
            self._835(qualifier, receiver, claims, report)

    # -- files and state
    def _params(self, isa: Segment) -> InterchangeParams:
        return self._params_to(isa.element(5), isa.element(6).strip())

    def _params_to(self, qualifier: str, receiver: str) -> InterchangeParams:
        self.state.last_control += 1
        number = self.state.last_control
        return InterchangeParams(
            sender_qualifier="ZZ",
            sender_id=self.sender_id,
            receiver_qualifier=qualifier,
            receiver_id=receiver,
            gs_sender_code=self.sender_id,
            gs_receiver_code=receiver,
            interchange_control_number=number,
            group_control_number=number,
            first_transaction_control_number=1,
            created=self.clock().replace(second=0, microsecond=0),
        )

    def _write(self, text: str, extension: str, report: CycleReport) -> None:
        name = f"{self.sender_id}_{self.state.last_control:09d}.{extension}"
        folder = self.root / OUTBOX
        temp = folder / f".{name}{PART_SUFFIX}"
        temp.write_text(text, encoding="utf-8")
        temp.replace(folder / name)
        report.written.append(name)

    def _load_state(self) -> _State:
        path = self.root / STATE_FILE
        if not path.is_file():
            return _State()
        try:
            return _State(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            msg = f"{path}: not a simulator state file ({exc}); move it away to start afresh"
            raise EdigatewayError(msg) from exc

    def _save_state(self) -> None:
        self.state.deductible_met = {k: str(v) for k, v in self.adjudicator.deductible_met.items()}
        self.state.deductible_of = dict(self.adjudicator.deductible_of)
        self.state.paid = {k: v.model_dump(mode="json") for k, v in self.adjudicator.paid.items()}
        path = self.root / STATE_FILE
        temp = path.with_name(f".{path.name}{PART_SUFFIX}")
        temp.write_text(json.dumps(_as_dict(self.state), indent=1), encoding="utf-8")
        temp.replace(path)


def _as_dict(state: _State) -> dict[str, Any]:
    return {name: getattr(state, name) for name in state.__slots__}


def _note_for(location: X12Location) -> str:
    """TA105 for an envelope problem, by the element it is located at: 017 the version
    (ISA12), 021 the group count (IEA01), 001 the control numbers (IEA02), 024 anything
    else."""
    return {"ISA12": "017", "IEA01": "021", "IEA02": "001"}.get(location.element or "", "024")


MAX_ACK_ERRORS = 20
"""IK3/IK4 pairs listed per transaction set; the IK5 rejects it whatever the count."""


def _ack_errors(findings: list[Finding], st_index: int) -> list[AckError]:
    """The IK3/IK4 of a transaction's located findings, one per segment and element (a
    value pyx12 and one of our rules both fault is reported once, pyx12's code first);
    findings with no segment (a file-wide problem) reject the set without an IK3."""
    errors: list[AckError] = []
    seen: set[tuple[int, str | None]] = set()
    for finding in findings:
        if finding.segment_index is None or not finding.segment_id:
            continue
        spot = (finding.segment_index, finding.element)
        if spot not in seen and len(errors) < MAX_ACK_ERRORS:
            seen.add(spot)
            errors.append(_ack_error(finding, st_index))
    return errors


def _ack_error(finding: Finding, st_index: int) -> AckError:
    """One finding as IK3 (segment ID, position from ST = 1, loop, IK304) and, when it
    names an element, IK4 (position, component, IK403).

    pyx12's findings carry X12's own codes; our rules' (E…/V… edits) are given the code
    that says the same: a code-set rule (SNIP type 5) an invalid code value (7), any other
    an implementation pattern failure (I12); a rule on a whole segment IK304 8."""
    position = max(1, (finding.segment_index or st_index) - st_index + 1)
    segment_id = finding.segment_id or "ST"
    if finding.element:
        element = finding.element[len(segment_id) :]
        number, _, component = element.partition("-")
        code = (
            finding.code
            if finding.code in ELEMENT_ERROR_CODES
            else ("7" if finding.snip_type == 5 else "I12")
        )
        return AckError(
            segment_id=segment_id,
            segment_position=position,
            loop_id=finding.loop,
            segment_error_code="8",
            element_position=int(number) if number.isdigit() else 1,
            component_position=int(component) if component.isdigit() else None,
            element_error_code=code,
        )
    code = finding.code if finding.code in SEGMENT_ERROR_CODES else "8"
    return AckError(
        segment_id=segment_id,
        segment_position=position,
        loop_id=finding.loop,
        segment_error_code=code,
    )
