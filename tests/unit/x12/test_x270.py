"""270 writer and reader: our inquiries round-trip, bad data is refused with its field."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from edigateway.domain.eligibility import EligibilityInquiry
from edigateway.errors import DelimiterInDataError, X12StructureError
from edigateway.services.eligibility import load_inquiries
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.validation import Validator
from edigateway.x12.x270_005010X279A1 import read_270, write_270
from tests.factories import CORPUS, REPO

INQUIRIES = sorted((REPO / "fixtures" / "inquiries").glob("*.json"))
PARAMS = InterchangeParams(
    "ZZ",
    "MAPLEDENTAL",
    "ZZ",
    "CLEARINGHOUSE",
    "MAPLEDENTAL",
    "CLEARINGHOUSE",
    77,
    77,
    1,
    datetime(2026, 11, 23, 9, 30),
)


@pytest.mark.parametrize("path", INQUIRIES, ids=[p.stem for p in INQUIRIES])
def test_write_read_write_is_identical(path: Path):
    inquiries = load_inquiries(path)
    text = write_270(inquiries, PARAMS)
    parsed = read_270(text.encode(), name="x.270")
    assert parsed.inquiries == inquiries
    assert write_270(parsed.inquiries, parsed.params) == text


def test_dependent_goes_under_2000d_with_the_trace():
    (inquiry,) = load_inquiries(REPO / "fixtures/inquiries/02_dependent_categories.json")
    lines = write_270([inquiry], PARAMS).split("~\n")
    dependent = lines.index("HL*4*3*23*0")
    assert lines[dependent + 1].startswith("TRN*1*ELG-1002*")
    assert "HL*3*2*22*1" in lines
    assert [ln for ln in lines if ln.startswith("EQ*")] == ["EQ*23", "EQ*41", "EQ*25", "EQ*38"]


def test_names_with_delimiters_are_refused():
    (inquiry,) = load_inquiries(REPO / "fixtures/inquiries/01_subscriber_all_dental.json")
    name = inquiry.subscriber.name
    assert name is not None
    bad = inquiry.model_copy(
        update={
            "subscriber": inquiry.subscriber.model_copy(
                update={"name": name.model_copy(update={"last_name": "O*NEIL"})}
            )
        }
    )
    with pytest.raises(DelimiterInDataError, match="ELG-1001") as info:
        write_270([bad], PARAMS)
    assert info.value.location.element == "NM103"


def test_inquiry_needs_member_id_and_x12_service_types():
    base = {
        "trace_number": "T1",
        "payer": {"payer_id": "P1", "name": "P"},
        "provider": {"organization_name": "X", "npi": "1456789019"},
        "subscriber": {"name": {"last_name": "A"}},
    }
    with pytest.raises(ValueError, match="member_id"):
        EligibilityInquiry.model_validate(base)
    member = {**base, "subscriber": {"name": {"last_name": "A"}, "member_id": "M"}}
    assert EligibilityInquiry.model_validate(
        {**member, "service_types": ["30", "35", "UC"]}
    ).service_types == ["30", "35", "UC"]
    with pytest.raises(ValueError, match="service_types"):
        EligibilityInquiry.model_validate({**member, "service_types": ["29"]})
    with pytest.raises(ValueError, match="goes with identifier"):
        EligibilityInquiry.model_validate(
            {**member, "provider": {"organization_name": "X", "id_qualifier": "SV"}}
        )


@pytest.mark.parametrize(
    "name",
    [
        "lfh__subscriber-health-benefit-check.270",
        "lfh__dependent-health-benefit-check.270",
        "lfh__demo-single-line.270",
    ],
)
def test_standard_270_with_sv_provider_and_eq30_reads(name: str):
    path = CORPUS / "270" / name
    if not path.exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    (inquiry,) = read_270(path).inquiries
    assert (inquiry.provider.id_qualifier, inquiry.provider.npi) == ("SV", None)
    assert inquiry.provider.identifier in ("2000035", "2000034")
    assert inquiry.service_types == ["30"]


def test_other_provider_ids_and_service_types_round_trip():
    (inquiry,) = load_inquiries(REPO / "fixtures/inquiries/01_subscriber_all_dental.json")
    provider = inquiry.provider.model_copy(
        update={"npi": None, "id_qualifier": "SV", "identifier": "2000035"}
    )
    asked = inquiry.model_copy(update={"provider": provider, "service_types": ["30", "38"]})
    text = write_270([asked], PARAMS)
    assert "*SV*2000035~" in text
    assert "EQ*30~" in text
    assert read_270(text.encode()).inquiries == [asked]
    assert write_270(read_270(text.encode()).inquiries, PARAMS) == text


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        ("EQ*35~", "EQ*29~", "EQ01"),
        ("*XX*1456789019~", "*ZZ*1456789019~", "NM108"),
        ("*XX*1456789019~", "*XX*14567~", "NM109"),
    ],
)
def test_bad_provider_id_or_service_type_is_located(old: str, new: str, element: str):
    (inquiry,) = load_inquiries(REPO / "fixtures/inquiries/01_subscriber_all_dental.json")
    text = write_270([inquiry], PARAMS)
    assert old in text
    with pytest.raises(X12StructureError) as info:
        read_270(text.replace(old, new, 1).encode(), name="x.270")
    assert (info.value.location.file, info.value.location.element) == ("x.270", element)


def test_bad_date_is_named():
    (inquiry,) = load_inquiries(REPO / "fixtures/inquiries/01_subscriber_all_dental.json")
    text = write_270([inquiry], PARAMS).replace("DMG*D8*19620704", "DMG*D8*19621304")
    with pytest.raises(X12StructureError) as info:
        read_270(text.encode(), name="x.270")
    assert info.value.location.element == "DMG02"


@pytest.mark.parametrize("path", INQUIRIES, ids=[p.stem for p in INQUIRIES])
def test_generated_270_is_valid_for_our_map(path: Path, validator: Validator):
    verdict = validator.validate_text(write_270(load_inquiries(path), PARAMS), "x.270")
    assert (verdict.transaction, verdict.version) == ("270", "005010X279A1")
    assert verdict.status == "valid", verdict.errors


def test_broken_270_is_flagged_by_our_map(validator: Validator):
    (inquiry,) = load_inquiries(REPO / "fixtures/inquiries/01_subscriber_all_dental.json")
    text = write_270([inquiry], PARAMS).replace("NM1*IL*1*", "NM1*ZZ*1*")
    assert validator.validate_text(text, "x.270").status == "invalid"
