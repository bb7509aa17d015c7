"""The dashboard's claim pages as a coordinator works them (issue 16, item 7), through the
real app, the clearinghouse simulator on loopback and users signed in through the form:
the claims list (patient names, paging, search by name, claim number, payer and state, a
name search never in a URL), and another practice seeing none of it."""

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
    second_plan,
    settings_for,
    signed_in,
    simulated_gateway,
    ui_user,
)

BASE = "http://127.0.0.1"
OTHER_NPI = "1234567893"
UNKNOWN_MEMBER = "NOTAMEMBER1"
"""A member ID the simulator's payer does not know: its 277CA rejects the claim."""


@dataclass
class Desk:
    """The gateway, the simulator, A's API key and a browser per role."""

    gateway: Gateway
    sim: Simulator
    api: TestClient
    key: dict[str, str]

    def browser(self, role: str = "coordinator", npi: str = PRACTICE_NPI) -> TestClient:
        client = TestClient(self.api.app, base_url=BASE)
        signed_in(client, ui_user(self.gateway.database, npi=npi, role=role))
        return client

    def create(self, document: dict[str, Any]) -> int:
        created = self.api.post("/v1/claims", json=document, headers=self.key)
        assert created.status_code == 201, created.text
        claim_id: int = created.json()["id"]
        return claim_id

    def exchange(self) -> None:
        """Send the outbox, let the simulator answer, bring the answers back."""
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


def _document(
    pcn: str, last: str = "OKAFOR", first: str = "GRACE", member_id: str | None = None
) -> dict[str, Any]:
    claims = json.loads((FIXTURES / "claims" / "05_crown_initial.json").read_text())["claims"]
    document: dict[str, Any] = copy.deepcopy(claims[0]) | {"patient_control_number": pcn}
    person = document.get("patient") or document["subscriber"]
    person["name"] = {"last_name": last, "first_name": first}
    if member_id is not None:
        document["subscriber"]["member_id"] = member_id
    return document


def _listed(html: str) -> list[tuple[str, str, str]]:
    """(claim number, state, patient) of each row of the claims list."""
    return re.findall(r'href="/ui/claims/\d+">([^<]+)</a></td><td>(\w+)</td><td>([^<]*)</td>', html)


@pytest.mark.slow  # 2.6 s on the loaded 2-core machine
def test_the_claims_list_pages_searches_and_shows_patient_names(desk: Desk):
    for n in range(53):
        desk.create(_document(f"LIST{n:04d}"))
    desk.create(_document("NGU0001", last="NGUYEN", first="ANNA"))
    desk.create(_document("NGU0002", last="NGUYEN", first="BAO"))
    other = desk.create(_document("OTHER01", last="PHAM", first="LINH"))
    assert (
        desk.api.post(
            "/v1/claims/submit", json={"claim_ids": [other]}, headers=desk.key
        ).status_code
        == 202
    )
    browser = desk.browser(role="viewer")  # reading is a viewer's right

    first = browser.get("/ui/claims")
    assert first.status_code == 200
    rows = _listed(first.text)
    assert len(rows) == 50
    assert rows[0] == ("OTHER01", "queued", "PHAM, LINH")  # newest first
    assert "1–50 of 56 claim(s)" in first.text
    assert "Previous page" not in first.text
    following = re.search(r'href="(/ui/claims\?[^"]+offset=50)"', first.text)
    assert following is not None
    second = browser.get(following.group(1).replace("&amp;", "&"))
    assert [r[0] for r in _listed(second.text)] == [f"LIST{n:04d}" for n in range(5, -1, -1)]
    assert "51–56 of 56 claim(s)" in second.text
    assert "Next page" not in second.text
    assert "Previous page" in second.text

    by_state = browser.get("/ui/claims", params={"state": "queued"})
    assert _listed(by_state.text) == [("OTHER01", "queued", "PHAM, LINH")]
    assert _listed(browser.get("/ui/claims", params={"payer": "NOSUCH"}).text) == []
    assert browser.get("/ui/claims", params={"state": "lost"}).status_code == 422

    csrf = form_field(first.text, "csrf")
    named = browser.post("/ui/claims", data={"csrf": csrf, "q": "nguyen"})
    assert [r[0] for r in _listed(named.text)] == ["NGU0002", "NGU0001"]
    assert _listed(browser.post("/ui/claims", data={"csrf": csrf, "q": "anna NGUYEN"}).text) == [
        ("NGU0001", "ready", "NGUYEN, ANNA")
    ]
    assert [
        r[0]
        for r in _listed(
            browser.post("/ui/claims", data={"csrf": csrf, "q": "ngu000", "state": "ready"}).text
        )
    ] == ["NGU0002", "NGU0001"]
    assert (
        _listed(
            browser.post("/ui/claims", data={"csrf": csrf, "q": "nguyen", "state": "queued"}).text
        )
        == []
    )
    # a search's pages are forms too: the name stays out of every URL
    paged = browser.post("/ui/claims", data={"csrf": csrf, "q": "okafor"})
    assert "1–50 of 53 claim(s)" in paged.text
    assert 'name="offset" value="50"' in paged.text
    rest = browser.post("/ui/claims", data={"csrf": csrf, "q": "okafor", "offset": "50"})
    assert [r[0] for r in _listed(rest.text)] == ["LIST0002", "LIST0001", "LIST0000"]
    for page in (first, second, named, paged):
        for link in re.findall(r'href="([^"]+)"', page.text):
            assert not re.search(r"NGUYEN|OKAFOR|PHAM|nguyen|okafor", link), link
    forged = browser.post("/ui/claims", data={"csrf": "0" * 32, "q": "nguyen"})
    assert forged.status_code == 403

    stranger = desk.browser(role="admin", npi=OTHER_NPI)
    theirs = stranger.get("/ui/claims")
    assert _listed(theirs.text) == []
    assert "0–0 of 0 claim(s)" in theirs.text
    searched = stranger.post(
        "/ui/claims", data={"csrf": form_field(theirs.text, "csrf"), "q": "NGUYEN"}
    )
    assert _listed(searched.text) == []
    assert "NGUYEN" not in searched.text.replace('value="NGUYEN"', "")


# ------------------------------------------------------------------------- claim page actions


def _page(browser: TestClient, claim_id: int) -> str:
    page = browser.get(f"/ui/claims/{claim_id}")
    assert page.status_code == 200, page.text
    return page.text


def _state(html: str) -> str:
    match = re.search(r"<small>\((\w+)\)</small>", html)
    assert match is not None
    return match.group(1)


def _primary_with_secondary(pcn: str) -> dict[str, Any]:
    """A two-line claim to the primary plan naming a secondary plan (GRDN1)."""
    document = json.loads((FIXTURES / "claims" / "07_quadrant_scaling.json").read_text())
    claim: dict[str, Any] = document["claims"][0] if "claims" in document else document
    claim["patient_control_number"] = pcn
    claim["other_payers"] = [second_plan(claim["subscriber"]["name"])]
    return claim


@pytest.mark.slow  # 3.6 s on the loaded 2-core machine
def test_submit_cancel_void_and_secondary_from_the_claim_page(desk: Desk):
    sent = desk.create(_document("ACT0001"))
    dropped = desk.create(_document("ACT0002"))
    primary = desk.create(_primary_with_secondary("ACT0003"))
    browser = desk.browser()  # a coordinator
    page = _page(browser, sent)
    assert f'action="/ui/claims/{sent}/submit"' in page
    assert "Void" not in page  # the payer does not have it
    csrf = form_field(page, "csrf")

    viewer = desk.browser(role="viewer")
    refused = viewer.post(
        f"/ui/claims/{sent}/submit", data={"csrf": form_field(_page(viewer, sent), "csrf")}
    )
    assert refused.status_code == 403
    assert "claims:write" in refused.text
    assert "Submit</button>" not in _page(viewer, sent)

    for claim_id in (sent, primary):
        queued = browser.post(f"/ui/claims/{claim_id}/submit", data={"csrf": csrf})
        assert queued.status_code == 200  # followed to the claim page
        assert _state(queued.text) == "queued"
    again = browser.post(f"/ui/claims/{sent}/submit", data={"csrf": csrf})
    assert again.status_code in (409, 422)
    assert 'class="error"' in again.text

    cancelled = browser.post(
        f"/ui/claims/{dropped}/cancel", data={"csrf": csrf, "reason": "treatment not done"}
    )
    assert _state(cancelled.text) == "cancelled"
    assert "treatment not done" in cancelled.text  # in the timeline
    assert browser.post(f"/ui/claims/{dropped}/cancel", data={"csrf": csrf}).status_code == 409

    desk.exchange()
    paid = _page(browser, sent)
    assert _state(paid) in ("paid", "partially_paid", "denied"), paid
    unconfirmed = browser.post(f"/ui/claims/{sent}/void", data={"csrf": csrf})
    assert unconfirmed.status_code == 422
    assert "Yes, void this claim" in unconfirmed.text
    assert _state(_page(browser, sent)) != "voided"
    voided = browser.post(f"/ui/claims/{sent}/void", data={"csrf": csrf, "confirm": "yes"})
    assert voided.status_code == 200
    assert str(voided.url).rsplit("/", 1)[1] != str(sent)
    assert _state(_page(browser, sent)) == "voided"

    due = _page(browser, primary)
    assert "Send secondary</button>" in due
    secondary = browser.post(f"/ui/claims/{primary}/secondary", data={"csrf": csrf})
    assert secondary.status_code == 200
    assert "ACT0003-S" in secondary.text
    assert _state(secondary.text) == "queued"
    assert "Send secondary</button>" not in _page(browser, primary)

    stranger = desk.browser(npi=OTHER_NPI)
    their_csrf = form_field(stranger.get("/ui/claims").text, "csrf")
    for action in ("submit", "cancel", "secondary", "void"):
        assert (
            stranger.post(
                f"/ui/claims/{primary}/{action}", data={"csrf": their_csrf, "confirm": "yes"}
            ).status_code
            == 404
        ), action


# ------------------------------------------------------------------------- the claim editor


@pytest.mark.slow  # 3.0 s on the loaded 2-core machine
def test_the_editor_edits_a_ready_claim_and_resubmits_a_rejected_one(desk: Desk):
    ready = desk.create(_document("EDT0001"))
    rejected = desk.create(_document("EDT0002", member_id=UNKNOWN_MEMBER))
    browser = desk.browser()
    csrf = form_field(_page(browser, rejected), "csrf")
    browser.post(f"/ui/claims/{rejected}/submit", data={"csrf": csrf})
    desk.exchange()
    assert _state(_page(browser, rejected)) == "payer_rejected"
    assert "Fix and resubmit" in _page(browser, rejected)

    editor = browser.get(f"/ui/claims/{ready}/edit")
    assert editor.status_code == 200
    form = form_fields(editor.text)
    assert (form["code_0"], form["fee_0"], form["teeth_0"]) == ("D2740", "1250.00", "3")
    assert form["lines"] == "3"  # two lines and a blank one to add
    bad = form | {"fee_1": "lots", "teeth_0": ""}
    refused = browser.post(f"/ui/claims/{ready}/edit", data=bad)
    assert refused.status_code == 422
    assert re.search(r'id="fee_1-problem"[^>]*>[^<]*lots[^<]* is not an amount', refused.text)
    assert 'value="lots"' in refused.text  # what was typed comes back
    edits = browser.post(f"/ui/claims/{ready}/edit", data=form | {"teeth_0": ""})
    assert edits.status_code == 422
    assert re.search(r'id="teeth_0-problem"[^>]*>\[[A-Z0-9-]+\] lines\.0', edits.text), (
        "a clean-claim edit shows next to the line's teeth, with its edit ID"
    )
    changed = form | {
        "fee_1": "300.00",
        "code_2": "D0220",
        "fee_2": "31.00",
        "date_2": "2026-07-28",
        "prior_authorization": "PA-7781",
        "note": "crown fractured; radiograph enclosed",
    }
    saved = browser.post(f"/ui/claims/{ready}/edit", data=changed)
    assert saved.status_code == 200, saved.text
    assert str(saved.url).endswith(f"/ui/claims/{ready}")
    assert "D0220" in saved.text
    assert "1581.00" in saved.text  # the total follows the lines
    stored = desk.api.get(f"/v1/claims/{ready}", headers=desk.key).json()["claim"]
    assert stored["prior_authorization"] == "PA-7781"
    assert [line["charge"] for line in stored["lines"]] == ["1250.00", "300.00", "31.00"]
    trimmed = form_fields(browser.get(f"/ui/claims/{ready}/edit").text) | {"remove_2": "yes"}
    browser.post(f"/ui/claims/{ready}/edit", data=trimmed)
    assert len(desk.api.get(f"/v1/claims/{ready}", headers=desk.key).json()["claim"]["lines"]) == 2

    fix = form_fields(browser.get(f"/ui/claims/{rejected}/edit").text)
    assert "Fix and resubmit" in browser.get(f"/ui/claims/{rejected}/edit").text
    resent = browser.post(f"/ui/claims/{rejected}/edit", data=fix | {"fee_1": "295.00"})
    assert resent.status_code == 200, resent.text
    new_id = str(resent.url).rsplit("/", 1)[1]
    assert new_id != str(rejected)
    assert _state(resent.text) == "queued"
    assert _state(_page(browser, rejected)) == "resubmitted"
    assert browser.get(f"/ui/claims/{rejected}/edit").status_code == 409

    viewer = desk.browser(role="viewer")
    assert viewer.get(f"/ui/claims/{ready}/edit").status_code == 403
    stranger = desk.browser(npi=OTHER_NPI)
    assert stranger.get(f"/ui/claims/{ready}/edit").status_code == 404
    assert (
        stranger.post(
            f"/ui/claims/{ready}/edit",
            data=trimmed | {"csrf": form_field(stranger.get("/ui/claims").text, "csrf")},
        ).status_code
        == 404
    )
