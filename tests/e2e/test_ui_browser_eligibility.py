"""A coordinator's verification morning in a real browser (Playwright driving Debian's
Chromium, headless) against uvicorn and the clearinghouse simulator on loopback: two
patients booked for tomorrow wait in the verification queue, "Verify all" checks them, one
check's page shows the benefits, and the patient's estimate is downloaded as a PDF whose
text holds the patient, each procedure, the totals and the disclaimer — with no
Content-Security-Policy violation on the way. Screenshots go to ``screenshots/`` in the
run's pytest temporary folder, never into the checkout."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest

from edigateway.api.app import create_app
from edigateway.domain.eligibility import UpcomingVisit
from edigateway.services import fees, visits
from edigateway.services.access import practice_by
from edigateway.services.practice_claims import Caller
from edigateway.x12.validation import Validator
from tests.factories import NOW, USER_PASSWORD, settings_for, simulated_gateway, ui_user

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


@dataclass
class Served:
    base: str
    email: str


def _visit(external_id: str, member: str, first: str, **more: object) -> UpcomingVisit:
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, validator: Validator) -> Iterator[Served]:
    import uvicorn

    folder = tmp_path_factory.mktemp("browser-eligibility")
    with simulated_gateway(settings_for(folder), validator) as (_, gateway):
        email = ui_user(gateway.database, role="coordinator")
        with gateway.database.transaction() as session:
            caller = Caller(practice_by(session, "1456789019").id, "pm")
        visits.save(
            gateway.database,
            caller,
            [
                _visit("APPT-0900", "PDP300412", "SAMUEL"),
                _visit(
                    "APPT-0945",
                    "PDP100234",
                    "SAMUEL",
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
        yield Served(f"http://127.0.0.1:{port}", email)
        instance.should_exit = True
        thread.join()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's screenshots folder (shared with the other browser tests)."""
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


def test_verify_the_queue_and_download_the_patients_estimate(
    server: Served, shots: Path, tmp_path: Path
):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
        page.goto(server.base + "/ui/login")
        page.get_by_label("Email").fill(server.email)
        page.get_by_label("Password").fill(USER_PASSWORD)
        page.keyboard.press("Enter")
        page.get_by_role("link", name="Eligibility").click()
        assert page.get_by_text("2 patient(s) to verify").is_visible()
        assert page.get_by_role("cell", name="ADA OKONKWO").is_visible()
        page.screenshot(path=str(shots / "eligibility-queue.png"), full_page=True)

        page.get_by_role("button", name="Verify all 2 now").click()
        assert page.get_by_text("Checked just now").is_visible()
        assert page.get_by_text("0 patient(s) to verify").is_visible()
        page.screenshot(path=str(shots / "eligibility-verified.png"), full_page=True)

        page.locator("table").filter(has_text="Checked just now").locator(
            "a[href^='/ui/eligibility/']"
        ).first.click()
        assert page.get_by_text("coverage active").first.is_visible()
        page.get_by_label("Procedures, one a line").fill("D0120 65.00\nD1110 110.00")
        page.screenshot(path=str(shots / "eligibility-check.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the patient's estimate (PDF)").click()
        saved = tmp_path / "estimate.pdf"
        download.value.save_as(saved)
        browser.close()
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(saved).pages)
    for expected in (
        "SAMUEL OKONKWO",
        "Periodic exam",
        "Adult cleaning",
        "175.00",
        "140.00",
        "not a guarantee of payment",
    ):
        assert expected in text, expected
    assert violations == []
