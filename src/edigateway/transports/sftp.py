"""SFTP exchange with a clearinghouse (paramiko), implementing :class:`~.base.Transport`.

Why it is built the way it is:

* **Pinned host key.** The server's key must equal the one configured (``ssh-ed25519
  AAAA…`` or a known_hosts line). An unknown or changed key raises
  :class:`~edigateway.errors.HostKeyError` naming the host and the fingerprint seen, so an
  operator can compare it with what the clearinghouse published; keys are never learned
  automatically (no ``AutoAddPolicy``), since claims carry protected health information.
* **Key authentication only**, from a private key file (Ed25519 or RSA, unencrypted; the
  file's permissions protect it).
* **Complete or absent.** An upload is written as ``.<name>.part``, its size checked
  against the bytes sent, then renamed with ``posix-rename@openssh.com`` to a final name no
  file has yet (``claims-2.837`` if ``claims.837`` exists), so the clearinghouse never
  picks up half a file and never loses an earlier one. A retried upload rewrites the same
  ``.part`` file, so an interrupted attempt leaves nothing behind once a retry succeeds.
  Choosing the free name and renaming are two steps: one gateway writes to one outbound
  folder, and the clearinghouse only removes files there.
* **Retries** of dropped connections and failed transfers follow the
  :class:`~.base.RetryPolicy`; a refused host key or refused credentials are final.
* **Downloads in linear time.** paramiko's ``read(n)`` grows one buffer by ``+=``
  (quadratic), and its prefetch thread declares itself done whenever the reader catches
  up with it, after which every read is one round trip (~40 ms each on loopback, Nagle
  against delayed ACKs) while the abandoned prefetch goes on fetching into memory: 50 MB
  took 16-77 s, 200 MB over 240 s. :class:`_PipelinedRead` instead keeps up to
  ``_PIPELINE`` read requests of 32 KiB in flight from one thread, collects the chunks in
  order and joins them once. It reads to the end of the file, not to the size seen at
  open, then stats the file again: a different size means the file is still being
  written (:class:`~edigateway.errors.RemoteFileChangedError`, left for the next poll). A
  file over ``max_bytes`` is refused before reading, or as soon as it grows past the cap.

Example::

    config = SftpConfig.from_profile(profile.sftp, private_key_path=Path("keys/id_ed25519"))
    with SftpTransport(config) as transport:
        sent = transport.upload("claims_000000123.837", x12.encode())
        for remote in transport.list_inbound():
            store(transport.download(remote))
            transport.archive(remote)
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import posixpath
import socket
import stat
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import paramiko
from paramiko.sftp import CMD_DATA, CMD_READ, CMD_STATUS, int64

from edigateway.errors import (
    AuthenticationError,
    ConfigurationError,
    EdigatewayError,
    HostKeyError,
    RemoteFileChangedError,
    RemoteFileGoneError,
    RemoteFileTooLargeError,
    TransferError,
    TransportError,
)
from edigateway.transports.base import (
    PART_SUFFIX,
    RemoteFile,
    RetryPolicy,
    check_name,
    unique_name,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from edigateway.clearinghouses import SftpProfile

T = TypeVar("T")

#: SFTP answers that will not change on a retry: the file is missing or forbidden.
_FINAL_ERRNOS = frozenset({errno.ENOENT, errno.EACCES, errno.EPERM})
_DEFAULT_SSH_PORT = 22
_READ_CHUNK = paramiko.SFTPFile.MAX_REQUEST_SIZE
"""Bytes asked for by one SFTP read request (32 KiB, what every server accepts)."""
_PIPELINE = 64
"""Read requests in flight while downloading (64 x 32 KiB = 2 MiB on the way at most)."""


@dataclass(frozen=True, slots=True)
class SftpConfig:
    """Everything needed to reach one clearinghouse's SFTP folders.

    Folders are paths on the server, relative to the login folder unless they start with
    ``/``. ``archive_dir`` may be ``None`` only when files are deleted after download.
    ``timeout`` bounds connecting, the SSH handshake, authentication and every single SFTP
    request, in seconds.
    """

    host: str
    port: int
    username: str
    private_key_path: Path
    host_key: str
    outbound_dir: str
    inbound_dir: str
    archive_dir: str | None = "archive"
    delete_after_download: bool = False
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.archive_dir is None and not self.delete_after_download:
            msg = (
                f"{self.host}: SFTP needs an archive_dir unless delete_after_download is "
                "set; downloaded files would otherwise be offered again"
            )
            raise ConfigurationError(msg)
        if self.timeout <= 0:
            msg = f"{self.host}: SFTP timeout must be positive, not {self.timeout}"
            raise ConfigurationError(msg)

    @classmethod
    def from_profile(cls, profile: SftpProfile, *, private_key_path: Path) -> SftpConfig:
        """The configuration for a clearinghouse profile; the key file comes from settings,
        as profiles never hold secrets."""
        if not profile.host_key:
            msg = (
                f"{profile.host}: the clearinghouse profile pins no host_key; ask the "
                "clearinghouse for its key and add it (e.g. 'ssh-ed25519 AAAA…')"
            )
            raise ConfigurationError(msg)
        return cls(
            host=profile.host,
            port=profile.port,
            username=profile.username,
            private_key_path=private_key_path,
            host_key=profile.host_key,
            outbound_dir=profile.outbound_dir,
            inbound_dir=profile.inbound_dir,
            archive_dir=profile.archive_dir,
            delete_after_download=profile.delete_after_download,
            timeout=profile.timeout_seconds,
        )

    @property
    def where(self) -> str:
        """``host:port``, as messages name the server."""
        return f"{self.host}:{self.port}"


class _PipelinedRead:
    """Reads one open remote file to its end with up to :data:`_PIPELINE` requests in
    flight, in order, from the calling thread (see the module docstring for why not
    paramiko's prefetch).

    paramiko has no public call for a read request whose answer comes later, so this uses
    three methods of ``SFTPClient`` that its own prefetch is built on (``_async_request``,
    ``_read_response``, ``_convert_status``; unchanged since paramiko 1.x): answers are
    handed to :meth:`_async_response` by request number. A short answer is followed by a
    request for the rest of that chunk; the first end-of-file answer ends the file, and
    answers still on their way are read and dropped, so none is left for later calls.
    """

    def __init__(self, sftp: paramiko.SFTPClient, handle: paramiko.SFTPFile, where: str) -> None:
        self.sftp, self.handle, self.where = sftp, handle, where
        self.answers: dict[int, tuple[int, paramiko.Message]] = {}
        self.pending: deque[tuple[int, int, int]] = deque()  # (request, offset, length)

    def _async_response(self, kind: int, message: paramiko.Message, number: int) -> None:
        """Called by ``SFTPClient._read_response`` with the answer to one of ours."""
        self.answers[number] = (kind, message)

    def _ask(self, offset: int, length: int) -> None:
        number = self.sftp._async_request(  # type: ignore[attr-defined] # private: class doc
            self, CMD_READ, self.handle.handle, int64(offset), int(length)
        )
        self.pending.append((number, offset, length))

    def _answer(self, number: int) -> bytes | None:
        """The data asked for by request ``number``; ``None`` at the end of the file."""
        while number not in self.answers:
            self.sftp._read_response()  # type: ignore[attr-defined] # private: class doc
        kind, message = self.answers.pop(number)
        if kind == CMD_STATUS:
            try:
                self.sftp._convert_status(message)  # type: ignore[attr-defined] # private: class doc
            except EOFError:
                return None
        if kind != CMD_DATA:
            msg = f"{self.where}: the server answered a read with message type {kind}"
            raise TransferError(msg)
        data: bytes = message.get_string()
        return data or None

    def read(self, size: int, max_bytes: int | None) -> list[bytes]:
        """The file's chunks in order, to its end (past ``size`` if it grew)."""
        chunks: list[bytes] = []
        received = asked = 0
        ended = False
        try:
            while True:
                while (
                    not ended
                    and len(self.pending) < _PIPELINE
                    and (asked <= size or not self.pending)
                ):
                    self._ask(asked, _READ_CHUNK)
                    asked += _READ_CHUNK
                if not self.pending:
                    return chunks
                number, offset, length = self.pending.popleft()
                data = self._answer(number)
                if ended:
                    continue  # answers past the end are dropped
                if offset != received:
                    msg = (
                        f"{self.where}: the answer for byte {offset} came when byte "
                        f"{received} was due"
                    )
                    raise TransferError(msg)
                if data is None:
                    ended = True
                    continue
                chunks.append(data)
                received += len(data)
                if max_bytes is not None and received > max_bytes:
                    msg = (
                        f"{self.where}: grew past the {max_bytes}-byte download limit "
                        "while being read"
                    )
                    raise RemoteFileTooLargeError(msg, size=received, limit=max_bytes)
                if len(data) < length:
                    self._ask(received, length - len(data))
                    self.pending.rotate(1)  # the rest of this chunk comes next
        except TimeoutError:
            raise  # the connection is as good as gone: nothing to wait for
        except (OSError, EdigatewayError):
            self._drop_pending()
            raise

    def _drop_pending(self) -> None:
        """Read the answers still on their way (the connection is fine, only this file
        failed), so no later request of this connection meets them."""
        while self.pending:
            number, _, _ = self.pending.popleft()
            with contextlib.suppress(OSError, EdigatewayError):
                self._answer(number)


def _host_id(host: str, port: int) -> str:
    """The name known_hosts files use: ``host`` on port 22, else ``[host]:port``."""
    return host if port == _DEFAULT_SSH_PORT else f"[{host}]:{port}"


def _names_match(names: list[str], host: str, port: int) -> bool:
    wanted = {_host_id(host, port)}
    for name in names:
        if name.startswith("|1|"):
            salt = name.split("|")[2]
            if any(paramiko.HostKeys.hash_host(w, salt) == name for w in wanted):
                return True
        elif name in wanted:
            return True
    return False


def parse_host_key(text: str, host: str, port: int = _DEFAULT_SSH_PORT) -> paramiko.PKey:
    """The pinned host key from configuration.

    Accepts ``<type> <base64> [comment]`` or a known_hosts line ``<names> <type>
    <base64>``; in the latter the names must include this host (hashed names too), so a
    line copied for another server is caught at start-up rather than at connect time.

    >>> parse_host_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHPrCFuwGdRX2O84em7mArYs755w"
    ...                "O8XbqJYcxW36gCg/", "sftp.example").get_name()
    'ssh-ed25519'
    """
    fields = text.split()
    if fields and fields[0].startswith("@"):
        msg = f"{host}: host_key: known_hosts markers ({fields[0]}) are not supported"
        raise ConfigurationError(msg)
    if len(fields) >= 2 and fields[0].startswith(("ssh-", "ecdsa-", "sk-")):
        key_type, data = fields[0], fields[1]
    elif len(fields) >= 3:
        if not _names_match(fields[0].split(","), host, port):
            msg = (
                f"{host}: host_key is a known_hosts line for {fields[0]}, not for "
                f"{_host_id(host, port)}"
            )
            raise ConfigurationError(msg)
        key_type, data = fields[1], fields[2]
    else:
        msg = f"{host}: host_key must be '<type> <base64>' or a known_hosts line"
        raise ConfigurationError(msg)
    try:
        return paramiko.PKey.from_type_string(key_type, base64.b64decode(data, validate=True))
    except (binascii.Error, paramiko.SSHException, ValueError) as exc:
        msg = f"{host}: host_key is not a usable {key_type} key: {exc}"
        raise ConfigurationError(msg) from exc


def _host_key_algorithms(pinned: paramiko.PKey, offered: tuple[str, ...]) -> tuple[str, ...]:
    """Ask for the pinned key's type first, so a server with several host keys shows us
    the one we pinned; the others stay listed, so a server that lost that key is reported
    as a changed key rather than as a vague negotiation failure."""
    name = pinned.get_name()

    def matches(algorithm: str) -> bool:
        return algorithm == name or (name == "ssh-rsa" and algorithm.startswith("rsa-sha2-"))

    return tuple(a for a in offered if matches(a)) + tuple(a for a in offered if not matches(a))


def _mtime(attrs: paramiko.SFTPAttributes) -> datetime:
    return datetime.fromtimestamp(attrs.st_mtime or 0, UTC)


def _join(folder: str, name: str) -> str:
    return posixpath.join(folder, name) if folder else name


@dataclass
class _Connection:
    transport: paramiko.Transport
    sftp: paramiko.SFTPClient = field(repr=False)


class SftpTransport:
    """One clearinghouse's SFTP folders (see module docstring).

    The connection is opened on first use and kept for the next operations; a failed
    attempt drops it and the retry connects afresh. Operations are serialised, so one
    instance may be shared by threads. Use it as a context manager or call :meth:`close`.
    """

    def __init__(self, config: SftpConfig, *, retry: RetryPolicy | None = None) -> None:
        self.config = config
        self.retry = retry or RetryPolicy()
        self.pinned_key = parse_host_key(config.host_key, config.host, config.port)
        self._client_key: paramiko.PKey | None = None
        self._connection: _Connection | None = None
        self._lock = threading.RLock()

    def __enter__(self) -> SftpTransport:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection, if one is open."""
        with self._lock:
            self._drop()

    # -- the Transport port
    def upload(self, name: str, data: bytes) -> RemoteFile:
        """Deliver ``data`` as one new, complete file in the outbound folder."""
        check_name(name)
        return self._run(
            f"upload {_join(self.config.outbound_dir, name)}",
            lambda sftp: self._upload_once(sftp, name, bytes(data)),
        )

    def delivered(self, name: str) -> bool:
        """Whether a file ``name`` is in the outbound folder (``stat``; missing = False)."""
        check_name(name)
        path = _join(self.config.outbound_dir, name)
        return self._run(f"stat {path}", lambda sftp: self._exists_once(sftp, path))

    def list_inbound(self) -> list[RemoteFile]:
        """Complete regular files in the inbound folder, oldest first."""
        return self._run(f"list {self.config.inbound_dir}", self._list_once)

    def download(self, remote: RemoteFile, *, max_bytes: int | None = None) -> bytes:
        """The whole inbound file, read to its end (see module docstring); a dropped
        connection is a :class:`TransferError` (retried), a file over ``max_bytes``, gone
        or changed meanwhile is final for this poll."""
        check_name(remote.name)
        path = _join(self.config.inbound_dir, remote.name)
        return self._run(
            f"download {path}", lambda sftp: self._download_once(sftp, path, max_bytes)
        )

    def archive(self, remote: RemoteFile) -> None:
        """Rename into the archive folder under a free name, or delete if so configured;
        only while the file still holds ``remote.size`` bytes."""
        check_name(remote.name)
        path = _join(self.config.inbound_dir, remote.name)
        self._run(f"archive {path}", lambda sftp: self._archive_once(sftp, remote))

    # -- one attempt of each operation
    def _upload_once(self, sftp: paramiko.SFTPClient, name: str, data: bytes) -> RemoteFile:
        folder = self.config.outbound_dir
        temp = _join(folder, f".{name}{PART_SUFFIX}")
        with sftp.open(temp, "wb") as handle:
            handle.set_pipelined(True)
            handle.write(data)
        written = sftp.stat(temp)
        held = written.st_size
        if held != len(data):
            self._remove_quietly(sftp, temp)
            msg = (
                f"{self.config.where}: upload {temp}: the server holds {held} bytes but "
                f"{len(data)} were sent; the partial file was removed"
            )
            raise TransferError(msg)
        final = unique_name(name, set(sftp.listdir(folder or ".")).__contains__)
        final_path = _join(folder, final)
        sftp.posix_rename(temp, final_path)
        # The rename is the delivery. The final name is not stat'ed afterwards: a
        # clearinghouse that collects files at once may already have taken it, and a
        # missing file would make a delivered upload look failed and be sent again.
        return RemoteFile(name=final, size=len(data), mtime=_mtime(written))

    @staticmethod
    def _exists_once(sftp: paramiko.SFTPClient, path: str) -> bool:
        try:
            sftp.stat(path)
        except FileNotFoundError:
            return False
        return True

    def _list_once(self, sftp: paramiko.SFTPClient) -> list[RemoteFile]:
        folder = self.config.inbound_dir or "."
        try:
            listed = sftp.listdir_attr(folder)
        except UnicodeDecodeError as exc:
            msg = (
                f"{self.config.where}: list {folder}: a file name there is not UTF-8, "
                "which paramiko cannot list; rename or remove that file on the server"
            )
            raise TransportError(msg) from exc
        files = [
            RemoteFile(name=attrs.filename, size=attrs.st_size or 0, mtime=_mtime(attrs))
            for attrs in listed
            if attrs.st_mode is not None
            and stat.S_ISREG(attrs.st_mode)
            and not attrs.filename.startswith(".")
            and not attrs.filename.endswith(PART_SUFFIX)
        ]
        return sorted(files, key=lambda f: (f.mtime, f.name))

    def _download_once(self, sftp: paramiko.SFTPClient, path: str, max_bytes: int | None) -> bytes:
        where = f"{self.config.where}: download {path}"
        with sftp.open(path, "rb") as handle:
            size = handle.stat().st_size or 0
            if max_bytes is not None and size > max_bytes:
                msg = f"{where}: {size} bytes, over the {max_bytes}-byte download limit"
                raise RemoteFileTooLargeError(msg, size=size, limit=max_bytes)
            chunks = _PipelinedRead(sftp, handle, where).read(size, max_bytes)
            received = sum(len(chunk) for chunk in chunks)
            now = sftp.stat(path).st_size or 0
        if now != received:
            msg = (
                f"{where}: read {received} bytes but the file now holds {now}; it is "
                "still being written, so it is left for the next poll"
            )
            raise RemoteFileChangedError(msg)
        return b"".join(chunks)

    def _archive_once(self, sftp: paramiko.SFTPClient, remote: RemoteFile) -> None:
        name = remote.name
        source = _join(self.config.inbound_dir, name)
        held = sftp.stat(source).st_size or 0
        if held != remote.size:
            msg = (
                f"{self.config.where}: archive {source}: the file now holds {held} bytes, "
                f"not the {remote.size} downloaded; left in place for the next poll"
            )
            raise RemoteFileChangedError(msg)
        archive_dir = self.config.archive_dir
        if self.config.delete_after_download or archive_dir is None:
            sftp.remove(source)
            return
        try:
            taken = set(sftp.listdir(archive_dir))
        except FileNotFoundError:
            sftp.mkdir(archive_dir)
            taken = set()
        sftp.posix_rename(source, _join(archive_dir, unique_name(name, taken.__contains__)))

    @staticmethod
    def _remove_quietly(sftp: paramiko.SFTPClient, path: str) -> None:
        """Best effort: the error being reported matters more than a leftover .part."""
        try:
            sftp.remove(path)
        except (OSError, paramiko.SSHException, EOFError):
            return

    # -- connection and error handling
    def _run(self, what: str, operation: Callable[[paramiko.SFTPClient], T]) -> T:
        """One operation under the retry policy, library errors turned into ours."""
        where = self.config.where

        def attempt() -> T:
            sftp = self._session()
            try:
                return operation(sftp)
            except OSError as exc:
                msg = f"{where}: {what}: {exc}"
                if exc.errno == errno.ENOENT:
                    raise RemoteFileGoneError(msg) from exc
                if exc.errno in _FINAL_ERRNOS:
                    raise TransportError(msg) from exc
                raise TransferError(msg) from exc
            except (paramiko.SSHException, EOFError) as exc:
                msg = f"{where}: {what}: connection lost: {exc or type(exc).__name__}"
                raise TransferError(msg) from exc

        with self._lock:
            return self.retry.run(attempt, on_failure=self._drop)

    def _session(self) -> paramiko.SFTPClient:
        if self._connection is not None and self._connection.transport.is_active():
            return self._connection.sftp
        self._drop()
        self._connection = self._connect()
        return self._connection.sftp

    def _drop(self) -> None:
        """Forget the connection; closing a broken one may fail, which changes nothing."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
                connection.sftp.close()
            connection.transport.close()

    def _load_client_key(self) -> paramiko.PKey:
        if self._client_key is None:
            path = self.config.private_key_path
            try:
                self._client_key = paramiko.PKey.from_path(path)
            except (OSError, paramiko.SSHException, ValueError) as exc:
                msg = (
                    f"{self.config.where}: cannot use private key {path}: {exc} (an "
                    "unencrypted Ed25519 or RSA key in OpenSSH or PEM format is needed)"
                )
                raise ConfigurationError(msg) from exc
        return self._client_key

    def _connect(self) -> _Connection:
        config, where = self.config, self.config.where
        client_key = self._load_client_key()
        try:
            sock = socket.create_connection((config.host, config.port), timeout=config.timeout)
        except OSError as exc:
            msg = f"{where}: cannot connect: {exc}"
            raise TransferError(msg) from exc
        transport = paramiko.Transport(sock)
        connected = False
        try:
            transport.banner_timeout = config.timeout
            transport.handshake_timeout = config.timeout
            transport.auth_timeout = config.timeout
            options = transport.get_security_options()
            options.key_types = _host_key_algorithms(self.pinned_key, tuple(options.key_types))
            transport.start_client(timeout=config.timeout)
            self._check_host_key(transport.get_remote_server_key())
            transport.auth_publickey(config.username, client_key)
            sftp = paramiko.SFTPClient.from_transport(transport)
            if sftp is None:
                msg = f"{where}: the server opened no SFTP session"
                raise TransferError(msg)
            sftp.get_channel().settimeout(config.timeout)  # type: ignore[union-attr]
            connected = True
            return _Connection(transport, sftp)
        except paramiko.AuthenticationException as exc:
            msg = f"{where}: user {config.username!r} with key {config.private_key_path} refused"
            raise AuthenticationError(msg) from exc
        except (paramiko.SSHException, OSError, EOFError) as exc:
            msg = f"{where}: SSH connection failed: {exc or type(exc).__name__}"
            raise TransferError(msg) from exc
        finally:
            if not connected:
                transport.close()

    def _check_host_key(self, seen: paramiko.PKey) -> None:
        if seen.asbytes() != self.pinned_key.asbytes():
            msg = (
                f"{self.config.where}: host key {seen.get_name()} {seen.fingerprint} is "
                f"not the pinned {self.pinned_key.get_name()} "
                f"{self.pinned_key.fingerprint}; refusing to connect (if the "
                "clearinghouse announced a new key, update host_key in its profile)"
            )
            raise HostKeyError(msg)
