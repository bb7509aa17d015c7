"""Clean-claim edits: the checks a dental payer applies, run before anything is written.

Each edit has a stable ID so a PM system can map it to its own screens, and a message in
the coordinator's words. All edits run; every failure is reported at once.

=====  ==================================================================================
ID     rule (why)
=====  ==================================================================================
E001   NPI check digit (Luhn over 80840 + NPI): a mistyped NPI is the commonest rejection
E002   patient control number ≤ 20 characters: many payers truncate CLM01, then the 835
       no longer matches our claim
E003   patient control numbers unique within a batch: duplicates are rejected as such
E010   line fees add up to the claim total (CLM02 = Σ SV302)
E012   procedure codes are CDT codes D0100–D9999
E013   text only in the X12 character set (printable ASCII): the whole file is rejected
       (999) for one "é"
E014   diagnoses: at most 4 (HI01–HI04), each an ICD-10-CM (or ICD-9-CM) code without
       its decimal point
E015   a line's diagnosis pointers: at most 4, none repeated, each naming a diagnosis of
       the claim
E016   the procedure code is in the practice's licensed CDT list (when one is loaded)
E017   the procedure code is in effect on the date of service (when a list is loaded)
E020   tooth numbers: 1–32, A–T, supernumerary 51–82 and AS–TS (lines and missing teeth)
E021   a surface only once per tooth
E022   restorations (fillings, inlays/onlays) name a tooth and at least one surface
E023   procedures on one tooth (restorative, endodontic, extractions, crowns) name a tooth
E030   quadrant procedures (scaling and root planing, osseous surgery) name a quadrant
E031   dentures and arch procedures name the arch (01 maxillary, 02 mandibular)
E040   a replacement prosthesis (R) gives the prior placement date, before the service
E041   prosthesis codes only on crowns, bridges, dentures, inlays/onlays and implants
E050   no dates in the future (service, placement, accident, adjudication)
E051   no service before the patient was born
E052   a claim has a service date on every line (or at claim level)
E053   a predetermination has no service dates: nothing has been done yet
E060   replacement (7) and void (8) claims give the payer's claim number; originals don't
E070   orthodontics: months remaining ≤ total months
E071   comprehensive orthodontic treatment (D8070–D8090) gives the total months
E080   other payers: positions differ from each other and from this claim's
E081   a secondary/tertiary claim carries the earlier payer's adjudication
E082   line adjudications name a payer listed in other_payers
E083   an other payer's paid amount equals the sum of its line payments (when itemised)
E084   each line adjudication balances: charge − paid − adjustments = 0
E085   attachments not available on request (AA) need a control number
E086   when the patient is the subscriber, the subscriber's address, birth date and gender
       are required (the 837D carries them in 2010BA then)
E090   a claim too long for one 837D claim can be split (see claims_split)
E092   addresses (and an accident's state) carry a US state code or a Canadian province
=====  ==================================================================================

The rule functions, SNIP types and code sets are shared with the validation of received
837Ds (:mod:`edigateway.domain.rules`): the same check under the same ID, whichever way a
claim arrives.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from edigateway.domain.rules import (
    CdtList,
    cdt_format_problem,
    npi_is_valid,
    npi_problem,
    state_problem,
    surface_problems,
    tooth_problem,
)
from edigateway.errors import CleanClaimError, EditFailure

if TYPE_CHECKING:
    from edigateway.domain.claims import Claim, ClaimBatch, ServiceLine

__all__ = [
    "check_batch",
    "check_claim",
    "duplicate_control_numbers",
    "ensure_clean",
    "npi_is_valid",
]

MAX_PCN = 20
MAX_DIAGNOSES = 4
"""The 837D's HI carries the principal diagnosis and three others (HI01–HI04)."""
MAX_POINTERS = 4
"""SV311 has four diagnosis code pointers."""
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z]([0-9A-Z]{1,4})?$")
_ICD9 = re.compile(r"^(\d{3}\d{0,2}|V\d{2}\d{0,2}|E\d{3}\d?)$")
_X12_TEXT = re.compile(r"[^\x20-\x7e]")
"""A character outside the X12 basic and extended character sets (printable ASCII)."""
QUADRANTS = {"10", "20", "30", "40"}
ARCHES = {"01", "02"}
QUADRANT_CODES = {"D4210", "D4211", "D4240", "D4241", "D4260", "D4261", "D4341", "D4342"}
ARCH_CODES = {
    "D5110",
    "D5120",
    "D5130",
    "D5140",
    "D5211",
    "D5212",
    "D5213",
    "D5214",
    "D5221",
    "D5222",
    "D5223",
    "D5224",
    "D5225",
    "D5226",
}


def _in(code: str, low: str, high: str) -> bool:
    return low <= code <= high


def _needs_surface(code: str) -> bool:
    """Amalgam, resin and gold-foil restorations and inlays/onlays are billed per surface."""
    return (
        _in(code, "D2140", "D2161")
        or _in(code, "D2330", "D2394")
        or _in(code, "D2410", "D2430")
        or _in(code, "D2510", "D2664")
    )


def _needs_tooth(code: str) -> bool:
    return (
        _needs_surface(code)
        or _in(code, "D2710", "D2799")
        or _in(code, "D2910", "D2960")
        or _in(code, "D3110", "D3348")
        or _in(code, "D3410", "D3426")
        or _in(code, "D7111", "D7250")
        or _in(code, "D6010", "D6013")
        or code in {"D1351", "D1352"}
    )


def _prosthesis_allowed(code: str) -> bool:
    return _in(code, "D2510", "D2799") or code.startswith(("D5", "D6"))


class _Check:
    def __init__(self, claim: Claim, cdt: CdtList | None = None) -> None:
        self.claim = claim
        self.cdt = cdt
        self.failures: list[EditFailure] = []

    def fail(self, edit: str, path: str, message: str) -> None:
        self.failures.append(EditFailure(edit, self.claim.patient_control_number, path, message))


def check_claim(claim: Claim, *, today: date, cdt: CdtList | None = None) -> list[EditFailure]:
    """Every failed edit for one claim (empty when clean).

    ``cdt`` is the practice's licensed CDT list, when one was loaded: procedure codes are
    then checked against it (E016, E017), not only for their format (E012).
    """
    c = _Check(claim, cdt)
    _identity(c)
    _npis(c)
    _places_and_teeth(c)
    _totals_and_codes(c)
    for index, line in enumerate(claim.lines):
        _line(c, index, line)
    _dates(c, today)
    _frequency_and_ortho(c)
    _cob(c)
    _diagnoses(c)
    _characters(c, claim.model_dump(mode="json"), "")
    return c.failures


def check_batch(
    batch: ClaimBatch,
    *,
    today: date,
    cdt: CdtList | None = None,
) -> list[EditFailure]:
    """Every failed edit for every claim, plus duplicates across the batch."""
    failures: list[EditFailure] = []
    for claim in batch.claims:
        failures += check_claim(claim, today=today, cdt=cdt)
    return failures + duplicate_control_numbers(batch.claims)


def duplicate_control_numbers(claims: list[Claim]) -> list[EditFailure]:
    """E003 for every claim whose patient control number an earlier claim already uses
    (the path names the claim's index: ``claims.3.patient_control_number``)."""
    failures: list[EditFailure] = []
    seen: set[str] = set()
    for index, claim in enumerate(claims):
        pcn = claim.patient_control_number
        if pcn in seen:
            failures.append(
                EditFailure(
                    "E003",
                    pcn,
                    f"claims.{index}.patient_control_number",
                    f"patient control number {pcn} is used by another claim in this batch; "
                    "each claim needs its own",
                )
            )
        seen.add(pcn)
    return failures


def ensure_clean(batch: ClaimBatch, *, today: date, cdt: CdtList | None = None) -> None:
    """Raise :class:`CleanClaimError` listing every failure, if any."""
    failures = check_batch(batch, today=today, cdt=cdt)
    if failures:
        raise CleanClaimError(failures)


def _identity(c: _Check) -> None:
    claim = c.claim
    if len(claim.patient_control_number) > MAX_PCN:
        c.fail(
            "E002",
            "patient_control_number",
            f"patient control number is {len(claim.patient_control_number)} characters; "
            f"keep it to {MAX_PCN} or fewer, because many payers cut it short and the "
            "payment would then not match this claim",
        )
    if claim.patient is None:
        sub = claim.subscriber
        missing = [
            name
            for name, value in (
                ("address", sub.address),
                ("date_of_birth", sub.date_of_birth),
                ("gender", sub.gender),
            )
            if value is None
        ]
        if missing:
            c.fail(
                "E086",
                "subscriber",
                "the patient is the subscriber, so the subscriber's "
                + ", ".join(m.replace("_", " ") for m in missing)
                + " must be given",
            )
    for index, attachment in enumerate(claim.attachments):
        if attachment.transmission != "AA" and not attachment.control_number:
            c.fail(
                "E085",
                f"attachments.{index}.control_number",
                "an attachment sent separately needs its control number so the payer "
                "can match it to this claim",
            )


def _npis(c: _Check) -> None:
    claim = c.claim
    found = [("billing_provider.npi", claim.billing_provider.npi)]
    if claim.rendering_provider:
        found.append(("rendering_provider.npi", claim.rendering_provider.npi))
    if claim.service_facility and claim.service_facility.npi:
        found.append(("service_facility.npi", claim.service_facility.npi))
    for index, line in enumerate(claim.lines):
        if line.rendering_provider:
            found.append((f"lines.{index}.rendering_provider.npi", line.rendering_provider.npi))
    for path, npi in found:
        problem = npi_problem(npi)
        if problem:
            c.fail("E001", path, problem)


def _places_and_teeth(c: _Check) -> None:
    """State codes of every address (E092) and the teeth reported missing (E020)."""
    claim = c.claim
    addresses = [
        ("billing_provider.address", claim.billing_provider.address),
        ("billing_provider.pay_to_address", claim.billing_provider.pay_to_address),
        ("subscriber.address", claim.subscriber.address),
        ("payer.address", claim.payer.address),
    ]
    if claim.patient is not None:
        addresses.append(("patient.address", claim.patient.address))
    if claim.service_facility is not None:
        addresses.append(("service_facility.address", claim.service_facility.address))
    addresses += [
        (f"other_payers.{i}.payer.address", o.payer.address)
        for i, o in enumerate(claim.other_payers)
    ]
    states = [
        (f"{path}.state", address.state) for path, address in addresses if address is not None
    ]
    if claim.accident is not None and claim.accident.state is not None:
        states.append(("accident.state", claim.accident.state))
    for path, state in states:
        problem = state_problem(state)
        if problem:
            c.fail("E092", path, problem)
    for index, missing in enumerate(claim.missing_teeth):
        problem = tooth_problem(missing.tooth)
        if problem:
            c.fail("E020", f"missing_teeth.{index}.tooth", problem)


def _totals_and_codes(c: _Check) -> None:
    claim = c.claim
    total = sum((line.charge for line in claim.lines), Decimal("0.00"))
    if total != claim.total_charge:
        c.fail(
            "E010",
            "total_charge",
            f"the line fees add up to {total} but the claim total is {claim.total_charge}",
        )


def _line(c: _Check, index: int, line: ServiceLine) -> None:
    path = f"lines.{index}"
    code = line.procedure_code
    problem = cdt_format_problem(code)
    if problem:
        c.fail("E012", f"{path}.procedure_code", problem)
        return
    if c.cdt is not None:
        listed = c.cdt.problem(code, line.service_date or c.claim.service_date)
        if listed:
            c.fail(listed[0], f"{path}.procedure_code", listed[1])
    for t_index, tooth in enumerate(line.teeth):
        tpath = f"{path}.teeth.{t_index}"
        problem = tooth_problem(tooth.tooth)
        if problem:
            c.fail("E020", f"{tpath}.tooth", problem)
        for rule, message in surface_problems(tooth.tooth, tooth.surfaces):
            c.fail(rule, f"{tpath}.surfaces", message)
    if _needs_surface(code) and not any(t.surfaces for t in line.teeth):
        c.fail(
            "E022",
            f"{path}.teeth",
            f"{code} is a restoration: give the tooth and the surfaces restored",
        )
    elif _needs_tooth(code) and not line.teeth:
        c.fail("E023", f"{path}.teeth", f"{code} is done on one tooth: give the tooth number")
    areas = set(line.oral_cavity_areas)
    if code in QUADRANT_CODES and not areas & QUADRANTS:
        c.fail(
            "E030",
            f"{path}.oral_cavity_areas",
            f"{code} is billed per quadrant: give the quadrant (10 upper right, 20 upper "
            "left, 30 lower left, 40 lower right)",
        )
    if code in ARCH_CODES and not areas & ARCHES:
        c.fail(
            "E031",
            f"{path}.oral_cavity_areas",
            f"{code} is billed per arch: give 01 (maxillary) or 02 (mandibular)",
        )
    if line.prosthesis is not None and not _prosthesis_allowed(code):
        c.fail(
            "E041",
            f"{path}.prosthesis",
            f"{code} is not a crown, bridge, denture, inlay/onlay or implant; remove the "
            "initial/replacement indicator",
        )
    if line.prosthesis == "R":
        served = line.service_date or c.claim.service_date
        if line.prior_placement_date is None:
            c.fail(
                "E040",
                f"{path}.prior_placement_date",
                f"{code} replaces an existing prosthesis: give the date it was placed",
            )
        elif served is not None and line.prior_placement_date >= served:
            c.fail(
                "E040",
                f"{path}.prior_placement_date",
                "the prior placement date must be before the date of service",
            )


def _dates(c: _Check, today: date) -> None:
    claim = c.claim
    dates: list[tuple[str, date | None]] = [("service_date", claim.service_date)]
    if claim.accident:
        dates.append(("accident.accident_date", claim.accident.accident_date))
    if claim.orthodontics:
        dates.append(
            ("orthodontics.appliance_placement_date", claim.orthodontics.appliance_placement_date)
        )
    for index, other in enumerate(claim.other_payers):
        dates.append((f"other_payers.{index}.adjudication_date", other.adjudication_date))
    for index, line in enumerate(claim.lines):
        dates += [
            (f"lines.{index}.service_date", line.service_date),
            (f"lines.{index}.prior_placement_date", line.prior_placement_date),
        ]
        dates += [
            (f"lines.{index}.adjudications.{a}.adjudication_date", adj.adjudication_date)
            for a, adj in enumerate(line.adjudications)
        ]
    for path, when in dates:
        if when is not None and when > today:
            c.fail("E050", path, f"{when.isoformat()} is in the future")
    born = claim.patient.date_of_birth if claim.patient else claim.subscriber.date_of_birth
    service_dates = [(p, d) for p, d in dates if p.endswith("service_date") and d is not None]
    if born is not None:
        for path, when in service_dates:
            if when is not None and when < born:
                c.fail(
                    "E051",
                    path,
                    f"service on {when.isoformat()} is before the patient "
                    f"was born ({born.isoformat()})",
                )
    if claim.is_predetermination:
        if service_dates:
            c.fail(
                "E053",
                service_dates[0][0],
                "a predetermination is a treatment plan: it must not have service dates",
            )
    elif claim.service_date is None:
        for index, line in enumerate(claim.lines):
            if line.service_date is None:
                c.fail(
                    "E052",
                    f"lines.{index}.service_date",
                    "give the date of service (on the line or for the whole claim)",
                )


def _frequency_and_ortho(c: _Check) -> None:
    claim = c.claim
    if claim.frequency in ("7", "8") and not claim.payer_claim_control_number:
        kind = "replacement" if claim.frequency == "7" else "void"
        c.fail(
            "E060",
            "payer_claim_control_number",
            f"a {kind} claim must give the payer's claim number of the claim it "
            f"{'replaces' if kind == 'replacement' else 'voids'}",
        )
    if claim.frequency == "1" and claim.payer_claim_control_number:
        c.fail(
            "E060",
            "payer_claim_control_number",
            "an original claim has no payer claim number; use frequency 7 to replace "
            "or 8 to void a claim the payer already has",
        )
    ortho = claim.orthodontics
    if (
        ortho
        and ortho.total_months is not None
        and ortho.months_remaining is not None
        and ortho.months_remaining > ortho.total_months
    ):
        c.fail(
            "E070",
            "orthodontics.months_remaining",
            f"{ortho.months_remaining} months remaining is more than the "
            f"{ortho.total_months} months of treatment",
        )
    comprehensive = [line for line in claim.lines if _in(line.procedure_code, "D8070", "D8090")]
    if comprehensive and (ortho is None or ortho.total_months is None):
        c.fail(
            "E071",
            "orthodontics.total_months",
            f"{comprehensive[0].procedure_code} is comprehensive orthodontic treatment: "
            "give the total months of treatment",
        )


def _cob(c: _Check) -> None:
    claim = c.claim
    positions = [o.responsibility for o in claim.other_payers]
    if len(set(positions)) != len(positions) or claim.payer_responsibility in positions:
        c.fail(
            "E080",
            "other_payers",
            "each payer must have its own position (primary, secondary, tertiary); "
            f"this claim is {claim.payer_responsibility} and the others are "
            + ", ".join(positions),
        )
    if claim.payer_responsibility in ("S", "T"):
        earlier = [
            o
            for o in claim.other_payers
            if o.responsibility < claim.payer_responsibility and o.responsibility in ("P", "S")
        ]
        itemised = any(line.adjudications for line in claim.lines)
        if not any(o.paid_amount is not None for o in earlier) and not itemised:
            c.fail(
                "E081",
                "other_payers",
                "a secondary or tertiary claim must carry what the earlier payer paid "
                "(paid amount or line adjudications)",
            )
    known = {o.payer.payer_id: o for o in claim.other_payers}
    for index, line in enumerate(claim.lines):
        for a_index, adj in enumerate(line.adjudications):
            path = f"lines.{index}.adjudications.{a_index}"
            if adj.payer_id not in known:
                c.fail(
                    "E082",
                    f"{path}.payer_id",
                    f"payer {adj.payer_id} adjudicated this line but is not listed in other_payers",
                )
            balance = (
                line.charge - adj.paid - sum((x.amount for x in adj.adjustments), Decimal("0.00"))
            )
            if balance != 0:
                c.fail(
                    "E084",
                    path,
                    f"the other payer's line does not balance: charge {line.charge} − paid "
                    f"{adj.paid} − adjustments leaves {balance}",
                )
    for index, other in enumerate(claim.other_payers):
        lines_paid = [
            adj.paid
            for line in claim.lines
            for adj in line.adjudications
            if adj.payer_id == other.payer.payer_id
        ]
        if other.paid_amount is not None and lines_paid:
            claim_level = sum((x.amount for x in other.claim_adjustments), Decimal("0.00"))
            expected = sum(lines_paid, Decimal("0.00")) - claim_level
            if other.paid_amount != expected:
                c.fail(
                    "E083",
                    f"other_payers.{index}.paid_amount",
                    f"{other.payer.name} paid {other.paid_amount} in total but its line "
                    f"payments less claim-level adjustments come to {expected}",
                )


def _diagnoses(c: _Check) -> None:
    claim = c.claim
    if len(claim.diagnoses) > MAX_DIAGNOSES:
        c.fail(
            "E014",
            "diagnoses",
            f"the claim lists {len(claim.diagnoses)} diagnoses; a dental claim carries "
            f"at most {MAX_DIAGNOSES} (the principal and three others)",
        )
    for index, diagnosis in enumerate(claim.diagnoses):
        pattern = _ICD10 if diagnosis.code_set == "ICD-10-CM" else _ICD9
        if not pattern.match(diagnosis.code):
            c.fail(
                "E014",
                f"diagnoses.{index}.code",
                f"{diagnosis.code} is not an {diagnosis.code_set} code as claims carry "
                "it: capital letters and digits without the decimal point (K02.52 is "
                "sent as K0252)",
            )
    for index, line in enumerate(claim.lines):
        path = f"lines.{index}.diagnosis_pointers"
        pointers = line.diagnosis_pointers
        if len(pointers) > MAX_POINTERS:
            c.fail(
                "E015",
                path,
                f"the line points at {len(pointers)} diagnoses; a line "
                f"can name at most {MAX_POINTERS}",
            )
        if len(set(pointers)) != len(pointers):
            c.fail("E015", path, "the line names the same diagnosis twice")
        missing = sorted({p for p in pointers if p > len(claim.diagnoses)})
        if missing:
            c.fail(
                "E015",
                path,
                f"diagnosis {', '.join(map(str, missing))} is named by the line but the "
                f"claim lists {len(claim.diagnoses)} diagnos"
                f"{'is' if len(claim.diagnoses) == 1 else 'es'}",
            )


def _characters(c: _Check, value: object, path: str) -> None:
    """Refuse text an X12 file cannot carry, naming the field (``patient.name.last_name``).

    X12 allows printable ASCII only (its basic and extended character sets); a name with
    an accent or a typographic quote is otherwise sent and the whole transaction comes
    back rejected by the 999.
    """
    if isinstance(value, str):
        bad = _X12_TEXT.search(value)
        if bad:
            char = bad.group()
            c.fail(
                "E013",
                path,
                f"{value!r} contains {char!r} (U+{ord(char):04X}), which X12 cannot "
                "carry: use plain letters, digits and punctuation (e.g. E for É)",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _characters(c, item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _characters(c, item, f"{path}.{index}")
