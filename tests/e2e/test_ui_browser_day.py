"""A coordinator's day in a real browser (Playwright driving Debian's Chromium, headless)
against uvicorn and the clearinghouse simulator on loopback, signed in as a coordinator
user (issue 16, "Done when"): verify the two patients of the visit queue, estimate a plan
and download the patient's PDF, attach a radiograph to a claim on its page and submit it
(the 837D carries ``PWK*RB*EL***AC*<number>``, the simulator receives the 275), fix and
resubmit a claim the clearinghouse's 999 rejected in the claim editor, appeal a denial and
download the letter, and send a secondary from the claim page — with no
Content-Security-Policy violation on the way. Claims are created through the API (as a PM
system does: the dashboard has no new-claim form); the exchange with the simulator is
driven from the test, as the outbox sender and poller would on their schedule. Each page's
screenshot goes to ``screenshots/`` in the run's pytest temporary folder."""

from __future__ import annotations

import copy
import json
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.domain.eligibility import UpcomingVisit
from edigateway.services import fees, visits
from edigateway.services.access import practice_by
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.services.practice_claims import Caller
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import (
    FIXTURES,
    NOW,
    PRACTICE_NPI,
    USER_PASSWORD,
    api_key,
    second_plan,
    settings_for,
    simulated_gateway,
    ui_user,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed (the test set-up tries "
        "`apt-get install chromium`; it was not available here)",
    ),
]

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
"""A bitewing radiograph as far as the gateway can tell (JPEG magic, every byte value)."""


@dataclass
class Served:
    base: str
    email: str
    gateway: Gateway
    sim: Simulator
    api: httpx.Client

    def create(self, document: dict[str, Any]) -> int:
        created = self.api.post("/v1/claims", json=document)
        assert created.status_code == 201, created.text
        claim_id: int = created.json()["id"]
        return claim_id

    def submit(self, claim_id: int) -> None:
        sent = self.api.post("/v1/claims/submit", json={"claim_ids": [claim_id]})
        assert sent.status_code == 202, sent.text

    def state(self, claim_id: int) -> str:
        state: str = self.api.get(f"/v1/claims/{claim_id}").json()["state"]
        return state

    def exchange(self, in_transit: Callable[[Path], None] | None = None) -> None:
        """What the scheduler does: send the outbox, let the simulator answer (after
        ``in_transit`` saw the uploaded files), bring the answers back."""
        profile = self.gateway.profile()
        with self.gateway.sftp_transport(profile) as transport:
            drain_outbox(self.gateway.database, transport, clearinghouse=profile.name, now=NOW)
            if in_transit is not None:
                in_transit(self.sim.root / "to_clearinghouse")
            self.sim.cycle()
            poll_inbound(
                self.gateway.database,
                transport,
                clearinghouse=profile.name,
                codes=self.gateway.codes,
                now=NOW,
            )


def _visit(external_id: str, member: str, **more: object) -> UpcomingVisit:
    return UpcomingVisit.model_validate(
        {
            "external_id": external_id,
            "visit_date": (NOW + timedelta(days=1)).date(),
            "payer": {"payer_id": "DDPIL", "name": "PRAIRIE DENTAL PLAN"},
            "subscriber": {
                "name": {"last_name": "OKONKWO", "first_name": "SAMUEL"},
                "member_id": member,
                "date_of_birth": "1962-07-04",
            },
            "procedures": ["D0120", "D1110"],
            **more,
        }
    )


def _fixture(name: str, pcn: str) -> dict[str, Any]:
    document = json.loads((FIXTURES / "claims" / f"{name}.json").read_text())
    claim: dict[str, Any] = copy.deepcopy(
        document["claims"][0] if "claims" in document else document
    )
    claim["patient_control_number"] = pcn
    return claim


def _denied(pcn: str) -> dict[str, Any]:
    """The night guard alone (the simulator does not cover D9944): denied in full."""
    claim = _fixture("23_perio_maintenance_and_night_guard", pcn)
    guard = claim["lines"][1] | {"description": "OCCLUSAL GUARD, HARD, FULL ARCH"}
    return claim | {"total_charge": "550.00", "lines": [guard]}


def _with_secondary(pcn: str) -> dict[str, Any]:
    """Two lines to the primary plan, naming a secondary plan (GRDN1)."""
    claim = _fixture("07_quadrant_scaling", pcn)
    claim["other_payers"] = [second_plan(claim["subscriber"]["name"])]
    return claim


def _garble_service_date(pcn: str) -> Callable[[Path], None]:
    """Damage claim ``pcn``'s file on its way (a service date no calendar has), so the
    clearinghouse's 999 rejects its transaction set — the stored claim stays sound."""

    def garble(inbox: Path) -> None:
        hits = 0
        for path in inbox.iterdir():
            text = path.read_text(encoding="latin-1")
            if f"CLM*{pcn}*" in text:
                text, n = re.subn(r"DTP\*472\*D8\*\d{8}", "DTP*472*D8*20261341", text)
                path.write_text(text, encoding="latin-1")
                hits += n
        assert hits, f"no 837D of {pcn} in {inbox}"

    return garble


def _pdf_text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(path).pages)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, validator: Validator) -> Iterator[Served]:
    import uvicorn

    folder = tmp_path_factory.mktemp("browser-day")
    with simulated_gateway(settings_for(folder), validator) as (sim, gateway):
        email = ui_user(gateway.database, role="coordinator")
        key = api_key(gateway, npi=PRACTICE_NPI)
        with gateway.database.transaction() as session:
            caller = Caller(practice_by(session, PRACTICE_NPI).id, "pm")
        visits.save(
            gateway.database,
            caller,
            [
                _visit("APPT-0900", "PDP300412"),
                _visit(
                    "APPT-0945",
                    "PDP100234",
                    patient={
                        "name": {"last_name": "OKONKWO", "first_name": "ADA"},
                        "relationship": "19",
                    },
                ),
            ],
            now=NOW,
        )
        fees.load(
            gateway.database,
            caller,
            "DDPIL",
            fees.FeeSchedule(
                entries=[
                    fees.FeeEntry(procedure_code="D0120", fee="52.00", description="Periodic exam"),
                    fees.FeeEntry(
                        procedure_code="D1110", fee="88.00", description="Adult cleaning"
                    ),
                ]
            ),
            now=NOW,
        )
        config = uvicorn.Config(create_app(gateway), host="127.0.0.1", port=0, log_level="warning")
        instance = uvicorn.Server(config)
        thread = threading.Thread(target=instance.run, daemon=True)
        thread.start()
        while not instance.started:
            time.sleep(0.05)
        port = instance.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as api:
            yield Served(base, email, gateway, sim, api)
        instance.should_exit = True
        thread.join()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's screenshots folder (shared with the other browser tests)."""
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


def test_a_coordinators_day(server: Served, shots: Path, tmp_path: Path):  # noqa: PLR0915
    crown = server.create(_fixture("05_crown_initial", "DAY0001"))
    bounced = server.create(_fixture("05_crown_initial", "DAY0002"))
    guard = server.create(_denied("DAY0003"))
    scaling = server.create(_with_secondary("DAY0004"))
    radiograph = tmp_path / "bitewing-3.jpg"
    radiograph.write_bytes(JPEG)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(f"{page.url}: {m.text}") if m.type == "error" else None,
        )

        def shot(name: str) -> None:
            page.screenshot(path=str(shots / f"day-{name}.png"), full_page=True)

        page.goto(server.base + "/ui/login")
        page.get_by_label("Email").fill(server.email)
        page.get_by_label("Password").fill(USER_PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(server.base + "/ui/")
        shot("today")

        # 1. the visit queue: two patients verified at once
        page.get_by_role("link", name="Eligibility").click()
        assert page.get_by_text("2 patient(s) to verify").is_visible()
        shot("eligibility-queue")
        page.get_by_role("button", name="Verify all 2 now").click()
        assert page.get_by_text("0 patient(s) to verify").is_visible()
        shot("eligibility-verified")

        # 2. a plan estimated from the stored check; the patient's PDF
        page.locator("table").filter(has_text="Checked just now").locator(
            "a[href^='/ui/eligibility/']"
        ).first.click()
        page.get_by_label("Procedures, one a line").fill("D0120 65.00\nD1110 110.00")
        shot("eligibility-check")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the patient's estimate (PDF)").click()
        estimate = tmp_path / "estimate.pdf"
        download.value.save_as(estimate)
        text = _pdf_text(estimate)
        for expected in (
            "OKONKWO",
            "Periodic exam",
            "Adult cleaning",
            "not a guarantee of payment",
        ):
            assert expected in text, expected

        # 3. a radiograph attached on the claim page, the claim submitted
        page.goto(f"{server.base}/ui/claims/{crown}")
        assert page.get_by_text("No attachments.").is_visible()
        page.get_by_label("File", exact=True).set_input_files(str(radiograph))
        page.get_by_label("Report type (PWK01)").select_option("RB")
        page.get_by_role("button", name="Upload attachment").click()
        (attached,) = server.api.get(f"/v1/claims/{crown}/attachments").json()["items"]
        control = attached["control_number"]
        assert page.get_by_role("cell", name=control).is_visible()
        assert page.get_by_role("link", name="bitewing-3.jpg").is_visible()
        shot("claim-attachment")
        page.get_by_role("button", name="Submit").click()
        assert page.get_by_text("(queued)").is_visible()
        shot("claim-submitted")
        page.goto(f"{server.base}/ui/claims/{bounced}")
        page.get_by_role("button", name="Submit").click()
        assert page.get_by_text("(queued)").is_visible()
        for claim_id in (guard, scaling):
            server.submit(claim_id)

        server.exchange(in_transit=_garble_service_date("DAY0002"))
        received = [
            f.read_text(encoding="latin-1") for f in (server.sim.root / "received").iterdir()
        ]
        (sent,) = [t for t in received if "CLM*DAY0001*" in t and "ST*837*" in t]
        assert f"PWK*RB*EL***AC*{control}~" in sent
        assert control in server.sim.clearinghouse.state.attachments
        assert server.state(crown) in ("paid", "partially_paid")
        page.goto(f"{server.base}/ui/claims/{crown}")
        assert page.get_by_role("cell", name="EL ").first.is_visible()
        shot("claim-paid")

        # 4. the 999-rejected claim fixed and resent under its own number
        assert server.state(bounced) == "ch_rejected"
        page.goto(f"{server.base}/ui/claims/{bounced}")
        shot("claim-rejected")
        page.get_by_role("link", name="Fix and resubmit").click()
        page.get_by_label("Prior authorization").fill("PA-20261")
        shot("claim-editor")
        page.get_by_role("button", name="Resubmit").click()
        assert page.get_by_text("(queued)").is_visible()
        resubmitted = int(page.url.rsplit("/", 1)[1])
        assert resubmitted != bounced
        assert server.state(bounced) == "resubmitted"
        shot("claim-resubmitted")

        # 5. the denial appealed; the letter downloaded
        assert server.state(guard) == "denied"
        page.goto(f"{server.base}/ui/claims/{guard}/appeals")
        page.get_by_label("Why the decision should change").select_option(index=1)
        page.get_by_label("Narrative").fill(
            "Bruxism documented since 2024; the guard protects the restorations."
        )
        shot("appeal-form")
        page.get_by_role("button", name="Make the appeal and its letter").click()
        shot("appeal")
        page.get_by_label("Narrative").fill(
            "Bruxism documented since 2024; the guard protects the restorations. "
            "Night-time grinding confirmed at the last recall."
        )
        page.get_by_role("button", name="Save the changes").click()
        assert page.get_by_text("confirmed at the last recall").first.is_visible()
        page.get_by_role("link", name="Read it as a web page").click()
        assert page.get_by_text("confirmed at the last recall").is_visible()
        font = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert font == "serif", "the letter's own stylesheet applies under its CSP"
        shot("appeal-letter")
        page.go_back()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the letter (PDF)").click()
        letter = tmp_path / "letter.pdf"
        download.value.save_as(letter)
        assert "DAY0003" in _pdf_text(letter)
        assert "confirmed at the last recall" in _pdf_text(letter)

        # 6. the secondary the primary's 835 built, sent from the claim page
        page.goto(f"{server.base}/ui/claims/{scaling}")
        shot("claim-secondary-due")
        page.get_by_role("button", name="Send secondary").click()
        assert page.get_by_text("DAY0004-S").first.is_visible()
        assert page.get_by_text("(queued)").is_visible()
        shot("claim-secondary")

        server.exchange()
        assert server.state(resubmitted) in ("paid", "partially_paid")
        browser.close()
    assert violations == []
