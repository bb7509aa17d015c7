"""Work items lead to the action that resolves them (issue 16, item 7): each reason's
link on the work queue and the item's page (a rejection → the claim editor, a denial →
the appeal form, a secondary due → the claim page's Send secondary, a held payment → the
claim page's approve/dismiss), and doing it there closes the item — checked end to end for
a 277CA rejection fixed and resubmitted in the editor and a denial appealed."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.api.ui_common import TEMPLATES
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
    form_fields,
    settings_for,
    signed_in,
    simulated_gateway,
    ui_user,
)

BASE = "http://127.0.0.1"
UNKNOWN_MEMBER = "NOTAMEMBER1"
"""A member ID the simulator's payer does not know: its 277CA rejects the claim."""


@pytest.mark.parametrize(
    ("reason", "href", "words"),
    [
        ("ch_rejected", "/ui/claims/7/edit", "Fix and resubmit"),
        ("payer_rejected", "/ui/claims/7/edit", "Fix and resubmit"),
        ("denied", "/ui/claims/7/appeals", "Appeal"),
        ("line_denied", "/ui/claims/7/appeals", "Appeal"),
        ("appeal_follow_up", "/ui/claims/7/appeals", "Record the appeal's outcome"),
        ("secondary_needed", "/ui/claims/7#send", "Send secondary"),
        ("era_review", "/ui/claims/7#payments", "Approve or dismiss the payment"),
        ("duplicate_payment", "/ui/claims/7#payments", "Approve or dismiss the payment"),
        ("recoupment", "/ui/claims/7", "Open the claim"),
    ],
)
def test_each_reason_links_to_its_action(reason: str, href: str, words: str):
    action = TEMPLATES.env.get_template("_work_action.html").module.work_action  # type: ignore[attr-defined]
    assert str(action({"reason": reason, "claim_id": 7})) == (
        f'<a class="action" href="{href}">{words}</a>'
    )
    assert str(action({"reason": "unmatched_claim", "claim_id": None})) == ""


@dataclass
class Desk:
    gateway: Gateway
    sim: Simulator
    api: TestClient
    key: dict[str, str]

    def submitted(self, pcn: str, document: dict[str, Any]) -> int:
        created = self.api.post(
            "/v1/claims", json=document | {"patient_control_number": pcn}, headers=self.key
        )
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


@pytest.fixture
def desk(tmp_path: Path, validator: Validator) -> Iterator[Desk]:
    with simulated_gateway(settings_for(tmp_path), validator) as (sim, gateway):
        key = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_NPI)}"}
        with TestClient(create_app(gateway), base_url=BASE) as api:
            yield Desk(gateway, sim, api, key)


def _item_id(html: str, claim_id: int) -> int:
    """The work queue row of the claim: its item ID."""
    match = re.search(
        rf'<a href="/ui/workqueue/(\d+)">#\d+</a></td><td>[a-z_]+</td>'
        rf'<td><a href="/ui/claims/{claim_id}"',
        html,
    )
    assert match is not None, f"no open item of claim {claim_id}"
    return int(match.group(1))


@pytest.mark.slow  # 1.5 s on the loaded 2-core machine
def test_the_queue_leads_to_the_fix_and_the_fix_closes_the_item(desk: Desk):
    crown = json.loads((FIXTURES / "claims" / "05_crown_initial.json").read_text())["claims"][0]
    rejected_doc = copy.deepcopy(crown)
    rejected_doc["subscriber"]["member_id"] = UNKNOWN_MEMBER
    guard_doc = json.loads(
        (FIXTURES / "claims" / "23_perio_maintenance_and_night_guard.json").read_text()
    )["claims"][0]
    guard_doc |= {"total_charge": "550.00", "lines": [guard_doc["lines"][1]]}
    rejected = desk.submitted("WKI0001", rejected_doc)
    denied = desk.submitted("WKI0002", guard_doc)
    desk.exchange()
    browser = TestClient(desk.api.app, base_url=BASE)
    signed_in(browser, ui_user(desk.gateway.database, role="coordinator"))

    queue = browser.get("/ui/workqueue").text
    assert f'<a class="action" href="/ui/claims/{rejected}/edit">Fix and resubmit</a>' in queue
    assert f'<a class="action" href="/ui/claims/{denied}/appeals">Appeal</a>' in queue
    rejection = _item_id(queue, rejected)
    denial = _item_id(queue, denied)
    page = browser.get(f"/ui/workqueue/{rejection}").text
    assert f'href="/ui/claims/{rejected}/edit">Fix and resubmit</a> — the item closes' in page

    fix = form_fields(browser.get(f"/ui/claims/{rejected}/edit").text)
    resent = browser.post(f"/ui/claims/{rejected}/edit", data=fix)
    assert resent.status_code == 200, resent.text
    closed = browser.get(f"/ui/workqueue/{rejection}").text
    assert "Resolved:" in closed
    assert "the item closes" not in closed

    csrf = form_field(browser.get(f"/ui/claims/{denied}/appeals").text, "csrf")
    made = browser.post(
        f"/ui/claims/{denied}/appeals",
        data={"csrf": csrf, "reason": "not_covered", "narrative": "a covered benefit"},
    )
    appeal = str(made.url).rsplit("/", 1)[1]
    assert "Resolved:" not in browser.get(f"/ui/workqueue/{denial}").text, "not sent yet"
    browser.post(f"/ui/appeals/{appeal}/sent", data={"csrf": csrf, "method": "portal"})
    assert "Resolved: appeal" in browser.get(f"/ui/workqueue/{denial}").text
    assert f"/ui/claims/{denied}/appeals" not in browser.get("/ui/workqueue").text
