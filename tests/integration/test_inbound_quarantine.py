"""One bad inbound file cannot stop a poll (issue 12).

Poison files are put before and after a good one in the simulator's real SFTP server on
loopback — bytes in ISA06 that are not text, an amount of 1E+30 in an 835 and in a 277CA, a
name the transport refuses, a file deleted between listing and download, one over the size
cap, two that grow while being fetched — and one poll must apply the good file, quarantine
each bad one once with a work item naming it (keeping the bytes of every file it downloaded),
and leave nothing for the next poll but the file that was still being written. Further tests
use the in-memory transport: readers and the posting engine that crash outright, downloads
that keep failing, and two polls racing over the same files.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from edigateway.codelists import CodeLists
from edigateway.errors import AuthenticationError, TransferError
from edigateway.persistence.database import Database
from edigateway.persistence.inbound_rows import inbound_bytes
from edigateway.persistence.tables import (
    InboundFileRow,
    InboundQuarantineRow,
    RemittanceFileRow,
    RemittanceRow,
    WorkItemRow,
)
from edigateway.services import ack_routers, posting, routing
from edigateway.services.inbound import InboundLimits, poll_inbound
from edigateway.services.received import InboundResult, ReceivedFile
from edigateway.sim import sftp_server
from edigateway.sim.sftp_server import SimSftpServer, generate_ed25519_key
from edigateway.transports.base import RemoteFile, RetryPolicy
from edigateway.transports.memory import MemoryTransport
from edigateway.transports.sftp import SftpConfig, SftpTransport
from tests.factories import CORPUS, NOW, REPO

CODES = CodeLists.load(REPO / "mappings")
IN, OUT, ARCHIVE = "from_clearinghouse", "to_clearinghouse", "archive"
CAP = 64 * 1024

GOOD_835 = (REPO / "fixtures/era/01_full_pay/era.835").read_bytes()
ACCEPTED_999 = (CORPUS / "999/imsweb__x12_999_accepted.txt").read_bytes()
ACCEPTED_277CA = (CORPUS / "277CA/imsweb__x12_277CA_accepted.txt").read_bytes()


def _isa06_not_text(data: bytes) -> bytes:
    """ISA06 starts at byte 35 of the fixed-width ISA: its first letter becomes 0xFF."""
    return data[:35] + b"\xff" + data[36:]


def _isa13(data: bytes, number: int) -> bytes:
    """Another interchange number (ISA13, bytes 90-98, and IEA02), so it is not the same
    interchange."""
    old, new = data[90:99], f"{number:09d}".encode()
    return (data[:90] + new + data[99:]).replace(b"IEA*1*" + old, b"IEA*1*" + new)


POISON = {
    "a_isa06_not_text.999": _isa06_not_text(ACCEPTED_999),
    "b_huge_amount.835": _isa13(GOOD_835, 199).replace(b"BPR*I*175*", b"BPR*I*1E+30*"),
    "c_refused\\name.999": ACCEPTED_999,
    "d_vanishes.999": ACCEPTED_999,
    "e_over_the_cap.835": b"ISA*" + b"0" * (CAP + 1),
    "g_huge_amount.277": ACCEPTED_277CA.replace(b"AMT*YU*125.0~", b"AMT*YU*1E+30~"),
}
LATER_277CA = _isa13(ACCEPTED_277CA, 14421)
GROWING = {  # name -> (what is there when listed, what is appended while it is fetched)
    "h_grows_while_read.999": (ACCEPTED_999[:-60], ACCEPTED_999[-60:]),
    "i_grows_after_read.277": (LATER_277CA[:-40], LATER_277CA[-40:]),
}
ORDER = [*sorted(POISON)[:5], "f_good.835", "g_huge_amount.277", *GROWING]


def _work(database: Database) -> list[str]:
    with database.transaction() as session:
        return list(session.scalars(select(WorkItemRow.message).order_by(WorkItemRow.id)))


def _stored(database: Database) -> dict[str, tuple[str, bytes]]:
    with database.transaction() as session:
        return {
            row.remote_name: (row.status, inbound_bytes(session, row))
            for row in session.scalars(select(InboundFileRow))
        }


class VanishingSftp(SftpTransport):
    """The clearinghouse removes ``d_vanishes.999`` between our listing and our download."""

    def __init__(self, config: SftpConfig, root: Path) -> None:
        super().__init__(config, retry=RetryPolicy(attempts=2, sleep=lambda _: None))
        self.root = root

    def download(self, remote: RemoteFile, *, max_bytes: int | None = None) -> bytes:
        if remote.name == "d_vanishes.999":
            (self.root / IN / remote.name).unlink(missing_ok=True)
        return super().download(remote, max_bytes=max_bytes)


@pytest.fixture
def growing_server(monkeypatch: pytest.MonkeyPatch):
    """Server hooks that append to a file at the first read of it (it grows while being
    read) or at the first stat of it (it grew after our last read), once each."""
    grown: set[tuple[str, str]] = set()

    def grow(path: Path, hook: str) -> None:
        if (
            path.name in GROWING
            and (path.name, hook) not in grown
            and ((hook == "read") == path.name.startswith("h_"))
        ):
            grown.add((path.name, hook))
            with path.open("ab") as handle:
                handle.write(GROWING[path.name][1])

    read, stat = sftp_server._Handle.read, sftp_server._RootedSftp.stat

    def read_and_grow(self, offset, length):
        grow(self.path, "read")
        return read(self, offset, length)

    def stat_and_grow(self, path):
        grow(self._local(path), "stat")
        return stat(self, path)

    monkeypatch.setattr(sftp_server._Handle, "read", read_and_grow)
    monkeypatch.setattr(sftp_server._RootedSftp, "stat", stat_and_grow)


@pytest.fixture
def sftp(tmp_path: Path, growing_server):
    key = tmp_path / "keys" / "id_ed25519"
    generate_ed25519_key(key)
    root = tmp_path / "sftp"
    for folder in (IN, OUT):
        (root / folder).mkdir(parents=True)
    with SimSftpServer(root, authorized_key=key.with_name("id_ed25519.pub").read_text()) as server:
        config = SftpConfig(
            host="127.0.0.1",
            port=server.port,
            username=server.username,
            private_key_path=key,
            host_key=server.host_key_line,
            outbound_dir=OUT,
            inbound_dir=IN,
            archive_dir=ARCHIVE,
            timeout=5,
        )
        with VanishingSftp(config, root) as transport:
            yield root, transport


def _place(root: Path) -> None:
    contents = {
        **POISON,
        "f_good.835": GOOD_835,
        **{name: start for name, (start, _) in GROWING.items()},
    }
    for minute, name in enumerate(ORDER):
        path = root / IN / name
        path.write_bytes(contents[name])
        stamp = datetime(2026, 11, 23, 8, minute, tzinfo=UTC).timestamp()
        os.utime(path, (stamp, stamp))


def _poll(
    database: Database,
    transport: SftpTransport | MemoryTransport,
    *,
    cap: int = CAP,
    attempts: int = 3,
) -> dict[str, InboundResult]:
    results = poll_inbound(
        database,
        transport,
        clearinghouse="sim",
        codes=CODES,
        now=NOW,
        limits=InboundLimits(max_bytes=cap, max_attempts=attempts),
    )
    by_name = {r.remote_name: r for r in results}
    assert len(by_name) == len(results), results
    return by_name


def test_poison_files_around_a_good_one_are_quarantined_once_and_the_good_one_applied(
    database: Database, sftp: tuple[Path, VanishingSftp]
):
    root, transport = sftp
    _place(root)

    first = _poll(database, transport)

    assert {name: r.status for name, r in first.items()} == {
        "a_isa06_not_text.999": "failed",  # malformed, as `x12 parse` says (exit 1)
        "b_huge_amount.835": "failed",
        "c_refused\\name.999": "quarantined",
        "d_vanishes.999": "quarantined",
        "e_over_the_cap.835": "quarantined",
        "f_good.835": "processed",
        "g_huge_amount.277": "failed",
        "h_grows_while_read.999": "unmatched",  # complete; its group is not one we sent
        "i_grows_after_read.277": "deferred",
    }, {n: r.message for n, r in first.items()}
    with database.transaction() as session:
        (remittance,) = session.scalars(select(RemittanceRow)).all()
        assert str(remittance.payment_amount) == "175.00"
    messages = _work(database)
    for name in POISON:
        naming = [m for m in messages if name in m]
        assert len(naming) == 1, (name, naming)
    assert (
        "65,541 bytes, over the 65,536-byte download limit" in first["e_over_the_cap.835"].message
    )

    stored = _stored(database)
    for name in ("a_isa06_not_text.999", "b_huge_amount.835", "g_huge_amount.277"):
        assert stored[name] == (first[name].status, POISON[name])  # kept, encrypted
    assert stored["h_grows_while_read.999"] == ("unmatched", ACCEPTED_999)
    assert "i_grows_after_read.277" not in stored  # never stored as a truncated copy
    assert sorted(p.name for p in (root / IN).iterdir()) == [
        "c_refused\\name.999",
        "e_over_the_cap.835",
        "i_grows_after_read.277",
    ]
    assert sorted(p.name for p in (root / ARCHIVE).iterdir()) == [
        "a_isa06_not_text.999",
        "b_huge_amount.835",
        "f_good.835",
        "g_huge_amount.277",
        "h_grows_while_read.999",
    ]

    second = _poll(database, transport)
    assert {name: r.status for name, r in second.items()} == {"i_grows_after_read.277": "unmatched"}
    assert _stored(database)["i_grows_after_read.277"][1] == LATER_277CA
    assert [m for m in _work(database) if any(name in m for name in POISON)] == [
        m for m in messages if any(name in m for name in POISON)
    ]
    assert _poll(database, transport) == {}
    with database.transaction() as session:
        live = {
            row.remote_name: (row.reason, row.status)
            for row in session.scalars(
                select(InboundQuarantineRow).where(InboundQuarantineRow.released_at.is_(None))
            )
        }
    assert live == {
        "c_refused\\name.999": ("refused_name", "quarantined"),
        "e_over_the_cap.835": ("too_large", "quarantined"),
    }
    raised = _poll(database, transport, cap=2 * CAP)  # an operator raised the limit
    assert {name: r.status for name, r in raised.items()} == {
        "e_over_the_cap.835": "unsupported"
    }  # fetched and kept now: it is not X12


def test_whatever_a_reader_or_the_posting_engine_throws_the_file_ends_failed(
    database: Database, monkeypatch: pytest.MonkeyPatch
):
    def reader_crashes(*_args: object, **_kwargs: object) -> None:
        raise ArithmeticError("a reader's own bug")

    real_post = posting.post_received  # what routing calls, until patched below

    def engine_crashes(db: Database, file: ReceivedFile, **kwargs: object) -> object:
        if file.name == "crash.835":
            raise KeyError("an engine's own bug")
        return real_post(db, file, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ack_routers, "read_277ca", reader_crashes)
    monkeypatch.setattr(routing, "post_received", engine_crashes)
    transport = MemoryTransport()
    transport.put_inbound("crash.277", ACCEPTED_277CA)
    transport.put_inbound("crash.835", GOOD_835)
    transport.put_inbound("good.835", _isa13(GOOD_835, 102).replace(b"TRN0101", b"TRN0102"))

    results = _poll(database, transport)

    assert {n: r.status for n, r in results.items()} == {
        "crash.277": "failed",
        "crash.835": "failed",
        "good.835": "processed",
    }, results
    assert results["crash.277"].message == (
        "internal error reading crash.277: ArithmeticError: a reader's own bug"
    )
    assert results["crash.835"].message == (
        'internal error reading crash.835: KeyError: "an engine\'s own bug"'
    )
    messages = _work(database)
    assert [m for m in messages if "crash." in m] == [
        results["crash.277"].message,
        results["crash.835"].message,
    ]
    stored = _stored(database)
    assert stored["crash.835"] == ("failed", GOOD_835)
    with database.transaction() as session:
        assert [f.name for f in session.scalars(select(RemittanceFileRow))] == ["good.835"]
    assert transport.list_inbound() == []
    assert _poll(database, transport) == {}


class FailingDownloads(MemoryTransport):
    """Every download of ``broken.999`` fails the way a dropped connection does."""

    def download(self, remote: RemoteFile, *, max_bytes: int | None = None) -> bytes:
        if remote.name == "broken.999":
            raise TransferError(f"127.0.0.1:22: download {remote.name}: connection lost")
        return super().download(remote, max_bytes=max_bytes)


def test_a_file_that_keeps_failing_is_quarantined_after_the_attempts_and_released_when_gone(
    database: Database,
):
    transport = FailingDownloads()
    transport.put_inbound("broken.999", ACCEPTED_999)
    transport.put_inbound("after.999", _isa13(ACCEPTED_999, 287))
    polls = [{n: r.status for n, r in _poll(database, transport).items()} for _ in range(3)]
    assert polls == [
        {"broken.999": "deferred"},  # the poll stops there: no retries per file
        {"broken.999": "deferred"},
        {"broken.999": "quarantined", "after.999": "unmatched"},
    ]
    assert _poll(database, transport) == {}
    (item, unmatched) = _work(database)
    assert item.startswith("received file broken.999 quarantined after 3 failed polls: ")
    assert "after.999" in unmatched

    transport.archive(transport.list_inbound()[0])  # an operator moves it away
    assert _poll(database, transport) == {}
    transport.put_inbound("good.999", ACCEPTED_999)  # a new file, later, under a free name
    assert _poll(database, transport)["good.999"].status == "unmatched"
    with database.transaction() as session:
        (row,) = session.scalars(select(InboundQuarantineRow)).all()
        assert (row.status, row.attempts, row.released_at) == ("released", 3, NOW)


class RefusesUs(MemoryTransport):
    """The server turns our key down when the download reconnects."""

    def download(self, remote: RemoteFile, *, max_bytes: int | None = None) -> bytes:
        raise AuthenticationError(f"127.0.0.1:22: user 'practice' refused ({remote.name})")


def test_refused_credentials_stop_the_poll_and_quarantine_nothing(database: Database):
    transport = RefusesUs()
    transport.put_inbound("fine.999", ACCEPTED_999)
    with pytest.raises(AuthenticationError, match="refused"):
        _poll(database, transport)
    assert _work(database) == []
    assert [f.name for f in transport.list_inbound()] == ["fine.999"]


class ListsTogether(MemoryTransport):
    """Two polls list the folder at the same moment, then race through its files."""

    def __init__(self, barrier: threading.Barrier) -> None:
        super().__init__()
        self.barrier = barrier

    def list_inbound(self) -> list[RemoteFile]:
        files = super().list_inbound()
        self.barrier.wait(timeout=10)
        return files


def test_two_polls_at_once_quarantine_each_file_once(database: Database):
    transport = ListsTogether(threading.Barrier(2))
    transport.put_inbound("big.835", b"ISA*" + b"0" * CAP)
    transport.put_inbound("bad.999", POISON["a_isa06_not_text.999"])
    transport.put_inbound("crash.277", POISON["g_huge_amount.277"])
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            poll_inbound(
                database,
                transport,
                clearinghouse="sim",
                codes=CODES,
                now=NOW,
                limits=InboundLimits(max_bytes=CAP),
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    messages = _work(database)
    assert [sum(name in m for m in messages) for name in ("big.835", "bad.999", "crash.277")] == [
        1,
        1,
        1,
    ], messages
    assert sorted(_stored(database)) == ["bad.999", "crash.277"]
