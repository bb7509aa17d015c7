"""The dashboard's Payers page: a coordinator sees the practice's payers with their filing
terms and sets them (audited as the person), a typing mistake comes back as the page with
the reason and the values as typed, a viewer sees the terms without the forms and cannot
post them, and another practice's coordinator cannot reach this practice's payer."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.persistence.tables import AuditEventRow
from edigateway.services.payer_limits import payer_practice, payers
from tests.factories import (
    PRACTICE_NPI,
    api_key,
    claim_document,
    form_field,
    signed_in,
    ui_user,
)

OTHER_NPI = "1234567893"
ACTION = "/ui/payers/DDPIL/filing-limits"


@pytest.fixture
def client(gateway: Gateway) -> Iterator[TestClient]:
    with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
        key = {"Authorization": f"Bearer {api_key(gateway)}"}
        created = client.post("/v1/claims", json=claim_document("05_crown_initial"), headers=key)
        assert created.status_code == 201, created.text
        yield client


def _terms(gateway: Gateway) -> tuple[int, int | None]:
    (ddpil,) = payers(gateway.database, payer_practice(gateway.database, PRACTICE_NPI))
    return ddpil.timely_filing_days, ddpil.secondary_filing_days


def _row(html: str) -> str:
    match = re.search(r'<tr id="payer-DDPIL">.*?</tr>', html, re.S)
    assert match is not None, "no DDPIL row on the page"
    return match.group(0)


def test_a_coordinator_sets_a_payers_terms_from_the_page(gateway: Gateway, client: TestClient):
    signed_in(client, ui_user(gateway.database, role="coordinator"))
    page = client.get("/ui/payers")
    assert page.status_code == 200, page.text
    assert '<a href="/ui/payers">Payers</a>' in page.text
    row = _row(page.text)
    assert "PRAIRIE DENTAL PLAN" in row
    assert re.search(r'<td class="num">365</td><td class="num">—</td>', row)
    csrf = form_field(page.text, "csrf")

    saved = client.post(
        ACTION,
        data={"csrf": csrf, "timely_filing_days": "180", "secondary_filing_days": "90"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/ui/payers#payer-DDPIL"
    assert _terms(gateway) == (180, 90)
    assert re.search(
        r'<td class="num">180</td><td class="num">90</td>', _row(client.get("/ui/payers").text)
    )

    cleared = client.post(
        ACTION,
        data={"csrf": csrf, "timely_filing_days": " 150 ", "secondary_filing_days": ""},
        follow_redirects=False,
    )
    assert cleared.status_code == 303, cleared.text
    assert _terms(gateway) == (150, None)
    with gateway.database.transaction() as session:
        actors = session.scalars(
            select(AuditEventRow.actor).where(AuditEventRow.resource == "payer_filing_limits")
        ).all()
    assert len(actors) == 2
    assert all(actor.startswith("user:") for actor in actors), actors


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ({"timely_filing_days": "six months"}, "must be a whole number of days, not 'six months'"),
        ({"timely_filing_days": "0"}, "timely-filing limit 0 days is out of range (1–3650)"),
        (
            {"timely_filing_days": "180", "secondary_filing_days": "4000"},
            "secondary filing window 4000 days is out of range (1–3650)",
        ),
    ],
)
def test_a_typing_mistake_comes_back_with_the_reason_and_the_values_typed(
    gateway: Gateway, client: TestClient, typed: dict[str, str], said: str
):
    signed_in(client, ui_user(gateway.database, role="coordinator"))
    csrf = form_field(client.get("/ui/payers").text, "csrf")
    answer = client.post(ACTION, data={"csrf": csrf, **typed})
    assert answer.status_code == 422
    assert said in html.unescape(answer.text)
    assert 'role="alert">DDPIL: ' in answer.text
    assert f'value="{typed["timely_filing_days"]}"' in _row(answer.text)
    assert _terms(gateway) == (365, None)


def test_a_viewer_sees_the_terms_but_cannot_change_them(gateway: Gateway, client: TestClient):
    signed_in(client, ui_user(gateway.database, role="viewer"))
    page = client.get("/ui/payers")
    assert page.status_code == 200
    assert "<form" not in _row(page.text)
    refused = client.post(
        ACTION, data={"csrf": form_field(page.text, "csrf"), "timely_filing_days": "30"}
    )
    assert refused.status_code == 403
    assert _terms(gateway) == (365, None)


def test_without_the_forms_token_or_from_another_practice_nothing_changes(
    gateway: Gateway, client: TestClient
):
    signed_in(client, ui_user(gateway.database, role="coordinator"))
    assert client.post(ACTION, data={"csrf": "x", "timely_filing_days": "30"}).status_code == 403
    signed_in(client, ui_user(gateway.database, npi=OTHER_NPI, role="coordinator"))
    other = client.get("/ui/payers")
    assert "DDPIL" not in other.text
    answer = client.post(
        ACTION, data={"csrf": form_field(other.text, "csrf"), "timely_filing_days": "30"}
    )
    assert answer.status_code == 404
    assert _terms(gateway) == (365, None)
