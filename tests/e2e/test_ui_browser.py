"""The coordinator's pages in a real browser (Playwright driving Debian's Chromium,
headless) against uvicorn on loopback with the demo practice's data: sign in, every page,
resolve a work item by keyboard and mouse, another practice's claim unreachable; then the
hardening as a browser meets it: every page and the API docs under their
Content-Security-Policy without a single violation or foreign request, a 403 page for a
key without the scope, sign-out and key revocation ending the session, and a sign-in form
posted from another site refused. Screenshots of each page go to ``screenshots/`` in the
run's pytest temporary folder (``$TMPDIR/pytest-of-$USER/pytest-current/screenshots/``),
never into the checkout."""

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
from edigateway.services.access import create_key, revoke_key
from tests.conftest import BuiltDemo
from tests.factories import NOW

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (the test set-up tries "
    "`apt-get install chromium`; it was not available here)")


@dataclass
class Served:
    base: str
    own: str
    other: str
    gateway: Gateway

    def key(self, scopes: str) -> str:
        return create_key(self.gateway.database, practice="1456789019", scopes=scopes,
                          name="browser", keyring=self.gateway.keyring, now=NOW).token


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built_demo: BuiltDemo) -> Iterator[Served]:
    import uvicorn

    settings = built_demo.copy_to(tmp_path_factory.mktemp("browser") / "data")
    gateway = bootstrap(settings, clock=lambda: NOW)
    own = create_key(gateway.database, practice="1456789019", scopes="admin", name="browser",
                     keyring=gateway.keyring, now=NOW).token
    other = create_key(gateway.database, practice="1234567893", scopes="admin",
                       name="other", keyring=gateway.keyring, now=NOW,
                       create_name="OTHER PRACTICE").token
    config = uvicorn.Config(create_app(gateway), host="127.0.0.1", port=0,
                            log_level="warning")
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
    """Where the screenshots go: the run's temporary folder, not the checkout."""
    return tmp_path_factory.mktemp("screenshots", numbered=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox"])
        yield launched
        launched.close()


def _sign_in(browser: object, base: str, token: str) -> object:
    page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page.goto(base + "/ui/")
    assert page.url.endswith("/ui/login")
    page.get_by_label("Practice API key").fill(token)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/ui/")
    return page


def test_every_page_and_resolving_an_item(server: Served, browser: object, shots: Path):
    base, own = server.base, server.own
    page = _sign_in(browser, base, own)
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
    page.on("request", lambda r: foreign.append(r.url)  # type: ignore[attr-defined]
            if not r.url.startswith((base + "/", "data:")) else None)
    return problems, foreign


def test_pages_and_api_docs_run_under_the_csp(server: Served, browser: object, shots: Path):
    base = server.base
    page = _sign_in(browser, base, server.own)
    problems, foreign = _watch(page, base)
    claim = page.locator("a[href^='/ui/claims/']")  # type: ignore[attr-defined]
    for path in ("/ui/", "/ui/workqueue", "/ui/claims", "/ui/eras", "/ui/aging"):
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


def test_a_key_without_the_scope_gets_a_403_page(server: Served, browser: object):
    page = _sign_in(browser, server.base, server.key("eligibility"))
    assert page.get_by_role("heading", name="Not allowed").is_visible()  # type: ignore[attr-defined]
    response = page.goto(server.base + "/ui/claims")  # type: ignore[attr-defined]
    assert response.status == 403
    assert page.get_by_text("lacks the scope 'claims:read'").is_visible()  # type: ignore[attr-defined]
    assert page.locator("nav a").count() == 0  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_sign_out_and_revocation_end_the_session(server: Served, browser: object):
    base, token = server.base, server.key("admin")
    page = _sign_in(browser, base, token)
    cookies = page.context.cookies()  # type: ignore[attr-defined]
    assert [c["value"] for c in cookies if c["name"] == "edg_ui"] != [token]
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    page.wait_for_url(base + "/ui/login")  # type: ignore[attr-defined]
    replay = browser.new_page()  # type: ignore[attr-defined]
    replay.context.add_cookies(cookies)
    replay.goto(base + "/ui/claims")
    assert replay.url == base + "/ui/login"  # the old cookie is worth nothing
    replay.close()

    page = _sign_in(browser, base, token)
    revoke_key(server.gateway.database, token.split("_")[1], now=NOW)
    page.goto(base + "/ui/claims")  # type: ignore[attr-defined]
    assert page.url == base + "/ui/login"  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_a_sign_in_form_posted_from_another_site_is_refused(server: Served, browser: object):
    """Login CSRF: an attacker's page (another loopback origin, answered by Playwright)
    posts the attacker's own key, with a nonce the attacker fetched for themselves, so the
    victim would work in the attacker's practice. The victim stays signed out."""
    base = server.base
    with httpx.Client(base_url=base) as attacker:
        nonce = re.search(r'name="login_csrf" value="([^"]+)"',
                          attacker.get("/ui/login").text)
    assert nonce is not None
    evil = "http://127.0.0.2:9/attack"
    form = (f'<form method="post" action="{base}/ui/login">'
            f'<input name="api_key" value="{server.other}">'
            f'<input name="login_csrf" value="{nonce.group(1)}">'
            '<button type="submit">Win a prize</button></form>')
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
