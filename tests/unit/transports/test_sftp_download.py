"""Downloads over the simulator's real SFTP server on loopback: pipelined reads come back
byte for byte whatever the server's answer sizes, the size cap holds while a file grows,
and a file is archived only at the size that was downloaded (issue 12)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edigateway.errors import RemoteFileChangedError, RemoteFileGoneError, RemoteFileTooLargeError
from edigateway.sim import sftp_server
from edigateway.sim.sftp_server import SimSftpServer, generate_ed25519_key
from edigateway.transports.base import RemoteFile, RetryPolicy
from edigateway.transports.sftp import SftpConfig, SftpTransport

IN = "from_clearinghouse"
BIG = os.urandom(3 * 2**20 + 12345)  # more chunks than the pipeline holds, a ragged end


@pytest.fixture
def sftp(tmp_path: Path):
    key = tmp_path / "keys" / "id_ed25519"
    generate_ed25519_key(key)
    root = tmp_path / "sftp"
    for folder in (IN, "to_clearinghouse"):
        (root / folder).mkdir(parents=True)
    with SimSftpServer(root, authorized_key=key.with_name("id_ed25519.pub").read_text()) as server:
        config = SftpConfig(
            host="127.0.0.1",
            port=server.port,
            username=server.username,
            private_key_path=key,
            host_key=server.host_key_line,
            outbound_dir="to_clearinghouse",
            inbound_dir=IN,
            timeout=5,
        )
        with SftpTransport(config, retry=RetryPolicy(attempts=1)) as transport:
            yield root / IN, transport


def _remote(folder: Path, name: str, data: bytes) -> RemoteFile:
    (folder / name).write_bytes(data)
    return RemoteFile(name, len(data), datetime.now(UTC))


@pytest.mark.slow  # 1.8 s on the loaded 2-core machine
def test_a_big_file_comes_back_byte_for_byte_even_in_short_answers(sftp, monkeypatch):
    folder, transport = sftp
    remote = _remote(folder, "big.835", BIG)
    assert transport.download(remote) == BIG

    read = sftp_server._Handle.read
    monkeypatch.setattr(
        sftp_server._Handle,
        "read",
        lambda self, offset, length: read(self, offset, min(length, 1000)),
    )
    assert transport.download(remote, max_bytes=len(BIG)) == BIG


def test_the_cap_holds_while_a_file_grows_and_the_connection_stays_usable(sftp, monkeypatch):
    folder, transport = sftp
    remote = _remote(folder, "grows.835", BIG[:100_000])
    read = sftp_server._Handle.read

    def grow_then_read(self, offset, length):
        if offset == 0:
            with self.path.open("ab") as handle:
                handle.write(BIG[100_000:])
        return read(self, offset, length)

    monkeypatch.setattr(sftp_server._Handle, "read", grow_then_read)
    with pytest.raises(RemoteFileTooLargeError, match="grew past the 200000-byte") as caught:
        transport.download(remote, max_bytes=200_000)
    assert caught.value.limit == 200_000
    monkeypatch.undo()
    small = _remote(folder, "small.999", b"ISA*small")
    assert transport.download(small) == b"ISA*small"  # no stale answer left on the line


def test_a_file_is_archived_only_at_the_size_downloaded(sftp):
    folder, transport = sftp
    remote = _remote(folder, "late.999", b"ISA*first half")
    data = transport.download(remote)
    with (folder / "late.999").open("ab") as handle:
        handle.write(b"*second half~")
    with pytest.raises(RemoteFileChangedError, match="now holds 27 bytes, not the 14"):
        transport.archive(RemoteFile(remote.name, len(data), remote.mtime))
    assert (folder / "late.999").exists()
    (folder / "late.999").unlink()
    with pytest.raises(RemoteFileGoneError, match=r"late\.999"):
        transport.download(remote)
