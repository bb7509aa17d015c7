"""The simulator's SFTP server: a real SSH/SFTP endpoint on loopback, serving a folder.

Tests and the local clearinghouse simulator need a server that behaves like a
clearinghouse's (key authentication, a host key to pin, atomic renames) without an OpenSSH
installation, so this one is built on paramiko's server interfaces. It listens on
127.0.0.1 only, serves one root folder (paths cannot leave it), accepts one user with one
public key, and runs in background threads::

    client_key = generate_ed25519_key(tmp_path / "id_ed25519")
    with SimSftpServer(tmp_path / "sftp", authorized_key=client_key) as server:
        config = SftpConfig(host="127.0.0.1", port=server.port, username=server.username,
                            private_key_path=tmp_path / "id_ed25519",
                            host_key=server.host_key_line, ...)

The host key is generated at start (Ed25519) unless ``host_key_path`` names a key file; a
missing file is created, so a long-running simulator keeps its key across restarts.

Supported requests: open/read/write/close, stat/lstat/fstat, setstat, opendir/readdir,
mkdir/rmdir, remove, rename (refuses to replace an existing file, as SFTP v3 says) and the
``posix-rename@openssh.com`` extension (replaces atomically). Symlinks are not offered.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import os
import posixpath
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)
from paramiko.sftp import SFTP_FAILURE, SFTP_OK

from edigateway.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

LOOPBACK = "127.0.0.1"
_ACCEPT_POLL_SECONDS = 0.1
_PRIVATE_FILE_MODE = 0o600


def generate_ed25519_key(path: Path | None = None) -> paramiko.PKey:
    """A new Ed25519 key; written to ``path`` (OpenSSH format, mode 0600) with a ``.pub``
    beside it when a path is given, so it can be used as a client key file.

    paramiko cannot generate Ed25519 keys itself, hence ``cryptography`` (which paramiko
    is built on).
    """
    private = ed25519.Ed25519PrivateKey.generate()
    text = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode("ascii")
    key = paramiko.Ed25519Key.from_private_key(io.StringIO(text))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _PRIVATE_FILE_MODE)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
        path.with_name(path.name + ".pub").write_text(
            f"{key.get_name()} {key.get_base64()} edigateway-test-only\n", encoding="ascii"
        )
    return key


def public_key_line(key: paramiko.PKey) -> str:
    """``ssh-ed25519 AAAA…``: the form ``authorized_keys`` and our ``host_key`` use."""
    return f"{key.get_name()} {key.get_base64()}"


def _parse_public_key(line: str) -> paramiko.PKey:
    fields = line.split()
    if len(fields) < 2:
        msg = f"authorized key {line!r}: expected '<type> <base64> [comment]'"
        raise ConfigurationError(msg)
    try:
        return paramiko.PKey.from_type_string(fields[0], base64.b64decode(fields[1], validate=True))
    except (binascii.Error, ValueError, paramiko.SSHException) as exc:
        msg = f"authorized key {fields[0]}: not usable: {exc}"
        raise ConfigurationError(msg) from exc


def _status(exc: OSError) -> int:
    """The SFTP status code for an OS error (unknown ones become SSH_FX_FAILURE)."""
    return paramiko.SFTPServer.convert_errno(exc.errno or 0)


class _Handle(paramiko.SFTPHandle):
    """An open file: paramiko's default read/write work on ``readfile``/``writefile``."""

    def __init__(self, handle: Any, path: Path, flags: int) -> None:
        super().__init__(flags)
        self.readfile = handle
        self.writefile = handle
        self.path = path

    def stat(self) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))
        except OSError as exc:
            return _status(exc)

    def chattr(self, attr: paramiko.SFTPAttributes) -> int:
        try:
            paramiko.SFTPServer.set_file_attr(str(self.path), attr)
        except OSError as exc:
            return _status(exc)
        return SFTP_OK


class _RootedSftp(paramiko.SFTPServerInterface):
    """Maps every SFTP path into ``root``; ``/`` and the login folder are both ``root``."""

    def __init__(self, server: paramiko.ServerInterface, root: Path) -> None:
        super().__init__(server)
        self.root = root.resolve()

    def _local(self, path: str) -> Path:
        """The file under root for an SFTP path; ``..`` cannot climb above root."""
        clean = posixpath.normpath("/" + path).lstrip("/")
        return self.root / clean if clean else self.root

    def canonicalize(self, path: str) -> str:
        return posixpath.normpath("/" + path)

    def open(
        self, path: str, flags: int, attr: paramiko.SFTPAttributes
    ) -> paramiko.SFTPHandle | int:
        local = self._local(path)
        try:
            fd = os.open(local, flags | getattr(os, "O_BINARY", 0), 0o644)
        except OSError as exc:
            return _status(exc)
        if flags & os.O_WRONLY:
            mode = "ab" if flags & os.O_APPEND else "wb"
        elif flags & os.O_RDWR:
            mode = "a+b" if flags & os.O_APPEND else "r+b"
        else:
            mode = "rb"
        try:
            handle = os.fdopen(fd, mode)
        except OSError as exc:
            os.close(fd)
            return _status(exc)
        return _Handle(handle, local, flags)

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        local = self._local(path)
        try:
            entries = []
            for child in sorted(local.iterdir()):
                attrs = paramiko.SFTPAttributes.from_stat(child.lstat())
                attrs.filename = child.name
                entries.append(attrs)
        except OSError as exc:
            return _status(exc)
        return entries

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(self._local(path).stat())
        except OSError as exc:
            return _status(exc)

    def lstat(self, path: str) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(self._local(path).lstat())
        except OSError as exc:
            return _status(exc)

    def remove(self, path: str) -> int:
        return self._do(os.remove, self._local(path))

    def rename(self, oldpath: str, newpath: str) -> int:
        """SFTP v3 rename: an existing target is an error, never replaced."""
        target = self._local(newpath)
        if target.exists():
            return SFTP_FAILURE
        return self._do(os.rename, self._local(oldpath), target)

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        """``posix-rename@openssh.com``: atomic, replacing the target like rename(2)."""
        return self._do(os.replace, self._local(oldpath), self._local(newpath))

    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return self._do(os.mkdir, self._local(path))

    def rmdir(self, path: str) -> int:
        return self._do(os.rmdir, self._local(path))

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        try:
            paramiko.SFTPServer.set_file_attr(str(self._local(path)), attr)
        except OSError as exc:
            return _status(exc)
        return SFTP_OK

    @staticmethod
    def _do(action: Callable[..., object], *paths: Path) -> int:
        try:
            action(*paths)
        except OSError as exc:
            return _status(exc)
        return SFTP_OK


class _KeyOnlyServer(paramiko.ServerInterface):
    """SSH-level policy: one user, one public key, sessions for the SFTP subsystem only."""

    def __init__(self, username: str, authorized_key: paramiko.PKey) -> None:
        self.username = username
        self.authorized_key = authorized_key

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if username == self.username and key.asbytes() == self.authorized_key.asbytes():
            return AUTH_SUCCESSFUL
        return AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class SimSftpServer:
    """The simulator's SFTP endpoint on 127.0.0.1 (see module docstring).

    ``port=0`` picks a free port; read it from :attr:`port` after construction.
    """

    def __init__(
        self,
        root: Path,
        *,
        authorized_key: paramiko.PKey | str,
        username: str = "practice",
        host_key_path: Path | None = None,
        port: int = 0,
    ) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.username = username
        self.authorized_key = (
            authorized_key
            if isinstance(authorized_key, paramiko.PKey)
            else _parse_public_key(authorized_key)
        )
        self.host_key = self._host_key(host_key_path)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((LOOPBACK, port))
        self._listener.listen(16)
        self._listener.settimeout(_ACCEPT_POLL_SECONDS)
        self.port: int = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._accept_loop, name="sim-sftp-accept", daemon=True
        )
        self._transports: list[paramiko.Transport] = []
        self._lock = threading.Lock()

    @staticmethod
    def _host_key(path: Path | None) -> paramiko.PKey:
        if path is None:
            return generate_ed25519_key()
        if not path.exists():
            return generate_ed25519_key(path)
        try:
            return paramiko.PKey.from_path(path)
        except (OSError, ValueError, paramiko.SSHException) as exc:
            msg = f"simulator host key {path}: not usable: {exc}"
            raise ConfigurationError(msg) from exc

    @property
    def host_key_line(self) -> str:
        """The host key to pin in the client's configuration (``ssh-ed25519 AAAA…``)."""
        return public_key_line(self.host_key)

    @property
    def known_hosts_line(self) -> str:
        """The same key as a known_hosts line for ``[127.0.0.1]:port``."""
        return f"[{LOOPBACK}]:{self.port} {self.host_key_line}"

    def start(self) -> SimSftpServer:
        """Accept connections in a background thread.

        paramiko logs a client's ordinary disconnect as an error on the server side; the
        simulator's callers read results, not that noise, so only critical records pass.
        """
        logging.getLogger("paramiko.transport").setLevel(logging.CRITICAL)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every open session and the listening socket."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        self._listener.close()
        with self._lock:
            transports, self._transports = self._transports, []
        for transport in transports:
            transport.close()

    def __enter__(self) -> SimSftpServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        """Poll accept() so :meth:`stop` is noticed: closing a socket does not wake a
        blocked accept() on every platform."""
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            self._serve(connection)

    def _serve(self, connection: socket.socket) -> None:
        """Hand one connection to paramiko, which runs it in its own thread."""
        transport = paramiko.Transport(connection)
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _RootedSftp, self.root)
        with self._lock:
            self._transports = [t for t in self._transports if t.is_active()]
            self._transports.append(transport)
        try:
            transport.start_server(server=_KeyOnlyServer(self.username, self.authorized_key))
        except (paramiko.SSHException, OSError, EOFError):
            transport.close()
