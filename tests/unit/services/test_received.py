"""A received file is hashed and identified once: its kind, ISA06 and ISA13 and header, or
why it will not be applied (and the error ``era post`` reports for it)."""

from __future__ import annotations

import hashlib

from edigateway.errors import X12StructureError, X12SyntaxError
from edigateway.services.ack_routers import ROUTERS
from edigateway.services.received import ROUTED_KINDS, ReceivedFile, file_sha256
from tests.factories import REPO

ENVELOPE = REPO / "fixtures" / "x12" / "envelope"


def test_an_835_is_identified_with_its_sender_interchange_and_header():
    data = (REPO / "fixtures" / "era" / "01_full_pay" / "era.835").read_bytes()
    received = ReceivedFile.of("a.835", data, source="cli")
    assert received.sha256 == hashlib.sha256(data).hexdigest()
    identity = received.identity
    assert (identity.kind, identity.sender, identity.isa13, identity.problem) == (
        "835",
        "PRAIRIEDENTAL",
        "000000101",
        None,
    )
    assert identity.header is not None
    assert (identity.header.transaction, identity.header.gs_version) == ("835", "005010X221A1")


def test_a_file_on_disk_is_identified_alike_without_being_read_whole():
    path = REPO / "fixtures" / "era" / "01_full_pay" / "era.835"
    data = path.read_bytes()
    on_disk = ReceivedFile.at(str(path), source="cli")
    in_memory = ReceivedFile.of(str(path), data, source="cli")
    assert on_disk.data == path  # the path, not its bytes
    assert (on_disk.name, on_disk.sha256, on_disk.size) == (
        in_memory.name,
        in_memory.sha256,
        len(data),
    )
    assert on_disk.identity == in_memory.identity
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_what_will_not_be_applied_says_why_and_keeps_the_sniffs_error():
    not_x12 = ReceivedFile.of("notes.txt", b"hello", source="cli").identity
    assert (not_x12.kind, not_x12.status) == ("unknown", "unsupported")
    assert isinstance(not_x12.error, X12SyntaxError)
    assert not_x12.problem == "notes.txt: segment 1 (ISA): file does not start with an ISA segment"

    group = ReceivedFile.of("g.276", (ENVELOPE / "276_gs01_hi.276").read_bytes(), source="x")
    assert (group.identity.status, type(group.identity.error)) == ("failed", X12StructureError)

    old = ReceivedFile.of(
        "o.835", (ENVELOPE / "835_gs08_005010X221.835").read_bytes(), source="x"
    ).identity
    assert (old.kind, old.error) == ("unknown", None)  # X12 it reads: era post refuses it
    assert old.header is not None
    assert "edigateway reads the 835 in 005010X221A1 only" in (old.problem or "")


def test_every_routed_kind_has_a_router_or_the_posting_engine():
    assert {*ROUTERS, "835"} == ROUTED_KINDS
