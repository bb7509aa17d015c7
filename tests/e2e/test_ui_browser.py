"""The coordinator's pages in a real browser (Playwright driving Debian's Chromium,
headless) against uvicorn on loopback with the demo practice's data: sign in, every page,
resolve a work item by keyboard and mouse, another practice's claim unreachable.
Screenshots of each page go to ``var/screenshots/`` for a reviewer."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from edigateway.api.app import create_app
from edigateway.bootstrap import bootstrap
from edigateway.services.access import create_key
from edigateway.services.demo import run_demo
from edigateway.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "var" / "screenshots"
NOW = datetime(2026, 11, 23, 9, 0)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (the test set-up tries "
    "`apt-get install chromium`; it was not available here)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    import uvicorn

    folder = tmp_path_factory.mktemp("browser")
    settings = Settings(data_dir=folder, mappings_dir=REPO / "mappings")
    run_demo(bootstrap(settings, clock=lambda: NOW), progress=False)
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
    yield f"http://127.0.0.1:{port}", own, other
    instance.should_exit = True
    thread.join()
    gateway.database.dispose()


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


def test_every_page_and_resolving_an_item(server: tuple[str, str, str], browser: object):
    base, own, _other = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _sign_in(browser, base, own)
    assert page.get_by_role("heading", name="Today").is_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "today.png"), full_page=True)  # type: ignore[attr-defined]

    page.get_by_role("link", name="Work queue").click()  # type: ignore[attr-defined]
    page.get_by_label("Reason").select_option("denied")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Filter").click()  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "workqueue.png"), full_page=True)  # type: ignore[attr-defined]
    items = page.locator("a[href^='/ui/workqueue/']")  # type: ignore[attr-defined]
    assert items.count() == 5
    items.first.click()
    assert page.get_by_text("Non-covered charge(s)").first.is_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "workitem.png"), full_page=True)  # type: ignore[attr-defined]
    page.get_by_label("What was done").fill("appeal sent 2026-11-23")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Resolve").click()  # type: ignore[attr-defined]
    assert page.get_by_text("Resolved: appeal sent 2026-11-23").is_visible()  # type: ignore[attr-defined]

    page.get_by_role("link", name="Claims").click()  # type: ignore[attr-defined]
    page.locator("a[href^='/ui/claims/']").first.click()  # type: ignore[attr-defined]
    assert page.get_by_role("heading", name="Timeline").is_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "claim.png"), full_page=True)  # type: ignore[attr-defined]

    page.get_by_role("link", name="ERAs").click()  # type: ignore[attr-defined]
    page.locator("a[href^='/ui/eras/']").first.click()  # type: ignore[attr-defined]
    assert page.get_by_text("✓ balanced").is_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "era.png"), full_page=True)  # type: ignore[attr-defined]

    page.get_by_role("link", name="Aging").click()  # type: ignore[attr-defined]
    assert page.locator("svg[role='img']").is_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "aging.png"), full_page=True)  # type: ignore[attr-defined]
    for url in re.findall(r'href="([^"]+)"', page.content()):  # type: ignore[attr-defined]
        assert "NGUYEN" not in url
    page.close()  # type: ignore[attr-defined]


def test_another_practice_cannot_reach_the_claim(server: tuple[str, str, str],
                                                 browser: object):
    base, own, other = server
    mine = _sign_in(browser, base, own)
    mine.goto(base + "/ui/claims")  # type: ignore[attr-defined]
    href = mine.locator("a[href^='/ui/claims/']").first.get_attribute("href")  # type: ignore[attr-defined]
    theirs = _sign_in(browser, base, other)
    response = theirs.goto(base + href)  # type: ignore[attr-defined]
    assert response.status == 404
    assert "MSD10" not in theirs.content()  # type: ignore[attr-defined]
