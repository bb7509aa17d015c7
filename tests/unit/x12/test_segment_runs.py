"""Runs of ordinary segments are split a buffer at a time (issue 18, target 2); what comes
out is what reading them one at a time gives: the same segments and positions across read
chunks, a second interchange's own delimiters, a name containing "ISA", a BIN segment,
and errors located at the same position deep inside a run."""

from __future__ import annotations

import io

import pytest

from edigateway.errors import X12Error
from edigateway.x12.envelope import iter_segments

ISA = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
    "*261122*1200*^*00501*000000001*0*T*:~"
)
OTHER = ISA.replace("*", "|").replace(":~", "}\x1d").replace("^", "!")
"""The same ISA declaring ``|``, ``}``, ``!`` and 0x1D (a control character) instead."""


def _body(count: int, element: str, terminator: str) -> str:
    """``count`` segments, one in the middle naming LISA (a buffer holding it is read one
    segment at a time; the others are split a run at a time)."""
    lines = [f"NM1{element}QC{element}1{element}DOE{element}", f"REF{element}6R{element}"]
    return "".join(
        f"{lines[n % 2]}{'LISA' if n == count // 2 else ''}{n:06d}{terminator}"
        + ("\r\n  " if n % 3 else "")
        for n in range(count)
    )


def _one_at_a_time(*interchanges: str) -> list[tuple[str, list[str], int]]:
    """What the segments are, by hand: each interchange split at its own terminator."""
    found: list[tuple[str, list[str], int]] = []
    for text in interchanges:
        element, terminator = text[3], text[105]
        found.append(("ISA", text[:105].split(element)[1:], len(found) + 1))
        for piece in text[106:].split(terminator):
            if raw := piece.strip(" \r\n\t"):
                parts = raw.split(element)
                found.append((parts[0], parts[1:], len(found) + 1))
    return found


def _read(text: str) -> list[tuple[str, list[str], int]]:
    return [(s.id, s.elements, s.position) for s in iter_segments(io.StringIO(text))]


def test_runs_across_chunks_and_two_interchanges_read_as_one_at_a_time():
    first, second = ISA + "\n" + _body(9_000, "*", "~"), OTHER + _body(9_000, "|", "\x1d")
    text = first + second
    assert len(text) > 3 * (1 << 16)  # several read chunks, the second ISA inside one
    segments = _read(text)
    assert segments == _one_at_a_time(first, second)
    assert segments[4_501][1] == ["QC", "1", "DOE", "LISA004500"]
    assert segments[-1] == ("REF", ["6R", "008999"], 18_002)


def test_a_bin_segment_inside_a_run_is_read_by_its_length():
    data = "A~B*C~D"  # a terminator and a separator inside the binary data
    text = ISA + _body(3_000, "*", "~") + f"BIN*{len(data)}*{data}~" + _body(3_000, "*", "~")
    segments = list(iter_segments(io.StringIO(text)))
    binary = next(s for s in segments if s.id == "BIN")
    assert binary.position == 3_002
    assert segments[-1].position == 6_002
    assert [s.id for s in segments].count("BIN") == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [("!!*X~", "is not a segment identifier"), ("REF*6R*\x00~", "REF02")],
)
def test_an_error_deep_in_a_run_names_its_position(bad: str, message: str):
    text = ISA + _body(5_000, "*", "~") + bad + _body(10, "*", "~")
    with pytest.raises(X12Error, match=message) as caught:
        list(iter_segments(io.StringIO(text)))
    assert caught.value.location.segment_index == 5_002
