"""Server-side /ui sessions of users on SQLite and PostgreSQL: what is stored, when a
session ends (signing out, idleness, age, disabling the user, a new password), that
signing out at the same moment from two clients ends it once (one audit event), and that
the audit names the user."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from edigateway.errors import AccessDenied
from edigateway.persistence.database import Database
from edigateway.persistence.tables import AuditEventRow, UiSessionRow
from edigateway.services import ui_sessions, users, users_passwords
from edigateway.services.ui_sessions import Lifetime
from tests.factories import NOW, USER_PASSWORD, ui_user

LIFE = Lifetime(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


def _open(database: Database, role: str = "viewer") -> tuple[int, str]:
    email = ui_user(database, role=role)
    checked = users_passwords.check_password(database, email=email, password=USER_PASSWORD, now=NOW)
    assert checked.proof is not None
    session_id, live = ui_sessions.open_session(
        database,
        checked.proof,
        keyring=database.phi.keyring,
        now=NOW,
        lifetime=LIFE,
        remote_addr="127.0.0.1",
    )
    return live.principal.user_id, session_id


def test_a_session_belongs_to_its_user_and_ends_when_the_user_is_disabled(database: Database):
    keyring = database.phi.keyring
    user_id, session_id = _open(database)
    live = ui_sessions.resume(database, session_id, keyring=keyring, now=NOW, lifetime=LIFE)
    assert live.principal.user_id == user_id
    assert live.actor == f"user:{user_id}"
    assert live.principal.role == "viewer"
    with database.transaction() as session:
        row = session.scalars(select(UiSessionRow)).one()
        assert session_id not in row.session_hash
        assert row.expires_at == NOW + LIFE.absolute
    later = NOW + timedelta(minutes=29)
    ui_sessions.resume(database, session_id, keyring=keyring, now=later, lifetime=LIFE)
    users.disable_user(database, user=user_id, practice_id=None, actor="cli", now=later)
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, session_id, keyring=keyring, now=later, lifetime=LIFE)
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, session_id + "x", keyring=keyring, now=NOW, lifetime=LIFE)
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, "x" * 5000, keyring=keyring, now=NOW, lifetime=LIFE)


def test_idle_and_absolute_limits(database: Database):
    keyring = database.phi.keyring
    _user_id, session_id = _open(database)
    at = NOW
    for _ in range(24):  # every 29 minutes keeps it alive, until 12 hours have passed
        at += timedelta(minutes=29)
        ui_sessions.resume(database, session_id, keyring=keyring, now=at, lifetime=LIFE)
    at += timedelta(minutes=29)  # 11 h 36 min + 29 min > 12 h
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, session_id, keyring=keyring, now=at, lifetime=LIFE)
    _user_id, idle = _open(database)
    with pytest.raises(AccessDenied):
        ui_sessions.resume(
            database, idle, keyring=keyring, now=NOW + timedelta(minutes=31), lifetime=LIFE
        )


def test_signing_out_twice_at_once_ends_the_session_once(database: Database):
    keyring = database.phi.keyring
    user_id, session_id = _open(database)
    results: list[bool] = []
    start = threading.Barrier(4)

    def sign_out() -> None:
        start.wait()
        results.append(
            ui_sessions.close_session(
                database, session_id, keyring=keyring, now=NOW, remote_addr=None
            )
        )

    threads = [threading.Thread(target=sign_out) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    with database.transaction() as session:
        events = list(
            session.execute(
                select(AuditEventRow.actor, AuditEventRow.detail).where(
                    AuditEventRow.resource == "ui_session"
                )
            )
        )
    assert events == [(f"user:{user_id}", "signed in"), (f"user:{user_id}", "signed out")]
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, session_id, keyring=keyring, now=NOW, lifetime=LIFE)


def test_login_nonce_is_bound_to_its_cookie_and_expires(database: Database):
    keyring = database.phi.keyring
    cookie, field = ui_sessions.login_nonce(keyring, NOW)
    ui_sessions.check_login_nonce(keyring, cookie, field, now=NOW + timedelta(minutes=29))
    other_cookie, _ = ui_sessions.login_nonce(keyring, NOW)
    for presented_cookie, presented, at in (
        (other_cookie, field, NOW),
        (cookie, "", NOW),
        (None, field, NOW),
        (cookie, field, NOW + timedelta(minutes=31)),
        (cookie, field, NOW - timedelta(minutes=1)),
    ):
        with pytest.raises(AccessDenied):
            ui_sessions.check_login_nonce(keyring, presented_cookie, presented, now=at)


def test_the_code_step_token_is_bound_to_the_user_the_browser_and_five_minutes(database: Database):
    keyring = database.phi.keyring
    cookie, _field = ui_sessions.login_nonce(keyring, NOW)
    token = ui_sessions.code_token(keyring, 7, cookie, NOW)
    assert ui_sessions.check_code_token(keyring, token, cookie, now=NOW + timedelta(minutes=4)) == 7
    other_cookie, _ = ui_sessions.login_nonce(keyring, NOW)
    forged = "8" + token[1:]
    for presented, presented_cookie, at in (
        (token, other_cookie, NOW),
        (token, None, NOW),
        (forged, cookie, NOW),
        (token, cookie, NOW + timedelta(minutes=6)),
        ("", cookie, NOW),
        ("7.x.y", cookie, NOW),
    ):
        with pytest.raises(AccessDenied):
            ui_sessions.check_code_token(keyring, presented, presented_cookie, now=at)
