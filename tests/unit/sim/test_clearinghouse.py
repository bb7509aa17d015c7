"""The simulator's clearinghouse answers every file, valid or not, with files that our own
maps call valid: TA1 for envelopes, 999 with located errors, 277CA per claim."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from edigateway.services.claims import load_claim_file
from edigateway.sim.adjudicate import Rules
from edigateway.sim.clearinghouse import INBOX, OUTBOX, FrontEndRules, SimClearinghouse
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.ta1 import read_ta1
from edigateway.x12.validation import Validator
from edigateway.x12.x277ca_005010X214 import read_277ca
from edigateway.x12.x837d_005010X224A2 import write_837d
from edigateway.x12.x999_005010X231A1 import read_999
from tests.factories import REPO

NOW = datetime(2026, 11, 23, 12, 0)


def _sim(root: Path, validator: Validator) -> SimClearinghouse:
    return SimClearinghouse(
        root,
        rules=Rules.load(REPO / "mappings"),
        front_end=FrontEndRules.load(REPO / "mappings"),
        validator=validator,
        clock=lambda: NOW,
    )


def _837(number: int = 7) -> str:
    batch = load_claim_file(REPO / "fixtures/claims/26_batch_family_two_patients.json")
    params = InterchangeParams(
        "ZZ", "PRACTICE", "ZZ", "EDGSIM", "PRACTICE", "EDGSIM", number, number, 1, NOW
    )
    from edigateway.services.claims import default_parties
    from edigateway.settings import Settings

    submitter, receiver = default_parties(Settings())
    return write_837d(batch, params, submitter=submitter, receiver=receiver)


def _answers(root: Path, extension: str) -> list[str]:
    return [p.read_text() for p in sorted((root / OUTBOX).glob(f"*.{extension}"))]


def test_what_the_simulator_writes_is_valid(tmp_path: Path, validator: Validator):
    sim = _sim(tmp_path, validator)
    (tmp_path / INBOX / "a.837").write_text(_837())
    report = sim.run_cycle()
    assert report.problems == []
    assert report.claims_accepted == 4
    for name in report.written:
        verdict = validator.validate_bytes((tmp_path / OUTBOX / name).read_bytes(), name)
        assert verdict.status == "valid", (name, verdict.errors)
    (ack_file,) = read_277ca(_answers(tmp_path, "277")[0].encode()).files
    assert {c.status for c in ack_file.claims} == {"accepted"}
    assert all(c.payer_claim_control_number for c in ack_file.claims)


def test_invalid_transaction_is_rejected_with_the_segment_and_element(
    tmp_path: Path, validator: Validator
):
    sim = _sim(tmp_path, validator)
    broken = _837().replace("CLM*MSD1026*", "CLM*MSD1026*X", 1)
    (tmp_path / INBOX / "b.837").write_text(broken)
    report = sim.run_cycle()
    assert [n.rsplit(".", 1)[1] for n in report.written] == ["999"]
    (group,) = read_999(_answers(tmp_path, "999")[0].encode()).acks
    assert group.status == "R"
    (transaction,) = group.transactions
    assert transaction.status == "R"
    assert any(e.segment_id == "CLM" and e.element_position == 2 for e in transaction.errors)


def test_garbage_and_a_reused_isa13_get_a_rejecting_ta1(tmp_path: Path, validator: Validator):
    sim = _sim(tmp_path, validator)
    (tmp_path / INBOX / "1.837").write_text(_837())
    sim.run_cycle()
    restarted = _sim(tmp_path, validator)  # the seen ISA13 survives a restart
    (tmp_path / INBOX / "2.837").write_text(_837())
    truncated = _837(8)
    (tmp_path / INBOX / "3.837").write_text(truncated[: truncated.rindex("IEA")])
    (tmp_path / INBOX / "4.txt").write_text("hello")
    report = restarted.run_cycle()
    notes = [read_ta1(text.encode()).acks[0].note_code for text in _answers(tmp_path, "ta1")]
    assert notes == ["025", "001"]
    assert len(report.problems) == 3
    assert "4.txt" in report.problems[-1]
