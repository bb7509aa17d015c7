"""Coordination of benefits end to end over SFTP on loopback: the primary's 835 stores the
secondary claim (AMT*EAF, 2430 line adjudication) and opens a "secondary claim due" work
item; sending it by ID or claim number — service, CLI and API — queues it, closes the
item, and the simulator pays it after the primary, never past what the primary left the
patient."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.cli import app as cli_app
from edigateway.domain.claims import Claim, ClaimBatch, OtherPayer
from edigateway.errors import ConflictError, InputError, NotFoundError
from edigateway.persistence.tables import ClaimRow, RemittanceClaimRow, WorkItemRow
from edigateway.services.access import create_key
from edigateway.services.claim_store import open_document
from edigateway.services.claims import load_claim_file
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.services.secondary import send_secondary
from edigateway.services.submissions import queue_837d
from edigateway.settings import Settings
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import NOW, REPO, second_plan

PRIMARY = "MSD1001"
SECONDARY = "MSD1001-S"


def _primary(pcn: str = PRIMARY) -> Claim:
    """A two-line claim to the primary plan (DDPIL) naming a secondary plan (GRDN1)."""
    (claim,) = load_claim_file(REPO / "fixtures/claims/07_quadrant_scaling.json").claims
    other = OtherPayer.model_validate(second_plan(claim.subscriber.name.model_dump()))
    return claim.model_copy(update={"patient_control_number": pcn, "other_payers": [other]})


@dataclass
class Cob:
    sim: Simulator
    gateway: Gateway
    settings: Settings

    def exchange(self) -> None:
        """Upload the outbox, let the simulator answer, bring the answers back."""
        profile = self.gateway.profile()
        with self.gateway.sftp_transport(profile) as transport:
            drain_outbox(self.gateway.database, transport, clearinghouse=profile.name, now=NOW)
            self.sim.cycle()
            poll_inbound(
                self.gateway.database,
                transport,
                clearinghouse=profile.name,
                codes=self.gateway.codes,
                now=NOW,
            )

    def submit(self, *claims: Claim) -> None:
        queue_837d(
            self.gateway.database,
            ClaimBatch(claims=list(claims)),
            settings=self.gateway.settings,
            clearinghouse=self.gateway.profile(),
            numbers=self.gateway.control_numbers,
            now=NOW,
        )
        self.exchange()

    def row(self, pcn: str) -> ClaimRow:
        with self.gateway.database.transaction() as session:
            row = session.scalars(
                select(ClaimRow)
                .where(ClaimRow.patient_control_number == pcn)
                .order_by(ClaimRow.id.desc())
            ).first()
            assert row is not None, pcn
            session.expunge(row)
            return row

    def items(self, pcn: str) -> list[tuple[int, str]]:
        with self.gateway.database.transaction() as session:
            return [
                (w.id, w.status)
                for w in session.scalars(
                    select(WorkItemRow).where(
                        WorkItemRow.patient_control_number == pcn,
                        WorkItemRow.reason == "secondary_needed",
                    )
                )
            ]

    def payments(self, pcn: str) -> list[RemittanceClaimRow]:
        with self.gateway.database.transaction() as session:
            rows = list(
                session.scalars(
                    select(RemittanceClaimRow).where(
                        RemittanceClaimRow.patient_control_number == pcn
                    )
                )
            )
            for row in rows:
                session.expunge(row)
            return rows

    def send(self, claim: int | str, practice_id: int | None = None) -> Any:
        return send_secondary(
            self.gateway.database,
            claim,
            practice_id=practice_id,
            settings=self.gateway.settings,
            clearinghouse=self.gateway.profile(),
            numbers=self.gateway.control_numbers,
            now=NOW,
            actor="test",
        )


@pytest.fixture
def cob(tmp_path: Path, validator: Validator) -> Iterator[Cob]:
    settings = Settings(data_dir=tmp_path / "var", mappings_dir=REPO / "mappings")
    with Simulator(
        settings, validator=validator, clock=lambda: NOW, sftp_port=0, http_port=0
    ) as sim:
        settings = settings.model_copy(update=sim.client_settings())
        with bootstrap(settings, clock=lambda: NOW, validator=validator) as gateway:
            yield Cob(sim, gateway, settings)


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_secondary_is_sent_by_claim_number_and_paid_after_the_primary(cob: Cob):
    cob.submit(_primary())
    assert cob.row(PRIMARY).state == "paid"
    secondary = cob.row(SECONDARY)
    assert secondary.state == "ready"
    ((item, status),) = cob.items(PRIMARY)
    assert status == "open"
    (primary_paid,) = cob.payments(PRIMARY)
    left = primary_paid.patient_responsibility
    assert left is not None
    assert left > 0
    with cob.gateway.database.transaction() as session:
        document = open_document(session, cob.row(SECONDARY))
    assert document.payer.payer_id == "GRDN1"
    assert document.payer_responsibility == "S"
    (prior,) = document.other_payers
    assert (prior.payer.payer_id, prior.paid_amount, prior.remaining_patient_liability) == (
        "DDPIL",
        primary_paid.paid,
        left,
    )
    assert all(line.adjudications for line in document.lines)  # 2430 per line

    sent = cob.send(PRIMARY)
    assert (sent.secondary_id, sent.patient_control_number) == (secondary.id, SECONDARY)
    assert sent.work_items_closed == (item,)
    assert cob.items(PRIMARY) == [(item, "resolved")]
    assert cob.row(SECONDARY).state == "queued"
    with pytest.raises(ConflictError, match="sent already"):
        cob.send(SECONDARY)

    cob.exchange()
    (secondary_paid,) = cob.payments(SECONDARY)
    assert secondary_paid.status == "2"
    assert Decimal(0) < secondary_paid.paid <= left
    assert primary_paid.paid + secondary_paid.paid <= primary_paid.charge
    assert cob.row(SECONDARY).state == "paid"


def test_what_cannot_be_sent_says_why(cob: Cob):
    lone = _primary("MSD1002").model_copy(update={"other_payers": []})
    queue_837d(
        cob.gateway.database,
        ClaimBatch(claims=[_primary(), lone]),
        settings=cob.gateway.settings,
        clearinghouse=cob.gateway.profile(),
        numbers=cob.gateway.control_numbers,
        now=NOW,
    )
    with pytest.raises(ConflictError, match="primary payer's 835 is posted"):
        cob.send(PRIMARY)
    with pytest.raises(InputError, match="names no secondary payer"):
        cob.send("MSD1002")
    with pytest.raises(NotFoundError):
        cob.send("MSD9999")
    cob.exchange()
    with pytest.raises(NotFoundError):  # another practice does not see the claim
        cob.send(cob.row(PRIMARY).id, practice_id=cob.row(PRIMARY).practice_id + 1)
    assert cob.send(cob.row(SECONDARY).id).patient_control_number == SECONDARY


def test_submitting_the_secondary_otherwise_closes_the_item_too(cob: Cob):
    from edigateway.services.submissions import queue_stored

    cob.submit(_primary())
    queue_stored(
        cob.gateway.database,
        [cob.row(SECONDARY).id],
        practice_id=cob.row(SECONDARY).practice_id,
        settings=cob.gateway.settings,
        clearinghouse=cob.gateway.profile(),
        numbers=cob.gateway.control_numbers,
        now=NOW,
    )
    assert [status for _id, status in cob.items(PRIMARY)] == ["resolved"]


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_cli_send_secondary(cob: Cob, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for name, value in {
        "DATA_DIR": cob.settings.data_dir,
        "MAPPINGS_DIR": REPO / "mappings",
        "SIM_SFTP_PORT": cob.settings.sim_sftp_port,
        "SIM_HTTP_PORT": cob.settings.sim_http_port,
    }.items():
        monkeypatch.setenv(f"EDIGATEWAY_{name}", str(value))
    cob.submit(_primary())
    runner = CliRunner()
    result = runner.invoke(cli_app, ["claims", "send-secondary", PRIMARY, "--json"])
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert done["patient_control_number"] == SECONDARY
    assert done["secondary_id"] == cob.row(SECONDARY).id
    assert len(done["work_items_closed"]) == 1
    assert [s["status"] for s in done["sent"]] == ["sent"]
    assert cob.sim.cycle().received == [done["sent"][0]["file_name"]]
    again = runner.invoke(cli_app, ["claims", "send-secondary", SECONDARY])
    assert again.exit_code == 1
    assert "sent already" in again.output
    missing = runner.invoke(cli_app, ["claims", "send-secondary", "MSD9999"])
    assert missing.exit_code == 1
    assert "no claim MSD9999" in missing.output


def test_api_send_secondary(cob: Cob):
    def key(npi: str, scopes: str) -> dict[str, str]:
        created = create_key(
            cob.gateway.database,
            practice=npi,
            scopes=scopes,
            name="t",
            keyring=cob.gateway.keyring,
            now=NOW,
            create_name=f"P{npi}",
        )
        return {"Authorization": f"Bearer {created.token}"}

    cob.submit(_primary())
    ours, other = key("1456789019", "admin"), key("1234567893", "admin")
    reader = key("1456789019", "claims:read")
    primary_id = cob.row(PRIMARY).id
    with TestClient(create_app(cob.gateway), base_url="http://127.0.0.1") as client:
        url = f"/v1/claims/{primary_id}/secondary"
        assert client.post(url, headers=other).status_code == 404
        assert client.post(url, headers=reader).status_code == 403
        answer = client.post(url, headers=ours)
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert body["patient_control_number"] == SECONDARY
        assert (body["primary_id"], body["status"]) == (primary_id, "pending")
        assert len(body["work_items_closed"]) == 1
        conflict = client.post(url, headers=ours)
        assert conflict.status_code == 409
        assert conflict.headers["content-type"].startswith("application/problem+json")
        assert "sent already" in conflict.json()["detail"]
