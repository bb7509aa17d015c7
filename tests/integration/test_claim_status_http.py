"""Real-time claim status over HTTP on loopback: our CORE client sends a 276 to the
simulator's endpoint, which validates it with our map and answers a 277 from what the
simulated payer knows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import httpx
import pytest

from edigateway.clearinghouses import HttpsProfile
from edigateway.domain.claim_status import StatusInquiry
from edigateway.errors import TransportError
from edigateway.services.eligibility import load_inquiries
from edigateway.sim.claim_status import PayerClaim
from edigateway.sim.eligibility import BenefitPlans
from edigateway.sim.http_server import SimulatorHttp
from edigateway.transports.core_envelope import (
    REALTIME_271,
    REALTIME_276,
    REALTIME_277,
    CoreMessage,
    build,
    parse,
)
from edigateway.transports.https import CoreHttpClient
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.validation import Validator
from edigateway.x12.x270_005010X279A1 import write_270
from edigateway.x12.x271_005010X279A1 import read_271
from edigateway.x12.x276_005010X212 import write_276
from edigateway.x12.x277_005010X212 import read_277
from tests.factories import REPO

PARAMS = InterchangeParams(
    "ZZ",
    "MAPLEDENTAL",
    "ZZ",
    "EDGSIM",
    "MAPLEDENTAL",
    "EDGSIM",
    31,
    31,
    1,
    datetime(2026, 12, 3, 9, 0),
)
KNOWN = {
    "PC2001": PayerClaim(
        "F1",
        "65",
        date(2026, 12, 1),
        paid_amount=Decimal("96.00"),
        adjudication_date=date(2026, 11, 27),
        check_number="EFT55501",
        check_date=date(2026, 12, 1),
        payer_claim_control_number="DD-88120",
    ),
    "PC2002": PayerClaim("P2", "20", date(2026, 11, 30)),
}


def _inquiry(trace: str, pcn: str) -> StatusInquiry:
    return StatusInquiry.model_validate(
        {
            "trace_number": trace,
            "payer": {"payer_id": "DDPA1", "name": "DELTA DENTAL"},
            "receiver": {"name": "MAPLE DENTAL GROUP", "etin": "MAPLE01"},
            "provider": {"organization_name": "MAPLE DENTAL GROUP", "identifier": "1234567893"},
            "subscriber": {
                "name": {"last_name": "OKONKWO", "first_name": "SAMUEL"},
                "member_id": "PDP300412",
                "date_of_birth": "1962-07-04",
                "gender": "M",
            },
            "patient_control_number": pcn,
            "total_charge": "120.00",
            "service_start": "2026-11-02",
        }
    )


def _x276() -> str:
    return write_276(
        [
            _inquiry("CS-2001", "PC2001"),
            _inquiry("CS-2002", "PC2002"),
            _inquiry("CS-2003", "PC2003"),
        ],
        PARAMS,
    )


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHttp]:
    validator = Validator(REPO / "mappings", tmp_path_factory.mktemp("cache"))
    with SimulatorHttp(
        BenefitPlans.load(REPO / "mappings"),
        validator,
        api_key="k-276",
        claim_status_lookup=KNOWN.get,
    ) as server:
        yield server


@pytest.fixture
def client(simulator: SimulatorHttp) -> Iterator[CoreHttpClient]:
    http = CoreHttpClient(HttpsProfile(base_url=simulator.url, auth="api_key"), api_key="k-276")
    yield http
    http.close()


def test_claim_status_in_real_time(client: CoreHttpClient):
    x277 = client.claim_status(_x276(), sender_id="MAPLEDENTAL", receiver_id="EDGSIM")
    paid, pending, missing = read_277(x277.encode(), name="answer.277").answers
    assert (paid.trace_number, paid.outcome, paid.paid_amount, paid.check_number) == (
        "CS-2001",
        "paid",
        Decimal("96.00"),
        "EFT55501",
    )
    assert (paid.adjudication_date, paid.payer_claim_control_number) == (
        date(2026, 11, 27),
        "DD-88120",
    )
    assert (pending.trace_number, pending.outcome) == ("CS-2002", "pending")
    assert (missing.trace_number, missing.outcome, missing.total_charge) == (
        "CS-2003",
        "not_found",
        None,
    )
    assert missing.message.endswith("[D0:35]")


def test_the_answer_is_a_277_envelope(simulator: SimulatorHttp):
    body, content_type = build(
        CoreMessage(
            payload_type=REALTIME_276,
            payload=_x276(),
            sender_id="MAPLEDENTAL",
            receiver_id="EDGSIM",
        )
    )
    response = httpx.post(
        simulator.url + "/core/realtime",
        content=body,
        headers={"Content-Type": content_type, "X-API-Key": "k-276"},
    )
    answer = parse(response.content, response.headers["content-type"])
    assert (response.status_code, answer.payload_type, answer.error_code) == (
        200,
        REALTIME_277,
        "Success",
    )
    assert answer.payload.split("~")[1].strip().startswith("GS*HN*EDGSIM*EDIGATEWAY*")


def test_invalid_276_gets_the_validators_reason(client: CoreHttpClient):
    broken = _x276().replace("NM1*IL*1*", "NM1*ZZ*1*")
    with pytest.raises(TransportError, match="PayloadInvalid: the 276 is invalid"):
        client.claim_status(broken, sender_id="MAPLEDENTAL", receiver_id="EDGSIM")


@pytest.mark.slow  # 1.5 s at load ~2 (inner loop < 60 s)
def test_a_270_sent_as_a_276_is_refused(client: CoreHttpClient):
    x270 = write_270(
        load_inquiries(REPO / "fixtures" / "inquiries" / "01_subscriber_all_dental.json"), PARAMS
    )
    with pytest.raises(TransportError, match=r"PayloadInvalid.*'HS' is not HR"):
        client.claim_status(x270, sender_id="MAPLEDENTAL", receiver_id="EDGSIM")
    answer = client.realtime(x270, sender_id="MAPLEDENTAL", receiver_id="EDGSIM")
    assert read_271(answer.encode()).benefits[0].trace_number == "ELG-1001"


def test_eligibility_answers_keep_their_271_type(simulator: SimulatorHttp):
    x270 = write_270(
        load_inquiries(REPO / "fixtures" / "inquiries" / "01_subscriber_all_dental.json"), PARAMS
    )
    body, content_type = build(
        CoreMessage(
            payload_type="X12_270_Request_005010X279A1",
            payload=x270,
            sender_id="MAPLEDENTAL",
            receiver_id="EDGSIM",
        )
    )
    response = httpx.post(
        simulator.url + "/core/realtime",
        content=body,
        headers={"Content-Type": content_type, "X-API-Key": "k-276"},
    )
    assert parse(response.content, response.headers["content-type"]).payload_type == (REALTIME_271)
