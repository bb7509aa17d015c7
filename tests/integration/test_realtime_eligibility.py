"""Real-time eligibility over HTTP on loopback: our CORE client against the simulator's
endpoint returns the DentalBenefits of the eligibility fixtures' plans."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from edigateway.clearinghouses import HttpsProfile
from edigateway.errors import AuthenticationError, TransferError, TransportError
from edigateway.services.eligibility import load_inquiries
from edigateway.sim.eligibility import BenefitPlans
from edigateway.sim.http_server import SimulatorHttp
from edigateway.transports.https import CoreHttpClient
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.validation import Validator
from edigateway.x12.x270_005010X279A1 import write_270
from edigateway.x12.x271_005010X279A1 import read_271
from tests.factories import REPO

PARAMS = InterchangeParams(
    "ZZ",
    "MAPLEDENTAL",
    "ZZ",
    "EDGSIM",
    "MAPLEDENTAL",
    "EDGSIM",
    8,
    8,
    1,
    datetime(2026, 11, 23, 9, 0),
)


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHttp]:
    validator = Validator(REPO / "mappings", tmp_path_factory.mktemp("cache"))
    with SimulatorHttp(
        BenefitPlans.load(REPO / "mappings"), validator, api_key="k-123", client_secret="s-456"
    ) as server:
        yield server


def _x270(name: str = "01_subscriber_all_dental.json") -> str:
    return write_270(load_inquiries(REPO / "fixtures" / "inquiries" / name), PARAMS)


def test_api_key_realtime_returns_the_plan(simulator: SimulatorHttp):
    client = CoreHttpClient(HttpsProfile(base_url=simulator.url, auth="api_key"), api_key="k-123")
    answer = client.realtime(_x270(), sender_id="MAPLEDENTAL", receiver_id="EDGSIM")
    (benefits,) = read_271(answer.encode()).benefits
    assert benefits.trace_number == "ELG-1001"
    assert benefits.plan_name == "PRAIRIE PPO PLUS"
    assert benefits.accumulator("maximum", "35") is not None
    client.close()


def test_oauth2_client_credentials(simulator: SimulatorHttp):
    profile = HttpsProfile(
        base_url=simulator.url, auth="oauth2_client_credentials", token_url="/oauth/token"
    )
    client = CoreHttpClient(profile, client_id="edigateway", client_secret="s-456")
    answer = client.realtime(
        _x270("02_dependent_categories.json"), sender_id="MAPLEDENTAL", receiver_id="EDGSIM"
    )
    (benefits,) = read_271(answer.encode()).benefits
    assert benefits.patient is not None
    assert benefits.patient.first_name == "AMARA"
    wrong = CoreHttpClient(profile, client_id="edigateway", client_secret="nope")
    with pytest.raises(AuthenticationError, match="token refused"):
        wrong.realtime(_x270(), sender_id="MAPLEDENTAL", receiver_id="EDGSIM")


def test_wrong_key_is_not_retried(simulator: SimulatorHttp):
    sleeps: list[float] = []
    client = CoreHttpClient(
        HttpsProfile(base_url=simulator.url), api_key="bad", sleep=sleeps.append
    )
    with pytest.raises(AuthenticationError, match="401"):
        client.realtime(_x270(), sender_id="MAPLEDENTAL", receiver_id="EDGSIM")
    assert sleeps == []


def test_invalid_270_gets_the_validators_reason(simulator: SimulatorHttp):
    client = CoreHttpClient(HttpsProfile(base_url=simulator.url), api_key="k-123")
    broken = _x270().replace("NM1*IL*1*", "NM1*ZZ*1*")
    with pytest.raises(TransportError, match="PayloadInvalid"):
        client.realtime(broken, sender_id="MAPLEDENTAL", receiver_id="EDGSIM")


def test_nobody_listening_is_retried_then_reported():
    sleeps: list[float] = []
    client = CoreHttpClient(
        HttpsProfile(base_url="http://127.0.0.1:9", timeout_seconds=2),
        api_key="k",
        attempts=3,
        sleep=sleeps.append,
    )
    with pytest.raises(TransferError, match="no answer after 3 attempts"):
        client.realtime(_x270(), sender_id="MAPLEDENTAL", receiver_id="EDGSIM")
    assert sleeps == [0.5, 1.0]
