"""The coordinator's pages through the real app, on the demo practice's data, signed in as
users: every page renders, a work item is resolved (and audited as the user), another
practice sees nothing, and no page links carry PHI. Then people, not keys: a set-password
link, two-step sign-in from the account page, API keys refused at the sign-in form. Then
the web hardening: roles' scopes on every page, server-side sessions (the cookie is a
random ID; sign-out, idleness, age and disabling the user end them), CSRF on sign-in,
security headers, trusted hosts and the self-hosted API docs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.persistence.tables import UiSessionRow
from edigateway.security import totp
from edigateway.services import users, users_signin
from edigateway.services.access import audit_events
from tests.conftest import BuiltDemo
from tests.factories import (
    NOW,
    USER_PASSWORD,
    api_key,
    form_field,
    settings_for,
    signed_in,
    ui_user,
)

BASE = "http://127.0.0.1"  # a trusted host by default (TestClient's own "testserver" is not)
PAGES = ("/ui/", "/ui/workqueue", "/ui/claims", "/ui/eras", "/ui/aging", "/ui/aging.csv")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, built_demo: BuiltDemo) -> Iterator[Gateway]:
    """A gateway over a copy of the session's demo data (these tests resolve its items)."""
    settings = built_demo.copy_to(tmp_path_factory.mktemp("ui") / "data")
    with bootstrap(settings, clock=lambda: NOW) as gateway:
        yield gateway


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Gateway]:
    """A gateway without claims, for what needs only users and their sessions: the demo
    behind :func:`seeded` takes seconds to build, per xdist worker that needs it."""
    with bootstrap(settings_for(tmp_path), clock=lambda: NOW) as gateway:
        yield gateway


def _user(gateway: Gateway, npi: str = "1456789019", role: str = "admin") -> str:
    return ui_user(gateway.database, npi=npi, role=role)


def _client(gateway: Gateway, npi: str = "1456789019", role: str = "admin") -> TestClient:
    client = TestClient(create_app(gateway), base_url=BASE)
    signed_in(client, _user(gateway, npi, role))
    return client


@pytest.mark.slow  # 4.1 s set-up + 0.9 s at load ~2 (inner loop < 60 s)
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
    resolved = client.post(
        f"/ui/workqueue/{ids[0]}/resolve",
        data={"csrf": form_field(item.text, "csrf"), "note": "written off"},
        follow_redirects=True,
    )
    assert "Resolved: written off" in resolved.text
    forged = client.post(f"/ui/workqueue/{ids[1]}/resolve", data={"csrf": "0" * 32, "note": "x"})
    assert forged.status_code == 403
    events = list(
        audit_events(seeded.database, start=NOW.replace(hour=0), end=NOW.replace(hour=23))
    )
    (resolving,) = [
        e
        for e in events
        if e.resource == "work_item" and e.resource_id == ids[0] and e.action == "change"
    ]
    assert re.fullmatch(r"user:\d+", resolving.actor)  # the person, not a key

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


@pytest.mark.slow  # 2.7 s on the loaded 2-core machine
def test_signed_out_and_other_practice(seeded: Gateway):
    anonymous = TestClient(create_app(seeded), base_url=BASE)
    response = anonymous.get("/ui/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/ui/login")
    form = anonymous.get("/ui/login").text
    bad = anonymous.post(
        "/ui/login",
        data={
            "email": _user(seeded),
            "password": "not it at all",
            "login_csrf": form_field(form, "login_csrf"),
        },
    )
    assert bad.status_code == 401
    assert users_signin.SIGN_IN_REFUSED in bad.text
    form = anonymous.get("/ui/login").text
    key = anonymous.post(
        "/ui/login",
        data={
            "api_key": api_key(seeded),  # the old way: no more
            "login_csrf": form_field(form, "login_csrf"),
        },
    )
    assert key.status_code == 401
    assert "edg_ui" not in anonymous.cookies
    own = _client(seeded)
    claim_id = re.findall(r'href="/ui/claims/(\d+)"', own.get("/ui/claims").text)[0]
    other = _client(seeded, npi="1234567893")
    hidden = other.get(f"/ui/claims/{claim_id}")
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("text/html")
    assert "Not found" in hidden.text
    assert "MSD10" not in other.get("/ui/claims").text
    assert re.findall(r'href="/ui/workqueue/(\d+)"', other.get("/ui/workqueue").text) == []


@pytest.mark.slow  # 10.2 s set-up (the demo, only this test's in the inner loop) at load ~9
def test_replacement_and_void_from_the_claim_page(seeded: Gateway):
    client = _client(seeded)
    listing = client.get("/ui/claims").text
    paid = [
        cid
        for cid, state in re.findall(
            r'href="/ui/claims/(\d+)">[^<]+</a></td><td>(\w+)</td>', listing
        )
        if state == "paid"
    ]
    page = client.get(f"/ui/claims/{paid[0]}")
    assert "Create replacement" in page.text
    csrf = form_field(page.text, "csrf")
    codes = re.findall(r'name="code" value="(D\d{4})"', page.text)
    fees = re.findall(r'name="fee" value="([0-9.]+)"', page.text)
    bad = client.post(
        f"/ui/claims/{paid[0]}/replace",
        data={"csrf": csrf, "code": codes, "fee": ["abc"] * len(fees)},
    )
    assert bad.status_code == 422
    assert "not an amount" in bad.text
    fees[0] = f"{float(fees[0]) - 5:.2f}"
    made = client.post(
        f"/ui/claims/{paid[0]}/replace", data={"csrf": csrf, "code": codes, "fee": fees}
    )
    assert made.status_code == 200  # followed to the new claim
    assert "(ready)" in made.text
    assert str(made.url).rsplit("/", 1)[1] != paid[0]
    old = client.get(f"/ui/claims/{paid[0]}")
    assert "(replaced)" in old.text


# ------------------------------------------------------------------------- web hardening


def _claim_id(gateway: Gateway) -> str:
    return re.findall(r'href="/ui/claims/(\d+)"', _client(gateway).get("/ui/claims").text)[0]


@pytest.mark.slow  # 2.1 s on the loaded 2-core machine
def test_every_page_requires_the_scope_the_api_requires_of_the_users_role(seeded: Gateway):
    claim_id = _claim_id(seeded)
    forged = TestClient(create_app(seeded), base_url=BASE, cookies={"edg_ui": api_key(seeded)})
    stolen = forged.get("/ui/claims", follow_redirects=False)  # a key as cookie: no session
    assert (stolen.status_code, stolen.headers["location"]) == (303, "/ui/login")

    viewer = TestClient(create_app(seeded), base_url=BASE)
    assert signed_in(viewer, _user(seeded, role="viewer")) == "/ui/"
    for path in (*PAGES, f"/ui/claims/{claim_id}", "/ui/account"):
        assert viewer.get(path).status_code == 200, path
    claim = viewer.get(f"/ui/claims/{claim_id}")
    assert "Timeline" in claim.text
    assert "Create replacement" not in claim.text
    void = viewer.post(f"/ui/claims/{claim_id}/void", data={"csrf": form_field(claim.text, "csrf")})
    assert void.status_code == 403
    assert void.headers["content-type"].startswith("text/html")
    assert "your role (viewer) does not allow this" in void.text
    assert "claims:write" in void.text
    item_id = re.findall(r'href="/ui/workqueue/(\d+)"', viewer.get("/ui/workqueue").text)[0]
    item = viewer.get(f"/ui/workqueue/{item_id}")
    assert "Resolve" not in item.text
    resolved = viewer.post(
        f"/ui/workqueue/{item_id}/resolve",
        data={"csrf": form_field(item.text, "csrf"), "note": "x"},
    )
    assert resolved.status_code == 403
    assert "workqueue:write" in resolved.text

    coordinator = _client(seeded, role="coordinator")
    item = coordinator.get(f"/ui/workqueue/{item_id}")
    done = coordinator.post(
        f"/ui/workqueue/{item_id}/resolve",
        data={"csrf": form_field(item.text, "csrf"), "note": "called the payer"},
    )
    assert "Resolved: called the payer" in done.text


@pytest.mark.slow  # 1.2 s on the loaded 2-core machine
def test_the_cookie_is_a_server_side_session_that_sign_out_ends(seeded: Gateway):
    email = _user(seeded)
    client = TestClient(create_app(seeded), base_url=BASE)
    form = client.get("/ui/login")
    signed = client.post(
        "/ui/login",
        data={
            "email": email,
            "password": USER_PASSWORD,
            "login_csrf": form_field(form.text, "login_csrf"),
        },
        follow_redirects=False,
    )
    cookie = signed.cookies["edg_ui"]
    assert len(cookie) >= 43  # token_urlsafe(32)
    header = next(h for h in signed.headers.get_list("set-cookie") if h.startswith("edg_ui="))
    assert "HttpOnly" in header
    assert "SameSite=strict" in header
    assert "Path=/ui" in header
    assert "Secure" not in header  # served over http here; ui_secure_cookies is off
    with seeded.database.transaction() as session:
        stored = [r.session_hash for r in session.scalars(select(UiSessionRow))]
    assert cookie not in stored
    assert all(cookie not in value for value in stored)

    page = client.get("/ui/claims")
    assert page.status_code == 200
    out = client.post(
        "/ui/logout", data={"csrf": form_field(page.text, "csrf")}, follow_redirects=False
    )
    assert (out.status_code, out.headers["location"]) == (303, "/ui/login")
    replayed = TestClient(create_app(seeded), base_url=BASE, cookies={"edg_ui": cookie})
    again = replayed.get("/ui/claims", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/ui/login")
    user_id = users.get_user(seeded.database, user=email, practice_id=None, now=NOW).id
    events = [
        e
        for e in audit_events(seeded.database, start=NOW.replace(hour=0), end=NOW.replace(hour=23))
        if e.resource == "ui_session" and e.actor == f"user:{user_id}"
    ]
    assert [e.detail for e in events] == ["signed in", "signed out"]


def test_disabling_the_user_signs_their_sessions_out(fresh: Gateway):
    email = _user(fresh)
    client = TestClient(create_app(fresh), base_url=BASE)
    signed_in(client, email)
    assert client.get("/ui/claims").status_code == 200
    users.disable_user(fresh.database, user=email, practice_id=None, actor="cli", now=NOW)
    after = client.get("/ui/claims", follow_redirects=False)
    assert (after.status_code, after.headers["location"]) == (303, "/ui/login")


@pytest.mark.slow  # 1.4 s on the loaded 2-core machine
def test_a_set_password_link_then_two_step_sign_in_from_the_account_page(seeded: Gateway):
    link = users.create_user(
        seeded.database,
        practice="1456789019",
        email="dana.ruiz@maple.example.com",
        role="coordinator",
        actor="cli",
        now=NOW,
        keyring=seeded.keyring,
        base_url=seeded.settings.public_url,
    )
    path = link.url.removeprefix(seeded.settings.public_url)
    client = TestClient(create_app(seeded), base_url=BASE)
    page = client.get(path)
    assert "dana.ruiz@maple.example.com" in page.text
    token = form_field(page.text, "token")
    form = {"token": token, "login_csrf": form_field(page.text, "login_csrf")}
    differ = client.post(
        "/ui/set-password",
        data={**form, "password": "maple crown one", "confirm": "maple crown two"},
    )
    assert (differ.status_code, "the two passwords differ" in differ.text) == (422, True)
    form["login_csrf"] = form_field(differ.text, "login_csrf")
    short = client.post(
        "/ui/set-password", data={**form, "password": "too short", "confirm": "too short"}
    )
    assert (short.status_code, "at least 12" in short.text) == (422, True)
    form["login_csrf"] = form_field(short.text, "login_csrf")
    done = client.post(
        "/ui/set-password",
        data={**form, "password": "crown and bridge 7", "confirm": "crown and bridge 7"},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/ui/login?done=password")
    assert "Your password is set" in client.get(done.headers["location"]).text
    assert client.get(path).status_code == 410  # used up
    assert signed_in(client, "dana.ruiz@maple.example.com", "crown and bridge 7") == "/ui/"

    account = client.get("/ui/account")
    assert "coordinator" in account.text
    started = client.post(
        "/ui/account/two-step/start", data={"csrf": form_field(account.text, "csrf")}
    )
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', started.text)
    assert secret is not None
    assert "otpauth://totp/" in started.text
    wrong = client.post(
        "/ui/account/two-step/confirm",
        data={"csrf": form_field(account.text, "csrf"), "code": "12345x"},
    )
    assert (wrong.status_code, "does not match" in wrong.text) == (422, True)
    step = int(NOW.timestamp() // totp.STEP)
    on = client.post(
        "/ui/account/two-step/confirm",
        data={
            "csrf": form_field(account.text, "csrf"),
            "code": totp.code_at(secret.group(1), step),
        },
    )
    assert "Two-step sign-in</dt><dd>on" in on.text
    client.post("/ui/logout", data={"csrf": form_field(on.text, "csrf")})

    form_page = client.get("/ui/login")
    asked = client.post(
        "/ui/login",
        data={
            "email": "dana.ruiz@maple.example.com",
            "password": "crown and bridge 7",
            "login_csrf": form_field(form_page.text, "login_csrf"),
        },
    )
    assert "authenticator app" in asked.text
    assert "edg_ui" not in client.cookies  # not signed in yet
    code_form = {
        "code_token": form_field(asked.text, "code_token"),
        "login_csrf": form_field(asked.text, "login_csrf"),
    }
    elsewhere = TestClient(create_app(seeded), base_url=BASE)  # the form without its cookie
    assert (
        elsewhere.post(
            "/ui/login/code", data={**code_form, "code": totp.code_at(secret.group(1), step + 1)}
        ).status_code
        == 403
    )
    reused = client.post(
        "/ui/login/code",
        data={**code_form, "code": totp.code_at(secret.group(1), step)},
        follow_redirects=False,
    )  # the code that turned it on
    assert reused.status_code == 401
    code = totp.code_at(secret.group(1), step + 1)
    assert signed_in(client, "dana.ruiz@maple.example.com", "crown and bridge 7", code=code) == (
        "/ui/"
    )
    assert client.get("/ui/claims").status_code == 200


@pytest.mark.slow  # 1.8 s on the loaded 2-core machine
def test_sessions_end_when_idle_or_old(seeded: Gateway):
    now = [NOW]
    settings = seeded.settings.model_copy(
        update={
            "ui_session_idle_minutes": 30,
            "ui_session_absolute_hours": 1,
            "ui_secure_cookies": True,
        }
    )
    gateway = bootstrap(settings, clock=lambda: now[0])
    plain = TestClient(create_app(gateway), base_url=BASE)  # http, e.g. behind a TLS proxy
    assert "Secure" in plain.get("/ui/login").headers["set-cookie"]
    email = _user(seeded)
    client = TestClient(create_app(gateway), base_url="https://127.0.0.1")
    signed_in(client, email)
    for minutes in (20, 40, 59):  # used within the idle limit, younger than an hour
        now[0] = NOW + timedelta(minutes=minutes)
        assert client.get("/ui/claims").status_code == 200, minutes
    now[0] = NOW + timedelta(minutes=61)
    assert client.get("/ui/claims", follow_redirects=False).status_code == 303  # too old

    client = TestClient(create_app(gateway), base_url="https://127.0.0.1")
    signed_in(client, email)
    now[0] += timedelta(minutes=31)
    assert client.get("/ui/claims", follow_redirects=False).status_code == 303  # idle
    gateway.database.dispose()


@pytest.mark.slow  # 1.0 s on the loaded 2-core machine
def test_sign_in_needs_our_form_and_forms_refuse_other_sites(seeded: Gateway):
    signing = {"email": _user(seeded), "password": USER_PASSWORD}
    client = TestClient(create_app(seeded), base_url=BASE)
    bare = client.post("/ui/login", data=signing, follow_redirects=False)
    assert bare.status_code == 403
    assert "edg_ui" not in bare.cookies
    nonce = form_field(client.get("/ui/login").text, "login_csrf")
    wrong = client.post(
        "/ui/login", data={**signing, "login_csrf": "0" * 32}, follow_redirects=False
    )
    assert wrong.status_code == 403
    nonce = form_field(client.get("/ui/login").text, "login_csrf")
    for header in (
        {"Origin": "https://attacker.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Referer": "https://attacker.example/phish"},
    ):
        foreign = client.post(
            "/ui/login",
            data={**signing, "login_csrf": nonce},
            headers=header,
            follow_redirects=False,
        )
        assert foreign.status_code == 403, header
        assert "another site" in foreign.text
        assert "edg_ui" not in foreign.cookies
    other_browser = TestClient(create_app(seeded), base_url=BASE)
    stolen = other_browser.post(
        "/ui/login", data={**signing, "login_csrf": nonce}, follow_redirects=False
    )  # a form value without its cookie
    assert stolen.status_code == 403
    nonce = form_field(client.get("/ui/login").text, "login_csrf")
    own = client.post(
        "/ui/login",
        data={**signing, "login_csrf": nonce},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )  # what a browser sends under no-referrer
    assert own.status_code == 303

    page = client.get("/ui/claims")
    claim_id = re.findall(r'href="/ui/claims/(\d+)"', page.text)[0]
    voided = client.post(
        f"/ui/claims/{claim_id}/void",
        data={"csrf": form_field(page.text, "csrf")},
        headers={"Origin": "https://attacker.example"},
    )
    assert voided.status_code == 403
    assert "(voided)" not in client.get(f"/ui/claims/{claim_id}").text


@pytest.mark.slow  # 6.0 s on the loaded 2-core machine
def test_security_headers_on_pages_and_api(seeded: Gateway):
    client = _client(seeded)
    key = {"Authorization": f"Bearer {api_key(seeded)}"}
    answers = [client.get(p) for p in (*PAGES, "/ui/login")]
    answers += [
        client.get("/v1/claims", headers=key),
        client.get("/v1/claims"),
        client.get("/v1/docs"),
        client.get("/v1/openapi.json"),
    ]
    for answer in answers:
        where = str(answer.url)
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp, where
        assert "'unsafe-inline'" not in csp, where
        assert "'unsafe-eval'" not in csp, where
        assert "default-src" in csp, where
        assert "http" not in csp, where  # no third-party origin
        assert answer.headers["x-frame-options"] == "DENY", where
        assert answer.headers["x-content-type-options"] == "nosniff", where
        assert answer.headers["referrer-policy"] == "no-referrer", where
        assert answer.headers["cache-control"] == "no-store", where
        if answer.headers["content-type"].startswith("text/html"):
            assert not re.search(r"<script(?![^>]*\bsrc=)", answer.text), where
            assert " style=" not in answer.text, where
            assert not re.search(r" on[a-z]+=", answer.text), where
    static = client.get("/ui/static/ui.css")
    assert static.status_code == 200
    assert static.headers.get("cache-control") != "no-store"
    assert static.headers["x-content-type-options"] == "nosniff"


@pytest.mark.slow  # 1.2 s on the loaded 2-core machine
def test_a_forged_host_is_refused_and_redirects_stay_relative(seeded: Gateway):
    client = TestClient(create_app(seeded), base_url=BASE)
    for path in ("/ui", "/ui/", "/v1/claims/", "/v1/claims"):
        forged = client.get(path, headers={"Host": "attacker.example"}, follow_redirects=False)
        assert forged.status_code == 400, path
        assert "location" not in forged.headers, path
        assert "attacker" not in forged.text, path
    assert (
        client.get("/ui", headers={"Host": "localhost:8000"}, follow_redirects=False).headers[
            "location"
        ]
        == "/ui/"
    )
    untrusted = TestClient(create_app(seeded))  # TestClient's default Host "testserver"
    assert untrusted.get("/ui/login").status_code == 400
    allowed = seeded.settings.model_copy(update={"trusted_hosts": ["testserver"]})
    configured = TestClient(create_app(bootstrap(allowed, clock=lambda: NOW)))
    assert configured.get("/ui/login").status_code == 200


@pytest.mark.slow  # 2.2 s on the loaded 2-core machine
def test_api_docs_are_served_by_the_gateway(seeded: Gateway):
    client = TestClient(create_app(seeded), base_url=BASE)
    docs = client.get("/v1/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    assert not re.search(r"https?://", docs.text), "no CDN or other origin"
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        if asset.startswith("data:"):
            continue
        assert asset.startswith("/"), asset
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        assert len(answer.content) > 500, asset
    assert "/v1/docs" not in client.get("/v1/openapi.json").json()["paths"]
