"""A user's stored two-step secret that the gateway's keys cannot open (sealed under a key
since removed, or damaged) must not turn the sign-in into a 500: after the right
password the code step refuses with a sentence saying what is wrong and what to do, the
refusal is audited, and the log line names the user's ID only (no email, no secret)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.persistence.tables import AuditEventRow, UserRow
from edigateway.security import totp
from edigateway.security.phi import PhiCipher
from edigateway.services import users, users_passwords, users_totp
from tests.factories import NOW, USER_PASSWORD, form_field, settings_for, ui_user

BASE = "http://127.0.0.1"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    with bootstrap(settings_for(tmp_path / "data"), clock=lambda: NOW) as made:
        yield made


def _seal_secret(gateway: Gateway, email: str, *, readable: bool) -> tuple[int, str]:
    """Turn two-step sign-in on for ``email`` with a secret sealed under the gateway's keys
    (``readable``) or under a key the gateway does not hold (removed after a rotation)."""
    secret = totp.new_secret()
    database = gateway.database
    cipher = database.phi if readable else PhiCipher(database.phi.keyring.with_new_key("gone"))
    with database.transaction() as session:
        row = session.scalars(select(UserRow).where(UserRow.email == email)).one()
        row.totp_secret = cipher.seal(secret, users_totp.totp_binding(row, "totp_secret"))
        return row.id, secret


def _code_step(client: TestClient, email: str, code: str) -> tuple[int, str]:
    form = client.get("/ui/login")
    asked = client.post(
        "/ui/login",
        data={
            "email": email,
            "password": USER_PASSWORD,
            "login_csrf": form_field(form.text, "login_csrf"),
        },
    )
    assert "authenticator app" in asked.text
    answer = client.post(
        "/ui/login/code",
        data={
            "code_token": form_field(asked.text, "code_token"),
            "login_csrf": form_field(asked.text, "login_csrf"),
            "code": code,
        },
        follow_redirects=False,
    )
    return answer.status_code, answer.text


@pytest.mark.slow  # 1.1 s on the loaded 2-core machine
def test_an_unreadable_two_step_secret_is_a_clear_refusal_not_a_500(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
):
    email = ui_user(gateway.database, role="coordinator")
    user_id, secret = _seal_secret(gateway, email, readable=False)
    code = totp.code_at(secret, int(NOW.timestamp() // totp.STEP))
    client = TestClient(create_app(gateway), base_url=BASE, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="edigateway.services.users_totp"):
        status, page = _code_step(client, email, code)
    assert status == 401
    assert "stored two-step secret cannot be opened" in page
    assert "new set-password link" in page
    assert "edg_ui" not in client.cookies
    logged = [r.getMessage() for r in caplog.records if r.name == "edigateway.services.users_totp"]
    assert len(logged) == 1
    assert logged[0].startswith(f"user {user_id}: the stored two-step secret cannot be opened")
    assert all(email not in line and secret not in line for line in logged)
    with gateway.database.transaction() as session:
        details = list(
            session.scalars(
                select(AuditEventRow.detail).where(
                    AuditEventRow.resource == "user", AuditEventRow.action == "login"
                )
            )
        )
    assert "sign-in refused: two-step secret cannot be opened" in details

    # the admin's way out: a new link with two-step sign-in off, then the password alone
    users.issue_link(
        gateway.database,
        user=email,
        practice_id=None,
        actor="cli",
        now=NOW,
        keyring=gateway.keyring,
        base_url="http://127.0.0.1",
        clear_two_step=True,
    )
    assert (
        users_passwords.check_password(
            gateway.database, email=email, password=USER_PASSWORD, now=NOW
        ).proof
        is not None
    )


def test_a_readable_secret_still_signs_in_and_a_wrong_code_is_the_usual_refusal(
    gateway: Gateway,
):
    email = ui_user(gateway.database, role="coordinator")
    _user_id, secret = _seal_secret(gateway, email, readable=True)
    step = int(NOW.timestamp() // totp.STEP)
    client = TestClient(create_app(gateway), base_url=BASE)
    wrong = "000000" if totp.code_at(secret, step) != "000000" else "111111"
    status, page = _code_step(client, email, wrong)
    assert status == 401
    assert "the email, password or code is wrong" in page
    assert "cannot be opened" not in page
    status, _page = _code_step(client, email, totp.code_at(secret, step))
    assert status == 303
