"""The claim page's upload form (issue 16, item 2 in the dashboard), through the real app
and users signed in through the form: a coordinator attaches a radiograph with its report
type, sees it listed with its attachment control number and downloads it exactly as
uploaded; a file that is no image or PDF, one over the limit, an unknown report type, a
forged CSRF token, a viewer and another practice are each refused with the reason on the
page (or 403/404), and nothing is stored for them. The claim then sent carries the
attachment's PWK (the 837D's side is tested through the API in test_api_attachments)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.x12.validation import Validator
from tests.factories import (
    FIXTURES,
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
LIMIT = 64 << 10
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
"""A radiograph's bytes as far as the gateway can tell (JPEG magic, every byte value)."""


@dataclass
class Desk:
    gateway: Gateway
    api: TestClient
    key: dict[str, str]

    def browser(self, role: str = "coordinator", npi: str = PRACTICE_NPI) -> TestClient:
        client = TestClient(self.api.app, base_url=BASE)
        signed_in(client, ui_user(self.gateway.database, npi=npi, role=role))
        return client

    def attachments(self, claim_id: int) -> list[dict[str, Any]]:
        listed = self.api.get(f"/v1/claims/{claim_id}/attachments", headers=self.key)
        assert listed.status_code == 200, listed.text
        items: list[dict[str, Any]] = listed.json()["items"]
        return items


@pytest.fixture
def desk(tmp_path: Path, validator: Validator) -> Iterator[Desk]:
    settings = settings_for(tmp_path, attachment_max_bytes=LIMIT)
    with simulated_gateway(settings, validator) as (_, gateway):
        key = {"Authorization": f"Bearer {api_key(gateway, npi=PRACTICE_NPI)}"}
        with TestClient(create_app(gateway), base_url=BASE) as api:
            yield Desk(gateway, api, key)


def _claim(desk: Desk, pcn: str) -> int:
    claims = json.loads((FIXTURES / "claims" / "05_crown_initial.json").read_text())["claims"]
    created = desk.api.post(
        "/v1/claims", json=claims[0] | {"patient_control_number": pcn}, headers=desk.key
    )
    assert created.status_code == 201, created.text
    claim_id: int = created.json()["id"]
    return claim_id


def _upload(
    browser: TestClient,
    claim_id: int,
    csrf: str,
    data: bytes,
    name: str = "bitewing 3.jpg",
    report_type: str = "RB",
) -> httpx.Response:
    return browser.post(
        f"/ui/claims/{claim_id}/attachments",
        data={"csrf": csrf, "report_type": report_type},
        files={"file": (name, data, "image/jpeg")},
    )


@pytest.mark.slow  # 2.0 s at load ~2 (inner loop < 60 s)
def test_a_coordinator_attaches_lists_and_downloads_a_radiograph(desk: Desk):
    claim_id = _claim(desk, "UPL0001")
    browser = desk.browser()
    page = browser.get(f"/ui/claims/{claim_id}")
    assert page.status_code == 200
    assert "No attachments." in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert '<option value="RB" selected>RB radiology films (radiographs)</option>' in page.text
    csrf = form_field(page.text, "csrf")

    done = _upload(browser, claim_id, csrf, JPEG)
    assert done.status_code == 200, done.text  # followed to the claim page
    (stored,) = desk.attachments(claim_id)
    assert (stored["report_type"], stored["media_type"], stored["size"]) == (
        "RB",
        "image/jpeg",
        len(JPEG),
    )
    assert stored["file_name"] == "bitewing 3.jpg"
    assert stored["created_by"].startswith("user:")  # the audit names the person
    assert str(stored["control_number"]) in done.text
    link = re.search(r'href="(/ui/attachments/\d+/content)">bitewing 3.jpg</a>', done.text)
    assert link is not None
    download = browser.get(link.group(1))
    assert download.status_code == 200
    assert download.content == JPEG
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["cache-control"] == "no-store"
    assert f'filename="{stored["control_number"]}.jpg"' in download.headers["content-disposition"]

    submitted = browser.post(f"/ui/claims/{claim_id}/submit", data={"csrf": csrf})
    assert submitted.status_code == 200
    assert re.search(r"<td>EL 20\d\d-", submitted.text), "the page says how it went"


@pytest.mark.slow  # 2.0 s on the loaded 2-core machine
def test_bad_files_and_bad_callers_are_refused_and_nothing_is_stored(desk: Desk):
    claim_id = _claim(desk, "UPL0002")
    browser = desk.browser()
    csrf = form_field(browser.get(f"/ui/claims/{claim_id}").text, "csrf")

    text = _upload(browser, claim_id, csrf, b"just some notes", name="notes.txt")
    assert text.status_code == 415
    assert re.search(r'class="error" role="alert">notes.txt: the content is not a JPEG', text.text)
    large = _upload(browser, claim_id, csrf, JPEG + b"\0" * LIMIT, name="pano.jpg")
    assert large.status_code == 413
    assert f"pano.jpg is over {LIMIT:,} bytes" in large.text
    empty = _upload(browser, claim_id, csrf, b"", name="empty.jpg")
    assert empty.status_code == 422
    assert "the file is empty" in empty.text
    unknown = _upload(browser, claim_id, csrf, JPEG, report_type="ZZ")
    assert unknown.status_code == 422
    assert "ZZ&#39; is not a PWK01 report type" in unknown.text
    assert _upload(browser, claim_id, "0" * 32, JPEG).status_code == 403
    assert desk.attachments(claim_id) == []

    viewer = desk.browser(role="viewer")
    viewed = viewer.get(f"/ui/claims/{claim_id}")
    assert "Upload attachment" not in viewed.text
    refused = _upload(viewer, claim_id, form_field(viewed.text, "csrf"), JPEG)
    assert refused.status_code == 403
    assert "claims:write" in refused.text

    assert _upload(browser, claim_id, csrf, JPEG).status_code == 200
    (stored,) = desk.attachments(claim_id)
    stranger = desk.browser(role="admin", npi=OTHER_NPI)
    theirs = form_field(stranger.get("/ui/claims").text, "csrf")
    assert _upload(stranger, claim_id, theirs, JPEG).status_code == 404
    assert stranger.get(f"/ui/attachments/{stored['id']}/content").status_code == 404
    assert viewer.get(f"/ui/attachments/{stored['id']}/content").content == JPEG
    assert len(desk.attachments(claim_id)) == 1
