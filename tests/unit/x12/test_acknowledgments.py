"""TA1, 999 and 277CA readers and writers: our acknowledgments round-trip byte for byte, the
public corpus reads to the values in the files (checked by hand) or is refused with the reason
SOURCES.md gives, and bad input names the element at fault."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from pydantic import ValidationError

from edigateway.domain.acknowledgments import (
    AckContext,
    AckError,
    AckParty,
    ClaimAck,
    ClaimAckFile,
    FunctionalAck,
    InterchangeAck,
    LineAck,
    StatusCode,
    StatusReport,
    TransactionAck,
    claim_status,
)
from edigateway.errors import UnsupportedX12Error, X12StructureError, X12SyntaxError
from edigateway.x12.envelope import Delimiters, InterchangeParams
from edigateway.x12.ta1 import read_ta1, write_ta1
from edigateway.x12.validation import Validator
from edigateway.x12.x277ca_005010X214 import read_277ca, write_277ca
from edigateway.x12.x999_005010X231A1 import read_999, write_999
from tests.factories import CORPUS

PARAMS = InterchangeParams(
    "ZZ",
    "CLEARINGHOUSE",
    "ZZ",
    "PRACTICE",
    "CLEARINGHOUSE",
    "PRACTICE",
    42,
    7,
    1,
    datetime(2026, 11, 22, 10, 0),
)

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared X12 corpus not present")


# --------------------------------------------------------------------------- builders


def _ta1(code: str = "A", note: str = "000") -> InterchangeAck:
    return InterchangeAck(
        interchange_control_number="000000101",
        interchange_date=date(2026, 11, 21),
        interchange_time=time(16, 5),
        ack_code=code,
        note_code=note,
    )


def _functional_acks() -> list[FunctionalAck]:
    accepted = TransactionAck(
        transaction_set_id="837",
        control_number="0001",
        implementation_guide="005010X224A2",
        status="A",
    )
    claim = AckContext(name="CLM01", reference="PC1002")
    rejected = TransactionAck(
        transaction_set_id="837",
        control_number="0002",
        implementation_guide="005010X224A2",
        status="R",
        error_codes=["5"],
        errors=[
            AckError(
                segment_id="CLM",
                segment_position=22,
                loop_id="2300",
                segment_error_code="8",
                segment_contexts=[claim],
                element_position=5,
                component_position=1,
                element_reference="1331",
                element_error_code="7",
                bad_value="99",
            ),
            AckError(
                segment_id="CLM",
                segment_position=22,
                loop_id="2300",
                segment_error_code="8",
                segment_contexts=[claim],
                element_position=2,
                element_reference="782",
                element_error_code="6",
                bad_value="1O0",
            ),
            AckError(
                segment_id="DTP",
                segment_position=25,
                loop_id="2300",
                segment_error_code="I6",
                segment_contexts=[
                    AckContext(
                        name="SITUATIONAL TRIGGER",
                        segment_id="CLM",
                        segment_position=22,
                        loop_id="2300",
                        element_position=11,
                        component_position=1,
                        element_reference="1362",
                    )
                ],
            ),
        ],
    )
    group = FunctionalAck.for_transactions("HC", "17456", "005010X224A2", [accepted, rejected])
    second = FunctionalAck.for_transactions(
        "HC",
        "17457",
        "005010X224A2",
        [
            TransactionAck(
                transaction_set_id="837",
                control_number="0001",
                implementation_guide="005010X224A2",
                status="E",
            )
        ],
    )
    return [group, second]


def _claim_ack_file() -> ClaimAckFile:
    provider = {"billing_provider_name": "SMILE DENTAL GROUP", "billing_provider_id": "1456789019"}
    claims = [
        ClaimAck(
            patient_control_number="PC1001",
            category_code="A2",
            status_code="20",
            status_date=date(2026, 11, 22),
            amount=Decimal("248.00"),
            payer_claim_control_number="2026112200001",
            service_start=date(2026, 11, 3),
            patient_last_name="DOE",
            patient_first_name="JANE",
            patient_id="W123456789",
            **provider,
        ),
        ClaimAck(
            patient_control_number="PC1002",
            category_code="A7",
            status_code="562",
            entity_code="85",
            status_date=date(2026, 11, 22),
            amount=Decimal("1210.50"),
            free_text="NPI NOT ON FILE",
            additional_statuses=[
                StatusCode(category_code="A7", status_code="21", entity_code="85")
            ],
            clearinghouse_trace_number="CH-77",
            service_start=date(2026, 10, 1),
            service_end=date(2026, 10, 15),
            patient_last_name="ROE",
            patient_first_name="RICHARD",
            patient_middle_name="Q",
            patient_id="W987654321",
            lines=[
                LineAck(
                    procedure_code="D2740",
                    charge=Decimal("1210.50"),
                    units=1,
                    category_code="A7",
                    status_code="562",
                    entity_code="85",
                    status_date=date(2026, 11, 22),
                    line_control_number="L1",
                    service_start=date(2026, 10, 15),
                )
            ],
            **provider,
        ),
        ClaimAck(
            patient_control_number="PC1003",
            category_code="P1",
            status_code="0",
            status_date=date(2026, 11, 22),
            amount=Decimal("95"),
            more_reports=[
                StatusReport(
                    codes=[StatusCode(category_code="A1", status_code="19", entity_code="PR")],
                    status_date=date(2026, 11, 21),
                    action_code="WQ",
                    amount=Decimal("95"),
                )
            ],
            service_start=date(2026, 11, 10),
            billing_provider_name="SMITH",
            billing_provider_first_name="ANNA",
            billing_provider_id="1234567893",
            patient_last_name="POE",
            patient_id="W555",
        ),
    ]
    return ClaimAckFile(
        reference="277CA20261122",
        created=datetime(2026, 11, 22, 10, 0, 30),
        information_source=AckParty(
            name="DELTA DENTAL OF ILLINOIS", id_qualifier="PI", identifier="DDPIL"
        ),
        source_trace="TR000042",
        received_date=date(2026, 11, 21),
        processed_date=date(2026, 11, 22),
        receiver=AckParty(name="SMILE DENTAL GROUP", identifier="SUBMITTER01"),
        receiver_trace="BATCH0001",
        receiver_reports=[
            StatusReport(
                codes=[StatusCode(category_code="A1", status_code="19", entity_code="PR")],
                status_date=date(2026, 11, 22),
                action_code="WQ",
                amount=Decimal("1553.50"),
            )
        ],
        claims=claims,
    ).with_totals()


# --------------------------------------------------------------------------- domain


def test_code_descriptions_follow_the_codes_and_cannot_contradict_them():
    assert (
        _ta1("R", "024").note_description
        == "Invalid interchange content (e.g. an invalid GS segment)"
    )
    assert _ta1("R", "099").note_description.startswith("code 099 (not in")
    with pytest.raises(ValidationError, match="note_description"):
        InterchangeAck(**{**_ta1().model_dump(), "note_description": "No problem at all"})
    ack = _functional_acks()[0]
    assert FunctionalAck.model_validate_json(ack.model_dump_json()) == ack
    error = ack.transactions[1].errors[0]
    assert (error.segment_error_description, error.element_error_description) == (
        "segment has data element errors",
        "invalid code value",
    )
    assert error.message == (
        "CLM at segment 22 (loop 2300): segment has data element "
        "errors; CLM05-1: invalid code value ('99'); in PC1002"
    )
    assert ack.transactions[1].error_descriptions == ["one or more segments in error"]


@pytest.mark.parametrize(
    ("categories", "expected"),
    [
        (["A1"], "accepted"),
        (["A2"], "accepted"),
        (["A0"], "accepted"),
        (["A5"], "accepted"),
        (["A3"], "rejected"),
        (["A4"], "rejected"),
        (["A6"], "rejected"),
        (["A7"], "rejected"),
        (["A8"], "rejected"),
        (["A2", "A7"], "rejected"),
        (["P1"], "pending"),
        (["X9"], "pending"),
        (["E0"], "pending"),
    ],
)
def test_claim_status_mapping(categories, expected):
    assert claim_status(categories) == expected


def test_claim_ack_derives_status_message_and_action():
    ack = ClaimAck(
        patient_control_number="PC1",
        category_code="A7",
        status_code="562",
        entity_code="85",
        free_text="NPI NOT ON FILE",
    )
    assert (ack.status, ack.action_code) == ("rejected", "U")
    assert ack.message == (
        "Rejected for invalid information: the entity's National Provider "
        "Identifier (NPI) (billing provider) [A7:562:85] — NPI NOT ON FILE"
    )
    assert ClaimAck.model_validate(ack.model_dump()) == ack
    with pytest.raises(ValidationError, match="status is derived"):
        ClaimAck(
            patient_control_number="PC1", category_code="A7", status_code="562", status="accepted"
        )


def test_group_verdict_follows_the_transactions():
    ok = TransactionAck(transaction_set_id="837", control_number="1", status="A")
    noted = TransactionAck(transaction_set_id="837", control_number="2", status="E")
    bad = TransactionAck(transaction_set_id="837", control_number="3", status="R")
    verdict = FunctionalAck.for_transactions
    assert verdict("HC", "1", "005010X224A2", [ok]).status == "A"
    assert verdict("HC", "1", "005010X224A2", [ok, noted]).status == "E"
    partial = verdict("HC", "1", "005010X224A2", [ok, bad])
    assert (partial.status, partial.transactions_received, partial.transactions_accepted) == (
        "P",
        2,
        1,
    )
    assert verdict("HC", "1", "005010X224A2", [bad]).status == "R"


# --------------------------------------------------------------------------- TA1


def test_ta1_round_trip():
    acks = [_ta1(), _ta1("R", "022")]
    text = write_ta1(acks, PARAMS)
    assert text.splitlines()[1:] == [
        "TA1*000000101*261121*1605*A*000~",
        "TA1*000000101*261121*1605*R*022~",
        "IEA*0*000000042~",
    ]
    parsed = read_ta1(text.encode(), name="ta1")
    assert parsed.acks == acks
    assert parsed.warnings == []
    assert write_ta1(parsed.acks, PARAMS) == text
    assert write_ta1(_ta1(), PARAMS) == write_ta1([_ta1()], PARAMS)


@pytest.mark.parametrize(
    ("segment", "element", "needle"),
    [
        ("TA1*ABC*261121*1605*A*000", "TA101", "not an interchange control number"),
        ("TA1*000000101*261341*1605*A*000", "TA102", "not a calendar date"),
        ("TA1*000000101*261121*2605*A*000", "TA103", "not a time of day"),
        ("TA1*000000101*261121*1605*X*000", "TA104", "TA104 .X. is not A"),
        ("TA1*000000101*261121*1605*A*24", "TA105", "three-digit"),
        ("TA1*000000101*261121*1605*A*000*+", "TA106", "it has five"),
    ],
)
def test_bad_ta1_names_the_element(segment, element, needle):
    text = write_ta1(_ta1(), PARAMS).replace("TA1*000000101*261121*1605*A*000", segment)
    with pytest.raises(X12StructureError, match=needle) as info:
        read_ta1(text.encode(), name="bad.ta1")
    assert info.value.location.element == element
    assert info.value.location.segment_index == 2
    assert str(info.value).startswith("bad.ta1: segment 2 (TA1, loop TA1, ")


def test_ta1_after_a_group_header_is_refused():
    text = write_999(_functional_acks()[:1], PARAMS)
    lines = text.splitlines()
    lines.insert(2, "TA1*000000101*261121*1605*A*000~")
    with pytest.raises(X12StructureError, match="between ISA and the first GS"):
        read_ta1(("\n".join(lines)).encode(), name="x")


@needs_corpus
def test_corpus_ta1_in_front_of_a_999():
    path = CORPUS / "TA1" / "imsweb__x12_999_accepted_ta1.txt"
    (ack,) = read_ta1(path).acks
    # TA1*101*241018*0307*A*000: TA101 is short; read as the nine-digit ISA13 it echoes
    assert ack == InterchangeAck(
        interchange_control_number="000000101",
        interchange_date=date(2024, 10, 18),
        interchange_time=time(3, 7),
        ack_code="A",
        note_code="000",
    )
    parsed = read_999(path)
    assert parsed.interchange_acks == [ack]
    (group,) = parsed.acks
    assert (group.functional_id, group.group_control_number, group.version) == (
        "HC",
        "101",
        "005010X222A1",
    )
    assert (
        group.status,
        group.transactions_included,
        group.transactions_received,
        group.transactions_accepted,
    ) == ("R", 1, 1, 0)
    (transaction,) = group.transactions
    assert (transaction.status, transaction.error_codes) == ("R", ["5"])
    assert [
        (e.segment_id, e.segment_position, e.loop_id, e.segment_error_code)
        for e in transaction.errors
    ] == [("CLM", 289, "2010", "6"), ("CLM", 381, "2010", "6")]


@needs_corpus
@pytest.mark.parametrize(
    ("name", "error", "needle"),
    [
        ("oopfactory__TechnicalAcknowledgment_Sample1.txt", UnsupportedX12Error, "'00401'"),
        (
            "oopfactory__TechnicalAcknowledgment_SampleFromJeffN825.txt",
            X12StructureError,
            "TA1 has 6 elements",
        ),
        ("uhin__TA1.txt", X12SyntaxError, "106 fixed-width"),
    ],
)
def test_corpus_invalid_ta1_files_are_refused_with_a_reason(name, error, needle):
    with pytest.raises(error, match=needle):
        read_ta1(CORPUS / "TA1" / name)


# --------------------------------------------------------------------------- 999


def test_999_round_trip_and_segments():
    acks = _functional_acks()
    text = write_999(acks, PARAMS)
    assert text.splitlines()[2:16] == [
        "ST*999*0001*005010X231A1~",
        "AK1*HC*17456*005010X224A2~",
        "AK2*837*0001*005010X224A2~",
        "IK5*A~",
        "AK2*837*0002*005010X224A2~",
        "IK3*CLM*22*2300*8~",
        "CTX*CLM01:PC1002~",
        "IK4*5:1*1331*7*99~",
        "IK4*2*782*6*1O0~",
        "IK3*DTP*25*2300*I6~",
        "CTX*SITUATIONAL TRIGGER*CLM*22*2300*11:1*1362~",
        "IK5*R*5~",
        "AK9*P*2*2*1~",
        "SE*14*0001~",
    ]
    parsed = read_999(text.encode(), name="ours.999")
    assert parsed.acks == acks
    assert parsed.warnings == []
    assert write_999(parsed.acks, PARAMS) == text


def test_999_other_delimiters_round_trip():
    params = InterchangeParams(
        "ZZ",
        "CH",
        "ZZ",
        "PRACTICE",
        "CH",
        "PRACTICE",
        43,
        8,
        1,
        datetime(2026, 11, 22, 10, 0),
        delimiters=Delimiters("|", "^", "!", "\x1d"),
        line_breaks=False,
    )
    text = write_999(_functional_acks(), params)
    assert "IK4|5^1|1331|7|99\x1d" in text
    assert read_999(text.encode()).acks == _functional_acks()


def test_999_validates_with_pyx12(validator: Validator):
    verdict = validator.validate_text(write_999(_functional_acks(), PARAMS), "ours.999")
    assert verdict.status == "valid", [f.to_json() for f in verdict.errors]


def test_999_all_accepted_validates_with_pyx12(validator: Validator):
    ack = FunctionalAck.for_transactions(
        "HC",
        "9",
        "005010X224A2",
        [
            TransactionAck(
                transaction_set_id="837",
                control_number="0001",
                implementation_guide="005010X224A2",
                status="A",
            )
        ],
    )
    verdict = validator.validate_text(write_999([ack], PARAMS), "ok.999")
    assert verdict.status == "valid", [f.to_json() for f in verdict.errors]


@pytest.mark.parametrize(
    ("old", "new", "element", "needle"),
    [
        ("IK5*R*5~", "IK5*Q*5~", "IK501", "IK501 'Q' is not one of"),
        ("AK9*P*2*2*1~", "AK9*P*2*two*1~", "AK903", "is not a count"),
        ("AK9*P*2*2*1~", "AK9*Z*2*2*1~", "AK901", "AK901 'Z'"),
        ("IK3*CLM*22*2300*8~", "IK3*CLM*x22*2300*8~", "IK302", "is not a position"),
        ("IK4*5:1*1331*7*99~", "IK4*5:1*1331**99~", "IK403", "IK403"),
        ("IK4*5:1*1331*7*99~", "IK4*:1*1331*7*99~", "IK401", "IK401"),
        ("AK1*HC*17456*005010X224A2~", "AK1*HC**005010X224A2~", "AK102", "AK102 is required"),
        ("SE*14*0001~", "SE*13*0001~", "SE01", "SE01 says 13 segments"),
        ("GE*2*7~", "GE*3*7~", "GE01", "GE01 says '3'"),
    ],
)
def test_bad_999_names_the_element(old, new, element, needle):
    text = write_999(_functional_acks(), PARAMS)
    assert old in text
    with pytest.raises(X12StructureError, match=needle) as info:
        read_999(text.replace(old, new, 1).encode(), name="bad.999")
    assert info.value.location.element == element
    assert info.value.location.file == "bad.999"


def test_999_structure_errors_name_the_segment():
    text = write_999(_functional_acks(), PARAMS)
    with pytest.raises(X12StructureError, match="has no IK5") as info:
        read_999(text.replace("IK5*A~\n", "", 1).encode(), name="bad.999")
    assert info.value.location.segment_id == "AK2"
    with pytest.raises(X12StructureError, match="IK4 without its IK3"):
        read_999(text.replace("IK3*CLM*22*2300*8~\nCTX*CLM01:PC1002~\n", "", 1).encode())
    with pytest.raises(X12StructureError, match="ends without its SE"):
        read_999((text[: text.index("SE*14")]).encode())
    with pytest.raises(X12StructureError, match="functional group 'HC' is not FA"):
        read_999(text.replace("GS*FA", "GS*HC").encode())
    with pytest.raises(UnsupportedX12Error, match="'004010X231'"):
        read_999(text.replace("*X*005010X231A1~", "*X*004010X231~").encode())


@needs_corpus
def test_corpus_999_accepted():
    # SOURCES.md: valid, though its IEA02 (000000001) differs from ISA13 (000000286)
    parsed = read_999(CORPUS / "999" / "imsweb__x12_999_accepted.txt")
    (ack,) = parsed.acks
    assert (ack.functional_id, ack.group_control_number, ack.version, ack.status) == (
        "HC",
        "17456",
        "005010X223A2",
        "A",
    )
    assert (ack.transactions_included, ack.transactions_received, ack.transactions_accepted) == (
        1,
        1,
        1,
    )
    (transaction,) = ack.transactions
    assert (
        transaction.transaction_set_id,
        transaction.control_number,
        transaction.implementation_guide,
        transaction.status,
    ) == ("837", "0001", "005010X223A2", "A")
    (warning,) = parsed.warnings
    assert warning.location.element == "IEA02"
    assert "000000286" in str(warning)


@needs_corpus
def test_corpus_999_rejected():
    (ack,) = read_999(CORPUS / "999" / "imsweb__x12_999_rejected.txt").acks
    assert (ack.group_control_number, ack.status, ack.transactions_accepted) == ("28", "R", 0)
    (transaction,) = ack.transactions
    assert (
        transaction.control_number,
        transaction.implementation_guide,
        transaction.status,
        transaction.error_codes,
    ) == ("0028", None, "R", ["5"])
    (error,) = transaction.errors
    assert (
        error.segment_id,
        error.segment_position,
        error.loop_id,
        error.segment_error_code,
        error.element_position,
    ) == ("NM", 17, None, "1", None)
    assert error.segment_error_description == "unrecognized segment ID"


@needs_corpus
def test_corpus_999_partial_with_contexts():
    (ack,) = read_999(CORPUS / "999" / "oopfactory__DHS_Wisconsin_Sample.txt").acks
    assert (
        ack.status,
        ack.transactions_included,
        ack.transactions_received,
        ack.transactions_accepted,
    ) == ("P", 3, 3, 1)
    assert [t.status for t in ack.transactions] == ["A", "R", "R"]
    (clm,) = ack.transactions[1].errors
    assert (
        clm.segment_id,
        clm.segment_position,
        clm.segment_error_code,
        clm.element_position,
        clm.element_reference,
        clm.element_error_code,
    ) == ("CLM", 22, "8", 2, "782", "1")
    assert clm.segment_contexts == [AckContext(name="CLM01", reference="123456789")]
    (ref,) = ack.transactions[2].errors
    assert (ref.segment_id, ref.segment_position, ref.segment_error_code) == ("REF", 57, "3")
    trigger, business = ref.segment_contexts
    assert (
        trigger.name,
        trigger.segment_id,
        trigger.segment_position,
        trigger.element_position,
        trigger.component_position,
        trigger.element_reference,
    ) == ("SITUATIONAL TRIGGER", "CLM", 43, 5, 3, "C023")
    assert (business.name, business.reference) == ("CLM01", "987654321")


@needs_corpus
def test_corpus_999_several_groups_and_old_guide_id():
    parsed = read_999(CORPUS / "999" / "pyx12__834_lui_id_5010.999.txt")
    assert [(a.functional_id, a.group_control_number, a.status) for a in parsed.acks] == [
        ("BE", "13360001", "A")
    ] * 4
    (ack,) = read_999(CORPUS / "999" / "pyx12__834_ls_le_ls_5010.999.txt").acks
    assert (ack.transactions[0].control_number, ack.version) == ("146001", "005010X220A1")


@needs_corpus
def test_corpus_999_every_file_reads():
    for path in sorted((CORPUS / "999").iterdir()):
        assert read_999(path).acks, path.name


# --------------------------------------------------------------------------- 277CA


def test_277ca_round_trip_and_hierarchy():
    ack_file = _claim_ack_file()
    assert (
        ack_file.accepted_count,
        ack_file.rejected_count,
        ack_file.accepted_amount,
        ack_file.rejected_amount,
    ) == (2, 1, Decimal("343.00"), Decimal("1210.50"))
    text = write_277ca([ack_file], PARAMS)
    lines = text.splitlines()
    assert lines[3:12] == [
        "BHT*0085*08*277CA20261122*20261122*100030*TH~",
        "HL*1**20*1~",
        "NM1*PR*2*DELTA DENTAL OF ILLINOIS*****PI*DDPIL~",
        "TRN*1*TR000042~",
        "DTP*050*D8*20261121~",
        "DTP*009*D8*20261122~",
        "HL*2*1*21*1~",
        "NM1*41*2*SMILE DENTAL GROUP*****46*SUBMITTER01~",
        "TRN*2*BATCH0001~",
    ]
    assert [line for line in lines if line.startswith("HL")] == [
        "HL*1**20*1~",
        "HL*2*1*21*1~",
        "HL*3*2*19*1~",
        "HL*4*3*PT~",
        "HL*5*3*PT~",
        "HL*6*2*19*1~",
        "HL*7*6*PT~",
    ]
    assert "STC*A7:562:85*20261122*U*1210.5******A7:21:85**NPI NOT ON FILE~" in lines
    assert "DTP*472*RD8*20261001-20261015~" in lines
    assert "SVC*AD:D2740*1210.5*****1~" in lines
    assert "REF*1K*2026112200001~" in lines
    parsed = read_277ca(text.encode(), name="ours.277")
    assert parsed.files == [ack_file]
    assert write_277ca(parsed.files, PARAMS) == text
    assert [c.status for c in parsed.files[0].claims] == ["accepted", "rejected", "pending"]


def test_277ca_with_pyx12(validator: Validator):
    # pyx12 4.0.0 ships a 277 005010X214 map (indexed in its maps.xml)
    verdict = validator.validate_text(write_277ca([_claim_ack_file()], PARAMS), "ours.277")
    assert verdict.transaction == "277CA"
    assert verdict.status == "valid", [f.to_json() for f in verdict.errors]


@pytest.mark.parametrize(
    ("old", "new", "element", "needle"),
    [
        (
            "STC*A2:20*20261122*WQ*248~",
            "STC*A2*20261122*WQ*248~",
            "STC01",
            "is not category:status",
        ),
        (
            "STC*A2:20*20261122*WQ*248~",
            "STC*A2:20*20261322*WQ*248~",
            "STC02",
            "not a calendar date",
        ),
        ("STC*A2:20*20261122*WQ*248~", "STC*A2:20*20261122*YH*248~", "STC03", "STC03 'YH'"),
        ("STC*A2:20*20261122*WQ*248~", "STC*A2:20*20261122*WQ*2x8~", "STC04", "not a number"),
        ("HL*3*2*19*1~", "HL*3*2*22*1~", "HL03", "HL03 '22'"),
        ("DTP*472*D8*20261103~", "DTP*472*D9*20261103~", "DTP02", "not D8 or RD8"),
        ("SVC*AD:D2740*1210.5*****1~", "SVC*AD:D2740*1210.5*****one~", "SVC07", "units"),
        ("TRN*2*PC1001~", "TRN*1*PC1001~", "TRN01", "is not 2"),
        ("QTY*90*2~", "QTY*90*two~", "QTY02", "not a whole number"),
        ("REF*1K*2026112200001~", "REF*ZZ*2026112200001~", "REF01", r"REF\*ZZ is not"),
    ],
)
def test_bad_277ca_names_the_element(old, new, element, needle):
    text = write_277ca([_claim_ack_file()], PARAMS)
    assert old in text
    with pytest.raises(X12StructureError, match=needle) as info:
        read_277ca(text.replace(old, new, 1).encode(), name="bad.277")
    assert info.value.location.element == element
    assert info.value.location.file == "bad.277"
    assert info.value.location.loop


def test_277ca_hierarchy_errors():
    text = write_277ca([_claim_ack_file()], PARAMS)
    with pytest.raises(X12StructureError, match="HL level PT cannot follow level 21"):
        read_277ca(text.replace("HL*3*2*19*1~", "HL*3*2*PT~", 1).encode())
    with pytest.raises(X12StructureError, match="NM101 '85' is not 41") as info:
        read_277ca(text.replace("HL*3*2*19*1~\n", "", 1).encode())
    assert (info.value.location.loop, info.value.location.element) == ("2100B", "NM101")
    with pytest.raises(X12StructureError, match="has no STC"):
        read_277ca(text.replace("STC*A2:20*20261122*WQ*248~\n", "", 1).encode())


@needs_corpus
def test_corpus_277ca_accepted():
    (ack_file,) = read_277ca(CORPUS / "277CA" / "imsweb__x12_277CA_accepted.txt").files
    assert (ack_file.reference, ack_file.created) == ("000000674", datetime(2011, 3, 11, 10, 8, 31))
    assert ack_file.information_source == AckParty(
        name="NYSDOH", id_qualifier="FI", identifier="141797357"
    )
    assert (ack_file.source_trace, ack_file.received_date, ack_file.processed_date) == (
        "000014420",
        date(2011, 3, 11),
        date(2011, 3, 11),
    )
    assert (ack_file.receiver.name, ack_file.receiver.identifier, ack_file.receiver_trace) == (
        "A NY MD GROUP",
        "ETIN",
        "000000674",
    )
    (batch,) = ack_file.receiver_reports
    assert (
        batch.codes[0].category_code,
        batch.codes[0].status_code,
        batch.action_code,
        batch.amount,
    ) == ("A1", "20", "WQ", Decimal("125.00"))
    assert (ack_file.accepted_count, ack_file.accepted_amount) == (1, Decimal("125.00"))
    (claim,) = ack_file.claims
    assert (
        claim.patient_control_number,
        claim.category_code,
        claim.status_code,
        claim.status,
        claim.amount,
        claim.payer_claim_control_number,
    ) == ("5781", "A2", "20", "accepted", Decimal("125.00"), "1107000000014420")
    assert (
        claim.billing_provider_name,
        claim.billing_provider_first_name,
        claim.billing_provider_id,
    ) == ("OCTOR", "IMA", "1234567890")
    assert (claim.patient_last_name, claim.patient_first_name, claim.patient_id) == (
        "TPATIENT",
        "THEBE",
        "LL99999X",
    )
    assert claim.service_start == date(1001, 1, 1)  # DTP*472*D8*10010101, as in the file
    assert claim.message == (
        "Accepted into the adjudication system: accepted for processing [A2:20]"
    )


@needs_corpus
def test_corpus_277ca_rejected_with_pipe_component_separator():
    (ack_file,) = read_277ca(CORPUS / "277CA" / "imsweb__x12_277CA_rejected.txt").files
    (claim,) = ack_file.claims
    assert (
        claim.patient_control_number,
        claim.category_code,
        claim.status_code,
        claim.entity_code,
        claim.status,
        claim.action_code,
    ) == ("3920394930203", "A7", "562", "85", "rejected", "WQ")
    assert (claim.payer_claim_control_number, claim.bill_type, claim.service_start) == (
        "1107000000001120",
        "731",
        date(2009, 3, 11),
    )
    assert (ack_file.receiver.entity_type, ack_file.receiver.first_name) == ("1", "TEST")
    assert read_277ca(CORPUS / "277CA" / "oopfactory__FromAlexbrodsky.txt").files == [ack_file]


@needs_corpus
def test_corpus_277ca_deidentified_reads_once_its_masked_header_is_restored():
    path = CORPUS / "277CA" / "oopfactory__277_Deidentified_from_nth.txt"
    # BHT01 and BHT05 were masked to 9999 by the de-identification: refused as they are
    with pytest.raises(X12StructureError, match="BHT01 '9999'"):
        read_277ca(path)
    text = path.read_text(encoding="utf-8-sig").replace(
        "BHT*9999*08*9999999999999999999*20120111*9999*TH", "BHT*0085*08*X*20120111*0851*TH"
    )
    (ack_file,) = read_277ca(text.encode()).files
    assert (ack_file.rejected_count, ack_file.rejected_amount) == (3, Decimal("900.00"))
    assert [
        (c.patient_last_name, c.amount, c.service_start, c.status) for c in ack_file.claims
    ] == [
        ("XXXXXXXX", Decimal("220.00"), date(2012, 1, 9), "pending"),
        ("DOW", Decimal("340.00"), date(2011, 3, 16), "pending"),
        ("DOW", Decimal("340.00"), date(2011, 10, 10), "pending"),
    ]
    first = ack_file.claims[0]
    assert (first.category_code, first.status_code, first.entity_code, first.action_code) == (
        "X9",
        "999",
        "99",
        "U",
    )
    assert [r.codes[0].entity_code for r in first.more_reports] == ["XX", "99"]


@needs_corpus
@pytest.mark.parametrize(
    ("name", "error", "needle"),
    [
        ("oopfactory__FromBogeyone.txt", X12StructureError, "ends without its SE"),
        ("oopfactory__FromLatitude81uk.txt", X12SyntaxError, "106 fixed-width"),
    ],
)
def test_corpus_invalid_277ca_files_are_refused_with_a_reason(name, error, needle):
    with pytest.raises(error, match=needle):
        read_277ca(CORPUS / "277CA" / name)
