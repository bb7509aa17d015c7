"""837D writer/reader: properties over random claims, splitting, limits and bad input."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edigateway.domain.claims import (
    Accident,
    Adjustment,
    Attachment,
    BillingProvider,
    Claim,
    ClaimBatch,
    Contact,
    Diagnosis,
    LineAdjudication,
    LineRepricing,
    MissingTooth,
    Orthodontics,
    OtherPayer,
    Patient,
    Payer,
    Receiver,
    RenderingProvider,
    Repricing,
    ServiceFacility,
    ServiceLine,
    Submitter,
    Subscriber,
    ToothDetail,
)
from edigateway.domain.common import Address, PersonName
from edigateway.errors import DelimiterInDataError, X12StructureError
from edigateway.x12.envelope import Delimiters, InterchangeParams
from edigateway.x12.x837d_005010X224A2 import read_837d, write_837d
from tests.factories import CORPUS

PARAMS = InterchangeParams(
    sender_qualifier="ZZ",
    sender_id="PRACTICE",
    receiver_qualifier="ZZ",
    receiver_id="CLEARINGHOUSE",
    gs_sender_code="PRACTICE",
    gs_receiver_code="CH",
    interchange_control_number=42,
    group_control_number=42,
    first_transaction_control_number=1,
    created=datetime(2026, 11, 22, 9, 30),
)
SUBMITTER = Submitter(
    name="SMILE DENTAL", identifier="SUB1", contact=Contact(name="ANA", phone="5555550100")
)
RECEIVER = Receiver(name="CLEARINGHOUSE", identifier="CH01")

# ---------------------------------------------------------------- strategies
SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-'&,"
words = st.text(alphabet=SAFE, min_size=1, max_size=20).map(str.strip).filter(bool)
idents = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=2, max_size=12)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 10, 31))
births = st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31))
money = st.decimals(min_value=0, max_value=99999, places=2).map(Decimal)
signed_money = st.decimals(min_value=-9999, max_value=9999, places=2).map(Decimal)
npis = st.from_regex(r"\A[0-9]{10}\Z")
taxonomies = st.sampled_from(["1223G0001X", "1223S0112X", "1223P0221X", "122300000X"])
names = st.builds(
    PersonName,
    last_name=words,
    first_name=st.none() | words,
    middle_name=st.none() | words,
    suffix=st.none() | st.sampled_from(["JR", "SR", "III"]),
)
addresses = st.builds(
    Address,
    line1=words,
    line2=st.none() | words,
    city=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=20),
    state=st.sampled_from(["FL", "NY", "TX", "CA"]),
    postal_code=st.from_regex(r"\A[0-9]{5}([0-9]{4})?\Z"),
)
payers = st.builds(Payer, payer_id=idents, name=words, address=st.none() | addresses)
renderings = st.builds(RenderingProvider, name=names, npi=npis, taxonomy=taxonomies)
adjustments = st.builds(
    Adjustment,
    group=st.sampled_from(["CO", "PR", "OA"]),
    reason=st.sampled_from(["1", "2", "3", "45", "96", "253"]),
    amount=signed_money,
    quantity=st.none() | st.integers(1, 9).map(Decimal),
)
teeth = st.builds(
    ToothDetail,
    tooth=st.sampled_from(["1", "3", "14", "19", "30", "32", "A", "K", "T", "51", "AS"]),
    surfaces=st.lists(
        st.sampled_from(["M", "O", "D", "B", "L", "I", "F"]), max_size=5, unique=True
    ),
)


repricing_fields = {
    "method": st.sampled_from(["00", "02", "07", "14"]),
    "allowed_amount": money,
    "saving_amount": st.none() | money,
    "organization_id": st.none() | idents,
    "rate": st.none() | money,
    "apg_code": st.none() | idents,
    "apg_amount": st.none() | money,
    "reject_reason": st.none() | st.sampled_from(["T1", "T6"]),
    "policy_compliance": st.none() | st.sampled_from(["1", "5"]),
    "exception": st.none() | st.sampled_from(["2", "6"]),
}


@st.composite
def repricings(draw: st.DrawFn, line: bool) -> Repricing:
    values = {key: draw(strategy) for key, strategy in repricing_fields.items()}
    if draw(st.booleans()):
        values.update(
            unit=draw(st.sampled_from(["DA", "UN"])), quantity=Decimal(draw(st.integers(1, 30)))
        )
    if line and draw(st.booleans()):
        values.update(
            procedure_qualifier="AD", procedure_code=draw(st.from_regex(r"\AD[0-9]{4}\Z"))
        )
    return (LineRepricing if line else Repricing).model_validate(values)


diagnoses = st.builds(
    Diagnosis,
    code=st.sampled_from(["K0252", "K081", "S025XXA", "52106"]),
    code_set=st.sampled_from(["ICD-10-CM", "ICD-9-CM"]),
)


@st.composite
def service_lines(
    draw: st.DrawFn, payer_ids: list[str], claim_place: str, diagnosis_count: int
) -> ServiceLine:
    code = draw(st.from_regex(r"\AD[0-9]{4}\Z"))
    return ServiceLine(
        procedure_code=code,
        modifiers=draw(st.lists(st.from_regex(r"\A[A-Z0-9]{2}\Z"), max_size=4)),
        description=draw(st.none() | words),
        charge=draw(money),
        place_of_service=draw(
            st.none() | st.sampled_from(["11", "22"]).filter(lambda place: place != claim_place)
        ),
        oral_cavity_areas=draw(
            st.lists(st.sampled_from(["00", "01", "10", "20", "L"]), max_size=3, unique=True)
        ),
        prosthesis=draw(st.none() | st.sampled_from(["I", "R"])),
        prior_placement_date=draw(st.none() | days),
        quantity=draw(st.integers(1, 9)),
        diagnosis_pointers=draw(
            st.lists(st.integers(1, max(diagnosis_count, 1)), max_size=4, unique=True)
        )
        if diagnosis_count
        else [],
        sales_tax=draw(st.none() | money),
        repricing=draw(st.none() | repricings(line=True)),
        teeth=draw(st.lists(teeth, max_size=3)),
        service_date=draw(st.none() | days),
        line_control_number=draw(st.none() | idents),
        predetermination_number=draw(st.none() | idents),
        prior_authorization=draw(st.none() | idents),
        rendering_provider=draw(st.none() | renderings),
        adjudications=[
            LineAdjudication(
                payer_id=pid,
                paid=draw(money),
                procedure_code=code,
                quantity=draw(st.integers(1, 3)),
                adjustments=draw(st.lists(adjustments, max_size=3)),
                adjudication_date=draw(days),
            )
            for pid in payer_ids
            if draw(st.booleans())
        ],
    )


@st.composite
def claims(draw: st.DrawFn) -> Claim:
    others = draw(
        st.lists(
            st.builds(
                OtherPayer,
                responsibility=st.sampled_from(["P", "T"]),
                relationship=st.sampled_from(["18", "01", "19"]),
                filing_indicator=st.sampled_from(["CI", "12", "MC"]),
                group_number=st.none() | idents,
                group_name=st.none() | words,
                subscriber_name=names,
                subscriber_member_id=idents,
                payer=payers,
                paid_amount=st.none() | money,
                remaining_patient_liability=st.none() | money,
                adjudication_date=st.none() | days,
                claim_adjustments=st.lists(adjustments, max_size=3),
                benefits_assignment=st.sampled_from(["Y", "N", "W"]),
                release_of_information=st.sampled_from(["Y", "I"]),
            ),
            max_size=2,
        )
    )
    place = draw(st.sampled_from(["11", "22", "12"]))
    claim_diagnoses = draw(st.lists(diagnoses, max_size=4))
    lines = draw(
        st.lists(
            service_lines([o.payer.payer_id for o in others], place, len(claim_diagnoses)),
            min_size=1,
            max_size=6,
        )
    )
    dependent = draw(st.booleans())
    born = draw(births)
    kind = draw(st.sampled_from(["claim", "predetermination"]))
    frequency = draw(st.sampled_from(["1", "7", "8"]))
    return Claim(
        patient_control_number=draw(st.from_regex(r"\A[A-Z0-9]{1,20}\Z")),
        kind=kind,
        frequency=frequency,
        payer_claim_control_number=draw(idents) if frequency != "1" else None,
        total_charge=sum((line.charge for line in lines), Decimal("0.00")),
        place_of_service=place,
        diagnoses=claim_diagnoses,
        repricing=draw(st.none() | repricings(line=False)),
        payer_responsibility="S" if others else "P",
        filing_indicator=draw(st.sampled_from(["CI", "12", "HM", "MC"])),
        provider_signature_on_file=draw(st.booleans()),
        assignment_participation=draw(st.sampled_from(["A", "B", "C"])),
        benefits_assignment=draw(st.sampled_from(["Y", "N", "W"])),
        release_of_information=draw(st.sampled_from(["Y", "I"])),
        delay_reason=draw(st.none() | st.sampled_from(["1", "7", "11"])),
        service_date=draw(st.none() | days),
        billing_provider=draw(
            st.builds(
                BillingProvider,
                entity=st.just("organization"),
                organization_name=words,
                npi=npis,
                tax_id=st.from_regex(r"\A[0-9]{9}\Z"),
                taxonomy=st.none() | taxonomies,
                address=addresses,
                contact=st.none()
                | st.builds(Contact, name=words, phone=st.from_regex(r"\A[0-9]{10}\Z")),
                pay_to_address=st.none() | addresses,
            )
        ),
        rendering_provider=draw(st.none() | renderings),
        service_facility=draw(
            st.none()
            | st.builds(ServiceFacility, name=words, npi=st.none() | npis, address=addresses)
        ),
        payer=draw(payers),
        subscriber=Subscriber(
            name=draw(names),
            member_id=draw(idents),
            date_of_birth=None if dependent else born,
            gender=None if dependent else draw(st.sampled_from(["M", "F", "U"])),
            address=draw(st.none() | addresses) if dependent else draw(addresses),
            group_number=draw(st.none() | idents),
            group_name=draw(st.none() | words),
        ),
        patient=Patient(
            name=draw(names),
            relationship=draw(st.sampled_from(["19", "01"])),
            date_of_birth=born,
            gender=draw(st.sampled_from(["M", "F"])),
            address=draw(addresses),
        )
        if dependent
        else None,
        prior_authorization=draw(st.none() | idents),
        referral_number=draw(st.none() | idents),
        predetermination_number=draw(st.none() | idents),
        accident=draw(
            st.none()
            | st.builds(
                Accident,
                causes=st.lists(
                    st.sampled_from(["AA", "EM", "OA"]), min_size=1, max_size=2, unique=True
                ),
                state=st.none() | st.sampled_from(["FL", "NY"]),
                accident_date=st.none() | days,
            )
        ),
        orthodontics=draw(
            st.none()
            | st.builds(
                Orthodontics,
                total_months=st.integers(1, 36),
                months_remaining=st.none() | st.integers(0, 36),
                treatment_indicator=st.none() | st.booleans(),
                appliance_placement_date=st.none() | days,
            )
        ),
        missing_teeth=draw(
            st.lists(
                st.builds(
                    MissingTooth,
                    tooth=st.sampled_from(["3", "19"]),
                    status=st.sampled_from(["E", "M"]),
                ),
                max_size=2,
            )
        ),
        attachments=draw(
            st.lists(
                st.builds(
                    Attachment,
                    report_type=st.sampled_from(["RB", "P6", "OZ"]),
                    transmission=st.sampled_from(["FX", "EL", "BM"]),
                    control_number=idents,
                ),
                max_size=2,
            )
        ),
        patient_amount_paid=draw(st.none() | money),
        note=draw(st.none() | words),
        other_payers=others,
        lines=lines,
    )


def _write(batch: ClaimBatch, params: InterchangeParams = PARAMS) -> str:
    return write_837d(batch, params, submitter=SUBMITTER, receiver=RECEIVER)


# ---------------------------------------------------------------- properties


@pytest.mark.slow  # 100 generated claims written and read
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims())
def test_claim_round_trips_unchanged(claim: Claim) -> None:
    text = _write(ClaimBatch(claims=[claim]))
    parsed = read_837d(text.encode())
    assert parsed.claims == [claim]
    assert parsed.skipped == []
    assert _write(parsed.batch, parsed.params) == text


@pytest.mark.slow  # 40 generated batches written and read
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(claims(), min_size=2, max_size=5))
def test_batches_round_trip_byte_identical(batch_claims: list[Claim]) -> None:
    text = _write(ClaimBatch(claims=batch_claims))
    parsed = read_837d(text.encode())
    assert sorted(c.model_dump_json() for c in parsed.claims) == sorted(
        c.model_dump_json() for c in batch_claims
    )
    assert _write(parsed.batch, parsed.params) == text


@pytest.mark.slow  # 60 generated claims, each written with a delimiter inside
@settings(max_examples=60, deadline=None)
@given(
    claims(),
    st.sampled_from(["*", "~", ":", "^"]),
    st.sampled_from(["subscriber", "payer", "line_description", "note"]),
)
def test_delimiters_in_data_are_refused(claim: Claim, delimiter: str, where: str) -> None:
    if where == "subscriber":
        bad = claim.model_copy(
            update={
                "subscriber": claim.subscriber.model_copy(
                    update={
                        "name": claim.subscriber.name.model_copy(
                            update={"last_name": f"O{delimiter}NEIL"}
                        )
                    }
                )
            }
        )
    elif where == "payer":
        bad = claim.model_copy(
            update={"payer": claim.payer.model_copy(update={"name": f"DELTA{delimiter}DENTAL"})}
        )
    elif where == "line_description":
        line = claim.lines[0].model_copy(update={"description": f"MOD{delimiter}FILL"})
        bad = claim.model_copy(update={"lines": [line, *claim.lines[1:]]})
    else:
        bad = claim.model_copy(update={"note": f"SEE{delimiter}NOTES"})
    with pytest.raises(DelimiterInDataError) as info:
        _write(ClaimBatch(claims=[bad]))
    message = str(info.value)
    assert f"claim {claim.patient_control_number}" in message
    assert repr(delimiter) in message
    assert info.value.location.element is not None
    assert (
        info.value.location.element
        in {
            "subscriber": "subscriber.name.last_name",
            "payer": "payer.name",
            "line_description": "lines.0.description",
            "note": "note",
        }[where]
    )


# ---------------------------------------------------------------- examples


def _line(code: str = "D1110", charge: str = "10.00", **extra: object) -> ServiceLine:
    return ServiceLine(
        procedure_code=code, charge=Decimal(charge), service_date=date(2026, 10, 1), **extra
    )


def _claim(lines: list[ServiceLine], **extra: object) -> Claim:
    values: dict[str, object] = {
        "patient_control_number": "PC100",
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
        "lines": lines,
    }
    values.update(extra)
    return Claim(**values)


def test_more_than_50_lines_are_split_into_claims_of_50():
    claim = _claim([_line(charge="1.00") for _ in range(120)])
    parsed = read_837d(_write(ClaimBatch(claims=[claim])).encode())
    assert [c.patient_control_number for c in parsed.claims] == ["PC100-1", "PC100-2", "PC100-3"]
    assert [len(c.lines) for c in parsed.claims] == [50, 50, 20]
    assert [c.total_charge for c in parsed.claims] == [
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("20.00"),
    ]


@pytest.mark.slow  # 2.3 s on the loaded 2-core machine
def test_more_than_5000_claims_go_into_several_transactions():
    batch = ClaimBatch(
        claims=[_claim([_line()], patient_control_number=f"PC{i}") for i in range(5001)]
    )
    text = _write(batch)
    assert text.count("\nST*837*") == 2
    assert "ST*837*0001*" in text
    assert "ST*837*0002*" in text
    assert "\nGE*2*42~" in text
    parsed = read_837d(text.encode())
    assert len(parsed.claims) == 5001


def test_segment_counts_in_se_match():
    text = _write(ClaimBatch(claims=[_claim([_line(), _line("D0120")])]))
    segments = text.strip().split("~\n")
    st_index = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    se_index = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    assert segments[se_index].split("*")[1] == str(se_index - st_index + 1)


def test_other_delimiters_are_honoured():
    params = dataclasses.replace(
        PARAMS,
        delimiters=Delimiters(element="|", component="}", repetition="!", segment="\n"),
        line_breaks=False,
    )
    claim = _claim([_line(teeth=[ToothDetail(tooth="3", surfaces=["M", "O"])])])
    text = write_837d(ClaimBatch(claims=[claim]), params, submitter=SUBMITTER, receiver=RECEIVER)
    assert "TOO|JP|3|M}O\n" in text
    assert read_837d(text.encode()).claims == [claim]


def test_reader_names_location_of_bad_amount():
    text = _write(ClaimBatch(claims=[_claim([_line()])])).replace("CLM*PC100*10*", "CLM*PC100*X*")
    with pytest.raises(X12StructureError) as info:
        read_837d(text.encode(), name="bad.837")
    loc = info.value.location
    assert (loc.file, loc.segment_id, loc.loop, loc.element) == ("bad.837", "CLM", "2300", "CLM02")
    assert loc.segment_index is not None


def test_reader_rejects_non_dental_guide():
    text = _write(ClaimBatch(claims=[_claim([_line()])])).replace("005010X224A2", "005010X222A1")
    with pytest.raises(X12StructureError, match="GS08"):
        read_837d(text.encode())


def test_public_dental_sample_reads_as_the_claim_it_describes():
    path = CORPUS / "837D" / "moov__sample.txt"
    if not path.exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    parsed = read_837d(path)
    assert parsed.skipped == []
    (claim,) = parsed.claims
    assert claim.patient_control_number == "26403774"
    assert claim.total_charge == Decimal("150.00")
    assert claim.service_date == date(2006, 10, 29)
    assert claim.billing_provider.organization_name == "DENTAL ASSOCIATES"
    assert claim.billing_provider.tax_id == "587654321"
    assert claim.patient is not None
    assert (claim.patient.name.first_name, claim.patient.relationship) == ("TED", "19")
    assert claim.subscriber.member_id == "111223333"
    assert claim.rendering_provider is not None
    assert claim.rendering_provider.taxonomy == "1223G0001X"
    assert [(ln.procedure_code, ln.charge) for ln in claim.lines] == [
        ("D2150", Decimal("100.00")),
        ("D1110", Decimal("50.00")),
    ]
    assert claim.lines[0].teeth == [ToothDetail(tooth="12", surfaces=["M", "O"])]
