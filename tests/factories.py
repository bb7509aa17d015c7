"""What many tests build the same way: the checkout's paths, the fixed clock, settings for a
scratch data folder, a gateway beside a running simulator, API keys, and the test-only
environment (which databases and broker the suite may use).

Fixtures that hold such things for a whole session (the validator, the built demo) live in
``tests/conftest.py``; this module is plain functions and constants, so a helper module or a
subprocess script can import it too.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import make_url

from edigateway.bootstrap import Gateway, bootstrap
from edigateway.persistence import inbound_rows
from edigateway.persistence.database import Database
from edigateway.services.access import create_key
from edigateway.services.users import create_user
from edigateway.services.users_passwords import set_password
from edigateway.settings import Settings
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database
    from edigateway.persistence.tables import InboundFileRow

REPO = Path(__file__).resolve().parents[1]
"""The checkout: read from, never written to (tests write under ``tmp_path``)."""
MAPPINGS = REPO / "mappings"
FIXTURES = REPO / "fixtures"
CORPUS = REPO.parent / "shared" / "x12-corpus"
"""The shared third-party X12 corpus (used in place; tests skip what is absent)."""

NOW = datetime(2026, 11, 23, 9, 0)
"""The suite's usual wall clock: after every fixture's dates of service, within filing limits."""

PRACTICE_NPI = "1456789019"
"""MAPLE STREET DENTAL, the billing provider of the fixtures and the demo practice."""


class SuiteEnvironment(BaseSettings):
    """The services a test run may use besides SQLite: ``EDIGATEWAY_TEST_DATABASE_URL`` (a
    PostgreSQL server whose database the tests create schemas in) and
    ``EDIGATEWAY_TEST_BROKER_URL`` (RabbitMQ for the Celery tests). Kept out of the
    application's ``Settings``: the gateway itself never reads them.

    Under pytest-xdist (``PYTEST_XDIST_WORKER`` is ``gw0``, ``gw1`` …) each worker uses a
    database of its own on that server, ``<name>_gw0_<run>`` … (``<run>`` from xdist's
    ``PYTEST_XDIST_TESTRUNUID``, so two runs at once on one server never meet), which
    ``tests/conftest.py`` creates when the worker starts and drops when it ends."""

    model_config = SettingsConfigDict(env_prefix="EDIGATEWAY_TEST_", extra="ignore")

    server_url: str | None = Field(default=None, validation_alias="EDIGATEWAY_TEST_DATABASE_URL")
    broker_url: str | None = None
    xdist_worker: str | None = Field(default=None, validation_alias="PYTEST_XDIST_WORKER")
    xdist_run: str = Field(default="", validation_alias="PYTEST_XDIST_TESTRUNUID")

    @property
    def database_url(self) -> str | None:
        """The PostgreSQL database this process's tests use (the worker's own under xdist)."""
        if self.server_url is None or self.xdist_worker is None:
            return self.server_url
        url = make_url(self.server_url)
        name = f"{url.database}_{self.xdist_worker}_{self.xdist_run[:8]}".rstrip("_")
        return url.set(database=name).render_as_string(hide_password=False)

    @property
    def worker_database_url(self) -> str | None:
        """The xdist worker's own database, when there is one to create."""
        return self.database_url if self.server_url and self.xdist_worker else None


@contextmanager
def database_at(revision: str, backend: str, folder: Path) -> Iterator[Database]:
    """A database migrated to ``revision`` only, for a migration's own tests: a SQLite file
    in ``folder``, or a throwaway schema on the suite's PostgreSQL (``backend``
    ``postgresql``), dropped afterwards."""
    if backend == "sqlite":
        db = Database.connect(f"sqlite:///{folder / 'old.sqlite3'}")
        try:
            db.upgrade(revision)
            yield db
        finally:
            db.dispose()
        return
    url = SuiteEnvironment().database_url
    assert url is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db = Database.connect(url, schema=schema)
    try:
        db.upgrade(revision)
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a gateway whose data folder is ``data_dir`` (the checkout's mappings)."""
    return Settings(data_dir=data_dir, mappings_dir=MAPPINGS, **overrides)


def claim_document(name: str) -> dict[str, Any]:
    """The first claim of ``fixtures/claims/<name>.json`` as a JSON document (to edit)."""
    document = json.loads((FIXTURES / "claims" / f"{name}.json").read_text())
    claim: dict[str, Any] = document["claims"][0] if "claims" in document else document
    return claim


def second_plan(subscriber_name: object) -> dict[str, Any]:
    """The other plan (SBR01 ``S``) the coordination-of-benefits tests give a claim:
    Guardian (GRDN1) through the same subscriber (``subscriber_name`` as the claim names
    them), as a JSON document of ``other_payers``."""
    return {
        "responsibility": "S",
        "relationship": "18",
        "filing_indicator": "CI",
        "group_number": "LK9000",
        "subscriber_name": subscriber_name,
        "subscriber_member_id": "GRD5550123",
        "payer": {"payer_id": "GRDN1", "name": "GUARDIAN DENTAL"},
    }


def api_key(
    gateway: Gateway,
    *,
    npi: str = PRACTICE_NPI,
    scopes: str = "admin",
    now: datetime = NOW,
    name: str = "test",
) -> str:
    """A new API key of practice ``npi`` (created with the practice when it is new)."""
    return create_key(
        gateway.database,
        practice=npi,
        scopes=scopes,
        name=name,
        keyring=gateway.keyring,
        now=now,
        create_name=f"P{npi}",
    ).token


USER_PASSWORD = "maple-crown-molar-42"
"""The password :func:`ui_user` sets (it passes the password rules)."""


def ui_user(
    database: Database,
    *,
    npi: str = PRACTICE_NPI,
    role: str = "admin",
    email: str | None = None,
    now: datetime = NOW,
) -> str:
    """A dashboard user of practice ``npi`` (created with the practice when it is new) whose
    password is :data:`USER_PASSWORD`, set through their link as a person would; the email."""
    address = email or f"{role}.{secrets.token_hex(4)}@{npi}.example.com"
    link = create_user(
        database,
        practice=npi,
        email=address,
        role=role,
        actor="test",
        now=now,
        keyring=database.phi.keyring,
        base_url="http://127.0.0.1",
        create_name=f"P{npi}",
    )
    token = parse_qs(urlsplit(link.url).query)["token"][0]
    set_password(
        database, token=token, password=USER_PASSWORD, keyring=database.phi.keyring, now=now
    )
    return address


def received_row(
    session: Session,
    data: bytes | Path,
    sha256: str,
    *,
    name: str = "a.835",
    status: str = "stored",
    isa13: str = "000000001",
) -> InboundFileRow:
    """A received 835 kept as the poller keeps it (``inbound_rows.insert_received``), the
    fields no test varies filled in; ``sha256`` is the caller's (some tests keep bytes
    under a made-up digest)."""
    return inbound_rows.insert_received(
        session,
        received_at=NOW,
        clearinghouse="simulator",
        remote_name=name,
        sha256=sha256,
        data=data,
        kind="835",
        sender_id="PAYER",
        interchange_control_number=isa13,
        status=status,
        problem=None,
    )


def form_field(html: str, name: str) -> str:
    """The value of the form field ``name`` on a dashboard page (``<input name=… value=…>``).

    Every field the tests read back is a secret the server fills in (``csrf``, ``login_csrf``,
    a set-password ``token``, a two-step ``code_token``), so a page that renders one empty is
    as wrong as a page without it; the two failures name the field and say which it was, so a
    broken template is not mistaken for a missing form."""
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match is not None, f"no form field {name!r} on the page"
    assert match.group(1), f"the form field {name!r} is on the page but empty"
    return match.group(1)


def problem_body(response: Any, status: int) -> dict[str, Any]:
    """The problem document (RFC 9457) an API answer with ``status`` must be: that status,
    ``application/problem+json``, and the status repeated in the body; the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def form_fields(html: str) -> dict[str, str]:
    """A page's input fields as the browser would send them (ticked boxes only): to post
    a form back as it was shown, with a change or two."""
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value and ('type="checkbox"' not in tag or "checked" in tag):
            fields[name.group(1)] = value.group(1)
    return fields


def signed_in(
    client: TestClient, email: str, password: str = USER_PASSWORD, *, code: str | None = None
) -> str:
    """Sign ``client`` in through the dashboard's own forms, as a browser would: the sign-in
    page for its CSRF nonce, the email and password, then for a user with two-step sign-in
    on the ``code`` on the page that asks for it. Asserts the session opened (a redirect);
    the page it leads to. Tests of the sign-in steps themselves post the forms by hand."""
    form = client.get("/ui/login")
    signed = client.post(
        "/ui/login",
        data={
            "email": email,
            "password": password,
            "login_csrf": form_field(form.text, "login_csrf"),
        },
        follow_redirects=False,
    )
    if code is not None:
        assert "authenticator app" in signed.text, signed.text
        signed = client.post(
            "/ui/login/code",
            data={
                "code_token": form_field(signed.text, "code_token"),
                "login_csrf": form_field(signed.text, "login_csrf"),
                "code": code,
            },
            follow_redirects=False,
        )
    assert signed.status_code == 303, signed.text
    location: str = signed.headers["location"]
    return location


@contextmanager
def simulated_gateway(
    settings: Settings, validator: Validator, clock: Callable[[], datetime] = lambda: NOW
) -> Iterator[tuple[Simulator, Gateway]]:
    """The clearinghouse simulator on free loopback ports and a gateway wired to it (sharing
    ``validator``), closed in reverse order afterwards."""
    with Simulator(
        settings, validator=validator, clock=clock, sftp_port=0, http_port=0
    ) as simulator:
        gateway = bootstrap(
            settings.model_copy(update=simulator.client_settings()),
            clock=clock,
            validator=validator,
        )
        with gateway:
            yield simulator, gateway
