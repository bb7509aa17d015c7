"""Opening a sealed value: whatever is in the column — not a token, a damaged one, text
pasted from elsewhere — ends in a :class:`PhiError` naming the place and never the
content, and a large piece opens without copies of its text piling up (the floor under
every read of a stored file)."""

from __future__ import annotations

import secrets
import tracemalloc

import pytest

from edigateway.errors import PhiError
from edigateway.security.phi import VERSION, Binding, Keyring, PhiCipher

PLACE = Binding("inbound_file_chunks", "sealed", None, "ab" * 32 + ":0:1")
MIB = 1 << 20


@pytest.fixture
def cipher() -> PhiCipher:
    return PhiCipher(Keyring.generate())


def _parts(cipher: PhiCipher) -> tuple[str, str]:
    """The key ID and the base64 data of a good token."""
    token = cipher.seal("MEMBER W123456789", PLACE)
    _, key_id, data = token.split(".")
    return key_id, data


@pytest.mark.parametrize(
    "make",
    [
        lambda k, d: "",
        lambda k, d: "plain text",
        lambda k, d: f"{VERSION}",
        lambda k, d: f"{VERSION}.{k}",
        lambda k, d: f"{VERSION}.{k}.",
        lambda k, d: f"{VERSION}..{d}",
        lambda k, d: f"v0.{k}.{d}",
        lambda k, d: f".{k}.{d}",
    ],
    ids=["empty", "text", "version only", "no data", "empty data", "no key", "v0", "no version"],
)
def test_what_is_not_a_token_says_so(cipher: PhiCipher, make):
    key_id, data = _parts(cipher)
    with pytest.raises(PhiError, match=r"inbound_file_chunks\.sealed of row .*: not an encrypted"):
        cipher.open_bytes(make(key_id, data), PLACE)


@pytest.mark.parametrize(
    "make",
    [
        lambda k, d: f"{VERSION}.{k}.{d[:-2]}",  # padding cut
        lambda k, d: f"{VERSION}.{k}.{d[:10]} {d[10:]}",  # a space
        lambda k, d: f"{VERSION}.{k}.{d}\n",  # a line break pasted with it
        lambda k, d: f"{VERSION}.{k}.{d[:10]}é{d[11:]}",  # not ASCII
        lambda k, d: f"{VERSION}.{k}.{d}.{d}",  # two tokens run together
        lambda k, d: f"{VERSION}.{k}.AAAA",  # shorter than a nonce
    ],
    ids=["padding cut", "space", "line break", "not ascii", "two tokens", "too short"],
)
def test_a_damaged_token_is_damaged(cipher: PhiCipher, make):
    key_id, data = _parts(cipher)
    with pytest.raises(PhiError, match="damaged encrypted value") as caught:
        cipher.open_bytes(make(key_id, data), PLACE)
    assert "W123456789" not in str(caught.value)


def test_a_good_token_still_opens_and_one_bit_changed_does_not(cipher: PhiCipher):
    token = cipher.seal("MEMBER W123456789", PLACE)
    assert cipher.open(token, PLACE) == "MEMBER W123456789"
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(PhiError, match="altered, or copied from another row"):
        cipher.open(flipped, PLACE)


def test_a_piece_of_a_mebibyte_opens_in_under_three_mebibytes_besides_its_text(
    cipher: PhiCipher,
):
    """Before: the key ID and data split off the token as new strings, the data turned to
    bytes, decoded, then nonce and ciphertext sliced out — 5 MiB for a 1 MiB piece. Now an
    ASCII copy of the token read through a view, the decoded blob, and the plaintext:
    2.3 MiB."""
    data = secrets.token_bytes(MIB)
    token = cipher.seal_bytes(data, PLACE)
    tracemalloc.start()
    try:
        opened = cipher.open_bytes(token, PLACE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert opened == data
    assert peak < 3 * MIB, f"{peak / MIB:.2f} MiB"
