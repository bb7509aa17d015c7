"""837 Dental (005010X224A2): claims and predeterminations to X12 and back.

:func:`write_837d` turns a :class:`~edigateway.domain.claims.ClaimBatch` into one
interchange: one ISA/GS, one ST/SE per 5,000 claims, claims grouped under their billing
provider (2000A), subscriber (2000B) and patient (2000C). A claim with more than 50 lines is
split first (:func:`~edigateway.domain.claims_split.split_claim`). Every value is checked for
delimiter characters; a bad value stops the build with the claim and element named.

:func:`read_837d` reads any 5010 837D (ours or a partner's) back into domain claims plus the
envelope, so ``write_837d(*read_837d(write_837d(batch, params)))`` is the same text byte for
byte. Segments the domain does not model are listed in ``Parsed837D.skipped`` instead of
being dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from edigateway.domain.claims import (
    MAX_LINES_PER_CLAIM,
    Claim,
    ClaimBatch,
    LineRepricing,
    Receiver,
    Submitter,
)
from edigateway.domain.claims_split import split_claim
from edigateway.errors import (
    ClaimInputError,
    DelimiterInDataError,
    FieldProblem,
    X12Location,
    X12StructureError,
)
from edigateway.x12 import spec
from edigateway.x12.envelope import (
    Delimiters,
    Expect,
    InterchangeParams,
    Segment,
    SegmentWriter,
    head_of,
    write_interchange,
)
from edigateway.x12.formats import is_digits, x12_amount, x12_date
from edigateway.x12.reader import SegmentReader

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from decimal import Decimal

    from edigateway.domain.claims import (
        Adjustment,
        BillingProvider,
        Contact,
        OtherPayer,
        RenderingProvider,
        Repricing,
        ServiceLine,
    )
    from edigateway.domain.common import Address, PersonName
    from edigateway.x12.envelope import Source

KEY: Final = "837D"
GUIDE: Final = "005010X224A2"
MAX_CLAIMS_PER_TRANSACTION: Final = 5000
_DIAGNOSIS_QUALIFIERS: Final = {"ICD-10-CM": ("ABK", "ABF"), "ICD-9-CM": ("BK", "BF")}
"""HI01-1 for the principal diagnosis, then for every other one, per code set."""
_DIAGNOSIS_CODE_SETS: Final = {
    qualifier: (code_set, index > 0)
    for code_set, pair in _DIAGNOSIS_QUALIFIERS.items()
    for index, qualifier in enumerate(pair)
}


# --------------------------------------------------------------------------- writing


def write_837d(
    batch: ClaimBatch, params: InterchangeParams, *, submitter: Submitter, receiver: Receiver
) -> str:
    """The 837D interchange for ``batch`` (see module docstring).

    ``batch.submitter``/``batch.receiver`` win over the ``submitter``/``receiver`` defaults.
    """
    claims = [part for claim in batch.claims for part in split_claim(claim, MAX_LINES_PER_CLAIM)]
    submitter, receiver = batch.submitter or submitter, batch.receiver or receiver
    for party in (submitter, receiver):
        _refuse_delimiters(party.model_dump(), params.delimiters, "", type(party).__name__)
    for claim in claims:
        _refuse_delimiters(
            claim.model_dump(), params.delimiters, "", f"claim {claim.patient_control_number}"
        )
    chunks = [
        claims[i : i + MAX_CLAIMS_PER_TRANSACTION]
        for i in range(0, len(claims), MAX_CLAIMS_PER_TRANSACTION)
    ]
    return write_interchange(
        params,
        KEY,
        chunks,
        lambda out, control, chunk: _write_transaction(
            out, control, params.created, chunk, submitter, receiver
        ),
    )


def _refuse_delimiters(value: Any, delimiters: Delimiters, path: str, owner: str) -> None:
    """Refuse any text field containing a delimiter, naming the field (``lines.0.description``).

    Checked on the whole claim before writing, so the error names the JSON field the PM
    system sent; :class:`SegmentWriter` checks again per element as a safety net. Text
    outside printable ASCII (the X12 character sets) is refused too: edit E013 says so for
    claims, and this covers the submitter and receiver.
    """
    if isinstance(value, str):
        outside = [c for c in value if not " " <= c <= "~"]
        if outside:
            raise ClaimInputError(
                owner,
                [
                    FieldProblem(
                        path,
                        f"{value!r} contains {outside[0]!r} (U+{ord(outside[0]):04X}), which "
                        "X12 cannot carry: use plain letters, digits and punctuation",
                    )
                ],
            )
        bad = set(delimiters.all()).intersection(value)
        if bad:
            raise DelimiterInDataError(
                f"{owner}: field {path} value {value!r} contains the delimiter character(s) "
                f"{''.join(sorted(bad))!r} of this interchange; remove it before sending",
                X12Location(element=path),
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_delimiters(item, delimiters, f"{path}.{key}" if path else key, owner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_delimiters(item, delimiters, f"{path}.{index}", owner)


def _write_transaction(
    out: SegmentWriter,
    control: str,
    created: datetime,
    claims: list[Claim],
    submitter: Submitter,
    receiver: Receiver,
) -> None:
    out.segment(
        "BHT", "0019", "00", control, created.strftime("%Y%m%d"), created.strftime("%H%M"), "CH"
    )
    out.segment("NM1", "41", "2", submitter.name, "", "", "", "", "46", submitter.identifier)
    _per(out, submitter.contact)
    out.segment("NM1", "40", "2", receiver.name, "", "", "", "", "46", receiver.identifier)
    hl = 0
    for provider, provider_claims in _group(claims, lambda c: c.billing_provider):
        hl += 1
        provider_hl = hl
        _write_billing_provider(out, hl, provider)
        for _, subscriber_claims in _group(provider_claims, _subscriber_key):
            first = subscriber_claims[0]
            hl += 1
            subscriber_hl = hl
            dependents = first.patient is not None
            out.segment("HL", str(hl), str(provider_hl), "22", "1" if dependents else "0")
            _write_subscriber(out, first)
            if not dependents:
                for claim in subscriber_claims:
                    _write_claim(out, claim)
                continue
            for _, patient_claims in _group(subscriber_claims, lambda c: c.patient):
                hl += 1
                patient = patient_claims[0].patient
                assert patient is not None  # noqa: S101 - grouped on patient presence
                out.segment("HL", str(hl), str(subscriber_hl), "23", "0")
                out.segment("PAT", patient.relationship)
                _nm1(out, "QC", patient.name)
                _address(out, patient.address)
                out.segment("DMG", "D8", x12_date(patient.date_of_birth), patient.gender)
                for claim in patient_claims:
                    _write_claim(out, claim)


def _group(claims: Iterable[Claim], key: Any) -> Iterator[tuple[Any, list[Claim]]]:
    """Claims grouped by ``key`` in order of first appearance (stable, deterministic)."""
    groups: dict[str, tuple[Any, list[Claim]]] = {}
    for claim in claims:
        value = key(claim)
        marker = value.model_dump_json() if hasattr(value, "model_dump_json") else repr(value)
        groups.setdefault(marker, (value, []))[1].append(claim)
    yield from groups.values()


def _subscriber_key(claim: Claim) -> tuple[str, ...]:
    return (
        claim.subscriber.model_dump_json(),
        claim.payer.model_dump_json(),
        claim.payer_responsibility,
        claim.filing_indicator,
        str(claim.patient is None),
    )


def _per(out: SegmentWriter, contact: Contact | None) -> None:
    if contact is None:
        return
    channels: list[str] = []
    if contact.phone:
        channels += ["TE", contact.phone]
    if contact.email:
        channels += ["EM", contact.email]
    out.segment("PER", "IC", contact.name, *channels)


def _nm1(
    out: SegmentWriter, entity: str, name: PersonName, qualifier: str = "", identifier: str = ""
) -> None:
    out.segment(
        "NM1",
        entity,
        "1",
        name.last_name,
        name.first_name,
        name.middle_name,
        "",
        name.suffix,
        qualifier,
        identifier,
    )


def _nm1_org(
    out: SegmentWriter, entity: str, name: str, qualifier: str = "", identifier: str = ""
) -> None:
    out.segment("NM1", entity, "2", name, "", "", "", "", qualifier, identifier)


def _address(out: SegmentWriter, address: Address) -> None:
    out.segment("N3", address.line1, address.line2)
    out.segment("N4", address.city, address.state, address.postal_code)


def _write_billing_provider(out: SegmentWriter, hl: int, provider: BillingProvider) -> None:
    out.segment("HL", str(hl), "", "20", "1")
    if provider.taxonomy:
        out.segment("PRV", "BI", "PXC", provider.taxonomy)
    if provider.entity == "person" and provider.person is not None:
        _nm1(out, "85", provider.person, "XX", provider.npi)
    else:
        _nm1_org(out, "85", provider.display_name, "XX", provider.npi)
    _address(out, provider.address)
    out.segment("REF", provider.tax_id_type, provider.tax_id)
    _per(out, provider.contact)
    if provider.pay_to_address is not None:
        out.segment("NM1", "87", "2")
        _address(out, provider.pay_to_address)


def _write_subscriber(out: SegmentWriter, claim: Claim) -> None:
    sub = claim.subscriber
    out.segment(
        "SBR",
        claim.payer_responsibility,
        "18" if claim.patient is None else "",
        sub.group_number,
        sub.group_name,
        "",
        "",
        "",
        "",
        claim.filing_indicator,
    )
    _nm1(out, "IL", sub.name, "MI", sub.member_id)
    if sub.address is not None:
        _address(out, sub.address)
    if sub.date_of_birth is not None and sub.gender is not None:
        out.segment("DMG", "D8", x12_date(sub.date_of_birth), sub.gender)
    _nm1_org(out, "PR", claim.payer.name, "PI", claim.payer.payer_id)
    if claim.payer.address is not None:
        _address(out, claim.payer.address)


def _write_claim(out: SegmentWriter, claim: Claim) -> None:
    out.claim = claim.patient_control_number
    related: list[str] | None = None
    if claim.accident is not None:
        causes = list(claim.accident.causes)
        related = [causes[0], causes[1] if len(causes) > 1 else "", "", claim.accident.state or ""]
    out.segment(
        "CLM",
        claim.patient_control_number,
        x12_amount(claim.total_charge),
        "",
        "",
        [claim.place_of_service, "B", claim.frequency],
        "Y" if claim.provider_signature_on_file else "N",
        claim.assignment_participation,
        claim.benefits_assignment,
        claim.release_of_information,
        "",
        related,
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "PB" if claim.is_predetermination else "",
        claim.delay_reason,
    )
    if claim.accident is not None and claim.accident.accident_date is not None:
        out.segment("DTP", "439", "D8", x12_date(claim.accident.accident_date))
    ortho = claim.orthodontics
    if ortho is not None and ortho.appliance_placement_date is not None:
        out.segment("DTP", "452", "D8", x12_date(ortho.appliance_placement_date))
    if claim.service_date is not None:
        out.segment("DTP", "472", "D8", x12_date(claim.service_date))
    if ortho is not None and (
        ortho.total_months is not None
        or ortho.months_remaining is not None
        or ortho.treatment_indicator is not None
    ):
        out.segment(
            "DN1",
            _opt_int(ortho.total_months),
            _opt_int(ortho.months_remaining),
            _yes_no(ortho.treatment_indicator),
        )
    for tooth in claim.missing_teeth:
        out.segment("DN2", tooth.tooth, tooth.status, "", "", "", "JP")
    for attachment in claim.attachments:
        out.segment(
            "PWK",
            attachment.report_type,
            attachment.transmission,
            "",
            "",
            "AC" if attachment.control_number else "",
            attachment.control_number,
        )
    if claim.patient_amount_paid is not None:
        out.segment("AMT", "F5", x12_amount(claim.patient_amount_paid))
    for qualifier, value in (
        ("G3", claim.predetermination_number),
        ("F8", claim.payer_claim_control_number),
        ("9F", claim.referral_number),
        ("G1", claim.prior_authorization),
        ("D9", claim.clearinghouse_trace_number),
    ):
        if value:
            out.segment("REF", qualifier, value)
    if claim.note:
        out.segment("NTE", "ADD", claim.note)
    if claim.diagnoses:
        out.segment(
            "HI",
            *[
                [_DIAGNOSIS_QUALIFIERS[d.code_set][index > 0], d.code]
                for index, d in enumerate(claim.diagnoses)
            ],
        )
    if claim.repricing is not None:
        _hcp(out, claim.repricing)
    if claim.rendering_provider is not None:
        _rendering(out, claim.rendering_provider)
    if claim.service_facility is not None:
        facility = claim.service_facility
        _nm1_org(out, "77", facility.name, "XX" if facility.npi else "", facility.npi or "")
        _address(out, facility.address)
    for other in claim.other_payers:
        _write_other_payer(out, other)
    for number, line in enumerate(claim.lines, start=1):
        _write_line(out, number, line, claim)
    out.claim = None


def _rendering(out: SegmentWriter, provider: RenderingProvider) -> None:
    _nm1(out, "82", provider.name, "XX", provider.npi)
    out.segment("PRV", "PE", "PXC", provider.taxonomy)


def _cas(out: SegmentWriter, adjustments: list[Adjustment]) -> None:
    """CAS segments: one per group, up to six reason/amount/quantity triplets each."""
    by_group: dict[str, list[Adjustment]] = {}
    for adj in adjustments:
        by_group.setdefault(adj.group, []).append(adj)
    for group, items in by_group.items():
        for start in range(0, len(items), 6):
            values: list[str] = [group]
            for adj in items[start : start + 6]:
                values += [
                    adj.reason,
                    x12_amount(adj.amount),
                    "" if adj.quantity is None else _quantity(adj.quantity),
                ]
            out.segment("CAS", *values)


def _write_other_payer(out: SegmentWriter, other: OtherPayer) -> None:
    out.segment(
        "SBR",
        other.responsibility,
        other.relationship,
        other.group_number,
        other.group_name,
        "",
        "",
        "",
        "",
        other.filing_indicator,
    )
    _cas(out, other.claim_adjustments)
    if other.paid_amount is not None:
        out.segment("AMT", "D", x12_amount(other.paid_amount))
    if other.remaining_patient_liability is not None:
        out.segment("AMT", "EAF", x12_amount(other.remaining_patient_liability))
    out.segment("OI", "", "", other.benefits_assignment, "", "", other.release_of_information)
    _nm1(out, "IL", other.subscriber_name, "MI", other.subscriber_member_id)
    _nm1_org(out, "PR", other.payer.name, "PI", other.payer.payer_id)
    if other.payer.address is not None:
        _address(out, other.payer.address)
    if other.adjudication_date is not None:
        out.segment("DTP", "573", "D8", x12_date(other.adjudication_date))


def _hcp(out: SegmentWriter, repricing: Repricing) -> None:
    """HCP: the repricer's figures (HCP08 product/service ID is not sent: the guide gives
    it no meaning for dental claims; HCP09/HCP10 only for a line)."""
    procedure: tuple[str | None, str | None] = (None, None)
    if isinstance(repricing, LineRepricing):
        procedure = (repricing.procedure_qualifier, repricing.procedure_code)
    out.segment(
        "HCP",
        repricing.method,
        x12_amount(repricing.allowed_amount),
        _opt_amount(repricing.saving_amount),
        repricing.organization_id,
        _opt_amount(repricing.rate),
        repricing.apg_code,
        _opt_amount(repricing.apg_amount),
        "",
        *procedure,
        repricing.unit,
        None if repricing.quantity is None else _quantity(repricing.quantity),
        repricing.reject_reason,
        repricing.policy_compliance,
        repricing.exception,
    )


def _write_line(out: SegmentWriter, number: int, line: ServiceLine, claim: Claim) -> None:
    out.segment("LX", str(number))
    procedure = ["AD", line.procedure_code, *line.modifiers]
    if line.description:
        procedure += [""] * (6 - len(procedure)) + [line.description]
    # SV303 only when it differs from CLM05-1 and SV306 only above 1: the guide says not
    # to send either otherwise (a missing SV306 means 1; X12 RFI 1866 prohibits SV306=1).
    # SV307–SV310 are not used in the dental guide.
    place = line.place_of_service if line.place_of_service != claim.place_of_service else None
    out.segment(
        "SV3",
        procedure,
        x12_amount(line.charge),
        place,
        list(line.oral_cavity_areas) or None,
        line.prosthesis,
        str(line.quantity) if line.quantity > 1 else None,
        None,
        None,
        None,
        None,
        [str(p) for p in line.diagnosis_pointers] or None,
    )
    for tooth in line.teeth:
        out.segment("TOO", "JP", tooth.tooth, list(tooth.surfaces) or None)
    if line.service_date is not None:
        out.segment("DTP", "472", "D8", x12_date(line.service_date))
    if line.prior_placement_date is not None:
        out.segment("DTP", "441", "D8", x12_date(line.prior_placement_date))
    for qualifier, value in (
        ("G3", line.predetermination_number),
        ("G1", line.prior_authorization),
        ("6R", line.line_control_number),
    ):
        if value:
            out.segment("REF", qualifier, value)
    if line.sales_tax is not None:
        out.segment("AMT", "T", x12_amount(line.sales_tax))
    if line.repricing is not None:
        _hcp(out, line.repricing)
    if line.rendering_provider is not None:
        _rendering(out, line.rendering_provider)
    for adjudication in line.adjudications:
        out.segment(
            "SVD",
            adjudication.payer_id,
            x12_amount(adjudication.paid),
            ["AD", adjudication.procedure_code],
            "",
            str(adjudication.quantity),
        )
        _cas(out, adjudication.adjustments)
        out.segment("DTP", "573", "D8", x12_date(adjudication.adjudication_date))


def _opt_amount(value: Decimal | None) -> str | None:
    return None if value is None else x12_amount(value)


def _opt_int(value: int | None) -> str:
    return "" if value is None else str(value)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Y" if value else "N")


def _quantity(value: Any) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --------------------------------------------------------------------------- reading


@dataclass
class Parsed837D:
    """What an 837D file holds: its envelope, parties, claims, and what we did not model."""

    params: InterchangeParams
    submitter: Submitter | None
    receiver: Receiver | None
    claims: list[Claim]
    skipped: list[X12Location] = field(default_factory=list)

    @property
    def batch(self) -> ClaimBatch:
        """The claims as a batch (with the submitter and receiver the file named)."""
        return ClaimBatch(submitter=self.submitter, receiver=self.receiver, claims=self.claims)


@dataclass
class Streamed837D:
    """An 837D being read claim by claim, so that memory holds one claim (``x12 parse
    --json`` writes each as it comes): :attr:`claims` yields them; :meth:`parties` names
    the submitter and receiver read so far (1000A/B come before the first claim);
    :meth:`parsed`, once the claims are exhausted, checks the envelope as
    :func:`read_837d` does and gives the parties and skipped segments (no claims)."""

    claims: Iterator[Claim]
    _reader: _Reader
    _head: str | None

    def parties(self) -> tuple[Submitter | None, Receiver | None]:
        """The submitter and receiver (see class docstring)."""
        return self._reader.parties()

    def parsed(self) -> Parsed837D:
        """The file without its claims (see class docstring)."""
        return self._reader.parsed([], self._head)


def stream_837d(source: Source, *, name: str | None = None) -> Streamed837D:
    """Read an 837D claim by claim (see :class:`Streamed837D`)."""
    reader = _Reader.reading(source, name)
    return Streamed837D(reader.stream(source), reader, head_of(source))


def read_837d(source: Source, *, name: str | None = None) -> Parsed837D:
    """Read an 837D interchange from bytes, a path or segments into claims; errors name
    the segment, loop and element."""
    reader = _Reader.reading(source, name)
    claims = reader.read(source)
    return reader.parsed(claims, head_of(source))


def iter_837d(source: Source, *, name: str | None = None) -> Iterator[Claim]:
    """Stream the claims of an 837D, each as soon as it is read (memory holds one claim);
    at the end the envelope and the parties are checked as :func:`read_837d` checks them.
    Segments the reader does not model are passed over without being listed."""
    reader = _Reader.reading(source, name, list_skipped=False)
    yield from reader.stream(source)
    reader.parsed([], None)


_Dict = dict[str, Any]


class _Reader(SegmentReader[Claim]):
    """The 837D's parties (1000A/B, 2000A–2000C with their 2010 loops) and claims (2300 with
    2310B/C, 2320/2330A/B, 2400, 2420A, 2430). The spec says which loop a segment stands in;
    the methods map each to the claim, kept as a dict until the next claim, HL or SE."""

    key = KEY
    expect = Expect.of(KEY, verify=False, sniffed=True)

    def __init__(self, file: str | None) -> None:
        super().__init__(file)
        self.levels = spec.guide(KEY).levels()
        self.submitter: _Dict | None = None
        self.receiver: _Dict | None = None
        self.provider: _Dict = {}
        self.sbr: _Dict = {}
        self.subscriber: _Dict = {}
        self.payer: _Dict = {}
        self.patient: _Dict | None = None
        self.claim: _Dict | None = None
        self.claim_segment: Segment | None = None
        self.line: _Dict | None = None
        self.other_payer: _Dict | None = None
        self.adjudication: _Dict | None = None
        self.address_target: _Dict | None = None

    def envelope_segment(self, kind: str, seg: Segment) -> None:
        if kind in ("ST", "SE"):
            self._end_claim()

    def finish(self) -> None:
        super().finish()
        self._end_claim()

    def parsed(self, claims: list[Claim], head: str | None) -> Parsed837D:
        """The claims read, with the envelope and parties they came in."""
        params = self.envelope.params(head, need_st=True)
        submitter, receiver = self.parties()
        return Parsed837D(params, submitter, receiver, claims, self.skipped)

    def parties(self) -> tuple[Submitter | None, Receiver | None]:
        """The submitter (1000A) and receiver (1000B) as far as the file has been read."""
        submitter = receiver = None
        try:
            if self.submitter is not None and "contact" in self.submitter:
                submitter = Submitter.model_validate(self.submitter)
            if self.receiver is not None:
                receiver = Receiver.model_validate(self.receiver)
        except ValidationError as exc:
            raise X12StructureError(
                f"submitter/receiver (1000A/1000B): {exc}",
                X12Location(file=self.file, loop="1000A"),
            ) from exc
        return submitter, receiver

    def _name(self, seg: Segment) -> _Dict:
        return _drop_empty(
            {
                "last_name": seg.element(3),
                "first_name": seg.element(4),
                "middle_name": seg.element(5),
                "suffix": seg.element(7),
            }
        )

    def _seg_BHT(self, seg: Segment) -> None:
        if seg.element(1) != "0019":
            raise self.fail(seg, 1, "BHT01 must be 0019")

    def _seg_HL(self, seg: Segment) -> None:
        self._end_claim()
        level = seg.element(3)
        if level not in self.levels:
            raise self.fail(seg, 3, f"HL03 {level!r} is not {_or(self.levels)}")
        if level == "20":
            self.provider = {}
        elif level == "22":
            self.sbr, self.subscriber, self.payer, self.patient = {}, {}, {}, None
        else:
            self.patient = {}

    def _seg_PRV(self, seg: Segment) -> None:
        if self.loop == "2000A" and self.claim is None:
            self.provider["taxonomy"] = seg.element(3)
        elif self.loop in ("2310B", "2420A") and self.address_target is not None:
            self.address_target["taxonomy"] = seg.element(3)
        else:
            self.skip(seg)

    def _seg_NM1(self, seg: Segment) -> None:
        loop, ident = self.loop, seg.element(9)
        self.address_target = None
        if loop in ("1000A", "1000B"):
            party = {"name": seg.element(3), "identifier": ident}
            if loop == "1000A":
                self.submitter = party
            else:
                self.receiver = party
        elif loop == "2010AA":
            self.provider["npi"] = ident
            if seg.element(2) == "1":
                self.provider.update({"entity": "person", "person": self._name(seg)})
            else:
                self.provider.update(
                    {"entity": "organization", "organization_name": seg.element(3)}
                )
            self.address_target = self.provider.setdefault("address", {})
        elif loop == "2010AB":
            self.address_target = self.provider.setdefault("pay_to_address", {})
        elif loop == "2010BA":
            self.subscriber.update({"name": self._name(seg), "member_id": ident})
            self.address_target = self.subscriber.setdefault("address", {})
        elif loop == "2010BB":
            self.payer.update({"name": seg.element(3), "payer_id": ident})
            self.address_target = self.payer.setdefault("address", {})
        elif loop == "2010CA":
            if self.patient is None:
                raise self.fail(seg, 1, "patient name (NM1*QC) outside a patient HL (2000C)")
            self.patient["name"] = self._name(seg)
            self.address_target = self.patient.setdefault("address", {})
        elif loop in ("2310B", "2420A") and self.claim is not None:
            rendering = {"name": self._name(seg), "npi": ident}
            (self.line if loop == "2420A" and self.line is not None else self.claim)[
                "rendering_provider"
            ] = rendering
            self.address_target = rendering
        elif loop == "2310C" and self.claim is not None:
            facility = _drop_empty({"name": seg.element(3), "npi": ident})
            self.claim["service_facility"] = facility
            self.address_target = facility.setdefault("address", {})
        elif loop == "2330A" and self.other_payer is not None:
            self.other_payer.update(
                {"subscriber_name": self._name(seg), "subscriber_member_id": ident}
            )
        elif loop == "2330B" and self.other_payer is not None:
            payer: _Dict = {"name": seg.element(3), "payer_id": ident}
            self.other_payer["payer"] = payer
            self.address_target = payer.setdefault("address", {})
        else:
            self.skip(seg)

    def _seg_PER(self, seg: Segment) -> None:
        contact: _Dict = {"name": seg.element(2)}
        for index in (3, 5, 7):
            kind, value = seg.element(index), seg.element(index + 1)
            if kind == "TE":
                contact["phone"] = value
            elif kind == "EM":
                contact["email"] = value
        if self.loop == "1000A" and self.submitter is not None:
            self.submitter["contact"] = contact
        elif self.loop == "2010AA":
            self.provider["contact"] = contact
        else:
            self.skip(seg)

    def _seg_N3(self, seg: Segment) -> None:
        if self.address_target is None:
            self.skip(seg)
            return
        self.address_target.update(_drop_empty({"line1": seg.element(1), "line2": seg.element(2)}))

    def _seg_N4(self, seg: Segment) -> None:
        if self.address_target is None:
            self.skip(seg)
            return
        self.address_target.update(
            {"city": seg.element(1), "state": seg.element(2), "postal_code": seg.element(3)}
        )

    def _seg_REF(self, seg: Segment) -> None:
        qualifier, value = seg.element(1), seg.element(2)
        if self.loop == "2010AA" and qualifier in ("EI", "SY"):
            self.provider.update({"tax_id": value, "tax_id_type": qualifier})
        elif self.loop == "2300" and self.claim is not None and qualifier in _CLAIM_REFS:
            self.claim[_CLAIM_REFS[qualifier]] = value
        elif self.loop == "2400" and self.line is not None and qualifier in _LINE_REFS:
            self.line[_LINE_REFS[qualifier]] = value
        else:
            self.skip(seg)

    def _seg_SBR(self, seg: Segment) -> None:
        values = {
            "responsibility": seg.element(1),
            "relationship": seg.element(2),
            "group_number": seg.element(3),
            "group_name": seg.element(4),
            "filing_indicator": seg.element(9),
        }
        if self.claim is None:
            self.sbr = values
            return
        self.other_payer = _drop_empty(values)
        self.other_payer.setdefault("claim_adjustments", [])
        self.claim.setdefault("other_payers", []).append(self.other_payer)

    def _seg_DMG(self, seg: Segment) -> None:
        target = (
            self.patient
            if self.loop == "2010CA"
            else (self.subscriber if self.loop == "2010BA" else None)
        )
        if target is None:
            self.skip(seg)
            return
        if seg.element(2):
            target["date_of_birth"] = self.date(seg, 2)
        if seg.element(3):
            target["gender"] = seg.element(3)

    def _seg_PAT(self, seg: Segment) -> None:
        if self.patient is None:
            raise self.fail(seg, 1, "PAT outside a patient HL (2000C)")
        self.patient["relationship"] = seg.element(1)

    def _seg_CLM(self, seg: Segment) -> None:
        self._end_claim()
        self.claim_segment = seg
        facility = seg.components(5)
        if len(facility) < 3 or facility[1] != "B":
            raise self.fail(seg, 5, "CLM05 must be place of service:B:frequency")
        claim: _Dict = {
            "patient_control_number": seg.element(1),
            "total_charge": self.money(seg, 2),
            "place_of_service": facility[0],
            "frequency": facility[2],
            "provider_signature_on_file": seg.element(6) == "Y",
            "assignment_participation": seg.element(7),
            "benefits_assignment": seg.element(8),
            "release_of_information": seg.element(9),
            "kind": "predetermination" if seg.element(19) == "PB" else "claim",
        }
        if seg.element(20):
            claim["delay_reason"] = seg.element(20)
        related = seg.components(11)
        if related:
            accident: _Dict = {"causes": [c for c in related[:2] if c]}
            if len(related) > 3 and related[3]:
                accident["state"] = related[3]
            claim["accident"] = accident
        self.claim = claim
        self.line = None
        self.other_payer = None
        self.address_target = None

    def _seg_DTP(self, seg: Segment) -> None:
        qualifier = seg.element(1)
        if seg.element(2) != "D8":
            self.skip(seg)
            return
        when = self.date(seg, 3)
        if self.loop == "2300" and self.claim is not None:
            if qualifier == "472":
                self.claim["service_date"] = when
            elif qualifier == "439":
                self.claim.setdefault("accident", {"causes": []})["accident_date"] = when
            elif qualifier == "452":
                self.claim.setdefault("orthodontics", {})["appliance_placement_date"] = when
            else:
                self.skip(seg)
        elif self.loop == "2330B" and self.other_payer is not None and qualifier == "573":
            self.other_payer["adjudication_date"] = when
        elif self.loop == "2400" and self.line is not None and qualifier in ("472", "441"):
            self.line["service_date" if qualifier == "472" else "prior_placement_date"] = when
        elif self.loop == "2430" and self.adjudication is not None and qualifier == "573":
            self.adjudication["adjudication_date"] = when
        else:
            self.skip(seg)

    def _seg_DN1(self, seg: Segment) -> None:
        if self.claim is None:
            self.skip(seg)
            return
        ortho = self.claim.setdefault("orthodontics", {})
        ortho.update(
            _drop_none(
                {"total_months": self.number(seg, 1), "months_remaining": self.number(seg, 2)}
            )
        )
        if seg.element(3):
            ortho["treatment_indicator"] = seg.element(3) == "Y"

    def _seg_DN2(self, seg: Segment) -> None:
        if self.claim is None:
            self.skip(seg)
            return
        self.claim.setdefault("missing_teeth", []).append(
            {"tooth": seg.element(1), "status": seg.element(2)}
        )

    def _seg_PWK(self, seg: Segment) -> None:
        if self.claim is None or self.line is not None:
            self.skip(seg)
            return
        self.claim.setdefault("attachments", []).append(
            _drop_empty(
                {
                    "report_type": seg.element(1),
                    "transmission": seg.element(2),
                    "control_number": seg.element(6),
                }
            )
        )

    def _seg_AMT(self, seg: Segment) -> None:
        qualifier = seg.element(1)
        if self.loop == "2300" and self.claim is not None and qualifier == "F5":
            self.claim["patient_amount_paid"] = self.money(seg, 2)
        elif self.loop == "2320" and self.other_payer is not None and qualifier in ("D", "EAF"):
            key = "paid_amount" if qualifier == "D" else "remaining_patient_liability"
            self.other_payer[key] = self.money(seg, 2)
        elif self.loop == "2400" and self.line is not None and qualifier == "T":
            self.line["sales_tax"] = self.money(seg, 2)
        else:
            self.skip(seg)

    def _seg_HI(self, seg: Segment) -> None:
        if self.loop != "2300" or self.claim is None:
            self.skip(seg)
            return
        diagnoses: list[_Dict] = []
        for index in range(1, 13):
            parts = seg.components(index)
            if not parts:
                continue
            found = _DIAGNOSIS_CODE_SETS.get(parts[0])
            if found is None or found[1] != (index > 1) or len(parts) < 2 or not parts[1]:
                wanted = "ABF or BF" if index > 1 else "ABK or BK"
                raise self.fail(
                    seg,
                    index,
                    f"HI{index:02d} must be {wanted}:<diagnosis code>, not {seg.element(index)!r}",
                )
            if any(parts[2:]):
                self.skip(seg, index)
            diagnoses.append({"code": parts[1], "code_set": found[0]})
        self.claim["diagnoses"] = diagnoses

    def _seg_HCP(self, seg: Segment) -> None:
        target = (
            self.line
            if self.loop == "2400"
            else (self.claim if self.loop == "2300" and self.line is None else None)
        )
        if target is None:
            self.skip(seg)
            return
        repricing: _Dict = _drop_empty(
            {
                "method": seg.element(1),
                "allowed_amount": self.money(seg, 2),
                "saving_amount": self.amount(seg, 3),
                "organization_id": seg.element(4),
                "rate": self.amount(seg, 5),
                "apg_code": seg.element(6),
                "apg_amount": self.amount(seg, 7),
                "unit": seg.element(11),
                "quantity": seg.element(12),
                "reject_reason": seg.element(13),
                "policy_compliance": seg.element(14),
                "exception": seg.element(15),
            }
        )
        if seg.element(8):
            self.skip(seg, 8)
        if target is self.line:
            repricing.update(
                _drop_empty(
                    {"procedure_qualifier": seg.element(9), "procedure_code": seg.element(10)}
                )
            )
        elif seg.element(9) or seg.element(10):
            self.skip(seg, 9)
        target["repricing"] = repricing

    def _seg_NTE(self, seg: Segment) -> None:
        if self.loop == "2300" and self.claim is not None and seg.element(1) == "ADD":
            self.claim["note"] = seg.element(2)
        else:
            self.skip(seg)

    def _seg_CAS(self, seg: Segment) -> None:
        target = None
        if self.loop == "2320" and self.other_payer is not None:
            target = self.other_payer["claim_adjustments"]
        elif self.loop == "2430" and self.adjudication is not None:
            target = self.adjudication["adjustments"]
        if target is None:
            self.skip(seg)
            return
        group = seg.element(1)
        for index in range(2, 19, 3):
            reason = seg.element(index)
            if not reason:
                continue
            adjustment: _Dict = {
                "group": group,
                "reason": reason,
                "amount": self.money(seg, index + 1),
            }
            if seg.element(index + 2):
                adjustment["quantity"] = seg.element(index + 2)
            target.append(adjustment)

    def _seg_OI(self, seg: Segment) -> None:
        if self.other_payer is None:
            self.skip(seg)
            return
        self.other_payer.update(
            _drop_empty(
                {"benefits_assignment": seg.element(3), "release_of_information": seg.element(6)}
            )
        )

    def _seg_LX(self, seg: Segment) -> None:
        if self.claim is None:
            raise self.fail(seg, 1, "service line (LX) before any claim (CLM)")
        self.line = {}
        self.adjudication = None
        self.address_target = None
        self.claim.setdefault("lines", []).append(self.line)

    def _seg_SV3(self, seg: Segment) -> None:
        if self.line is None:
            raise self.fail(seg, 1, "SV3 outside a service line (2400)")
        procedure = seg.components(1)
        if len(procedure) < 2 or procedure[0] != "AD":
            raise self.fail(seg, 1, "SV301 must be AD:<CDT code>")
        self.line.update(
            _drop_empty(
                {
                    "procedure_code": procedure[1],
                    "modifiers": [m for m in procedure[2:6] if m],
                    "description": procedure[6] if len(procedure) > 6 else "",
                    "charge": self.money(seg, 2),
                    "place_of_service": seg.element(3),
                    "oral_cavity_areas": [c for c in seg.components(4) if c],
                    "prosthesis": seg.element(5),
                }
            )
        )
        quantity = self.number(seg, 6)
        if quantity is not None:
            self.line["quantity"] = quantity
        for index in range(7, 11):  # SV307–SV310: not used in the dental guide
            if seg.element(index):
                self.skip(seg, index)
        pointers = seg.components(11)
        if any(pointers):
            if not all(is_digits(p, 2) for p in pointers):
                raise self.fail(
                    seg,
                    11,
                    f"SV311 {seg.element(11)!r} must be diagnosis code "
                    "pointers (1 to 12), separated by the component separator",
                )
            self.line["diagnosis_pointers"] = [int(p) for p in pointers]

    def _seg_TOO(self, seg: Segment) -> None:
        if self.line is None:
            self.skip(seg)
            return
        self.line.setdefault("teeth", []).append(
            {"tooth": seg.element(2), "surfaces": [s for s in seg.components(3) if s]}
        )

    def _seg_SVD(self, seg: Segment) -> None:
        if self.line is None:
            raise self.fail(seg, 1, "SVD outside a service line (2400)")
        procedure = seg.components(3)
        self.adjudication = {
            "payer_id": seg.element(1),
            "paid": self.money(seg, 2),
            "procedure_code": procedure[1] if len(procedure) > 1 else "",
            "adjustments": [],
        }
        quantity = self.number(seg, 5)
        if quantity is not None:
            self.adjudication["quantity"] = quantity
        self.line.setdefault("adjudications", []).append(self.adjudication)

    def _end_claim(self) -> None:
        if self.claim is None or self.claim_segment is None:
            return
        seg = self.claim_segment
        data = self.claim
        self.claim = None
        self.line = None
        self.other_payer = None
        self.adjudication = None
        provider = _clean_address_dicts(self.provider)
        subscriber = _clean_address_dicts(self.subscriber)
        subscriber.update(
            _drop_empty(
                {
                    "group_number": self.sbr.get("group_number", ""),
                    "group_name": self.sbr.get("group_name", ""),
                }
            )
        )
        data.update(
            {
                "billing_provider": provider,
                "subscriber": subscriber,
                "payer": _clean_address_dicts(self.payer),
                "payer_responsibility": self.sbr.get("responsibility", ""),
                "filing_indicator": self.sbr.get("filing_indicator", ""),
            }
        )
        if self.patient is not None:
            data["patient"] = _clean_address_dicts(self.patient)
        for other in data.get("other_payers", []):
            other["payer"] = _clean_address_dicts(other.get("payer", {}))
        self.emit(
            self.model(
                seg,
                Claim,
                data,
                loop="2300",
                every=True,
                prefix=(
                    f"claim {data.get('patient_control_number')!r} does not read as a dental "
                    "claim: "
                ),
            )
        )


def _or(codes: Iterable[str]) -> str:
    """``"20, 22 or 23"``."""
    *rest, last = codes
    return f"{', '.join(rest)} or {last}" if rest else last


_CLAIM_REFS: Final = {
    "G3": "predetermination_number",
    "F8": "payer_claim_control_number",
    "9F": "referral_number",
    "G1": "prior_authorization",
    "D9": "clearinghouse_trace_number",
}
_LINE_REFS: Final = {
    "G3": "predetermination_number",
    "G1": "prior_authorization",
    "6R": "line_control_number",
}


def _drop_empty(values: _Dict) -> _Dict:
    return {k: v for k, v in values.items() if v not in ("", None, [])}


def _drop_none(values: _Dict) -> _Dict:
    return {k: v for k, v in values.items() if v is not None}


def _clean_address_dicts(values: _Dict) -> _Dict:
    """Drop address placeholders that no N3/N4 filled (an NM1 with no address after it)."""
    cleaned = {}
    for key, value in values.items():
        if isinstance(value, dict) and not value:
            continue
        cleaned[key] = value
    return cleaned
