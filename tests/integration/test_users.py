"""Dashboard users on SQLite and PostgreSQL: set-password links (single use, expiring, a
newer one voids the older, concurrent use wins once), the sign-in lockout counted before
each check (concurrent guesses too), two-step codes (enrolment, sign-in, no replay), a new
password or disabling the user ending their sessions, the role → scope map, and the audit
naming the user."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from edigateway.errors import AccessDenied, ConflictError, InputError, NotFoundError
from edigateway.persistence.database import Database
from edigateway.persistence.tables import AuditEventRow, UserLinkRow, UserRow
from edigateway.security import totp
from edigateway.security.api_keys import SCOPES, allows
from edigateway.services import (
    ui_sessions,
    users,
    users_passwords,
    users_roles,
    users_signin,
    users_totp,
)
from edigateway.services.ui_sessions import Lifetime
from tests.factories import NOW, USER_PASSWORD, ui_user

LIFE = Lifetime(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
NPI, OTHER_NPI = "1456789019", "1234567893"


def _create(
    database: Database,
    email: str = "pat.lee@maple.example.com",
    role: str = "coordinator",
    npi: str = NPI,
) -> users_passwords.PasswordLink:
    return users.create_user(
        database,
        practice=npi,
        email=email,
        role=role,
        actor="cli",
        now=NOW,
        keyring=database.phi.keyring,
        base_url="https://edi.example.com/",
        create_name="MAPLE",
    )


def _token(link: users_passwords.PasswordLink) -> str:
    assert link.url.startswith("https://edi.example.com/ui/set-password?token=")
    return parse_qs(urlsplit(link.url).query)["token"][0]


def _sign_in(
    database: Database, email: str, password: str = USER_PASSWORD, at: timedelta = timedelta(0)
) -> users_passwords.PasswordChecked:
    return users_passwords.check_password(database, email=email, password=password, now=NOW + at)


def test_roles_map_onto_the_api_scopes():
    viewer, coordinator, admin = (
        users_roles.scopes_of(r) for r in ("viewer", "coordinator", "admin")
    )
    assert set(viewer) == {s for s in SCOPES if s.endswith(":read")}
    assert {"claims:write", "eligibility", "estimates", "workqueue:write"} <= set(coordinator)
    assert "claims:read" in coordinator
    assert not allows(coordinator, "webhooks:write")
    assert not allows(coordinator, "admin")
    assert not allows(viewer, "claims:write")
    assert all(allows(admin, s) for s in SCOPES)
    assert users_roles.parse_role(" Viewer ") == "viewer"
    with pytest.raises(InputError, match="known: admin, coordinator, viewer"):
        users_roles.parse_role("owner")


def test_a_link_sets_the_password_once_and_a_newer_link_voids_the_older(database: Database):
    link = _create(database, email=" Pat.Lee@Maple.example.com ")
    assert link.user.email == "pat.lee@maple.example.com"
    assert (link.user.status, link.user.role, link.expires_at) == (
        "invited",
        "coordinator",
        NOW + timedelta(hours=72),
    )
    with database.transaction() as session:
        stored = session.scalars(select(UserLinkRow)).one()
        assert _token(link) not in stored.token_hash
    with pytest.raises(AccessDenied):  # no password yet: nothing to sign in with
        _sign_in(database, "pat.lee@maple.example.com")
    keyring = database.phi.keyring
    with pytest.raises(InputError, match="at least 12"):
        users_passwords.set_password(
            database, token=_token(link), password="short", keyring=keyring, now=NOW
        )
    newer = users.issue_link(
        database,
        user="pat.lee@maple.example.com",
        practice_id=None,
        actor="cli",
        now=NOW,
        keyring=keyring,
        base_url="https://edi.example.com",
    )
    with pytest.raises(AccessDenied, match="not valid"):
        users_passwords.set_password(
            database, token=_token(link), password=USER_PASSWORD, keyring=keyring, now=NOW
        )
    done = users_passwords.set_password(
        database, token=_token(newer), password=USER_PASSWORD, keyring=keyring, now=NOW
    )
    assert done.status == "active"
    with pytest.raises(AccessDenied, match="not valid"):
        users_passwords.set_password(
            database, token=_token(newer), password=USER_PASSWORD + "x", keyring=keyring, now=NOW
        )
    assert _sign_in(database, "PAT.LEE@maple.example.com").proof is not None
    late = users.issue_link(
        database,
        user=done.id,
        practice_id=None,
        actor="cli",
        now=NOW,
        keyring=keyring,
        base_url="https://edi.example.com",
    )
    with pytest.raises(AccessDenied, match="not valid"):
        users_passwords.link_user(
            database, token=_token(late), keyring=keyring, now=NOW + timedelta(hours=72)
        )
    with database.transaction() as session:
        hashed = session.scalars(select(UserRow.password_hash)).one()
    assert hashed is not None
    assert hashed.startswith("$argon2id$")


def test_two_tabs_using_one_link_at_once_set_the_password_once(database: Database):
    link = _create(database)
    results: list[str] = []
    start = threading.Barrier(3)

    def use(password: str) -> None:
        start.wait()
        try:
            users_passwords.set_password(
                database,
                token=_token(link),
                password=password,
                keyring=database.phi.keyring,
                now=NOW,
            )
            results.append(password)
        except AccessDenied:
            results.append("refused")

    threads = [threading.Thread(target=use, args=(f"{USER_PASSWORD}-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count("refused") == 2
    (winner,) = [r for r in results if r != "refused"]
    assert _sign_in(database, link.user.email, winner).proof is not None


def test_emails_are_unique_and_checked(database: Database):
    _create(database)
    with pytest.raises(ConflictError, match="already exists"):
        _create(database, email="PAT.LEE@maple.example.com", npi=OTHER_NPI)
    for bad in ("pat", "pat@example", "pat lee@example.com", "<a@b.c>", "a" * 250 + "@b.co"):
        with pytest.raises(InputError, match="not an email address"):
            _create(database, email=bad)
    with pytest.raises(NotFoundError, match="no practice"):
        users.create_user(
            database,
            practice="1999999999",
            email="x@y.example.com",
            role="viewer",
            actor="cli",
            now=NOW,
            keyring=database.phi.keyring,
            base_url="http://127.0.0.1:8000",
        )


def test_repeated_attempts_lock_the_account_whatever_the_password(database: Database):
    email = ui_user(database)
    for _ in range(users_signin.MAX_ATTEMPTS):
        with pytest.raises(AccessDenied) as refused:
            _sign_in(database, email, "wrong password here")
        assert str(refused.value) == users_signin.SIGN_IN_REFUSED
    with pytest.raises(AccessDenied) as locked:  # the right password, one attempt too many
        _sign_in(database, email)
    assert str(locked.value) == users_signin.SIGN_IN_REFUSED  # the same words: no oracle
    info = users.get_user(database, user=email, practice_id=None, now=NOW)
    assert (info.status, info.locked_until) == ("locked", NOW + users_signin.LOCKOUT)
    with pytest.raises(AccessDenied):
        _sign_in(database, email, at=timedelta(minutes=14))
    assert _sign_in(database, email, at=timedelta(minutes=15)).proof is not None
    with pytest.raises(AccessDenied) as unknown:
        _sign_in(database, "nobody@example.com")
    assert str(unknown.value) == users_signin.SIGN_IN_REFUSED
    with database.transaction() as session:
        details = list(
            session.scalars(
                select(AuditEventRow.detail).where(
                    AuditEventRow.resource == "user", AuditEventRow.action == "login"
                )
            )
        )
    assert details.count("sign-in refused: wrong password") == users_signin.MAX_ATTEMPTS
    assert sum(d.startswith("locked until") for d in details) == 1


def test_concurrent_guesses_are_each_counted(database: Database):
    email = ui_user(database)
    start = threading.Barrier(8)
    refused: list[bool] = []

    def guess() -> None:
        start.wait()
        try:
            _sign_in(database, email, "wrong password here")
        except AccessDenied:
            refused.append(True)

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 8
    info = users.get_user(database, user=email, practice_id=None, now=NOW)
    assert info.status == "locked"  # 8 guesses at once still lock it after 5
    with database.transaction() as session:
        wrong = list(
            session.scalars(
                select(AuditEventRow.detail).where(
                    AuditEventRow.detail == "sign-in refused: wrong password"
                )
            )
        )
    assert len(wrong) == users_signin.MAX_ATTEMPTS  # no more than 5 were ever checked


def test_wrong_codes_count_like_passwords_and_lock_the_account(database: Database):
    """The code step shares the password step's count: the attempt past MAX_ATTEMPTS
    locks the account and the lock (and its audit) stays although the attempt is refused."""
    email = ui_user(database)
    checked = _sign_in(database, email)
    assert checked.proof is not None
    with database.transaction() as session:
        me = users_signin.signed_in(session, checked.proof, NOW)
    secret = users_totp.start_totp(database, me).secret
    step = int(NOW.timestamp() // totp.STEP)
    users_totp.confirm_totp(database, me, totp.code_at(secret, step), now=NOW)
    later = NOW + timedelta(minutes=1)
    right = totp.code_at(secret, int(later.timestamp() // totp.STEP))
    wrong = "000000" if right != "000000" else "111111"
    needs = _sign_in(database, email, at=timedelta(minutes=1))  # attempt 1
    assert needs.needs_code
    for _ in range(users_signin.MAX_ATTEMPTS - 1):  # attempts 2 to 5
        with pytest.raises(AccessDenied) as refused:
            users_totp.check_code(database, user_id=needs.user_id, code=wrong, now=later)
        assert str(refused.value) == users_signin.SIGN_IN_REFUSED
    with pytest.raises(AccessDenied) as locked:  # the right code, one attempt too many
        users_totp.check_code(database, user_id=needs.user_id, code=right, now=later)
    assert str(locked.value) == users_signin.SIGN_IN_REFUSED
    info = users.get_user(database, user=email, practice_id=None, now=later)
    assert (info.status, info.locked_until) == ("locked", later + users_signin.LOCKOUT)
    with database.transaction() as session:
        details = list(
            session.scalars(
                select(AuditEventRow.detail).where(
                    AuditEventRow.resource == "user", AuditEventRow.action == "login"
                )
            )
        )
    assert details.count("sign-in refused: wrong or used two-step code") == 4
    assert sum(d.startswith("locked until") for d in details) == 1


def test_two_step_enrolment_sign_in_and_no_replay(database: Database):
    email = ui_user(database)
    checked = _sign_in(database, email)
    assert checked.proof is not None
    _sid, live = ui_sessions.open_session(
        database,
        checked.proof,
        keyring=database.phi.keyring,
        now=NOW,
        lifetime=LIFE,
        remote_addr=None,
    )
    me = live.principal
    enrolment = users_totp.start_totp(database, me)
    assert enrolment.uri.startswith("otpauth://totp/edigateway%20P1456789019:")
    with database.transaction() as session:
        row = session.scalars(select(UserRow)).one()
        assert row.totp_pending is not None
        assert enrolment.secret not in row.totp_pending  # sealed
    step = int(NOW.timestamp() // totp.STEP)
    with pytest.raises(InputError, match="does not match"):
        users_totp.confirm_totp(
            database,
            me,
            "000000" if totp.code_at(enrolment.secret, step) != "000000" else "111111",
            now=NOW,
        )
    users_totp.confirm_totp(database, me, totp.code_at(enrolment.secret, step), now=NOW)
    assert users.account(database, me, now=NOW).two_step

    later = NOW + timedelta(minutes=2)
    needs = _sign_in(database, email, at=timedelta(minutes=2))
    assert (needs.needs_code, needs.proof) == (True, None)
    code = totp.code_at(enrolment.secret, int(later.timestamp() // totp.STEP))
    proof = users_totp.check_code(database, user_id=needs.user_id, code=code, now=later)
    assert proof.user_id == me.user_id
    with pytest.raises(AccessDenied):  # the same code again
        users_totp.check_code(database, user_id=needs.user_id, code=code, now=later)
    users_totp.remove_totp(
        database,
        me,
        totp.code_at(enrolment.secret, int(later.timestamp() // totp.STEP) + 1),
        now=later,
    )
    assert _sign_in(database, email, at=timedelta(minutes=3)).proof is not None


def test_a_new_password_or_disabling_ends_the_sessions_and_is_audited(database: Database):
    email = ui_user(database, role="viewer")
    keyring = database.phi.keyring
    checked = _sign_in(database, email)
    assert checked.proof is not None
    session_id, live = ui_sessions.open_session(
        database, checked.proof, keyring=keyring, now=NOW, lifetime=LIFE, remote_addr=None
    )
    link = users.issue_link(
        database,
        user=email,
        practice_id=None,
        actor="cli",
        now=NOW,
        keyring=keyring,
        base_url="http://127.0.0.1:8000",
    )
    ui_sessions.resume(database, session_id, keyring=keyring, now=NOW, lifetime=LIFE)
    users_passwords.set_password(
        database, token=_token_any(link), password=USER_PASSWORD + "!", keyring=keyring, now=NOW
    )
    with pytest.raises(AccessDenied):
        ui_sessions.resume(database, session_id, keyring=keyring, now=NOW, lifetime=LIFE)
    other_practice = users.get_user(database, user=email, practice_id=None, now=NOW)
    with pytest.raises(NotFoundError):
        users.disable_user(
            database,
            user=other_practice.id,
            practice_id=other_practice.practice_id + 1,
            actor="key:x",
            now=NOW,
        )
    disabled = users.disable_user(database, user=email, practice_id=None, actor="cli", now=NOW)
    again = users.disable_user(database, user=email, practice_id=None, actor="cli", now=NOW)
    assert (disabled.status, again.disabled_at) == ("disabled", NOW)
    with pytest.raises(AccessDenied):
        _sign_in(database, email, USER_PASSWORD + "!")
    with pytest.raises(ConflictError, match="disabled"):
        users.issue_link(
            database,
            user=email,
            practice_id=None,
            actor="cli",
            now=NOW,
            keyring=keyring,
            base_url="http://127.0.0.1:8000",
        )
    with database.transaction() as session:
        audit = list(
            session.execute(
                select(AuditEventRow.actor, AuditEventRow.detail).where(
                    AuditEventRow.resource == "user", AuditEventRow.action == "change"
                )
            )
        )
    assert (f"user:{live.principal.user_id}", "password set; 1 session(s) ended") in audit
    assert [d for _a, d in audit if d.startswith("disabled")] == ["disabled; 0 session(s) ended"]


def _token_any(link: users_passwords.PasswordLink) -> str:
    return parse_qs(urlsplit(link.url).query)["token"][0]


def test_two_step_secrets_are_re_encrypted_by_key_rotation(database: Database):
    from edigateway.security.phi import PhiCipher
    from edigateway.services.rotation import keys_in_use, rotate_phi

    email = ui_user(database)
    checked = _sign_in(database, email)
    assert checked.proof is not None
    _sid, live = ui_sessions.open_session(
        database,
        checked.proof,
        keyring=database.phi.keyring,
        now=NOW,
        lifetime=LIFE,
        remote_addr=None,
    )
    enrolment = users_totp.start_totp(database, live.principal)
    step = int(NOW.timestamp() // totp.STEP)
    users_totp.confirm_totp(database, live.principal, totp.code_at(enrolment.secret, step), now=NOW)
    users_totp.start_totp(database, live.principal)  # a pending one too (moving to a new phone)
    old = database.phi
    database.phi = PhiCipher(old.keyring.with_new_key("k9"))
    assert rotate_phi(database)["users"] == 2
    assert keys_in_use(database).get("k9") == 2
    assert all(k == "k9" for k in keys_in_use(database))  # no user secret left on the old key
    later = NOW + timedelta(minutes=1)
    needs = _sign_in(database, email, at=timedelta(minutes=1))
    code = totp.code_at(enrolment.secret, int(later.timestamp() // totp.STEP))
    assert users_totp.check_code(database, user_id=needs.user_id, code=code, now=later)
