"""Passwords (argon2id, the rules) and TOTP codes (RFC 6238's own test vectors)."""

from __future__ import annotations

import pytest

from edigateway.errors import InputError
from edigateway.security import passwords, totp

RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of ASCII "12345678901234567890"


def test_a_password_is_stored_as_argon2id_with_a_salt_and_only_its_text_matches():
    first = passwords.hash_password("correct horse battery")
    second = passwords.hash_password("correct horse battery")
    assert first.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in first
    assert first != second  # a fresh salt each time
    assert passwords.verify(first, "correct horse battery")
    assert not passwords.verify(first, "correct horse batterz")
    assert not passwords.verify(first, "")
    assert not passwords.verify("not a hash", "correct horse battery")
    assert not passwords.verify(first, "x" * (passwords.MAX_LENGTH + 1))
    assert not passwords.needs_rehash(first)
    weaker = (
        "$argon2id$v=19$m=8192,t=1,p=1$" + first.rsplit("$", 2)[1] + "$" + first.rsplit("$", 1)[1]
    )
    assert passwords.needs_rehash(weaker)
    assert not passwords.verify(passwords.dummy_hash(), "correct horse battery")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "at least 12"),
        ("x" * 257, "at most 256"),
        ("pat.lee@example.com", "email address"),
        ("my pat.lee@example.com!", "email address"),
        ("PAT.LEE-is-here-2026", "name part"),
        ("aaaaaaaaaaaaaaaa", "one character"),
    ],
)
def test_password_rules_say_what_to_change(password: str, message: str):
    with pytest.raises(InputError, match=message):
        passwords.check_rules(password, "pat.lee@example.com")


def test_a_good_password_passes_the_rules():
    passwords.check_rules("maple-crown-4-molars", "pat.lee@example.com")
    passwords.check_rules("a short name ok!", "al@example.com")  # "al" is too short to ban


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_codes_match_rfc_6238_sha1_vectors(at: int, expected: str):
    assert totp.code_at(RFC_SECRET, at // totp.STEP, digits=8) == expected


def test_a_code_is_accepted_one_step_either_side_and_only_once():
    secret = totp.new_secret()
    assert len(secret) == 32  # 160 bits in base32
    now = 1_800_000_000.0
    step = int(now // totp.STEP)
    for offset in (-1, 0, 1):
        code = totp.code_at(secret, step + offset)
        assert totp.verify(secret, code, at=now, after_step=None) == step + offset
    assert totp.verify(secret, totp.code_at(secret, step - 2), at=now, after_step=None) is None
    assert totp.verify(secret, totp.code_at(secret, step + 2), at=now, after_step=None) is None
    code = totp.code_at(secret, step)
    assert totp.verify(secret, code, at=now, after_step=step) is None  # replayed
    assert totp.verify(secret, code, at=now, after_step=step - 1) == step
    assert totp.verify(secret, code[:3] + " " + code[3:], at=now, after_step=None) == step
    for bad in ("", "12345", "1234567", "abcdef", "12345a"):
        assert totp.verify(secret, bad, at=now, after_step=None) is None


def test_the_provisioning_uri_names_the_issuer_account_and_parameters():
    uri = totp.provisioning_uri(
        RFC_SECRET, account="pat.lee@example.com", issuer="edigateway Maple Street Dental"
    )
    assert uri.startswith("otpauth://totp/edigateway%20Maple%20Street%20Dental:pat.lee@")
    assert f"secret={RFC_SECRET}" in uri
    assert "issuer=edigateway+Maple+Street+Dental" in uri
    assert {"digits=6", "period=30", "algorithm=SHA1"} <= set(uri.split("?")[1].split("&"))
