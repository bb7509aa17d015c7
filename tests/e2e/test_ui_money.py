"""Money on the dashboard (issue 15): a claim page's six-figure ledger and what counts per
line, payments held for review approved or dismissed there, a denial written off in part
and closed, and the ERA policy set per payer and for the practice on the ERAs page —
through the real app, the simulator on loopback and users signed in through the form; a
viewer is refused the actions (403) and another practice sees none of it (404)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import (
    FIXTURES,
    NOW,
    PRACTICE_NPI,
    api_key,
    form_field,
    settings_for,
    signed_in,
    simulated_gateway,
    ui_user,
)

BASE = "http://127.0.0.1"
OTHER_NPI = "1234567893"


@dataclass
class Desk:
    gateway: Gateway
    sim: Simulator
    api: TestClient
    key: dict[str, str]

    def browser(self, role: str = "coordinator", npi: str = PRACTICE_NPI) -> TestClient:
        client = TestClient(self.api.app, base_url=BASE)
        signed_in(client, ui_user(self.gateway.database, npi=npi, role=role))
        return client

    def send(self, document: dict[str, Any]) -> int:
        created = self.api.post("/v1/claims", json=document, headers=self.key)
        assert created.status_code == 201, created.text
        claim_id: int = created.json()["id"]
        sent = self.api.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=self.key)
        assert sent.status_code == 202, sent.text
        return claim_id

    def exchange(self) -> None:
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

    def ledger(self, claim_id: int) -> dict[str, str]:
        found = self.api.get(f"/v1/claims/{claim_id}", headers=self.key)
        assert found.status_code == 200, found.text
        ledger: dict[str, str] = found.json()["ledger"]
        return ledger


@pytest.fixture
def desk(tmp_path: Path, validator: Validator) -> Iterator[Desk]:
    with simulated_gateway(settings_for(tmp_path), validator) as (sim, gateway):
        key = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_NPI)}"}
        with TestClient(create_app(gateway), base_url=BASE) as api:
            yield Desk(gateway, sim, api, key)


def _claim(name: str, pcn: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "claims" / f"{name}.json").read_text())[
        "claims"
    ][0]
    return document | {"patient_control_number": pcn}


def _night_guard(pcn: str) -> dict[str, Any]:
    """The night guard alone: the simulator does not cover D9944, a denial in full."""
    document = _claim("23_perio_maintenance_and_night_guard", pcn)
    return document | {"total_charge": "550.00", "lines": [document["lines"][1]]}


def _ledger_row(html: str) -> list[str]:
    row = re.search(r'<tr id="ledger">(.*?)</tr>', html)
    assert row is not None, "no ledger on the page"
    return re.findall(r'<td class="num">([^<]*)</td>', row.group(1))


def _held_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="held-(\d+)">', html)]


def _post(browser: TestClient, path: str, page: str, **data: str) -> Any:
    return browser.post(
        path, data={"csrf": form_field(page, "csrf"), **data}, follow_redirects=False
    )


def _row(html: str, row_id: str) -> str:
    row = re.search(rf"<tr id=\"{row_id}\">(.*?)</tr>", html, re.S)
    assert row is not None, f"no {row_id} row"
    return row.group(1)


def _policy_form_checks(desk: Desk, eras: str) -> None:
    """The ERAs page shows the practice default; a policy that is not one is refused."""
    assert "<td>full</td>" in _row(eras, "policy-default")
    coordinator = desk.browser()
    page = coordinator.get("/ui/eras").text
    assert (
        _post(coordinator, "/ui/eras/policy", page, payer="DDPIL", policy="sometimes").status_code
        == 422
    )


def _set_policies(
    desk: Desk, coordinator: TestClient, viewer: TestClient, other: TestClient
) -> None:
    """DDPIL set to review and the practice default to semi on the ERAs page; the viewer
    refused, another practice not shown A's payers."""
    eras = coordinator.get("/ui/eras").text
    _policy_form_checks(desk, eras)
    refused = _post(viewer, "/ui/eras/policy", eras, payer="DDPIL", policy="review")
    assert refused.status_code == 403
    assert (
        _post(coordinator, "/ui/eras/policy", eras, payer="DDPIL", policy="sometimes").status_code
        == 422
    )
    assert (
        _post(coordinator, "/ui/eras/policy", eras, payer="NOSUCH", policy="review").status_code
        == 404
    )
    set_ = _post(coordinator, "/ui/eras/policy", eras, payer="DDPIL", policy="review")
    assert set_.status_code == 303, set_.text
    eras = coordinator.get("/ui/eras").text
    assert "<td>review</td><td>review</td>" in _row(eras, "policy-DDPIL")
    assert "policy-DDPIL" not in other.get("/ui/eras").text
    default = _post(coordinator, "/ui/eras/policy", eras, policy="semi")
    assert default.status_code == 303
    assert "<td>semi</td>" in _row(coordinator.get("/ui/eras").text, "policy-default")


@pytest.mark.slow  # 2.6 s on the loaded 2-core machine
def test_policy_held_payments_approved_and_dismissed_on_the_claim_page(desk: Desk):
    coordinator = desk.browser()
    viewer = desk.browser(role="viewer")
    other = desk.browser(npi=OTHER_NPI)
    crown = desk.send(_claim("05_crown_initial", "UIM1001"))
    filling = desk.send(_claim("01_filling_amalgam_mod", "UIM1002"))

    _set_policies(desk, coordinator, viewer, other)

    desk.exchange()
    page = coordinator.get(f"/ui/claims/{crown}").text
    assert _ledger_row(page) == ["1540.00", "0.00", "0.00", "0.00", "0.00", "1540.00"]
    (held,) = _held_ids(page)
    assert "awaiting" in _row(page, f"held-{held}")
    assert "Approve" in page
    viewer_page = viewer.get(f"/ui/claims/{crown}")
    assert viewer_page.status_code == 200
    assert "Approve</button>" not in viewer_page.text  # the viewer sees, cannot decide
    approve = f"/ui/claims/{crown}/payments/{held}/approve"
    assert _post(viewer, approve, viewer_page.text).status_code == 403
    assert other.get(f"/ui/claims/{crown}").status_code == 404
    assert _post(other, approve, other.get("/ui/eras").text).status_code == 404
    assert coordinator.post(approve, data={"csrf": "forged"}).status_code == 403

    approved = _post(coordinator, approve, page)
    assert approved.status_code == 303, approved.text
    page = coordinator.get(f"/ui/claims/{crown}").text
    assert _held_ids(page) == []
    ledger = desk.ledger(crown)
    assert _ledger_row(page) == [
        ledger[k]
        for k in (
            "billed",
            "paid",
            "contractual",
            "patient_responsibility",
            "other_adjustments",
            "outstanding",
        )
    ]
    assert Decimal(ledger["paid"]) > 0
    assert "Counted per line" in page
    assert "ERA " in page
    again = _post(coordinator, approve, page)
    assert again.status_code == 409  # decided already: the page says why
    assert 'role="alert"' in again.text

    page = coordinator.get(f"/ui/claims/{filling}").text
    (held,) = _held_ids(page)
    dismissed = _post(
        coordinator,
        f"/ui/claims/{filling}/payments/{held}/dismiss",
        page,
        reason="paid by check outside the ERA",
    )
    assert dismissed.status_code == 303, dismissed.text
    page = coordinator.get(f"/ui/claims/{filling}").text
    assert _held_ids(page) == []
    assert desk.ledger(filling)["paid"] == "0.00"


@pytest.mark.slow  # 3.1 s on the loaded 2-core machine
def test_denial_written_off_in_part_then_closed_on_the_claim_page(desk: Desk):
    coordinator = desk.browser()
    viewer = desk.browser(role="viewer")
    other = desk.browser(npi=OTHER_NPI)
    denied = desk.send(_night_guard("UIM2001"))
    waiting = desk.send(_claim("01_filling_amalgam_mod", "UIM2002"))
    page = coordinator.get(f"/ui/claims/{waiting}").text
    assert "Write off</button>" not in page  # the payer has not answered
    assert _post(coordinator, f"/ui/claims/{waiting}/write-off", page).status_code == 409
    desk.exchange()

    page = coordinator.get(f"/ui/claims/{denied}").text
    assert _ledger_row(page)[-1] == "550.00"
    assert "Write off</button>" in page
    assert "Close claim</button>" in page
    viewer_page = viewer.get(f"/ui/claims/{denied}").text
    assert "Write off</button>" not in viewer_page
    write_off = f"/ui/claims/{denied}/write-off"
    assert _post(viewer, write_off, viewer_page, amount="50.00").status_code == 403
    assert _post(other, write_off, other.get("/ui/eras").text, amount="50.00").status_code == 404
    bad = _post(coordinator, write_off, page, amount="fifty")
    assert bad.status_code == 422
    assert "not an amount" in bad.text
    too_much = _post(coordinator, write_off, page, amount="550.01")
    assert too_much.status_code == 422

    part = _post(coordinator, write_off, page, amount="50.00", note="not worth appealing")
    assert part.status_code == 303, part.text
    page = coordinator.get(f"/ui/claims/{denied}").text
    assert _ledger_row(page) == ["550.00", "0.00", "0.00", "0.00", "50.00", "500.00"]
    assert "write_off" in page

    closed = _post(coordinator, f"/ui/claims/{denied}/close", page, note="patient pays")
    assert closed.status_code == 303, closed.text
    page = coordinator.get(f"/ui/claims/{denied}").text
    assert _ledger_row(page) == ["550.00", "0.00", "0.00", "500.00", "50.00", "0.00"]
    assert "<small>(closed)</small>" in page
    assert "Close claim</button>" not in page
    assert _post(coordinator, f"/ui/claims/{denied}/close", page).status_code == 409
