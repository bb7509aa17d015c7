"""The simulator's 999 locates every error the way a clearinghouse's does: IK3 with the
segment ID, its position counted from ST, the loop and IK304; IK4 with the element,
component and an IK403 code from X12's list — also for our own rules' findings, and once
per element when pyx12 and a rule fault the same value."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from edigateway.domain.acknowledgments import ELEMENT_ERROR_CODES
from edigateway.services.claims import default_parties, load_claim_file
from edigateway.settings import Settings
from edigateway.sim.adjudicate import Rules
from edigateway.sim.clearinghouse import INBOX, OUTBOX, FrontEndRules, SimClearinghouse
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x837d_005010X224A2 import write_837d
from edigateway.x12.x999_005010X231A1 import read_999
from tests.factories import REPO

if TYPE_CHECKING:
    from pathlib import Path

    from edigateway.domain.acknowledgments import TransactionAck
    from edigateway.x12.validation import Validator

NOW = datetime(2026, 11, 23, 12, 0)


def _837() -> str:
    batch = load_claim_file(REPO / "fixtures/claims/26_batch_family_two_patients.json")
    params = InterchangeParams("ZZ", "PRACTICE", "ZZ", "EDGSIM", "PRACTICE", "EDGSIM", 7, 7, 1, NOW)
    submitter, receiver = default_parties(Settings())
    return write_837d(batch, params, submitter=submitter, receiver=receiver)


def _answer(root: Path, validator: Validator, text: str) -> TransactionAck:
    sim = SimClearinghouse(
        root,
        rules=Rules.load(REPO / "mappings"),
        front_end=FrontEndRules.load(REPO / "mappings"),
        validator=validator,
        clock=lambda: NOW,
    )
    (root / INBOX / "a.837").write_text(text)
    report = sim.run_cycle()
    assert [name.rsplit(".", 1)[1] for name in report.written] == ["999"]
    (answer,) = sorted((root / OUTBOX).glob("*.999"))
    (group,) = read_999(answer.read_bytes()).acks
    assert group.status == "R"
    (transaction,) = group.transactions
    assert (transaction.status, transaction.error_codes) == ("R", ["5"])
    return transaction


def _position(text: str, prefix: str) -> int:
    """The position of the first segment starting with ``prefix``, counted from ST = 1."""
    segments = text.split("~")
    start = next(n for n, s in enumerate(segments) if s.strip().startswith("ST*"))
    return next(n for n, s in enumerate(segments) if s.strip().startswith(prefix)) - start + 1


def test_a_rule_finding_gets_an_x12_element_code(tmp_path: Path, validator: Validator):
    text = _837().replace("SV3*AD:D0120", "SV3*AD:D01", 1)  # not a CDT code: rule E012
    transaction = _answer(tmp_path, validator, text)
    (error,) = transaction.errors
    assert (error.segment_id, error.segment_position, error.loop_id, error.segment_error_code) == (
        "SV3",
        _position(text, "SV3*AD:D01"),
        "2400",
        "8",
    )
    assert (error.element_position, error.component_position) == (1, 2)
    assert error.element_error_code == "7"  # invalid code value, not a bare "8"
    assert error.element_error_code in ELEMENT_ERROR_CODES


def test_one_ik4_per_faulted_element(tmp_path: Path, validator: Validator):
    text = _837()
    first_date = text.index("DTP*472*D8*") + len("DTP*472*D8*")
    text = text[:first_date] + "2026" + text[first_date:]  # pyx12 (8) and rule V112 both
    transaction = _answer(tmp_path, validator, text)
    (error,) = transaction.errors
    assert (error.segment_id, error.element_position, error.element_error_code) == ("DTP", 3, "8")


def test_syntax_errors_keep_pyx12s_codes(tmp_path: Path, validator: Validator):
    text = _837().replace("CLM*MSD1026*", "CLM*MSD1026*X", 1)
    transaction = _answer(tmp_path, validator, text)
    (error,) = transaction.errors
    assert (error.segment_id, error.loop_id, error.element_position, error.element_error_code) == (
        "CLM",
        "2300",
        2,
        "6",
    )  # invalid character
    assert error.element_error_description == ELEMENT_ERROR_CODES["6"]
