"""Server-side /ui sessions on SQLite and PostgreSQL: what is stored, when a session ends,
and that signing out at the same moment from two clients ends it once (one audit event)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from edigateway.errors import AccessDenied
from edigateway.persistence.database import Database
from edigateway.persistence.tables import AuditEventRow, UiSessionRow
from edigateway.services import ui_sessions
from edigateway.services.access import create_key, revoke_key
from edigateway.services.ui_sessions import Lifetime
from tests.factories import NOW

LIFE = Lifetime(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


def _open(database: Database, scopes: str = "claims:read") -> tuple[str, str]:
    key = create_key(database, practice="1456789019", scopes=scopes, name="t",
                     keyring=database.phi.keyring, now=NOW, create_name="MAPLE")
    session_id, _live = ui_sessions.open_session(database, key.token,
                                                 keyring=database.phi.keyring, now=NOW,
                                                 lifetime=LIFE, remote_addr="127.0.0.1")
    return key.key_id, session_id


def test_a_session_holds_no_key_and_ends_with_its_key(database: Database):
    keyring = database.phi.keyring
    key_id, session_id = _open(database)
    live = ui_sessions.resume(database, session_id, keyring=keyring, now=NOW, lifetime=LIFE)
    assert live.principal.key_id == key_id
    assert live.actor == f"key:{key_id}:ui"
    with database.transaction() as session:
        row = session.scalars(select(UiSessionRow)).one()
        assert session_id not in row.session_hash
        assert row.expires_at == NOW + LIFE.absolute
    later = NOW + timedelta(minutes=29)
    ui_sessions.resume(database, session_id, keyring=keyring, now=later, lifetime=LIFE)
    revoke_key(database, key_id, now=later)
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, session_id, keyring=keyring, now=later, lifetime=LIFE)
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, session_id + "x", keyring=keyring, now=NOW,
                           lifetime=LIFE)
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, "x" * 5000, keyring=keyring, now=NOW, lifetime=LIFE)


def test_idle_and_absolute_limits(database: Database):
    keyring = database.phi.keyring
    _key_id, session_id = _open(database)
    at = NOW
    for _ in range(24):  # every 29 minutes keeps it alive, until 12 hours have passed
        at += timedelta(minutes=29)
        ui_sessions.resume(database, session_id, keyring=keyring, now=at, lifetime=LIFE)
    at += timedelta(minutes=29)  # 11 h 36 min + 29 min > 12 h
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, session_id, keyring=keyring, now=at, lifetime=LIFE)
    _key_id, idle = _open(database)
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, idle, keyring=keyring,
                           now=NOW + timedelta(minutes=31), lifetime=LIFE)


def test_signing_out_twice_at_once_ends_the_session_once(database: Database):
    keyring = database.phi.keyring
    _key_id, session_id = _open(database)
    results: list[bool] = []
    start = threading.Barrier(4)

    def sign_out() -> None:
        start.wait()
        results.append(ui_sessions.close_session(database, session_id, keyring=keyring,
                                                 now=NOW, remote_addr=None))

    threads = [threading.Thread(target=sign_out) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    with database.transaction() as session:
        details = list(session.scalars(select(AuditEventRow.detail).where(
            AuditEventRow.resource == "ui_session")))
    assert details == ["signed in", "signed out"]
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, session_id, keyring=keyring, now=NOW, lifetime=LIFE)


def test_login_nonce_is_bound_to_its_cookie_and_expires(database: Database):
    keyring = database.phi.keyring
    cookie, field = ui_sessions.login_nonce(keyring, NOW)
    ui_sessions.check_login_nonce(keyring, cookie, field, now=NOW + timedelta(minutes=29))
    other_cookie, _ = ui_sessions.login_nonce(keyring, NOW)
    for presented_cookie, presented, at in (
            (other_cookie, field, NOW), (cookie, "", NOW), (None, field, NOW),
            (cookie, field, NOW + timedelta(minutes=31)),
            (cookie, field, NOW - timedelta(minutes=1))):
        with pytest.raises(AccessDenied):
            ui_sessions.check_login_nonce(keyring, presented_cookie, presented, now=at)
