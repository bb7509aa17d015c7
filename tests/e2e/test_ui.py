"""The coordinator's pages through the real app, on the demo practice's data: every page
renders, a work item is resolved (and audited), another practice sees nothing, and no
page links carry PHI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.services.access import audit_events, create_key
from edigateway.services.demo import run_demo
from edigateway.settings import Settings

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 9, 0)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    folder = tmp_path_factory.mktemp("ui")
    gateway = bootstrap(Settings(data_dir=folder, mappings_dir=REPO / "mappings"),
                        clock=lambda: NOW)
    run_demo(gateway, progress=False)
    gateway = bootstrap(Settings(data_dir=folder, mappings_dir=REPO / "mappings"),
                        clock=lambda: NOW)
    yield gateway
    gateway.database.dispose()


def _client(gateway: Gateway, npi: str = "1456789019", scopes: str = "admin") -> TestClient:
    key = create_key(gateway.database, practice=npi, scopes=scopes, name="ui",
                     keyring=gateway.keyring, now=NOW, create_name=f"P{npi}")
    client = TestClient(create_app(gateway), base_url="http://testserver")
    signed = client.post("/ui/login", data={"api_key": key.token}, follow_redirects=False)
    assert signed.status_code == 303
    return client


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match is not None
    return match.group(1)


def test_pages_render_and_a_work_item_is_resolved(seeded: Gateway):
    client = _client(seeded)
    today = client.get("/ui/")
    assert today.status_code == 200
    assert "Denials to appeal or write off" in today.text
    queue = client.get("/ui/workqueue", params={"reason": "denied"})
    ids = re.findall(r'href="/ui/workqueue/(\d+)"', queue.text)
    assert len(ids) == 5
    item = client.get(f"/ui/workqueue/{ids[0]}")
    assert "Non-covered charge(s)" in item.text  # CO-96 in plain words
    assert re.search(r"<code>(CLP|SVC|CAS)\*", item.text), "the source segment is shown"
    resolved = client.post(f"/ui/workqueue/{ids[0]}/resolve",
                           data={"csrf": _csrf(item.text), "note": "written off"},
                           follow_redirects=True)
    assert "Resolved: written off" in resolved.text
    forged = client.post(f"/ui/workqueue/{ids[1]}/resolve", data={"csrf": "0" * 32,
                                                                  "note": "x"})
    assert forged.status_code == 403
    events = list(audit_events(seeded.database, start=NOW.replace(hour=0),
                               end=NOW.replace(hour=23)))
    assert any(e["resource"] == "work_item" and e["resource_id"] == ids[0] for e in events)

    claims = client.get("/ui/claims")
    estimated = re.search(r'href="/ui/claims/(\d+)">MSD1002<', claims.text)
    assert estimated is not None
    compared = client.get(f"/ui/claims/{estimated.group(1)}").text
    assert "Estimate vs actual" in compared
    assert "No estimate was given" not in compared
    claim_id = re.findall(r'href="/ui/claims/(\d+)"', claims.text)[0]
    claim = client.get(f"/ui/claims/{claim_id}")
    assert "Timeline" in claim.text
    assert "837D" in claim.text
    eras = client.get("/ui/eras")
    era_id = re.findall(r'href="/ui/eras/(\d+)"', eras.text)[0]
    era = client.get(f"/ui/eras/{era_id}")
    assert "balanced" in era.text
    assert "does not balance" not in era.text
    aging = client.get("/ui/aging")
    assert "<svg" in aging.text
    assert "<title" in aging.text
    csv = client.get("/ui/aging.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("payer,payer_id,claims,0-30")
    for page in (today, queue, item, claims, claim, eras, era, aging):
        for link in re.findall(r'href="([^"]+)"', page.text):
            assert not re.search(r"NGUYEN|OKAFOR|PPO\d|DHMO\d|\d{4}-\d{2}-\d{2}", link), link


def test_signed_out_and_other_practice(seeded: Gateway):
    anonymous = TestClient(create_app(seeded))
    response = anonymous.get("/ui/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/ui/login")
    bad = anonymous.post("/ui/login", data={"api_key": "edg_nope"})
    assert bad.status_code == 401
    assert "not an edigateway API key" in bad.text
    own = _client(seeded)
    claim_id = re.findall(r'href="/ui/claims/(\d+)"', own.get("/ui/claims").text)[0]
    other = _client(seeded, npi="1234567893")
    hidden = other.get(f"/ui/claims/{claim_id}")
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("text/html")
    assert "Not found" in hidden.text
    assert "MSD10" not in other.get("/ui/claims").text
    assert re.findall(r'href="/ui/workqueue/(\d+)"', other.get("/ui/workqueue").text) == []


def test_replacement_and_void_from_the_claim_page(seeded: Gateway):
    client = _client(seeded)
    listing = client.get("/ui/claims").text
    paid = [cid for cid, state in re.findall(
        r'href="/ui/claims/(\d+)">[^<]+</a></td><td>(\w+)</td>', listing) if state == "paid"]
    page = client.get(f"/ui/claims/{paid[0]}")
    assert "Create replacement" in page.text
    csrf = _csrf(page.text)
    codes = re.findall(r'name="code" value="(D\d{4})"', page.text)
    fees = re.findall(r'name="fee" value="([0-9.]+)"', page.text)
    bad = client.post(f"/ui/claims/{paid[0]}/replace",
                      data={"csrf": csrf, "code": codes, "fee": ["abc"] * len(fees)})
    assert bad.status_code == 422
    assert "not an amount" in bad.text
    fees[0] = f"{float(fees[0]) - 5:.2f}"
    made = client.post(f"/ui/claims/{paid[0]}/replace",
                       data={"csrf": csrf, "code": codes, "fee": fees})
    assert made.status_code == 200  # followed to the new claim
    assert "(ready)" in made.text
    assert str(made.url).rsplit("/", 1)[1] != paid[0]
    old = client.get(f"/ui/claims/{paid[0]}")
    assert "(replaced)" in old.text
