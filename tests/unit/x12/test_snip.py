"""One rule set: what the clean-claim edits refuse at build time, ``x12 validate`` flags in a
received 837D under the same edit ID, located at the segment the value came from."""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from typing import Any

import pytest

from edigateway.domain.claims import Claim, ClaimBatch, Contact, Receiver, Submitter
from edigateway.domain.rules import CdtList, DatedCode
from edigateway.x12.envelope import InterchangeParams, iter_segments
from edigateway.x12.snip import ClaimLocator
from edigateway.x12.validation import CDT_FORMAT_ONLY, Validator
from edigateway.x12.x837d_005010X224A2 import write_837d
from tests.unit.domain.test_edits import CASES, TODAY, _load

PARAMS = InterchangeParams(
    sender_qualifier="ZZ",
    sender_id="MSD0001",
    receiver_qualifier="ZZ",
    receiver_id="CLEARHOUSE1",
    gs_sender_code="MSD0001",
    gs_receiver_code="CLEARHOUSE1",
    interchange_control_number=501,
    group_control_number=501,
    first_transaction_control_number=1,
    created=datetime(2026, 11, 21, 8, 0),
)
SUBMITTER = Submitter(
    name="MAPLE", identifier="MSD0001", contact=Contact(name="OFFICE", phone="2175550100")
)
RECEIVER = Receiver(name="CLEARINGHOUSE", identifier="CH1")


def _written(document: dict[str, Any]) -> str:
    """The 837D of ``document`` with the clean-claim edits bypassed (the writer alone).

    The writer refuses text X12 cannot carry by itself, so characters outside ASCII are
    written as placeholders and put back into the file afterwards.
    """
    escaped = json.dumps(document, ensure_ascii=True).replace("\\u", "QQU")
    text = write_837d(
        ClaimBatch(claims=[Claim.model_validate(json.loads(escaped))]),
        PARAMS,
        submitter=SUBMITTER,
        receiver=RECEIVER,
    )
    return re.sub(r"QQU([0-9a-f]{4})", lambda m: chr(int(m[1], 16)), text)


@pytest.mark.parametrize(
    ("edit", "fixture", "change"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_what_the_edits_refuse_validate_flags_with_the_same_id(
    validator: Validator, edit, fixture, change
):
    document = _load(fixture)
    assert validator.validate_text(_written(document), "clean.837", today=TODAY).valid
    change(document)
    text = _written(document)
    verdict = validator.validate_text(text, "refused.837", today=TODAY)
    ours = [f for f in verdict.errors if f.code == edit]
    assert ours, verdict.errors
    lines = text.splitlines()
    for finding in ours:
        assert finding.segment_id is not None
        assert finding.loop is not None
        assert lines[finding.segment_index - 1].startswith(finding.segment_id)  # type: ignore[operator]


def test_duplicate_claim_numbers_in_a_file(validator: Validator):
    claim = Claim.model_validate(_load("01_filling_amalgam_mod.json"))
    text = write_837d(
        ClaimBatch(claims=[claim, claim]), PARAMS, submitter=SUBMITTER, receiver=RECEIVER
    )
    verdict = validator.validate_text(text, today=TODAY)
    (dup,) = [f for f in verdict.errors if f.code == "E003"]
    assert (dup.segment_id, dup.element, dup.snip_type) == ("CLM", "CLM01", 4)
    second_clm = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith("CLM")][1]
    assert dup.segment_index == second_clm


def test_locations_follow_the_claims_paths():
    document = _load("17_secondary_with_primary_adjudication.json")
    text = _written(document)
    locator = ClaimLocator.build(list(iter_segments(io.StringIO(text))))
    lines = text.splitlines()

    def at(path: str) -> tuple[str, str | None, str | None]:
        spot = locator.locate(0, path)
        assert spot is not None
        assert lines[spot.segment_index - 1].startswith(spot.segment_id)
        return spot.segment_id, spot.loop, spot.element

    assert at("billing_provider.npi") == ("NM1", "2010AA", "NM109")
    assert at("billing_provider.address.postal_code") == ("N4", "2010AA", "N403")
    assert at("subscriber.member_id") == ("NM1", "2010BA", "NM109")
    assert at("total_charge") == ("CLM", "2300", "CLM02")
    assert at("other_payers.0.paid_amount") == ("AMT", "2320", "AMT02")
    assert at("lines.1.adjudications.0.payer_id") == ("SVD", "2430", "SVD01")
    assert at("lines.0.procedure_code") == ("SV3", "2400", "SV301-02")
    assert at("lines.0.nothing.we.know") == ("SV3", "2400", None)
    assert at("no_such_field") == ("CLM", "2300", None)
    assert locator.locate(5, "total_charge") is None


def test_a_claim_the_reader_refuses_is_located_and_said(validator: Validator):
    text = _written(_load("01_filling_amalgam_mod.json"))
    mutant = re.sub(r"^(TOO\*JP\*\d+\*)[A-Z:]+~", r"\1M:X~", text, count=1, flags=re.M)
    verdict = validator.validate_text(mutant, today=TODAY)
    codes = {f.code for f in verdict.errors}
    assert "V102" in codes  # the surface code set, at TOO03
    assert "V130" not in codes  # the model's refusal names the same segment: said once
    assert any("clean-claim edits did not run" in note for note in verdict.notes)


# --------------------------------------------------------------------------- CDT list

CDT = CdtList(
    {
        "D2392": DatedCode("D2392", date(2020, 1, 1)),
        "D0120": DatedCode("D0120"),
        "D2750": DatedCode("D2750", None, date(2026, 1, 1)),
    },
    "test list",
)


def test_cdt_codes_format_only_without_a_list_and_checked_with_one(validator: Validator):
    document = _load("01_filling_amalgam_mod.json")
    document["lines"][0]["procedure_code"] = "D2750"
    document["lines"][0]["prosthesis"] = None
    text = _written(document)
    plain = validator.validate_text(text, today=TODAY)
    assert plain.valid
    assert plain.notes == (CDT_FORMAT_ONLY,)
    listed = validator.validate_text(text, today=TODAY, cdt=CDT)
    assert listed.notes == ()
    found = {(f.code, f.element, f.snip_type) for f in listed.errors}
    assert ("E017", "SV301-02", 5) in found  # D2750 deleted before the date of service
    unknown = validator.validate_text(text.replace("AD:D2750", "AD:D2391"), today=TODAY, cdt=CDT)
    assert {(f.code, f.element) for f in unknown.errors} >= {("E016", "SV301-02")}
