"""The simulator's clearinghouse checks an interchange's envelope with the envelope reader
every codec uses: what is wrong with ISA…IEA is answered by a TA1 whose note code follows
the element at fault; what is wrong with a transaction set's trailer (SE01, SE02) is the
999's to answer, as a clearinghouse does."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from edigateway.services.claims import default_parties, load_claim_file
from edigateway.settings import Settings
from edigateway.sim.adjudicate import Rules
from edigateway.sim.clearinghouse import INBOX, OUTBOX, FrontEndRules, SimClearinghouse
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.ta1 import read_ta1
from edigateway.x12.x837d_005010X224A2 import write_837d
from edigateway.x12.x999_005010X231A1 import read_999
from tests.factories import REPO

if TYPE_CHECKING:
    from pathlib import Path

    from edigateway.x12.validation import Validator

NOW = datetime(2026, 11, 23, 12, 0)


def _837() -> str:
    batch = load_claim_file(REPO / "fixtures/claims/01_filling_amalgam_mod.json")
    params = InterchangeParams("ZZ", "PRACTICE", "ZZ", "EDGSIM", "PRACTICE", "EDGSIM", 7, 7, 1, NOW)
    submitter, receiver = default_parties(Settings())
    return write_837d(batch, params, submitter=submitter, receiver=receiver)


def _cycle(root: Path, validator: Validator, text: str) -> tuple[list[str], list[str]]:
    sim = SimClearinghouse(
        root,
        rules=Rules.load(REPO / "mappings"),
        front_end=FrontEndRules.load(REPO / "mappings"),
        validator=validator,
        clock=lambda: NOW,
    )
    (root / INBOX / "a.837").write_text(text)
    report = sim.run_cycle()
    return [name.rsplit(".", 1)[1] for name in report.written], report.problems


@pytest.mark.parametrize(
    ("edit", "note"),
    [
        (lambda t: t.replace("*00501*", "*00401*", 1), "017"),
        (lambda t: t.replace("IEA*1*", "IEA*2*"), "021"),
        (lambda t: t.replace("IEA*1*000000007", "IEA*1*000000008"), "001"),
        (lambda t: t[: t.rindex("IEA")], "001"),
        (lambda t: t.replace("GE*1*7~", "GE*1*7~\nREF*EA*STRAY~"), "024"),
    ],
)
def test_an_envelope_fault_gets_a_rejecting_ta1_with_its_note(
    tmp_path: Path, validator: Validator, edit, note
):
    text = edit(_837())
    assert text != _837()
    written, problems = _cycle(tmp_path, validator, text)
    assert written == ["ta1"]
    assert len(problems) == 1
    (answer,) = sorted((tmp_path / OUTBOX).glob("*.ta1"))
    (ack,) = read_ta1(answer.read_bytes()).acks
    assert (ack.interchange_control_number, ack.ack_code, ack.note_code) == ("000000007", "R", note)


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("SE*", "SE*9", 1),
        lambda t: t.replace("*0001~\nGE*", "*0002~\nGE*", 1),
    ],
)
def test_a_trailer_count_is_the_999s_to_answer(tmp_path: Path, validator: Validator, edit):
    text = edit(_837())
    assert text != _837()
    written, _ = _cycle(tmp_path, validator, text)
    assert written == ["999"]
    (answer,) = sorted((tmp_path / OUTBOX).glob("*.999"))
    (group,) = read_999(answer.read_bytes()).acks
    assert group.status == "R"


def test_each_functional_group_gets_its_own_999_group_ack(tmp_path: Path, validator: Validator):
    """Groups and sets come from the envelope reader: two GS…GE groups, one 999 each."""
    text = _837()
    group = text[text.index("GS*") : text.index("IEA*")]
    pcn = group.split("CLM*", 1)[1].split("*", 1)[0]
    second = (
        group.replace("*7*X*", "*8*X*", 1)
        .replace("GE*1*7~", "GE*1*8~")
        .replace(f"CLM*{pcn}*", f"CLM*{pcn}B*")
        .replace(f"REF*6R*{pcn}-", f"REF*6R*{pcn}B-")
    )
    two = text.replace(group, group + second).replace("IEA*1*", "IEA*2*")
    written, problems = _cycle(tmp_path, validator, two)
    assert problems == []
    assert written[0] == "999"
    (answer,) = sorted((tmp_path / OUTBOX).glob("*.999"))
    acks = read_999(answer.read_bytes()).acks
    assert [(a.group_control_number, a.status) for a in acks] == [("7", "A"), ("8", "A")]
