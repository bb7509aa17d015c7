"""A practice's payers and their filing terms through the API: ``GET /v1/payers`` lists
them, ``PUT /v1/payers/{payer_id}/filing-limits`` sets both terms at once (a left-out
secondary window is cleared), the change is audited and takes effect on the next submit,
and every wrong request is a problem naming the field; another practice's payer is a 404
and stays as it was.

MSD1005 (fixtures/claims/05_crown_initial.json, DDPIL) was treated 118 days before the
suite's clock: a 130-day limit leaves 12 days (warned), the default 365 nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway
from edigateway.persistence.tables import AuditEventRow
from edigateway.services.payer_limits import (
    payer_practice,
    set_secondary_filing,
    set_timely_filing,
)
from tests.factories import NOW, PRACTICE_NPI, api_key, claim_document, problem_body

OTHER_NPI = "1234567893"
LIMITS = "/v1/payers/DDPIL/filing-limits"


@pytest.fixture
def client(gateway: Gateway) -> Iterator[TestClient]:
    with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
        yield client


def _key(gateway: Gateway, npi: str = PRACTICE_NPI, scopes: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key(gateway, npi=npi, scopes=scopes)}"}


def _create(client: TestClient, key: dict[str, str]) -> int:
    created = client.post("/v1/claims", json=claim_document("05_crown_initial"), headers=key)
    assert created.status_code == 201, created.text
    claim_id: int = created.json()["id"]
    return claim_id


def _ddpil(client: TestClient, key: dict[str, str]) -> dict[str, Any]:
    listed = client.get("/v1/payers", headers=key)
    assert listed.status_code == 200, listed.text
    (found,) = [p for p in listed.json()["payers"] if p["payer_id"] == "DDPIL"]
    return dict(found)


def test_payers_are_listed_with_their_terms_and_set_as_a_whole(
    gateway: Gateway, client: TestClient
):
    a, b = _key(gateway), _key(gateway, OTHER_NPI)
    _create(client, a)
    assert _ddpil(client, a) == {
        "payer_id": "DDPIL",
        "name": "PRAIRIE DENTAL PLAN",
        "aliases": [],
        "timely_filing_days": 365,
        "secondary_filing_days": None,
    }
    assert client.get("/v1/payers", headers=b).json() == {"payers": []}

    both = client.put(
        LIMITS, json={"timely_filing_days": 180, "secondary_filing_days": 90}, headers=a
    )
    assert both.status_code == 200, both.text
    assert (both.json()["timely_filing_days"], both.json()["secondary_filing_days"]) == (180, 90)
    assert _ddpil(client, a) == both.json()

    only_limit = client.put(LIMITS, json={"timely_filing_days": 120}, headers=a)
    assert only_limit.status_code == 200, only_limit.text
    assert (
        only_limit.json()["timely_filing_days"],
        only_limit.json()["secondary_filing_days"],
    ) == (
        120,
        None,
    )

    with gateway.database.transaction() as session:
        audited = session.execute(
            select(AuditEventRow.actor, AuditEventRow.action, AuditEventRow.detail)
            .where(
                AuditEventRow.resource == "payer_filing_limits",
                AuditEventRow.resource_id == "DDPIL",
            )
            .order_by(AuditEventRow.id)
        ).all()
    assert [(action, detail) for _, action, detail in audited] == [
        ("change", "180 days from service, secondary 90 days from the primary's payment"),
        ("change", "120 days from service"),
    ]
    assert all(actor.startswith("key:") for actor, _, _ in audited), audited


def test_a_limit_set_through_the_api_warns_the_next_submit(gateway: Gateway, client: TestClient):
    a = _key(gateway)
    claim_id = _create(client, a)
    assert client.put(LIMITS, json={"timely_filing_days": 130}, headers=a).status_code == 200
    sent = client.post("/v1/claims/submit", json={"claim_ids": [claim_id]}, headers=a)
    assert sent.status_code == 202, sent.text
    assert [(w["code"], w["deadline"]) for w in sent.json()["warnings"]] == [
        ("timely_filing_due", "2026-12-05")
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timely_filing_days": 0}, "timely_filing_days"),
        ({"timely_filing_days": 3651}, "timely_filing_days"),
        ({"timely_filing_days": "soon"}, "timely_filing_days"),
        ({}, "timely_filing_days"),
        ({"timely_filing_days": 180, "secondary_filing_days": 0}, "secondary_filing_days"),
        ({"timely_filing_days": 180, "days": 90}, "days"),
    ],
)
def test_a_wrong_body_is_a_problem_naming_the_field(
    gateway: Gateway, client: TestClient, body: dict[str, Any], field: str
):
    a = _key(gateway)
    _create(client, a)
    errors = problem_body(client.put(LIMITS, json=body, headers=a), 422)["errors"]
    assert any(e["path"] == field for e in errors), errors
    assert _ddpil(client, a)["timely_filing_days"] == 365


def test_unknown_and_other_practices_payers_are_not_found(gateway: Gateway, client: TestClient):
    a, b = _key(gateway), _key(gateway, OTHER_NPI)
    _create(client, a)
    body = {"timely_filing_days": 30}
    assert "unknown" in problem_body(client.put(LIMITS, json=body, headers=b), 404)["detail"]
    problem_body(client.put("/v1/payers/NOSUCHPAYER/filing-limits", json=body, headers=a), 404)
    problem_body(client.put("/v1/payers/DD-PIL/filing-limits", json=body, headers=a), 422)
    assert _ddpil(client, a)["timely_filing_days"] == 365


def test_the_scopes_are_claims_read_and_claims_write(gateway: Gateway, client: TestClient):
    _create(client, _key(gateway))
    reader = _key(gateway, scopes="claims:read")
    assert client.get("/v1/payers", headers=reader).status_code == 200
    problem_body(client.put(LIMITS, json={"timely_filing_days": 30}, headers=reader), 403)
    problem_body(client.get("/v1/payers", headers=_key(gateway, scopes="estimates")), 403)


def test_the_cli_use_cases_are_audited_too(gateway: Gateway, client: TestClient):
    """``payers set-limit`` and ``set-secondary-limit`` call these two (as ``cli``)."""
    _create(client, _key(gateway))
    practice = payer_practice(gateway.database, PRACTICE_NPI)
    set_timely_filing(gateway.database, "DDPIL", 150, practice_id=practice, now=NOW)
    set_secondary_filing(gateway.database, "DDPIL", 60, practice_id=practice, now=NOW)
    set_secondary_filing(gateway.database, "DDPIL", None, practice_id=practice, now=NOW)
    with gateway.database.transaction() as session:
        audited = session.scalars(
            select(AuditEventRow.detail)
            .where(AuditEventRow.resource == "payer_filing_limits", AuditEventRow.actor == "cli")
            .order_by(AuditEventRow.id)
        ).all()
    assert audited == [
        "150 days from service",
        "150 days from service, secondary 60 days from the primary's payment",
        "150 days from service",
    ]
