"""PHI stays out of logs; API keys are random, hashed with a pepper, compared in constant
time; PHI tokens open only in their own place."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edigateway.errors import AccessDenied, ConfigurationError, InputError, PhiError
from edigateway.security.api_keys import (
    hash_secret,
    new_api_key,
    parse_scopes,
    parse_token,
    verify,
)
from edigateway.security.phi import Binding, Keyring, PhiCipher
from edigateway.security.redaction import PhiRedactor

PLACE = Binding("claims", "document", 7, "MSD1001:abc")


def test_redactor_masks_segments_and_dates(caplog: pytest.LogCaptureFixture):
    logger = logging.getLogger("edigateway.test")
    logger.addFilter(PhiRedactor())
    with caplog.at_level(logging.INFO, logger="edigateway.test"):
        logger.info("segment %s on %s", "NM1*IL*1*DOE*JANE****MI*W123~", "1984-03-12")
        logger.info("DMG*D8*19840312*F~ then claim MSD1001")
    text = caplog.text
    for secret in ("DOE", "JANE", "W123", "1984-03-12", "19840312"):
        assert secret not in text
    assert "MSD1001" in text


@given(st.text(max_size=200))
def test_what_is_sealed_opens_only_in_its_place(plaintext: str):
    cipher = PhiCipher(Keyring.generate())
    token = cipher.seal(plaintext, PLACE)
    assert cipher.open(token, PLACE) == plaintext
    with pytest.raises(PhiError):
        cipher.open(token, Binding("claims", "document", 8, "MSD1001:abc"))


def test_tampered_or_unknown_key_tokens_fail_without_showing_content():
    cipher = PhiCipher(Keyring.generate())
    token = cipher.seal("JANE DOE", PLACE)
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with pytest.raises(PhiError) as caught:
        cipher.open(flipped, PLACE)
    assert "JANE" not in str(caught.value)
    with pytest.raises(PhiError, match="no PHI key"):
        PhiCipher(Keyring.generate("k9")).open(token, PLACE)


def test_rotation_keeps_old_values_readable_and_moves_them():
    old = Keyring.generate("k1")
    token = PhiCipher(old).seal("W123", PLACE)
    rotated = PhiCipher(old.with_new_key("k2"))
    assert rotated.open(token, PLACE) == "W123"
    assert rotated.needs_rotation(token)
    moved = rotated.reseal(token, PLACE)
    assert moved.startswith("v1.k2.")
    assert rotated.open(moved, PLACE) == "W123"
    assert not rotated.needs_rotation(moved)


def test_blind_index_is_keyed_and_normalised():
    cipher = PhiCipher(Keyring.generate())
    assert cipher.blind_index(" w123 ", purpose="member-id") == cipher.blind_index(
        "W123", purpose="member-id"
    )
    assert cipher.blind_index("W123", purpose="member-id") != PhiCipher(
        Keyring.generate()
    ).blind_index("W123", purpose="member-id")


def test_keyring_parsing_errors_name_the_problem_not_the_key():
    secret = "c2VjcmV0"  # base64 of 'secret': too short
    with pytest.raises(ConfigurationError) as caught:
        Keyring.parse(f"k1:{secret}", index_key=secret)
    assert secret not in str(caught.value)
    with pytest.raises(ConfigurationError, match="expected"):
        Keyring.parse("nokey", index_key=secret)
    data, index = Keyring.generate().to_config()
    assert Keyring.parse(data, index_key=index).active == "k1"


def test_api_keys():
    issued = new_api_key()
    key_id, secret = parse_token(issued.token)
    assert key_id == issued.key_id
    pepper = b"p" * 32
    stored = hash_secret(secret, pepper)
    assert verify(secret, stored, pepper)
    assert not verify(secret + "x", stored, pepper)
    assert not verify(secret, stored, b"q" * 32)
    assert new_api_key().token != issued.token
    with pytest.raises(AccessDenied):
        parse_token("edg_short")
    assert parse_scopes("claims:write, eligibility,claims:write") == ("claims:write", "eligibility")
    with pytest.raises(InputError, match="claims:delete"):
        parse_scopes("claims:delete")
