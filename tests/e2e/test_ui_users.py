"""The dashboard's Users page (issue 16, item 7) through the real app, signed in as users:
an admin creates a user and sees the set-password link once (the new user sets a password
through it and signs in), issues a new link (two-step sign-in off), disables a user (whose
session ends at once); bad input comes back on the page; a coordinator and a viewer get a
403 naming the scope; another practice's user is 404 and its users are not listed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.bootstrap import bootstrap
from edigateway.services.users import list_users
from tests.factories import (
    NOW,
    PRACTICE_NPI,
    USER_PASSWORD,
    form_field,
    settings_for,
    signed_in,
    ui_user,
)

BASE = "http://127.0.0.1"
OTHER_NPI = "1234567893"
NEW_PASSWORD = "a long new passphrase 42"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    with bootstrap(settings_for(tmp_path), clock=lambda: NOW) as gateway:
        yield create_app(gateway)


def _browser_of(app: FastAPI, email: str, password: str = USER_PASSWORD) -> TestClient:
    client = TestClient(app, base_url=BASE)
    signed_in(client, email, password)
    return client


def _browser(app: FastAPI, role: str = "admin", npi: str = PRACTICE_NPI) -> TestClient:
    return _browser_of(app, ui_user(app.state.gateway.database, npi=npi, role=role))


def _link(html: str) -> str:
    match = re.search(r'<code id="set-password-url">([^<]+)</code>', html)
    assert match is not None, "no set-password link shown"
    return match.group(1).replace("&amp;", "&")


def _user_id(app: FastAPI, email: str) -> int:
    found = [
        u
        for u in list_users(app.state.gateway.database, practice=None, now=NOW)
        if u.email == email
    ]
    return found[0].id


@pytest.mark.slow  # 1.3 s on the loaded 2-core machine
def test_an_admin_creates_a_user_who_sets_a_password_and_signs_in(app: FastAPI):
    admin = _browser(app)
    page = admin.get("/ui/users")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    csrf = form_field(page.text, "csrf")

    made = admin.post(
        "/ui/users", data={"csrf": csrf, "email": "Pat.Lee@Maple.example", "role": "coordinator"}
    )
    assert made.status_code == 200, made.text
    assert "User pat.lee@maple.example created" in made.text
    url = _link(made.text)
    assert "pat.lee@maple.example" in admin.get("/ui/users").text
    assert "set-password-url" not in admin.get("/ui/users").text, "the link is shown once"

    person = TestClient(app, base_url=BASE)
    form = person.get(urlsplit(url).path + "?" + urlsplit(url).query)
    assert form.status_code == 200
    done = person.post(
        "/ui/set-password",
        data={
            "token": form_field(form.text, "token"),
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "login_csrf": form_field(form.text, "login_csrf"),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    coordinator = _browser_of(app, "pat.lee@maple.example", NEW_PASSWORD)
    assert coordinator.get("/ui/claims").status_code == 200

    again = admin.post(
        "/ui/users", data={"csrf": csrf, "email": "pat.lee@maple.example", "role": "viewer"}
    )
    assert again.status_code == 409
    assert "already exists" in again.text
    bad = admin.post("/ui/users", data={"csrf": csrf, "email": "not-an-email", "role": "viewer"})
    assert bad.status_code == 422
    assert "is not an email address" in bad.text
    assert 'value="not-an-email"' in bad.text, "what was typed comes back"
    assert (
        admin.post("/ui/users", data={"email": "x@maple.example", "role": "viewer"}).status_code
        == 403
    ), "no CSRF token"


@pytest.mark.slow  # 6.2 s on the loaded 2-core machine
def test_new_link_and_disable(app: FastAPI):
    admin = _browser(app)
    csrf = form_field(admin.get("/ui/users").text, "csrf")
    email = ui_user(app.state.gateway.database, role="viewer")
    viewer = _browser_of(app, email)
    user_id = _user_id(app, email)

    linked = admin.post(f"/ui/users/{user_id}/link", data={"csrf": csrf, "clear_two_step": "yes"})
    assert linked.status_code == 200
    assert f"New set-password link for {email}" in linked.text
    assert "token=" in _link(linked.text)

    disabled = admin.post(
        f"/ui/users/{user_id}/disable", data={"csrf": csrf}, follow_redirects=False
    )
    assert disabled.status_code == 303
    row = re.search(rf'<tr id="user-{user_id}">.*?</tr>', admin.get("/ui/users").text, re.DOTALL)
    assert row is not None
    assert "disabled" in row.group(0)
    gone = viewer.get("/ui/claims", follow_redirects=False)
    assert gone.status_code == 303, "the disabled user's session ended"
    assert gone.headers["location"] == "/ui/login"
    refused = admin.post(f"/ui/users/{user_id}/link", data={"csrf": csrf})
    assert refused.status_code == 409
    assert "is disabled" in refused.text

    me = _user_id(app, _field_email(admin))
    self_disable = admin.post(f"/ui/users/{me}/disable", data={"csrf": csrf})
    assert self_disable.status_code == 409
    assert "cannot disable yourself" in self_disable.text


def _field_email(client: TestClient) -> str:
    match = re.search(
        r'<p class="me"><a href="/ui/account">([^<]+)</a>', client.get("/ui/users").text
    )
    assert match is not None
    return match.group(1)


@pytest.mark.slow  # 1.0 s at load ~2 (inner loop < 60 s)
def test_only_admins_of_the_practice(app: FastAPI):
    email = ui_user(app.state.gateway.database, role="viewer")
    user_id = _user_id(app, email)
    for role in ("coordinator", "viewer"):
        browser = _browser(app, role=role)
        page = browser.get("/ui/users")
        assert page.status_code == 403, role
        assert "users:admin" in page.text
        assert 'href="/ui/users"' not in browser.get("/ui/account").text
        csrf = form_field(browser.get("/ui/account").text, "csrf")
        for url in ("/ui/users", f"/ui/users/{user_id}/disable", f"/ui/users/{user_id}/link"):
            assert (
                browser.post(
                    url, data={"csrf": csrf, "email": "x@y.example", "role": "admin"}
                ).status_code
                == 403
            ), url

    other = _browser(app, npi=OTHER_NPI)
    listed = other.get("/ui/users")
    assert listed.status_code == 200
    assert email not in listed.text
    csrf = form_field(listed.text, "csrf")
    for url in (f"/ui/users/{user_id}/disable", f"/ui/users/{user_id}/link"):
        assert other.post(url, data={"csrf": csrf}).status_code == 404, url
    assert [
        u.status
        for u in list_users(app.state.gateway.database, practice=None, now=NOW)
        if u.id == user_id
    ] == ["active"]
