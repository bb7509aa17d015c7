"""The SFTP adapter against the simulator's real SFTP server, over loopback sockets only.

Retries never sleep: every RetryPolicy here records its delays instead. A small TCP proxy
between client and server cuts connections mid-upload to show that an interrupted upload
never leaves a file under its final name and that the retry delivers exactly one file.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from pathlib import Path

import paramiko
import pytest

from edigateway.errors import (
    AuthenticationError,
    ConfigurationError,
    HostKeyError,
    TransferError,
    TransportError,
)
from edigateway.sim import sftp_server
from edigateway.sim.sftp_server import SimSftpServer, generate_ed25519_key, public_key_line
from edigateway.transports.base import RemoteFile, RetryPolicy
from edigateway.transports.sftp import SftpConfig, SftpTransport

LOOPBACK = "127.0.0.1"
OUT, IN, ARCHIVE = "to_clearinghouse", "from_clearinghouse", "archive"
PAYLOAD = os.urandom(512 * 1024)  # big enough that a cut after 64 KiB lands mid-upload


class CuttingProxy:
    """Forwards 127.0.0.1:<port> to the server; cuts a connection once the client has sent
    ``cut_after`` bytes (``None`` = never). With ``once``, only the first connection is cut."""

    def __init__(self, target_port: int, cut_after: int | None, *, once: bool = False):
        self.target_port, self.cut_after, self.once = target_port, cut_after, once
        self.cuts = 0
        self.connections = 0
        self._listener = socket.create_server((LOOPBACK, 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            client.settimeout(None)
            upstream = socket.create_connection((LOOPBACK, self.target_port))
            self._sockets += [client, upstream]
            self.connections += 1
            limit = self.cut_after
            threading.Thread(target=self._pump, args=(client, upstream, limit), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, None), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, limit: int | None):
        sent = 0
        try:
            while data := source.recv(65536):
                if limit is not None and sent + len(data) > limit:
                    sink.sendall(data[: limit - sent])
                    self.cuts += 1
                    if self.once:
                        self.cut_after = None
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self):
        self._stop.set()
        self._thread.join()
        self._listener.close()
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def client_key_path(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "id_ed25519"
    generate_ed25519_key(path)
    return path


@pytest.fixture
def server(tmp_path: Path, client_key_path: Path):
    authorized = client_key_path.with_name("id_ed25519.pub").read_text()
    root = tmp_path / "sftp"
    for folder in (OUT, IN):
        (root / folder).mkdir(parents=True)
    with SimSftpServer(root, authorized_key=authorized) as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_transport(
    server: SimSftpServer,
    key: Path,
    sleeps: list[float],
    *,
    port: int | None = None,
    host_key: str | None = None,
    attempts: int = 3,
    delete_after_download: bool = False,
) -> SftpTransport:
    config = SftpConfig(
        host=LOOPBACK,
        port=port or server.port,
        username=server.username,
        private_key_path=key,
        host_key=host_key or server.host_key_line,
        outbound_dir=OUT,
        inbound_dir=IN,
        archive_dir=ARCHIVE,
        delete_after_download=delete_after_download,
        timeout=5,
    )
    policy = RetryPolicy(attempts=attempts, base_delay=1, max_delay=4, sleep=sleeps.append)
    return SftpTransport(config, retry=policy)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_upload_list_download_archive_round_trip(server, client_key_path, sleeps):
    inbound = server.root / IN
    (inbound / "999_0001.x12").write_bytes(b"ISA*999")
    (inbound / "835_0001.x12").write_bytes(b"ISA*835" * 1000)
    (inbound / ".835_0002.x12.part").write_bytes(b"half")
    (inbound / "835_0003.x12.part").write_bytes(b"half")
    (inbound / "subfolder").mkdir()

    with make_transport(server, client_key_path, sleeps) as transport:
        sent = transport.upload("claims_000000123.837", PAYLOAD)
        assert sent.name == "claims_000000123.837"
        assert sent.size == len(PAYLOAD)
        assert names(server.root / OUT) == ["claims_000000123.837"]
        assert (server.root / OUT / sent.name).read_bytes() == PAYLOAD

        listed = transport.list_inbound()
        assert sorted(f.name for f in listed) == ["835_0001.x12", "999_0001.x12"]
        by_name = {f.name: f for f in listed}
        assert by_name["835_0001.x12"].size == 7000
        assert transport.download(by_name["835_0001.x12"]) == b"ISA*835" * 1000

        for remote in listed:
            transport.archive(remote)
        assert transport.list_inbound() == []
        assert names(server.root / ARCHIVE) == ["835_0001.x12", "999_0001.x12"]

        # A later file with an archived name is archived beside it, not over it.
        (inbound / "999_0001.x12").write_bytes(b"ISA*999 again")
        [again] = transport.list_inbound()
        transport.archive(again)
        assert names(server.root / ARCHIVE) == ["835_0001.x12", "999_0001-2.x12", "999_0001.x12"]
        assert (server.root / ARCHIVE / "999_0001.x12").read_bytes() == b"ISA*999"
    assert sleeps == []


def test_delete_after_download(server, client_key_path, sleeps):
    (server.root / IN / "999_0001.x12").write_bytes(b"ISA*999")
    with make_transport(server, client_key_path, sleeps, delete_after_download=True) as t:
        [remote] = t.list_inbound()
        t.archive(remote)
        assert t.list_inbound() == []
    assert not (server.root / ARCHIVE).exists()


def test_two_uploads_of_one_name_give_two_files(server, client_key_path, sleeps):
    with make_transport(server, client_key_path, sleeps) as transport:
        first = transport.upload("claims.837", b"first")
        second = transport.upload("claims.837", b"second")
    assert (first.name, second.name) == ("claims.837", "claims-2.837")
    assert names(server.root / OUT) == ["claims-2.837", "claims.837"]
    assert (server.root / OUT / "claims.837").read_bytes() == b"first"
    assert (server.root / OUT / "claims-2.837").read_bytes() == b"second"


def test_known_hosts_line_is_accepted_for_this_host_only(server, client_key_path, sleeps):
    with make_transport(
        server, client_key_path, sleeps, host_key=server.known_hosts_line
    ) as transport:
        assert transport.upload("a.837", b"x").name == "a.837"
    with pytest.raises(ConfigurationError, match=r"not for \[127\.0\.0\.1\]"):
        make_transport(
            server, client_key_path, sleeps, host_key=f"[127.0.0.1]:1 {server.host_key_line}"
        )


def test_unknown_host_key_is_refused_and_nothing_uploaded(server, client_key_path, sleeps):
    other = public_key_line(generate_ed25519_key())
    transport = make_transport(server, client_key_path, sleeps, host_key=other)
    with pytest.raises(HostKeyError) as caught:
        transport.upload("claims.837", PAYLOAD)
    message = str(caught.value)
    assert LOOPBACK in message
    assert server.host_key.fingerprint in message
    assert names(server.root / OUT) == []
    assert sleeps == []  # a refused key is final, never retried


def test_refused_client_key_is_not_retried(server, tmp_path, sleeps):
    stranger = tmp_path / "keys" / "stranger"
    generate_ed25519_key(stranger)
    with pytest.raises(AuthenticationError, match=r"127\.0\.0\.1"):
        make_transport(server, stranger, sleeps).upload("claims.837", b"x")
    assert sleeps == []


def test_cut_upload_leaves_no_final_file_and_retry_delivers_one(server, client_key_path, sleeps):
    proxy = CuttingProxy(server.port, cut_after=64 * 1024)
    try:
        transport = make_transport(server, client_key_path, sleeps, port=proxy.port, attempts=1)
        with pytest.raises(TransferError, match=r"127\.0\.0\.1.*claims\.837"):
            transport.upload("claims.837", PAYLOAD)
        assert proxy.cuts == 1
        assert set(names(server.root / OUT)) <= {".claims.837.part"}

        proxy.cut_after = None
        sent = transport.upload("claims.837", PAYLOAD)
        transport.close()
    finally:
        proxy.close()
    assert sent.name == "claims.837"
    assert names(server.root / OUT) == ["claims.837"]
    assert (server.root / OUT / "claims.837").read_bytes() == PAYLOAD


def test_retry_policy_reconnects_after_a_cut(server, client_key_path, sleeps):
    proxy = CuttingProxy(server.port, cut_after=64 * 1024, once=True)
    try:
        with make_transport(server, client_key_path, sleeps, port=proxy.port) as transport:
            sent = transport.upload("claims.837", PAYLOAD)
    finally:
        proxy.close()
    assert (proxy.cuts, proxy.connections) == (1, 2)
    assert sleeps == [1.0]
    assert sent == RemoteFile("claims.837", len(PAYLOAD), sent.mtime)
    assert names(server.root / OUT) == ["claims.837"]
    assert (server.root / OUT / "claims.837").read_bytes() == PAYLOAD


def test_size_mismatch_removes_the_part_file(server, client_key_path, sleeps, monkeypatch):
    def lossy_write(self, offset, data):
        return paramiko.SFTPHandle.write(self, offset, data[:-1])

    monkeypatch.setattr(sftp_server._Handle, "write", lossy_write)
    transport = make_transport(server, client_key_path, sleeps, attempts=2)
    with pytest.raises(TransferError, match=r"holds \d+ bytes but \d+ were sent") as caught:
        transport.upload("claims.837", PAYLOAD)
    assert "gave up after 2 attempts" in str(caught.value)
    assert sleeps == [1.0]
    assert names(server.root / OUT) == []

    monkeypatch.undo()
    assert transport.upload("claims.837", PAYLOAD).size == len(PAYLOAD)
    transport.close()
    assert names(server.root / OUT) == ["claims.837"]


def test_a_file_collected_as_soon_as_it_is_renamed_counts_as_delivered_once(
    server, client_key_path, sleeps, monkeypatch
):
    """A clearinghouse that takes each file the moment it appears under its final name:
    the upload is delivered by the rename, so it succeeds at once and is not sent again
    (a stat of the final name after the rename failed with ENOENT and the retry uploaded
    a second copy)."""
    collected: list[bytes] = []
    rename = sftp_server._RootedSftp.posix_rename

    def collecting_rename(self, oldpath, newpath):
        answer = rename(self, oldpath, newpath)
        target = self._local(newpath)
        collected.append(target.read_bytes())
        target.unlink()
        return answer

    monkeypatch.setattr(sftp_server._RootedSftp, "posix_rename", collecting_rename)
    transport = make_transport(server, client_key_path, sleeps)
    sent = transport.upload("claims.837", PAYLOAD)
    transport.close()
    assert (sent.name, sent.size) == ("claims.837", len(PAYLOAD))
    assert collected == [PAYLOAD]
    assert sleeps == []
    assert names(server.root / OUT) == []


def test_unreachable_server_is_retried_with_backoff(server, client_key_path, sleeps):
    with socket.create_server((LOOPBACK, 0)) as probe:
        closed_port = probe.getsockname()[1]
    transport = make_transport(server, client_key_path, sleeps, port=closed_port, attempts=4)
    with pytest.raises(TransferError, match="cannot connect"):
        transport.list_inbound()
    assert sleeps == [1.0, 2.0, 4.0]


def test_missing_inbound_file_is_final(server, client_key_path, sleeps):
    with make_transport(server, client_key_path, sleeps) as transport:
        ghost = RemoteFile("gone.x12", 1, transport.upload("a.837", b"x").mtime)
        with pytest.raises(TransportError, match=r"gone\.x12") as caught:
            transport.download(ghost)
    assert not isinstance(caught.value, TransferError)
    assert sleeps == []


def test_paths_cannot_leave_the_folder(server, client_key_path, sleeps):
    transport = make_transport(server, client_key_path, sleeps)
    for bad in ("../escape.837", ".hidden", "x.part", ""):
        with pytest.raises(TransportError):
            transport.upload(bad, b"x")
    assert names(server.root / OUT) == []
