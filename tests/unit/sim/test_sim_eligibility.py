"""The simulator answers 270s from its plan table: known members get their plan, unknown
ones a "subscriber not found" rejection; the 271 is valid and reads back."""

from __future__ import annotations

from datetime import datetime

from edigateway.services.eligibility import load_inquiries
from edigateway.sim.eligibility import BenefitPlans, answer_270
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.validation import Validator
from edigateway.x12.x270_005010X279A1 import write_270
from edigateway.x12.x271_005010X279A1 import read_271
from tests.factories import REPO

PARAMS = InterchangeParams(
    "ZZ",
    "EDGSIM",
    "ZZ",
    "EDIGATEWAY",
    "EDGSIM",
    "EDIGATEWAY",
    3,
    3,
    1,
    datetime(2026, 11, 23, 12, 0),
)


def test_known_dependent_and_unknown_member(validator: Validator):
    inquiries = load_inquiries(REPO / "fixtures/inquiries/03_batch_two_patients.json")
    unknown = inquiries[0].model_copy(
        update={
            "trace_number": "ELG-9999",
            "subscriber": inquiries[0].subscriber.model_copy(update={"member_id": "NOPE1"}),
        }
    )
    text = write_270([*inquiries, unknown], PARAMS)
    answer = answer_270(text, BenefitPlans.load(REPO / "mappings"), PARAMS)
    assert validator.validate_text(answer, "sim.271").status == "valid"
    dhmo, dependent, missing = read_271(answer.encode()).benefits
    assert (dhmo.trace_number, dhmo.plan_name) == ("ELG-1003", "PRAIRIE DHMO 200")
    assert dependent.patient is not None
    assert dependent.patient.first_name == "LINH"
    assert dependent.plan_name == "PRAIRIE PPO PLUS"
    assert [(r.code, r.retry) for r in missing.rejections] == [("75", True)]
    assert missing.coverage == "not_stated"


def test_the_subscribers_service_history_rides_on_the_271(validator: Validator):
    """The plan table's last dates (D1110, D0274 for PDP300412) go out as EB*F naming the
    procedure with DTP*472 and read back as service history; the dependent's answer under
    another member carries none."""
    subscriber = load_inquiries(REPO / "fixtures/inquiries/01_subscriber_all_dental.json")
    dependent = load_inquiries(REPO / "fixtures/inquiries/03_batch_two_patients.json")[1]
    assert dependent.dependent is not None
    answer = answer_270(
        write_270([*subscriber, dependent], PARAMS), BenefitPlans.load(REPO / "mappings"), PARAMS
    )
    assert validator.validate_text(answer, "sim.271").status == "valid"
    assert "EB*F*IND**" in answer
    assert "*AD:D1110~DTP*472*D8*20260512~" in answer.replace("\n", "")
    okonkwo, linh = read_271(answer.encode()).benefits
    assert [
        (h.procedure_code, h.last_date.isoformat(), h.text) for h in okonkwo.service_history
    ] == [
        ("D0274", "2025-11-18", "D0274 last done 2025-11-18"),
        ("D1110", "2026-05-12", "D1110 last done 2026-05-12"),
    ]
    assert linh.service_history == []
    assert (
        okonkwo.frequencies
        == read_271(answer_270(write_270(subscriber, PARAMS), _without_history(), PARAMS).encode())
        .benefits[0]
        .frequencies
    ), "the history EBs add no limits"


def _without_history() -> BenefitPlans:
    plans = BenefitPlans.load(REPO / "mappings")
    return BenefitPlans(plans.members, plans.prefixes, plans.plans)
