"""The users API (issue 16, item 6) through the real app: an admin key creates, lists,
reads and disables the practice's dashboard users and sends set-password links; bad input
and a taken email are problem documents naming the field; another practice's user is a
404 like a missing one; a key without ``users:admin`` is a 403; the link the API hands out
sets the password on the dashboard and the user signs in; disabling signs them out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.services.access import audit_events
from tests.factories import NOW, api_key, form_field, settings_for, signed_in

BASE = "http://127.0.0.1"
A, B = "1456789019", "1234567893"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = settings_for(
        tmp_path_factory.mktemp("users") / "var", public_url="https://edi.maple.example"
    )
    with bootstrap(settings, clock=lambda: NOW) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def api(gateway: Gateway) -> Iterator[TestClient]:
    with TestClient(create_app(gateway), base_url=BASE) as client:
        yield client


def _as(gateway: Gateway, npi: str, scopes: str = "users:admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key(gateway, npi=npi, scopes=scopes)}"}


def _problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"].endswith(f"/{kind}"), body
    return body


@pytest.mark.slow  # 2.1 s on the loaded 2-core machine
def test_an_admin_creates_lists_reads_and_disables_users(gateway: Gateway, api: TestClient):
    a = _as(gateway, A)
    created = api.post(
        "/v1/users", json={"email": "Pat.Lee@Maple.example", "role": "coordinator"}, headers=a
    )
    assert created.status_code == 201, created.text
    body = created.json()
    user = body["user"]
    assert (user["email"], user["role"], user["status"], user["two_step"]) == (
        "pat.lee@maple.example",
        "coordinator",
        "invited",
        False,
    )
    assert "claims:write" in user["scopes"]
    assert "users:admin" not in user["scopes"]
    assert re.fullmatch(r"key:[0-9a-f]{12}", user["created_by"])
    assert body["set_password_url"].startswith("https://edi.maple.example/ui/set-password?token=")
    assert body["expires_at"].endswith("Z")
    listed = api.get("/v1/users", headers=a).json()["items"]
    assert [u["id"] for u in listed] == [user["id"]]
    assert "set_password_url" not in str(listed)
    assert api.get(f"/v1/users/{user['id']}", headers=a).json()["email"] == user["email"]

    dashboard = TestClient(create_app(gateway), base_url=BASE)
    page = dashboard.get(body["set_password_url"].removeprefix("https://edi.maple.example"))
    assert "pat.lee@maple.example" in page.text
    set_form = {
        "token": form_field(page.text, "token"),
        "login_csrf": form_field(page.text, "login_csrf"),
        "password": "bitewing and crown 9",
        "confirm": "bitewing and crown 9",
    }
    assert dashboard.post("/ui/set-password", data=set_form).status_code == 200
    signed_in(dashboard, "pat.lee@maple.example", "bitewing and crown 9")
    assert dashboard.get("/ui/claims").status_code == 200
    assert api.get(f"/v1/users/{user['id']}", headers=a).json()["status"] == "active"

    disabled = api.post(f"/v1/users/{user['id']}/disable", headers=a)
    assert disabled.json()["status"] == "disabled"
    assert disabled.json()["disabled_at"].endswith("Z")
    gone = dashboard.get("/ui/claims", follow_redirects=False)
    assert (gone.status_code, gone.headers["location"]) == (303, "/ui/login")
    again = api.post(f"/v1/users/{user['id']}/disable", headers=a)
    assert again.json() == disabled.json()
    _problem(api.post(f"/v1/users/{user['id']}/password-link", headers=a), 409, "conflict")
    actors = {
        e.actor
        for e in audit_events(gateway.database, start=NOW.replace(hour=0), end=NOW.replace(hour=23))
        if e.resource == "user"
    }
    assert f"user:{user['id']}" in actors  # the password set by the person
    assert user["created_by"] in actors  # created and disabled by the key


@pytest.mark.slow  # 1.4 s at load ~2 (inner loop < 60 s)
def test_a_new_link_for_a_forgotten_password_or_lost_phone(gateway: Gateway, api: TestClient):
    a = _as(gateway, A)
    user = api.post(
        "/v1/users", json={"email": "sam.ortiz@maple.example", "role": "viewer"}, headers=a
    ).json()
    first = user["set_password_url"]
    fresh = api.post(
        f"/v1/users/{user['user']['id']}/password-link", params={"clear_two_step": True}, headers=a
    )
    assert fresh.status_code == 201
    assert fresh.json()["set_password_url"] != first
    dashboard = TestClient(create_app(gateway), base_url=BASE)
    assert dashboard.get(first.removeprefix("https://edi.maple.example")).status_code == 410
    page = dashboard.get(fresh.json()["set_password_url"].removeprefix("https://edi.maple.example"))
    assert page.status_code == 200


def test_bad_input_is_a_problem_naming_the_field(gateway: Gateway, api: TestClient):
    a = _as(gateway, A)
    body = _problem(
        api.post("/v1/users", json={"email": "pat", "role": "coordinator"}, headers=a),
        422,
        "invalid-input",
    )
    assert "not an email address" in body["detail"]
    body = _problem(
        api.post("/v1/users", json={"email": "x@maple.example", "role": "owner"}, headers=a),
        422,
        "invalid-input",
    )
    assert body["errors"][0]["path"] == "role"
    body = _problem(
        api.post("/v1/users", json={"email": "x@maple.example"}, headers=a), 422, "invalid-input"
    )
    assert body["errors"][0]["path"] == "role"
    body = _problem(
        api.post(
            "/v1/users",
            json={"email": "x@maple.example", "role": "viewer", "password": "hunter2hunter2"},
            headers=a,
        ),
        422,
        "invalid-input",
    )
    assert body["errors"][0]["path"] == "password"  # passwords are never sent to the API
    _problem(
        api.post(
            "/v1/users",
            content=b"email=x",
            headers=a | {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        415,
        "unsupported-media-type",
    )
    api.post("/v1/users", json={"email": "taken@maple.example", "role": "viewer"}, headers=a)
    body = _problem(
        api.post(
            "/v1/users",
            json={"email": "TAKEN@maple.example", "role": "admin"},
            headers=_as(gateway, B),
        ),
        409,
        "conflict",
    )
    assert "already exists" in body["detail"]
    _problem(api.get("/v1/users/0", headers=a), 422, "invalid-input")


def test_another_practice_users_are_not_found_and_scopes_are_enforced(
    gateway: Gateway, api: TestClient
):
    a, b = _as(gateway, A), _as(gateway, B)
    mine = api.post(
        "/v1/users", json={"email": "lee.a@maple.example", "role": "admin"}, headers=a
    ).json()["user"]["id"]
    for method, path in (
        ("GET", f"/v1/users/{mine}"),
        ("POST", f"/v1/users/{mine}/disable"),
        ("POST", f"/v1/users/{mine}/password-link"),
    ):
        theirs = api.request(method, path, headers=b)
        missing = api.request(method, path.replace(str(mine), str(2**31 - 1)), headers=b)
        body = _problem(theirs, 404, "not-found")
        assert body["detail"].replace(str(mine), "ID") == _problem(missing, 404, "not-found")[
            "detail"
        ].replace(str(2**31 - 1), "ID")
    assert all(u["id"] != mine for u in api.get("/v1/users", headers=b).json()["items"])
    assert api.get(f"/v1/users/{mine}", headers=a).json()["status"] == "invited"
    coordinator_key = _as(gateway, A, scopes="claims:write,claims:read,eligibility")
    body = _problem(api.get("/v1/users", headers=coordinator_key), 403, "forbidden")
    assert "users:admin" in body["detail"]
    assert api.get("/v1/users", headers=_as(gateway, A, scopes="admin")).status_code == 200
    _problem(api.get("/v1/users"), 401, "unauthorized")
