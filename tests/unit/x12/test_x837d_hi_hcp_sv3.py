"""837D diagnosis (HI), repricing (HCP), SV303/SV306/SV307–SV311 and line sales tax: what
the writer sends, what it must not send, and what the reader makes of a partner's file."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from edigateway.domain.claims import (
    BillingProvider,
    Claim,
    ClaimBatch,
    Contact,
    Diagnosis,
    LineRepricing,
    Payer,
    Receiver,
    Repricing,
    ServiceLine,
    Submitter,
    Subscriber,
)
from edigateway.domain.common import Address, PersonName
from edigateway.errors import ClaimInputError, CleanClaimError, X12StructureError
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x837d_005010X224A2 import read_837d, write_837d

PARAMS = InterchangeParams(
    sender_qualifier="ZZ",
    sender_id="PRACTICE",
    receiver_qualifier="ZZ",
    receiver_id="CLEARINGHOUSE",
    gs_sender_code="PRACTICE",
    gs_receiver_code="CH",
    interchange_control_number=7,
    group_control_number=7,
    first_transaction_control_number=1,
    created=datetime(2026, 11, 22, 9, 30),
)
SUBMITTER = Submitter(
    name="SMILE DENTAL", identifier="SUB1", contact=Contact(name="ANA", phone="5555550100")
)
RECEIVER = Receiver(name="CLEARINGHOUSE", identifier="CH01")


def _claim(*lines: ServiceLine, **extra: object) -> Claim:
    values: dict[str, object] = {
        "patient_control_number": "PC7",
        "total_charge": sum((line.charge for line in lines), Decimal("0.00")),
        "billing_provider": BillingProvider(
            organization_name="SMILE DENTAL",
            npi="1234567893",
            tax_id="123456789",
            address=Address(line1="1 MAIN ST", city="MIAMI", state="FL", postal_code="33101"),
        ),
        "payer": Payer(payer_id="DDFL1", name="DENTAL PLAN"),
        "subscriber": Subscriber(
            name=PersonName(last_name="DOE", first_name="JANE"),
            member_id="M1",
            date_of_birth=date(1980, 1, 1),
            gender="F",
            address=Address(line1="2 OAK ST", city="MIAMI", state="FL", postal_code="33101"),
        ),
        "lines": list(lines),
    }
    values.update(extra)
    return Claim.model_validate(values)


def _line(**extra: object) -> ServiceLine:
    values: dict[str, object] = {
        "procedure_code": "D1110",
        "charge": "95.00",
        "service_date": date(2026, 10, 1),
    }
    values.update(extra)
    return ServiceLine.model_validate(values)


def _write(claim: Claim) -> str:
    return write_837d(ClaimBatch(claims=[claim]), PARAMS, submitter=SUBMITTER, receiver=RECEIVER)


def _segments(text: str, seg_id: str) -> list[str]:
    return [s for s in text.replace("\n", "").split("~") if s.startswith(seg_id + "*")]


def test_sv306_is_never_one_and_sent_above_one():
    text = _write(_claim(_line(), _line(procedure_code="D7140", charge="150.00", quantity=2)))
    assert _segments(text, "SV3") == ["SV3*AD:D1110*95", "SV3*AD:D7140*150****2"]
    assert [line.quantity for line in read_837d(text.encode()).claims[0].lines] == [1, 2]


def test_sv303_only_when_the_line_is_elsewhere():
    text = _write(
        _claim(_line(place_of_service="11"), _line(place_of_service="22"), place_of_service="11")
    )
    assert _segments(text, "SV3") == ["SV3*AD:D1110*95", "SV3*AD:D1110*95*22"]


def test_diagnoses_pointers_repricing_and_sales_tax_round_trip():
    claim = _claim(
        _line(
            procedure_code="D7140",
            charge="150.00",
            diagnosis_pointers=[2, 1],
            sales_tax="7.50",
            repricing=LineRepricing(
                method="03",
                allowed_amount=Decimal("120.00"),
                saving_amount=Decimal("30.00"),
                organization_id="PPONET1",
                procedure_qualifier="AD",
                procedure_code="D7140",
                unit="UN",
                quantity=Decimal("1"),
            ),
        ),
        _line(diagnosis_pointers=[1]),
        diagnoses=[Diagnosis(code="K0252"), Diagnosis(code="K081")],
        repricing=Repricing(method="02", allowed_amount=Decimal("200.00"), reject_reason="T6"),
    )
    text = _write(claim)
    assert _segments(text, "HI") == ["HI*ABK:K0252*ABF:K081"]
    assert _segments(text, "SV3") == ["SV3*AD:D7140*150*********2:1", "SV3*AD:D1110*95*********1"]
    assert _segments(text, "AMT") == ["AMT*T*7.5"]
    assert _segments(text, "HCP") == [
        "HCP*02*200***********T6",
        "HCP*03*120*30*PPONET1*****AD*D7140*UN*1",
    ]
    order = [s.split("*")[0] for s in text.replace("\n", "").split("~")]
    assert order.index("REF") < order.index("HI") < order.index("HCP") < order.index("LX")
    parsed = read_837d(text.encode())
    assert parsed.claims == [claim]
    assert parsed.skipped == []
    assert write_837d(parsed.batch, parsed.params, submitter=SUBMITTER, receiver=RECEIVER) == text


def test_icd9_diagnoses_use_bk_and_bf():
    claim = _claim(
        _line(diagnosis_pointers=[1]),
        diagnoses=[
            Diagnosis(code="52106", code_set="ICD-9-CM"),
            Diagnosis(code="5210", code_set="ICD-9-CM"),
        ],
    )
    text = _write(claim)
    assert _segments(text, "HI") == ["HI*BK:52106*BF:5210"]
    assert read_837d(text.encode()).claims == [claim]


def test_partner_sv307_to_sv310_are_listed_as_skipped_not_lost():
    text = _write(_claim(_line())).replace("SV3*AD:D1110*95~", "SV3*AD:D1110*95*****X*Y~")
    parsed = read_837d(text.encode(), name="partner.837")
    assert [(s.segment_id, s.loop, s.element) for s in parsed.skipped] == [
        ("SV3", "2400", "SV307"),
        ("SV3", "2400", "SV308"),
    ]


@pytest.mark.parametrize(
    ("hi", "element"),
    [("HI*ABF:K0252", "HI01"), ("HI*ABK:K0252*ABK:K081", "HI02"), ("HI*ABK", "HI01")],
)
def test_misqualified_diagnosis_is_a_located_error(hi: str, element: str):
    text = _write(_claim(_line(), diagnoses=[Diagnosis(code="K0252")]))
    text = text.replace("HI*ABK:K0252~", hi + "~")
    with pytest.raises(X12StructureError) as info:
        read_837d(text.encode(), name="bad.837")
    location = info.value.location
    assert (location.file, location.segment_id, location.loop, location.element) == (
        "bad.837",
        "HI",
        "2300",
        element,
    )


def test_bad_pointer_is_a_located_error():
    text = _write(_claim(_line(diagnosis_pointers=[1]), diagnoses=[Diagnosis(code="K0252")]))
    text = text.replace("SV3*AD:D1110*95*********1~", "SV3*AD:D1110*95*********A~")
    with pytest.raises(X12StructureError) as info:
        read_837d(text.encode())
    assert info.value.location.element == "SV311"


def test_text_outside_the_x12_character_set_is_refused_naming_the_field():
    submitter = Submitter(
        name="CLÍNICA DENTAL", identifier="SUB1", contact=Contact(name="ANA", phone="5555550100")
    )
    with pytest.raises(ClaimInputError) as info:
        write_837d(
            ClaimBatch(claims=[_claim(_line())]), PARAMS, submitter=submitter, receiver=RECEIVER
        )
    assert info.value.problems[0].path == "name"
    assert "U+00CD" in str(info.value)


def test_claim_schema_describes_the_new_fields():
    schema = Claim.model_json_schema()
    assert {"diagnoses", "repricing"} <= set(schema["properties"])
    line = schema["$defs"]["ServiceLine"]["properties"]
    assert {"diagnosis_pointers", "sales_tax", "repricing"} <= set(line)
    assert line["diagnosis_pointers"]["items"] == {"maximum": 12, "minimum": 1, "type": "integer"}
    assert schema["$defs"]["Diagnosis"]["properties"]["code_set"]["enum"] == [
        "ICD-10-CM",
        "ICD-9-CM",
    ]


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_a_repriced_claim_too_long_for_one_837d_is_refused_not_split():
    claim = _claim(
        *[_line(charge="1.00") for _ in range(51)],
        repricing=Repricing(method="02", allowed_amount=Decimal("40.00")),
    )
    with pytest.raises(CleanClaimError) as info:
        _write(claim)
    assert [(f.edit_id, f.path) for f in info.value.failures] == [("E090", "repricing")]
