"""The coordinator's pages in a real browser (Playwright driving Debian's Chromium,
headless) against uvicorn on loopback with the demo practice's data, signed in as users:
sign in, every page, resolve a work item by keyboard and mouse, another practice's claim
unreachable, a new user setting their password from their link and turning two-step
sign-in on; then the hardening as a browser meets it: every page and the API docs under
their Content-Security-Policy without a single violation or foreign request, a 403 page
for a role without the scope, sign-out and disabling the user ending the session, and a
sign-in form posted from another site refused. Screenshots of each page go to
``screenshots/`` in the run's pytest temporary folder
(``$TMPDIR/pytest-of-$USER/pytest-current/screenshots/``), never into the checkout."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.security import totp
from edigateway.services import users
from tests.conftest import BuiltDemo
from tests.factories import NOW, USER_PASSWORD, form_field, ui_user

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.slow,  # a real Chromium driving uvicorn
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed (the test set-up tries "
        "`apt-get install chromium`; it was not available here)",
    ),
]


@dataclass
class Served:
    base: str
    own: str
    other: str
    gateway: Gateway

    def user(self, role: str) -> str:
        """A new user of the demo practice with ``role``; their email."""
        return ui_user(self.gateway.database, role=role)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built_demo: BuiltDemo) -> Iterator[Served]:
    import uvicorn

    settings = built_demo.copy_to(tmp_path_factory.mktemp("browser") / "data")
    gateway = bootstrap(settings, clock=lambda: NOW)
    own = ui_user(gateway.database, npi="1456789019", role="admin")
    other = ui_user(gateway.database, npi="1234567893", role="admin")
    config = uvicorn.Config(create_app(gateway), host="127.0.0.1", port=0, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    while not instance.started:
        time.sleep(0.05)
    port = instance.servers[0].sockets[0].getsockname()[1]
    yield Served(f"http://127.0.0.1:{port}", own, other, gateway)
    instance.should_exit = True
    thread.join()
    gateway.database.dispose()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: the run's temporary folder, not the checkout (shared with
    the other browser tests, whichever runs first)."""
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


def _sign_in(
    browser: object, base: str, email: str, password: str = USER_PASSWORD, shots: Path | None = None
) -> object:
    page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page.goto(base + "/ui/")
    assert page.url.endswith("/ui/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    if shots is not None:
        page.screenshot(path=str(shots / "sign-in.png"))
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/ui/")
    return page


def test_every_page_and_resolving_an_item(server: Served, browser: object, shots: Path):
    base, own = server.base, server.own
    page = _sign_in(browser, base, own, shots=shots)
    assert page.get_by_role("heading", name="Today").is_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "today.png"), full_page=True)  # type: ignore[attr-defined]

    page.get_by_role("link", name="Work queue").click()  # type: ignore[attr-defined]
    page.get_by_label("Reason").select_option("denied")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Filter").click()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "workqueue.png"), full_page=True)  # type: ignore[attr-defined]
    items = page.locator("a[href^='/ui/workqueue/']")  # type: ignore[attr-defined]
    assert items.count() == 5
    items.first.click()
    assert page.get_by_text("Non-covered charge(s)").first.is_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "workitem.png"), full_page=True)  # type: ignore[attr-defined]
    page.get_by_label("What was done").fill("appeal sent 2026-11-23")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Resolve").click()  # type: ignore[attr-defined]
    assert page.get_by_text("Resolved: appeal sent 2026-11-23").is_visible()  # type: ignore[attr-defined]

    page.get_by_role("link", name="Claims").click()  # type: ignore[attr-defined]
    page.locator("a[href^='/ui/claims/']").first.click()  # type: ignore[attr-defined]
    assert page.get_by_role("heading", name="Timeline").is_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "claim.png"), full_page=True)  # type: ignore[attr-defined]

    page.get_by_role("link", name="ERAs").click()  # type: ignore[attr-defined]
    page.locator("a[href^='/ui/eras/']").first.click()  # type: ignore[attr-defined]
    assert page.get_by_text("✓ balanced").is_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "era.png"), full_page=True)  # type: ignore[attr-defined]

    page.get_by_role("link", name="Aging").click()  # type: ignore[attr-defined]
    assert page.locator("svg[role='img']").is_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "aging.png"), full_page=True)  # type: ignore[attr-defined]
    for url in re.findall(r'href="([^"]+)"', page.content()):  # type: ignore[attr-defined]
        assert "NGUYEN" not in url
    page.close()  # type: ignore[attr-defined]


def test_another_practice_cannot_reach_the_claim(server: Served, browser: object):
    base, own, other = server.base, server.own, server.other
    mine = _sign_in(browser, base, own)
    mine.goto(base + "/ui/claims")  # type: ignore[attr-defined]
    href = mine.locator("a[href^='/ui/claims/']").first.get_attribute("href")  # type: ignore[attr-defined]
    theirs = _sign_in(browser, base, other)
    response = theirs.goto(base + href)  # type: ignore[attr-defined]
    assert response.status == 404
    assert "MSD10" not in theirs.content()  # type: ignore[attr-defined]


def _watch(page: object, base: str) -> tuple[list[str], list[str]]:
    """Console errors (CSP violations are reported there) and requests to other origins."""
    problems: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: problems.append(str(e)))  # type: ignore[attr-defined]
    page.on(  # type: ignore[attr-defined]
        "request",
        lambda r: foreign.append(r.url) if not r.url.startswith((base + "/", "data:")) else None,
    )
    return problems, foreign


def test_pages_and_api_docs_run_under_the_csp(server: Served, browser: object, shots: Path):
    base = server.base
    page = _sign_in(browser, base, server.own)
    problems, foreign = _watch(page, base)
    claim = page.locator("a[href^='/ui/claims/']")  # type: ignore[attr-defined]
    for path in ("/ui/", "/ui/workqueue", "/ui/claims", "/ui/eras", "/ui/aging", "/ui/payers"):
        response = page.goto(base + path)  # type: ignore[attr-defined]
        assert response.status == 200, path
        csp = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["cache-control"] == "no-store"
        if path == "/ui/claims":
            href = claim.first.get_attribute("href")
    page.goto(base + href)  # type: ignore[attr-defined]
    page.goto(base + "/v1/docs")  # type: ignore[attr-defined]
    title = page.locator(".swagger-ui .info .title")  # type: ignore[attr-defined]
    title.wait_for(timeout=15_000)
    assert "edigateway" in title.inner_text()
    operations = page.locator(".opblock")  # type: ignore[attr-defined]
    assert operations.count() > 10  # the OpenAPI document was fetched and rendered
    page.screenshot(path=str(shots / "api-docs.png"))  # type: ignore[attr-defined]
    assert problems == [], problems
    assert foreign == [], foreign
    page.close()  # type: ignore[attr-defined]


def test_a_viewer_sees_the_pages_and_gets_a_403_page_for_a_change(server: Served, browser: object):
    base = server.base
    page = _sign_in(browser, base, server.user("viewer"))
    assert page.get_by_text("(viewer)").is_visible()  # type: ignore[attr-defined]
    page.goto(base + "/ui/claims")  # type: ignore[attr-defined]
    href = page.locator("a[href^='/ui/claims/']").first.get_attribute("href")  # type: ignore[attr-defined]
    page.goto(base + href)  # type: ignore[attr-defined]
    assert page.get_by_role("button", name="Void").count() == 0  # type: ignore[attr-defined]
    csrf = page.locator("input[name='csrf']").first.get_attribute("value")  # type: ignore[attr-defined]
    refused = page.request.post(base + href + "/void", form={"csrf": csrf})  # type: ignore[attr-defined]
    assert refused.status == 403
    assert "your role (viewer) does not allow this" in refused.text()
    assert "claims:write" in refused.text()
    page.close()  # type: ignore[attr-defined]


def test_a_new_user_sets_a_password_and_turns_on_two_step(
    server: Served, browser: object, shots: Path
):
    base, gateway = server.base, server.gateway
    link = users.create_user(
        gateway.database,
        practice="1456789019",
        email="rosa.diaz@maple.example",
        role="coordinator",
        actor="cli",
        now=NOW,
        keyring=gateway.keyring,
        base_url=base,
    )
    page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page.goto(link.url)
    assert page.get_by_text("rosa.diaz@maple.example").is_visible()
    page.get_by_label("New password").fill("x-ray and crown 2026")
    page.get_by_label("The same again").fill("x-ray and crown 2026")
    page.screenshot(path=str(shots / "set-password.png"))
    page.get_by_role("button", name="Set password").click()
    assert page.get_by_text("Your password is set").is_visible()
    page.close()

    page = _sign_in(browser, base, "rosa.diaz@maple.example", "x-ray and crown 2026")
    page.get_by_role("link", name="rosa.diaz@maple.example").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Set up two-step sign-in").click()  # type: ignore[attr-defined]
    secret = page.locator("#totp-secret").inner_text()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "account-two-step.png"), full_page=True)  # type: ignore[attr-defined]
    step = int(NOW.timestamp() // totp.STEP)  # the server's clock
    page.get_by_label("Code from the app").fill(totp.code_at(secret, step))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Turn on two-step sign-in").click()  # type: ignore[attr-defined]
    assert page.locator("dd", has_text="on").first.is_visible()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]

    page.get_by_label("Email").fill("rosa.diaz@maple.example")  # type: ignore[attr-defined]
    page.get_by_label("Password").fill("x-ray and crown 2026")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.get_by_label("Code").fill(totp.code_at(secret, step + 1))  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "sign-in-code.png"))  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url(base + "/ui/")  # type: ignore[attr-defined]
    assert page.get_by_text("(coordinator)").is_visible()  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_sign_out_and_disabling_the_user_end_the_session(server: Served, browser: object):
    base, email = server.base, server.user("admin")
    page = _sign_in(browser, base, email)
    cookies = page.context.cookies()  # type: ignore[attr-defined]
    assert all(email not in c["value"] for c in cookies)
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    page.wait_for_url(base + "/ui/login")  # type: ignore[attr-defined]
    replay = browser.new_page()  # type: ignore[attr-defined]
    replay.context.add_cookies(cookies)
    replay.goto(base + "/ui/claims")
    assert replay.url == base + "/ui/login"  # the old cookie is worth nothing
    replay.close()

    page = _sign_in(browser, base, email)
    users.disable_user(server.gateway.database, user=email, practice_id=None, actor="cli", now=NOW)
    page.goto(base + "/ui/claims")  # type: ignore[attr-defined]
    assert page.url == base + "/ui/login"  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_a_sign_in_form_posted_from_another_site_is_refused(server: Served, browser: object):
    """Login CSRF: an attacker's page (another loopback origin, answered by Playwright)
    posts the attacker's own email and password, with a nonce the attacker fetched for
    themselves, so the victim would work in the attacker's practice. The victim stays
    signed out."""
    base = server.base
    with httpx.Client(base_url=base) as attacker:
        nonce = form_field(attacker.get("/ui/login").text, "login_csrf")
    evil = "http://127.0.0.2:9/attack"
    form = (
        f'<form method="post" action="{base}/ui/login">'
        f'<input name="email" value="{server.other}">'
        f'<input name="password" value="{USER_PASSWORD}">'
        f'<input name="login_csrf" value="{nonce}">'
        '<button type="submit">Win a prize</button></form>'
    )
    page = browser.new_page()  # type: ignore[attr-defined]
    page.route(evil, lambda route: route.fulfill(content_type="text/html", body=form))
    page.goto(evil)
    with page.expect_navigation():
        page.get_by_role("button", name="Win a prize").click()
    assert page.url == base + "/ui/login"
    assert page.get_by_text("another site").is_visible()
    page.goto(base + "/ui/")
    assert page.url == base + "/ui/login"
    page.close()
