"""Every claim fixture: clean, builds an 837D valid under our map, reads back unchanged."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from edigateway.domain.claims import MAX_LINES_PER_CLAIM, Claim, Receiver, Submitter
from edigateway.domain.claims_split import split_claim
from edigateway.domain.edits import check_batch
from edigateway.services.claims import load_claim_file
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.validation import Validator
from edigateway.x12.x837d_005010X224A2 import read_837d, write_837d
from tests.factories import REPO

FIXTURES = sorted((REPO / "fixtures" / "claims").glob("*.json"))
TODAY = date(2026, 11, 22)
PARAMS = InterchangeParams(
    sender_qualifier="ZZ",
    sender_id="MSD0001",
    receiver_qualifier="ZZ",
    receiver_id="CLEARHOUSE1",
    gs_sender_code="MSD0001",
    gs_receiver_code="CLEARHOUSE1",
    interchange_control_number=1001,
    group_control_number=1001,
    first_transaction_control_number=1,
    created=datetime(2026, 11, 21, 16, 45),
)


def _build(path: Path) -> tuple[str, list[Claim]]:
    batch = load_claim_file(path)
    assert check_batch(batch, today=TODAY) == []
    text = write_837d(
        batch,
        PARAMS,
        submitter=batch.submitter
        or Submitter.model_validate(
            {"name": "X", "identifier": "XX", "contact": {"name": "X", "phone": "5555550100"}}
        ),
        receiver=batch.receiver or Receiver(name="Y", identifier="YY"),
    )
    sent = [part for c in batch.claims for part in split_claim(c, MAX_LINES_PER_CLAIM)]
    return text, sent


def test_there_are_at_least_25_fixtures():
    assert len(FIXTURES) >= 25


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_builds_valid_837d_and_round_trips(path: Path, validator: Validator):
    text, sent = _build(path)
    verdict = validator.validate_text(text, path.name)
    assert verdict.errors == ()
    assert verdict.valid
    parsed = read_837d(text.encode(), name=path.name)
    assert parsed.claims == sent
    assert parsed.skipped == []
    assert (
        write_837d(
            parsed.batch,
            parsed.params,
            submitter=parsed.submitter,  # type: ignore[arg-type]
            receiver=parsed.receiver,  # type: ignore[arg-type]
        )
        == text
    )


def test_fixtures_cover_dental_breadth():
    claims = [
        Claim.model_validate(c) for p in FIXTURES for c in json.loads(p.read_text())["claims"]
    ]
    lines = [line for c in claims for line in c.lines]
    codes = {line.procedure_code for line in lines}
    found = {
        "filling with surfaces": any(
            t.surfaces for line in lines for t in line.teeth if line.procedure_code.startswith("D2")
        ),
        "extraction": bool(codes & {"D7140", "D7210", "D7220", "D7240"}),
        "crown replacement": any(
            line.prosthesis == "R" and line.procedure_code.startswith("D27") for line in lines
        ),
        "quadrant scaling": any(
            line.procedure_code in {"D4341", "D4342"} and line.oral_cavity_areas for line in lines
        ),
        "denture by arch": any(
            line.procedure_code.startswith("D5") and line.oral_cavity_areas for line in lines
        ),
        "ortho months remaining": any(
            c.orthodontics and c.orthodontics.months_remaining for c in claims
        ),
        "predetermination": any(c.is_predetermination for c in claims),
        "replacement (7)": any(c.frequency == "7" for c in claims),
        "void (8)": any(c.frequency == "8" for c in claims),
        "dependent patient": any(c.patient is not None for c in claims),
        "secondary with primary adjudication": any(
            c.payer_responsibility == "S"
            and c.other_payers
            and any(line.adjudications for line in c.lines)
            for c in claims
        ),
        "more than 50 lines": any(len(c.lines) > MAX_LINES_PER_CLAIM for c in claims),
        "claim-level diagnosis": any(c.diagnoses for c in claims),
        "four diagnoses and pointers": any(
            len(c.diagnoses) == 4 and any(len(line.diagnosis_pointers) == 4 for line in c.lines)
            for c in claims
        ),
        "quantity 2": any(line.quantity == 2 for line in lines),
        "several teeth on one line": any(len(line.teeth) > 1 for line in lines),
        "sales tax": any(line.sales_tax is not None for line in lines),
        "COB to a second and a third payer": any(
            c.payer_responsibility == "T" and len(c.other_payers) == 2 for c in claims
        ),
        "ortho with DN1 and DN2": any(c.orthodontics and c.missing_teeth for c in claims),
        "claim and line repricing": any(
            c.repricing and any(line.repricing for line in c.lines) for c in claims
        ),
    }
    assert [name for name, ok in found.items() if not ok] == []


def test_sv306_is_sent_only_above_one():
    """RFI 1866: a missing SV306 means 1 and reporting 1 is prohibited."""
    counts: list[str] = []
    for path in FIXTURES:
        text, _ = _build(path)
        for segment in text.replace("\n", "").split("~"):
            if segment.startswith("SV3*"):
                elements = segment.split("*")
                counts.append(elements[6] if len(elements) > 6 else "")
    assert "1" not in counts
    assert "" in counts
    assert {"2", "4"} <= set(counts)
