"""Predeterminations end to end over SFTP on loopback: the simulator prices one (CLP02 25,
nothing paid); the treatment claimed later carries the payer's predetermination number in
2300 REF*G3 (filled in when the coordinator did not give it), and once paid the estimate
is shown beside the payment per line (service and API)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.domain.claims import Claim, ClaimBatch, Patient
from edigateway.errors import NotFoundError
from edigateway.persistence.tables import ClaimRow, RemittanceClaimRow, SubmissionRow
from edigateway.services.access import create_key
from edigateway.services.claim_store import open_document
from edigateway.services.claims import load_claim_file
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.services.predeterminations import compare
from edigateway.services.submissions import queue_837d, submission_payload
from edigateway.settings import Settings
from edigateway.sim.adjudicate import payer_claim_number
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import NOW, REPO

PLAN = "MSD1012"  # D2740 1250.00 + D2950 290.00, member PDP200871, DDPIL
NUMBER = payer_claim_number(PLAN)
D = Decimal


def _plan() -> Claim:
    (plan,) = load_claim_file(
        REPO / "fixtures/claims/12_predetermination_crown_buildup.json"
    ).claims
    return plan


def _treatment(pcn: str = "MSD1112", **update: object) -> Claim:
    plan = _plan()
    return plan.model_copy(
        update={
            "patient_control_number": pcn,
            "kind": "claim",
            "lines": [
                line.model_copy(update={"service_date": date(2026, 11, 16)}) for line in plan.lines
            ],
            **update,
        }
    )


@dataclass
class World:
    sim: Simulator
    gateway: Gateway

    def submit(self, *claims: Claim) -> None:
        gateway = self.gateway
        queue_837d(
            gateway.database,
            ClaimBatch(claims=list(claims)),
            settings=gateway.settings,
            clearinghouse=gateway.profile(),
            numbers=gateway.control_numbers,
            now=NOW,
        )
        profile = gateway.profile()
        with gateway.sftp_transport(profile) as transport:
            drain_outbox(gateway.database, transport, clearinghouse=profile.name, now=NOW)
            self.sim.cycle()
            poll_inbound(
                gateway.database,
                transport,
                clearinghouse=profile.name,
                codes=gateway.codes,
                now=NOW,
            )

    def stored(self, pcn: str) -> tuple[int, Claim, str]:
        """The claim's ID, its document as stored, and the 837D it went out in."""
        with self.gateway.database.transaction() as session:
            row = session.scalars(
                select(ClaimRow).where(ClaimRow.patient_control_number == pcn)
            ).one()
            submission = session.scalars(
                select(SubmissionRow).order_by(SubmissionRow.id.desc())
            ).first()
            assert submission is not None
            return row.id, open_document(session, row), submission_payload(session, submission)


@pytest.fixture
def world(tmp_path: Path, validator: Validator) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path / "var", mappings_dir=REPO / "mappings")
    with Simulator(
        settings, validator=validator, clock=lambda: NOW, sftp_port=0, http_port=0
    ) as sim:
        settings = settings.model_copy(update=sim.client_settings())
        with bootstrap(settings, clock=lambda: NOW, validator=validator) as gateway:
            world = World(sim, gateway)
            world.submit(_plan())
            yield world


def test_the_predetermination_is_priced_and_nothing_is_paid(world: World):
    with world.gateway.database.transaction() as session:
        (answer,) = session.scalars(
            select(RemittanceClaimRow).where(RemittanceClaimRow.patient_control_number == PLAN)
        ).all()
        assert (answer.status, answer.paid, answer.payer_claim_control_number) == (
            "25",
            D("0.00"),
            NUMBER,
        )
        assert answer.claim_id is not None


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_the_treatment_carries_ref_g3_and_shows_estimate_vs_actual(world: World):
    world.submit(_treatment())
    claim_id, document, payload = world.stored("MSD1112")
    assert document.predetermination_number == NUMBER
    segments = payload.split("~")
    clm = next(n for n, s in enumerate(segments) if s.strip().startswith("CLM*MSD1112*"))
    first_line = next(n for n, s in enumerate(segments) if n > clm and s.strip().startswith("LX*"))
    assert f"REF*G3*{NUMBER}" in [s.strip() for s in segments[clm:first_line]]  # 2300
    practice = _practice(world, claim_id)
    found = compare(
        world.gateway.database, practice_id=practice, claim_id=claim_id, actor="test", now=NOW
    )
    assert found.predetermination_number == NUMBER
    crown, buildup = found.lines
    # D2740: allowed 980, deductible 50, 50 % of 930 → 465; the patient 50 + 465
    assert crown.estimate is not None
    assert (crown.estimate.allowed, crown.estimate.insurance, crown.estimate.patient) == (
        D("980.00"),
        D("465.00"),
        D("515.00"),
    )
    assert crown.actual == crown.estimate  # the payer paid as it estimated
    assert buildup.estimate is not None
    assert (buildup.estimate.insurance, buildup.estimate.patient) == (D("176.00"), D("44.00"))
    assert (found.estimated_insurance, found.paid) == (D("641.00"), D("641.00"))


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_only_the_same_patient_and_procedures_are_linked(world: World):
    given = _treatment("MSD1113", predetermination_number="PD-BY-HAND")
    other_code = _treatment("MSD1114")
    other_code = other_code.model_copy(
        update={
            "lines": [other_code.lines[0].model_copy(update={"procedure_code": "D2750"})],
            "total_charge": other_code.lines[0].charge,
        }
    )
    dependent = _treatment(
        "MSD1115",
        patient=Patient.model_validate(
            {
                "name": {"last_name": "OKAFOR", "first_name": "ADA"},
                "relationship": "19",
                "date_of_birth": "2014-02-03",
                "gender": "F",
                "address": {
                    "line1": "1 OAK ST",
                    "city": "SPRINGFIELD",
                    "state": "IL",
                    "postal_code": "62704",
                },
            }
        ),
    )
    world.submit(given, other_code, dependent)
    assert world.stored("MSD1113")[1].predetermination_number == "PD-BY-HAND"
    assert world.stored("MSD1114")[1].predetermination_number is None
    assert world.stored("MSD1115")[1].predetermination_number is None
    claim_id = world.stored("MSD1114")[0]
    with pytest.raises(NotFoundError, match="no predetermination number"):
        compare(
            world.gateway.database,
            practice_id=_practice(world, claim_id),
            claim_id=claim_id,
            actor="test",
            now=NOW,
        )


@pytest.mark.slow  # 1.6 s on the loaded 2-core machine
def test_api_shows_estimate_vs_actual(world: World):
    world.submit(_treatment())
    claim_id = world.stored("MSD1112")[0]
    gateway = world.gateway

    def key(npi: str) -> dict[str, str]:
        created = create_key(
            gateway.database,
            practice=npi,
            scopes="claims:read",
            name="t",
            keyring=gateway.keyring,
            now=NOW,
            create_name=f"P{npi}",
        )
        return {"Authorization": f"Bearer {created.token}"}

    with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
        url = f"/v1/claims/{claim_id}/predetermination"
        answer = client.get(url, headers=key("1456789019"))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["predetermination_number"], body["estimated_insurance"], body["paid"]) == (
            NUMBER,
            "641.00",
            "641.00",
        )
        assert body["lines"][0]["estimate"] == {
            "allowed": "980.00",
            "insurance": "465.00",
            "patient": "515.00",
        }
        assert client.get(url, headers=key("1234567893")).status_code == 404


def _practice(world: World, claim_id: int) -> int:
    with world.gateway.database.transaction() as session:
        row = session.get(ClaimRow, claim_id)
        assert row is not None
        return row.practice_id
