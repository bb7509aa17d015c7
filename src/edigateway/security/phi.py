"""Protected health information at rest: AES-GCM with the row bound in, keyed hashes for
look-ups, and key rotation without downtime.

Why it is built this way:

* **AES-256-GCM** (``cryptography``) gives confidentiality and integrity in one step; a
  changed byte fails to open instead of decrypting to garbage.
* **Associated data binds a value to its place**: table, column, practice and row key go
  into the tag, so a ciphertext copied into another practice's row (or another column)
  does not open — a database-level copy-paste cannot move PHI between tenants.
* **Every value names its key** (``v1.<key id>.<base64 nonce+ciphertext>``), so several
  keys can be live at once: the newest encrypts, all decrypt. Rotation re-encrypts rows in
  small transactions while the gateway keeps serving (:func:`needs_rotation`,
  :meth:`PhiCipher.reseal`).
* **Equality look-ups use HMAC-SHA256 with a separate key** (:meth:`PhiCipher.blind_index`):
  finding a patient by member ID needs no plaintext column, and the index key can be
  kept from people who can read the database.
* Key material and plaintext never appear in exception messages.

Example::

    keyring = Keyring.parse("k2:<base64 32 bytes>,k1:<base64 32 bytes>", index_key="<b64>")
    cipher = PhiCipher(keyring)
    token = cipher.seal("JANE DOE", Binding("claims", "document", 7, "MSD1001"))
    assert cipher.open(token, Binding("claims", "document", 7, "MSD1001")) == "JANE DOE"
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edigateway.errors import ConfigurationError, PhiError
from edigateway.security.files import PRIVATE_FILE, tighten, write_private

if TYPE_CHECKING:
    from pathlib import Path

VERSION: Final = "v1"
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
SEAL_CHUNK: Final = 3 * 2**20
"""Bytes above which a value is sealed a chunk at a time (:meth:`PhiCipher.seal_bytes`);
a multiple of 3, so each chunk's base64 joins the next's."""
_KEY_ID_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


@dataclass(frozen=True, slots=True)
class Binding:
    """Where a value lives: it only opens in the same table, column, practice and row."""

    table: str
    column: str
    practice_id: int | None
    row_key: str

    def associated_data(self) -> bytes:
        """A canonical, unambiguous encoding (length-prefixed fields)."""
        parts = [VERSION, self.table, self.column, str(self.practice_id or 0), self.row_key]
        return b"".join(len(p.encode()).to_bytes(4, "big") + p.encode() for p in parts)


@dataclass(frozen=True, slots=True)
class Keyring:
    """Data keys by ID (the first is active) and a separate key for blind indexes."""

    keys: tuple[tuple[str, bytes], ...]
    index_key: bytes

    def __post_init__(self) -> None:
        if not self.keys:
            raise ConfigurationError("the PHI keyring holds no data key")
        seen: set[str] = set()
        for key_id, key in self.keys:
            if not key_id or not set(key_id) <= _KEY_ID_CHARS or key_id in seen:
                msg = (
                    f"PHI key ID {key_id!r}: IDs must be unique and use letters, digits, '_' or '-'"
                )
                raise ConfigurationError(msg)
            if len(key) != KEY_BYTES:
                msg = f"PHI key {key_id!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES}"
                raise ConfigurationError(msg)
            seen.add(key_id)
        if len(self.index_key) < KEY_BYTES:
            msg = f"the PHI index key must be at least {KEY_BYTES} bytes"
            raise ConfigurationError(msg)

    @property
    def active(self) -> str:
        """The key ID new values are sealed with."""
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes:
        """The data key ``key_id``; an unknown ID is a :class:`PhiError`."""
        for candidate, key in self.keys:
            if candidate == key_id:
                return key
        msg = (
            f"no PHI key {key_id!r} in the keyring (have: "
            f"{', '.join(k for k, _ in self.keys)}); was a retired key removed too early?"
        )
        raise PhiError(msg)

    @classmethod
    def parse(cls, data_keys: str, *, index_key: str) -> Keyring:
        """``"k2:<base64>,k1:<base64>"`` (first = active) and a base64 index key."""
        keys: list[tuple[str, bytes]] = []
        for number, item in enumerate(
            filter(None, (p.strip() for p in data_keys.split(","))), start=1
        ):
            key_id, colon, encoded = item.partition(":")
            if not colon:
                msg = f"PHI key #{number}: expected '<key id>:<base64 key>'"
                raise ConfigurationError(msg)
            keys.append((key_id.strip(), _b64(encoded, f"PHI key {key_id.strip()!r}")))
        return cls(tuple(keys), _b64(index_key, "PHI index key"))

    @classmethod
    def generate(cls, key_id: str = "k1") -> Keyring:
        """Fresh random keys (the embedded setup, tests)."""
        return cls(((key_id, secrets.token_bytes(KEY_BYTES)),), secrets.token_bytes(KEY_BYTES))

    def with_new_key(self, key_id: str) -> Keyring:
        """This keyring with a new active key in front (for rotation)."""
        return Keyring(((key_id, secrets.token_bytes(KEY_BYTES)), *self.keys), self.index_key)

    def to_config(self) -> tuple[str, str]:
        """(data keys, index key) in the form :meth:`parse` reads."""
        data = ",".join(f"{k}:{base64.b64encode(v).decode()}" for k, v in self.keys)
        return data, base64.b64encode(self.index_key).decode()

    def describe(self) -> list[str]:
        """Key IDs with a short fingerprint each — never the keys."""
        return [
            f"{key_id}{' (active)' if n == 0 else ''}: {hashlib.sha256(key).hexdigest()[:12]}"
            for n, (key_id, key) in enumerate(self.keys)
        ]

    # -- a key file for the embedded setup
    @classmethod
    def load_or_create(cls, path: Path) -> Keyring:
        """The keyring in ``path`` (two lines: data keys, index key), created with fresh
        keys and mode 0600 when missing (a looser existing file is tightened, with a log
        line). Production passes keys in settings instead."""
        if path.is_file():
            tighten(path, PRIVATE_FILE)
            lines = path.read_text(encoding="ascii").split()
            if len(lines) != 2:
                msg = f"{path}: expected two lines (data keys, index key)"
                raise ConfigurationError(msg)
            return cls.parse(lines[0], index_key=lines[1])
        keyring = cls.generate()
        keyring.save(path)
        return keyring

    def save(self, path: Path) -> None:
        """Write the keyring to ``path`` atomically, created with mode 0600 (missing
        folders 0700)."""
        data, index = self.to_config()
        write_private(path, f"{data}\n{index}\n")


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        msg = f"{what}: not valid base64"
        raise ConfigurationError(msg) from exc


class PhiCipher:
    """Seals and opens PHI values with a :class:`Keyring` (see module docstring)."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def seal(self, plaintext: str, binding: Binding) -> str:
        """``v1.<key id>.<base64(nonce + ciphertext + tag)>`` with the active key."""
        return self.seal_bytes(plaintext.encode("utf-8", "surrogateescape"), binding)

    def seal_bytes(self, plaintext: bytes, binding: Binding) -> str:
        """:meth:`seal` for raw bytes (a received file exactly as it came, whatever its
        encoding): no text round trip that could fail or alter a byte. Tokens are alike,
        so :meth:`open` reads them too (undecodable bytes as surrogate escapes)."""
        key_id = self.keyring.active
        nonce = secrets.token_bytes(NONCE_BYTES)
        if len(plaintext) > SEAL_CHUNK:
            return self._seal_large(key_id, nonce, plaintext, binding)
        sealed = AESGCM(self.keyring.key(key_id)).encrypt(
            nonce, plaintext, binding.associated_data()
        )
        return f"{VERSION}.{key_id}.{base64.b64encode(nonce + sealed).decode('ascii')}"

    def _seal_large(self, key_id: str, nonce: bytes, plaintext: bytes, binding: Binding) -> str:
        """The same token as the one-shot AES-GCM above, encrypted and base64-encoded a
        chunk at a time: a 50 MB received file costs its text once (plus the pieces the
        text is joined from) instead of ciphertext, nonce + ciphertext, their base64 bytes
        and text, and the token, about five copies alive at once. Base64 of a
        concatenation is the concatenation of the pieces' base64 when every piece but the
        last is a multiple of 3 bytes (the nonce is 12)."""
        encryptor = Cipher(algorithms.AES(self.keyring.key(key_id)), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(binding.associated_data())
        pieces = [f"{VERSION}.{key_id}.", _b64_text(nonce)]
        view = memoryview(plaintext)
        carry = b""
        for start in range(0, len(view), SEAL_CHUNK):
            carry += encryptor.update(view[start : start + SEAL_CHUNK])
            whole = len(carry) - len(carry) % 3
            pieces.append(_b64_text(carry[:whole]))
            carry = carry[whole:]
        carry += encryptor.finalize()
        pieces.append(_b64_text(carry + encryptor.tag))
        return "".join(pieces)

    def open(self, token: str, binding: Binding) -> str:
        """The plaintext of ``token``; a tampered, misplaced or unknown-key value is a
        :class:`PhiError` naming the place, never the content."""
        return self.open_bytes(token, binding).decode("utf-8", "surrogateescape")

    def open_bytes(self, token: str, binding: Binding) -> bytes:
        """The plaintext of ``token`` as the exact bytes sealed (see :meth:`open`)."""
        key_id, blob = _split(token, binding)
        view = memoryview(blob)  # nonce and ciphertext read in place, not copied out
        try:
            return AESGCM(self.keyring.key(key_id)).decrypt(
                view[:NONCE_BYTES], view[NONCE_BYTES:], binding.associated_data()
            )
        except InvalidTag as exc:
            msg = (
                f"{binding.table}.{binding.column} of row {binding.row_key!r} (practice "
                f"{binding.practice_id}) does not open with key {key_id!r}: altered, or "
                "copied from another row"
            )
            raise PhiError(msg) from exc

    def needs_rotation(self, token: str) -> bool:
        """Whether ``token`` was sealed with a key other than the active one."""
        return not token.startswith(f"{VERSION}.{self.keyring.active}.")

    def reseal(self, token: str, binding: Binding) -> str:
        """``token`` sealed again with the active key (unchanged when it already is)."""
        if not self.needs_rotation(token):
            return token
        return self.seal(self.open(token, binding), binding)

    def blind_index(self, value: str, *, purpose: str) -> str:
        """HMAC-SHA256 of a normalised value (upper case, no spaces), hex: equal member IDs
        give equal indexes, and nothing about the ID can be read from it."""
        normal = "".join(value.split()).upper()
        message = f"{purpose}\0{normal}".encode()
        return hmac.new(self.keyring.index_key, message, hashlib.sha256).hexdigest()


def _b64_text(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _split(token: str, binding: Binding) -> tuple[str, bytes]:
    """The key ID and the decoded nonce + ciphertext of ``token``.

    A received file's piece is a token of about 1.4 MB: the data is decoded from one ASCII
    copy of the token through a view, not from the slices ``str.partition`` and
    ``b64decode`` would make (three more copies of the text alive at once, which set the
    floor under every read of a stored file)."""
    first = token.find(".")
    second = token.find(".", first + 1) if first >= 0 else -1
    where = f"{binding.table}.{binding.column} of row {binding.row_key!r}"
    if first < 0 or token[:first] != VERSION or second <= first + 1 or second + 1 == len(token):
        msg = f"{where}: not an encrypted value (expected {VERSION}.<key id>.<data>)"
        raise PhiError(msg)
    try:
        blob = binascii.a2b_base64(
            memoryview(token.encode("ascii"))[second + 1 :], strict_mode=True
        )
    except (binascii.Error, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise PhiError(f"{where}: damaged encrypted value") from exc
    if len(blob) <= NONCE_BYTES:
        raise PhiError(f"{where}: damaged encrypted value")
    return token[first + 1 : second], blob
