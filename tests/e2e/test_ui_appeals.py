"""The dashboard's Appeals pages (issue 16, item 7) through the real app, SFTP on loopback
and the simulator, signed in as users: a coordinator appeals the claim the simulator
denies from the claim's appeals page (reason, narrative, the claim's attachment
enclosed), downloads the letter (PDF text checked, HTML), records the send (the claim
becomes appealed, its denial item closes), moves the follow-up and records the outcome;
the list filters by status and outcome; bad input comes back on the page; a viewer reads
but may not change (403 naming the scope); another practice's claim and appeal are 404."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pypdf
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
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


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

    def denied_claim(self, pcn: str = "APL2001") -> int:
        """The night guard alone (the simulator does not cover D9944): denied in full."""
        document = json.loads(
            (FIXTURES / "claims" / "23_perio_maintenance_and_night_guard.json").read_text()
        )["claims"][0]
        guard = document["lines"][1] | {"description": "OCCLUSAL GUARD, HARD, FULL ARCH"}
        document |= {"patient_control_number": pcn, "total_charge": "550.00", "lines": [guard]}
        created = self.api.post("/v1/claims", json=document, headers=self.key)
        assert created.status_code == 201, created.text
        claim_id: int = created.json()["id"]
        sent = self.api.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=self.key)
        assert sent.status_code == 202, sent.text
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
        state = self.api.get(f"/v1/claims/{claim_id}", headers=self.key).json()["state"]
        assert state == "denied"
        return claim_id

    def items(self, reason: str) -> list[dict[str, object]]:
        found = self.api.get("/v1/workqueue", params={"reason": reason}, headers=self.key)
        items: list[dict[str, object]] = found.json()["items"]
        return items


@pytest.fixture
def desk(tmp_path: Path, validator: Validator) -> Iterator[Desk]:
    with simulated_gateway(settings_for(tmp_path), validator) as (sim, gateway):
        key = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_NPI)}"}
        with TestClient(create_app(gateway), base_url=BASE) as api:
            yield Desk(gateway, sim, api, key)


def _csrf(browser: TestClient) -> str:
    return form_field(browser.get("/ui/appeals").text, "csrf")


@pytest.mark.slow  # 2.1 s on the loaded 2-core machine
def test_a_coordinator_appeals_a_denial_from_the_dashboard(desk: Desk):
    claim_id = desk.denied_claim()
    upload = desk.api.post(
        f"/v1/claims/{claim_id}/attachments",
        headers=desk.key,
        files={"file": ("bruxism-narrative.pdf", PDF, "application/pdf")},
        data={"report_type": "B4"},
    )
    assert upload.status_code == 201, upload.text
    attachment = upload.json()
    browser = desk.browser()
    csrf = _csrf(browser)

    form = browser.get(f"/ui/claims/{claim_id}/appeals")
    assert form.status_code == 200
    assert "Appeal this claim" in form.text
    assert "bruxism-narrative.pdf" in form.text
    assert attachment["control_number"] in form.text

    no_reason = browser.post(
        f"/ui/claims/{claim_id}/appeals",
        data={"csrf": csrf, "reason": "", "narrative": "Bruxism, documented."},
    )
    assert no_reason.status_code == 422
    assert "reason: choose why" in no_reason.text
    assert "Bruxism, documented." in no_reason.text, "what was typed comes back"
    no_csrf = browser.post(
        f"/ui/claims/{claim_id}/appeals", data={"reason": "medical_necessity", "narrative": "x"}
    )
    assert no_csrf.status_code == 403

    made = browser.post(
        f"/ui/claims/{claim_id}/appeals",
        data={
            "csrf": csrf,
            "reason": "medical_necessity",
            "narrative": "The patient has documented bruxism with wear facets.",
            "attachment": [str(attachment["id"])],
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page_url = made.headers["location"]
    appeal_id = int(page_url.rsplit("/", 1)[1])
    page = browser.get(page_url)
    assert "Appeal #" in page.text
    assert "(draft)" in page.text
    assert "550.00" in page.text
    assert "documented bruxism" in page.text
    again = browser.get(f"/ui/claims/{claim_id}/appeals")
    assert "is not sent yet" in again.text
    assert "Appeal this claim" not in again.text
    claim_page = browser.get(f"/ui/claims/{claim_id}")
    assert f'href="/ui/claims/{claim_id}/appeals">1 appeal</a>' in claim_page.text
    assert f'href="/ui/appeals/{appeal_id}">#{appeal_id}</a> draft' in claim_page.text

    _edit_draft(browser, csrf, appeal_id)
    _check_letter(browser, appeal_id, attachment["control_number"])
    _send_follow_up_and_decide(desk, browser, csrf, claim_id, appeal_id)


def _edit_draft(browser: TestClient, csrf: str, appeal_id: int) -> None:
    """The unsent appeal is changed on its page: the form shows what it holds, bad input
    comes back with what was typed, a change writes the letter again (without the
    enclosure, then with it back)."""
    page = browser.get(f"/ui/appeals/{appeal_id}")
    assert "Change the appeal" in page.text
    assert '<option value="medical_necessity" selected>' in page.text
    assert re.search(r'id="edit-attachment\d+" name="attachment" value="\d+" checked', page.text)
    chosen = re.findall(r'id="edit-attachment\d+" name="attachment" value="(\d+)"', page.text)
    empty = browser.post(
        f"/ui/appeals/{appeal_id}/edit",
        data={"csrf": csrf, "reason": "not_covered", "narrative": "   "},
    )
    assert empty.status_code == 422
    assert "the narrative is empty" in empty.text
    assert '<option value="not_covered" selected>' in empty.text, "what was chosen comes back"
    assert (
        browser.post(
            f"/ui/appeals/{appeal_id}/edit", data={"reason": "other", "narrative": "x"}
        ).status_code
        == 403
    ), "no CSRF token"
    changed = browser.post(
        f"/ui/appeals/{appeal_id}/edit",
        data={
            "csrf": csrf,
            "reason": "not_covered",
            "narrative": "Bruxism with wear facets; the guard protects the restorations.",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    letter = browser.get(f"/ui/appeals/{appeal_id}/letter.html").text
    assert "the guard protects the restorations" in letter
    assert "documented bruxism" not in letter
    assert "bruxism-narrative.pdf" not in letter, "the enclosure was left out"
    assert "Should have been covered" in browser.get(f"/ui/appeals/{appeal_id}").text
    back = browser.post(
        f"/ui/appeals/{appeal_id}/edit",
        data={
            "csrf": csrf,
            "reason": "medical_necessity",
            "narrative": "The patient has documented bruxism with wear facets.",
            "attachment": chosen,
        },
        follow_redirects=False,
    )
    assert back.status_code == 303, back.text
    assert "bruxism-narrative.pdf" in browser.get(f"/ui/appeals/{appeal_id}/letter.html").text


def _check_letter(browser: TestClient, appeal_id: int, control_number: str) -> None:
    """The PDF (downloaded) names the claim, procedure, totals, the CARC in words, the
    narrative and the enclosure; the HTML says the same."""
    pdf = browser.get(f"/ui/appeals/{appeal_id}/letter.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    text = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    for expected in (
        "APL2001",
        "D9944",
        "OCCLUSAL GUARD, HARD, FULL ARCH",
        "550.00",
        "Non-covered charge",
        "documented bruxism",
        "bruxism-narrative.pdf",
        control_number,
    ):
        assert expected in text, expected
    html = browser.get(f"/ui/appeals/{appeal_id}/letter.html")
    assert html.headers["content-type"].startswith("text/html")
    assert "Non-covered charge" in html.text
    # the letter's own stylesheet applies under its policy (allowed by hash), nothing else
    style = re.search(r"<style>(.*?)</style>", html.text, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    policy = html.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in policy
    assert policy.startswith("default-src 'none';")
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def _send_follow_up_and_decide(
    desk: Desk, browser: TestClient, csrf: str, claim_id: int, appeal_id: int
) -> None:
    assert [i["claim"] for i in desk.items("denied")] == ["APL2001"]
    bad_day = browser.post(
        f"/ui/appeals/{appeal_id}/sent",
        data={"csrf": csrf, "method": "fax", "sent_on": "24/11/2026"},
    )
    assert bad_day.status_code == 422
    assert "sent on: '24/11/2026' is not a date" in unescape(bad_day.text)
    future = browser.post(
        f"/ui/appeals/{appeal_id}/sent",
        data={"csrf": csrf, "method": "fax", "sent_on": "2999-01-01"},
    )
    assert future.status_code == 422
    assert "in the future" in future.text
    sent = browser.post(
        f"/ui/appeals/{appeal_id}/sent",
        data={"csrf": csrf, "method": "fax", "sent_on": "", "follow_up_on": ""},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    state = desk.api.get(f"/v1/claims/{claim_id}", headers=desk.key).json()["state"]
    assert state == "appealed"
    assert desk.items("denied") == [], "sending the appeal closes the denial item"
    twice = browser.post(f"/ui/appeals/{appeal_id}/sent", data={"csrf": csrf, "method": "mail"})
    assert twice.status_code == 409
    assert "was sent already" in twice.text
    assert "Change the appeal" not in browser.get(f"/ui/appeals/{appeal_id}").text
    late = browser.post(
        f"/ui/appeals/{appeal_id}/edit",
        data={"csrf": csrf, "reason": "other", "narrative": "one more thing"},
    )
    assert late.status_code == 409
    assert "its letter is what the payer has" in unescape(late.text)
    assert "Change the appeal" not in late.text

    moved = browser.post(
        f"/ui/appeals/{appeal_id}/follow-up",
        data={"csrf": csrf, "follow_up_on": "2027-03-01"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert (
        desk.api.get(f"/v1/appeals/{appeal_id}", headers=desk.key).json()["follow_up_on"]
        == "2027-03-01"
    )

    sent_list = browser.get("/ui/appeals", params={"status": "sent"})
    assert f'href="/ui/appeals/{appeal_id}"' in sent_list.text
    assert (
        f'href="/ui/appeals/{appeal_id}"'
        not in browser.get("/ui/appeals", params={"status": "draft"}).text
    )

    won = browser.post(
        f"/ui/appeals/{appeal_id}/outcome",
        data={"csrf": csrf, "decision": "won", "note": "paid on review"},
        follow_redirects=False,
    )
    assert won.status_code == 303
    decided = browser.get(f"/ui/appeals/{appeal_id}")
    assert "won" in decided.text
    assert "paid on review" in decided.text
    assert "Record the outcome" not in decided.text
    assert (
        f'href="/ui/appeals/{appeal_id}"'
        in browser.get("/ui/appeals", params={"outcome": "won"}).text
    )
    assert (
        f'href="/ui/appeals/{appeal_id}"'
        not in browser.get("/ui/appeals", params={"outcome": "lost"}).text
    )


def test_a_claim_the_payer_has_not_answered_cannot_be_appealed(desk: Desk):
    document = json.loads((FIXTURES / "claims" / "05_crown_initial.json").read_text())
    created = desk.api.post("/v1/claims", json=document["claims"][0], headers=desk.key)
    claim_id = created.json()["id"]
    browser = desk.browser()
    page = browser.get(f"/ui/claims/{claim_id}/appeals")
    assert "once the payer answered it" in page.text
    refused = browser.post(
        f"/ui/claims/{claim_id}/appeals",
        data={"csrf": _csrf(browser), "reason": "other", "narrative": "please pay"},
    )
    assert refused.status_code == 409
    assert "only a claim the payer answered" in refused.text


@pytest.mark.slow  # 2.6 s on the loaded 2-core machine
def test_a_viewer_reads_but_may_not_appeal_and_another_practice_sees_nothing(desk: Desk):
    claim_id = desk.denied_claim()
    made = desk.api.post(
        f"/v1/claims/{claim_id}/appeals",
        headers=desk.key,
        json={"reason": "not_covered", "narrative": "A's own narrative"},
    )
    appeal_id = made.json()["id"]

    viewer = desk.browser(role="viewer")
    assert viewer.get("/ui/appeals").status_code == 200
    page = viewer.get(f"/ui/appeals/{appeal_id}")
    assert page.status_code == 200
    assert "Record the send" not in page.text
    assert "Change the appeal" not in page.text
    assert "Appeal this claim" not in viewer.get(f"/ui/claims/{claim_id}/appeals").text
    csrf = _csrf(viewer)
    for url, data in (
        (f"/ui/claims/{claim_id}/appeals", {"reason": "other", "narrative": "x"}),
        (f"/ui/appeals/{appeal_id}/edit", {"reason": "other", "narrative": "x"}),
        (f"/ui/appeals/{appeal_id}/sent", {"method": "fax"}),
        (f"/ui/appeals/{appeal_id}/outcome", {"decision": "won"}),
    ):
        refused = viewer.post(url, data={"csrf": csrf, **data})
        assert refused.status_code == 403, url
        assert "claims:write" in refused.text

    other = desk.browser(role="admin", npi=OTHER_NPI)
    other_csrf = _csrf(other)
    assert "APL2001" not in other.get("/ui/appeals").text
    for url in (
        f"/ui/claims/{claim_id}/appeals",
        f"/ui/appeals/{appeal_id}",
        f"/ui/appeals/{appeal_id}/letter.pdf",
        f"/ui/appeals/{appeal_id}/letter.html",
    ):
        assert other.get(url).status_code == 404, url
    for url, data in (
        (f"/ui/claims/{claim_id}/appeals", {"reason": "other", "narrative": "x"}),
        (f"/ui/appeals/{appeal_id}/edit", {"reason": "other", "narrative": "x"}),
        (f"/ui/appeals/{appeal_id}/sent", {"method": "fax"}),
        (f"/ui/appeals/{appeal_id}/follow-up", {"follow_up_on": "2027-01-01"}),
        (f"/ui/appeals/{appeal_id}/outcome", {"decision": "won"}),
    ):
        assert other.post(url, data={"csrf": other_csrf, **data}).status_code == 404, url
    assert desk.api.get(f"/v1/appeals/{appeal_id}", headers=desk.key).json()["status"] == "draft"
