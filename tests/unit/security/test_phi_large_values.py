"""Values above :data:`SEAL_CHUNK` (a received 835 of many megabytes) are sealed a chunk at
a time into the same token the one-shot AES-GCM gives: they open with the one-shot
decryption, in their place only, and keep every byte."""

from __future__ import annotations

import base64
import secrets

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edigateway.errors import PhiError
from edigateway.security.phi import NONCE_BYTES, SEAL_CHUNK, VERSION, Binding, Keyring, PhiCipher

PLACE = Binding("inbound_files", "payload", 0, "ab" * 32)


@pytest.mark.parametrize(
    "size", [SEAL_CHUNK, SEAL_CHUNK + 1, SEAL_CHUNK + 2, 2 * SEAL_CHUNK + 3, 3 * SEAL_CHUNK - 1]
)
def test_a_large_value_opens_to_its_exact_bytes_in_its_place_only(size: int):
    keyring = Keyring.generate()
    cipher = PhiCipher(keyring)
    data = secrets.token_bytes(size - 1) + b"\xff"  # not UTF-8 at the end
    token = cipher.seal_bytes(data, PLACE)
    assert cipher.open_bytes(token, PLACE) == data
    # the token is the one-shot AES-GCM's: nonce, ciphertext and tag in one base64
    prefix = f"{VERSION}.{keyring.active}."
    assert token.startswith(prefix)
    blob = base64.b64decode(token[len(prefix) :], validate=True)
    assert len(blob) == NONCE_BYTES + size + 16
    one_shot = AESGCM(keyring.key(keyring.active))
    assert one_shot.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], PLACE.associated_data()) == data
    with pytest.raises(PhiError):
        cipher.open_bytes(token, Binding("inbound_files", "payload", 0, "cd" * 32))
