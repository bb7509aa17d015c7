"""The dashboard's ERA page (issue 16, item 7) over claims imported and 835s posted through
the real CLI: postings name the claim by its number (not a database ID), each CARC/RARC
shows its meaning beside the code, and the payments (CLPs) that matched no claim are
listed with their amounts; another practice gets a 404."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.cli import app as cli
from edigateway.settings import Settings
from tests.factories import NOW, PRACTICE_NPI, REPO, signed_in, ui_user

BASE = "http://127.0.0.1"
OTHER_NPI = "1234567893"
ERA = REPO / "fixtures" / "era"


@pytest.fixture
def gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    for args in (
        ["claims", "import", str(ERA / "claims.json")],
        ["era", "post", str(ERA / "08_unmatched_claim" / "era.835")],
        ["era", "post", str(ERA / "03_denial" / "era.835")],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.stdout + result.stderr
    with bootstrap(Settings(data_dir=tmp_path / "var"), clock=lambda: NOW) as made:
        yield made


def _browser(gateway: Gateway, npi: str = PRACTICE_NPI) -> TestClient:
    client = TestClient(create_app(gateway), base_url=BASE)
    signed_in(client, ui_user(gateway.database, npi=npi, role="viewer"))
    return client


def _era(browser: TestClient, trace: str) -> tuple[str, str]:
    eras = browser.get("/ui/eras").text
    found = re.search(rf'href="/ui/eras/(\d+)">[^<]*{trace}', eras) or re.search(
        rf'{trace}.*?href="/ui/eras/(\d+)"', eras, re.DOTALL
    )
    assert found is not None, f"no ERA {trace} listed"
    page = browser.get(f"/ui/eras/{found.group(1)}")
    assert page.status_code == 200
    return found.group(1), page.text


@pytest.mark.slow  # 3.2 s on the loaded 2-core machine
def test_claim_numbers_unmatched_payments_and_code_meanings(gateway: Gateway):
    browser = _browser(gateway)
    era_id, unmatched = _era(browser, "TRN0801")
    assert re.search(r'href="/ui/claims/\d+">ERA109</a>', unmatched)
    assert re.search(r">claim \d+<", unmatched) is None, "no database IDs as claim names"
    section = unmatched.split("Payments that matched no claim", 1)[1]
    assert "OTHERPRACTICE77" in section
    assert "PCC999" in section
    assert "200.00" in section
    assert "160.00" in section

    _denial_id, denial = _era(browser, "TRN0301")
    assert re.search(r'href="/ui/claims/\d+">ERA103</a>', denial)
    assert re.search(r"<strong>CO-197</strong> contractual[^<]+: [A-Z][^<]+", denial)
    assert re.search(r"<strong>N54</strong> Claim information is inconsistent[^<]+", denial)
    assert "see the message" not in denial
    assert "None." in denial.split("Payments that matched no claim", 1)[1]

    other = _browser(gateway, npi=OTHER_NPI)
    assert other.get(f"/ui/eras/{era_id}").status_code == 404


@pytest.mark.slow  # 1.6 s at load ~2 (inner loop < 60 s)
def test_only_the_payee_practice_sees_the_payments_that_matched_no_claim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """ERA 08 is made out to MAPLE (payee NPI 1456789019), which is not a practice of
    this gateway yet when it is posted: its claim ERA109 belongs to practice B (billing
    NPI 1234567893), so it matches B's claim; OTHERPRACTICE77 matches nothing. B sees the
    ERA through its claim but not the unmatched payment (another practice's patient);
    MAPLE, once it is a practice, sees the unmatched payment but not B's posting."""
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    document = json.loads((ERA / "claims.json").read_text())
    claim = next(c for c in document["claims"] if c["patient_control_number"] == "ERA109")
    claim["billing_provider"] |= {"npi": OTHER_NPI, "organization_name": "OAK LANE DENTAL"}
    claims_file = tmp_path / "b-claims.json"
    claims_file.write_text(json.dumps(document | {"claims": [claim]}))
    for args in (
        ["claims", "import", str(claims_file)],
        ["era", "post", str(ERA / "08_unmatched_claim" / "era.835")],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.stdout + result.stderr
    with bootstrap(Settings(data_dir=tmp_path / "var"), clock=lambda: NOW) as gateway:
        b = _browser(gateway, npi=OTHER_NPI)
        era_id, seen_by_b = _era(b, "TRN0801")
        assert re.search(r'href="/ui/claims/\d+">ERA109</a>', seen_by_b), "B's own posting"
        section = seen_by_b.split("Payments that matched no claim", 1)[1]
        assert "OTHERPRACTICE77" not in section
        assert "PCC999" not in section
        assert "the rest of this ERA pays another practice" in section

        payee = _browser(gateway, npi=PRACTICE_NPI)
        page = payee.get(f"/ui/eras/{era_id}")
        assert page.status_code == 200, "the payee sees the ERA made out to it"
        listed = page.text.split("Payments that matched no claim", 1)[1]
        assert "OTHERPRACTICE77" in listed
        assert "PCC999" in listed
        assert "ERA109" not in page.text, "B's claim is not the payee's to see"
