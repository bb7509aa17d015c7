"""The 835 scenarios of fixtures/era: each file posts to the hand-checked totals, postings
and claim states in its expected.json, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from edigateway.cli.era import posting_document
from edigateway.codelists import CodeLists
from edigateway.persistence.database import Database
from edigateway.persistence.tables import (
    ClaimRow,
    InboundFileRow,
    PostingRow,
    ProviderAdjustmentRow,
    RemittanceClaimRow,
    RemittanceFileRow,
    RemittanceRow,
    WorkItemRow,
)
from edigateway.services.claim_store import import_claims
from edigateway.services.claims import load_claim_file
from edigateway.services.inbound import store_inbound
from edigateway.services.posting import post_received
from edigateway.services.posting_result import PostingResult
from edigateway.services.received import ReceivedFile
from edigateway.services.routing import route_stored
from tests.factories import REPO

ERA = REPO / "fixtures" / "era"
SCENARIOS = sorted(p for p in ERA.iterdir() if (p / "expected.json").is_file())
NOW = datetime(2026, 11, 22, 9, 30)
CODES = CodeLists.load(REPO / "mappings")


def post_era(db: Database, path: Path, **kwargs: Any) -> PostingResult:
    """Post the 835 at ``path`` as ``edigateway era post`` does."""
    return post_received(db, ReceivedFile.of(str(path), path.read_bytes(), source="cli"), **kwargs)


def _seed(db: Database) -> None:
    import_claims(db, load_claim_file(ERA / "claims.json"), now=datetime(2026, 10, 10, 8))


def _states(db: Database) -> dict[str, str]:
    with db.transaction() as session:
        return {r.patient_control_number: r.state for r in session.scalars(select(ClaimRow))}


def test_there_are_ten_scenarios():
    assert len(SCENARIOS) >= 10


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_scenario_posts_as_expected(database: Database, scenario: Path):
    expected = json.loads((scenario / "expected.json").read_text())
    _seed(database)
    states_seen: dict[str, list[str]] = {}
    for want in expected["files"]:
        result: dict[str, Any] = dict(
            posting_document(post_era(database, scenario / want["file"], codes=CODES, now=NOW))
        )
        got = {key: result[key] for key in want if key not in ("file", "work_items")}
        assert got == {k: v for k, v in want.items() if k not in ("file", "work_items")}, result
        assert [[w["claim"], w["reason"], w["codes"]] for w in result["work_items"]] == want[
            "work_items"
        ]
        for pcn, state in _states(database).items():
            states_seen.setdefault(pcn, []).append(state)
    for pcn, states in expected.get("states_after_each_file", {}).items():
        assert states_seen[pcn] == states
    with database.transaction() as session:
        for pcn, claim in expected["claims"].items():
            row = session.scalars(
                select(ClaimRow).where(ClaimRow.patient_control_number == pcn)
            ).one()
            assert row.state == claim["state"], pcn
            postings = session.scalars(select(PostingRow).where(PostingRow.claim_id == row.id))
            got_postings = Counter((p.kind, str(p.amount), p.line_number) for p in postings)
            assert got_postings == Counter(tuple(p) for p in claim["postings"]), pcn
        ledger = [
            [
                p.reason,
                p.reference,
                str(p.amount),
                session.get_one(ClaimRow, p.claim_id).patient_control_number
                if p.claim_id
                else None,
            ]
            for p in session.scalars(select(ProviderAdjustmentRow))
        ]
        assert ledger == expected.get("provider_ledger", [])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_every_payment_balances_to_its_postings(database: Database, scenario: Path):
    """Σ paid/reversal/interest postings + unapplied − Σ PLB = BPR02, per payment."""
    _seed(database)
    for want in json.loads((scenario / "expected.json").read_text())["files"]:
        post_era(database, scenario / want["file"], codes=CODES, now=NOW)
    with database.transaction() as session:
        for remittance in session.scalars(select(RemittanceRow)):
            postings = list(
                session.scalars(select(PostingRow).where(PostingRow.remittance_id == remittance.id))
            )
            money = sum(
                (p.amount for p in postings if p.kind in ("paid", "reversal", "interest")),
                Decimal(0),
            )
            plb = sum((p.amount for p in postings if p.kind == "provider_adjustment"), Decimal(0))
            unapplied = sum(
                (
                    c.paid
                    for c in session.scalars(
                        select(RemittanceClaimRow).where(
                            RemittanceClaimRow.remittance_id == remittance.id,
                            RemittanceClaimRow.claim_id.is_(None),
                        )
                    )
                ),
                Decimal(0),
            )
            amount = remittance.payment_amount * (-1 if remittance.credit_debit == "D" else 1)
            assert money + unapplied - plb == amount, remittance.trace_number


def test_reversal_links_the_original_and_the_correction(database: Database):
    _seed(database)
    folder = ERA / "04_reversal_and_correction"
    for name in ("1_original_payment.835", "2_reversal_and_correction.835"):
        post_era(database, folder / name, codes=CODES, now=NOW)
    with database.transaction() as session:
        rows = list(session.scalars(select(RemittanceClaimRow).order_by(RemittanceClaimRow.id)))
        original, reversal, corrected = rows
        assert (original.status, reversal.status, corrected.status) == ("1", "22", "1")
        assert original.reversed_by_id == reversal.id
        assert reversal.corrected_by_id == corrected.id
        assert corrected.reversed_by_id is None


def test_posting_the_same_file_twice_posts_nothing_new(database: Database):
    _seed(database)
    path = ERA / "01_full_pay" / "era.835"
    first = post_era(database, path, codes=CODES, now=NOW)
    second = post_era(database, path, codes=CODES, now=NOW)
    assert (first.status, second.status) == ("posted", "duplicate")
    assert "already posted" in (second.message or "")
    with database.transaction() as session:
        assert len(list(session.scalars(select(PostingRow)))) == 2
        assert len(list(session.scalars(select(RemittanceFileRow)))) == 1


def test_same_payment_in_a_new_file_is_a_duplicate(database: Database, tmp_path: Path):
    """Re-sent with a new ISA13 (so a different file hash): the TRN still gives it away."""
    _seed(database)
    path = ERA / "01_full_pay" / "era.835"
    post_era(database, path, codes=CODES, now=NOW)
    resent = tmp_path / "resent.835"
    resent.write_text(path.read_text().replace("000000101", "000000901"))
    result = post_era(database, resent, codes=CODES, now=NOW)
    assert result.status == "duplicate"
    assert result.payments_skipped == 1
    with database.transaction() as session:
        assert len(list(session.scalars(select(PostingRow)))) == 2


def _unbalanced(tmp_path: Path) -> Path:
    source = (ERA / "02_partial_pay_deductible_coinsurance" / "era.835").read_text()
    bad = tmp_path / "unbalanced.835"
    bad.write_text(source.replace("CAS*CO*45*60~", "CAS*CO*45*61~"))
    return bad


def test_unbalanced_file_is_quarantined_with_its_segment_and_posts_nothing(
    database: Database, tmp_path: Path
):
    _seed(database)
    result = post_era(database, _unbalanced(tmp_path), codes=CODES, now=NOW)
    assert result.status == "quarantined"
    assert result.problem is not None
    assert result.problem.segment_index is not None
    lines = _unbalanced(tmp_path).read_text().split("~\n")
    assert lines[result.problem.segment_index - 1].startswith("SVC*AD:D2392")
    assert "service 2 (D2392): charge 260.00" in (result.message or "")
    with database.transaction() as session:
        assert list(session.scalars(select(PostingRow))) == []
        assert list(session.scalars(select(RemittanceRow))) == []
        files = list(session.scalars(select(RemittanceFileRow)))
        assert [f.status for f in files] == ["quarantined"]
        assert files[0].problem_position == result.problem.segment_index
        items = list(session.scalars(select(WorkItemRow)))
        assert [i.reason for i in items] == ["quarantined"]
    assert _states(database)["ERA102"] == "submitted"


def test_truncated_file_is_quarantined(database: Database, tmp_path: Path):
    _seed(database)
    text = (ERA / "09_two_checks_one_file" / "era.835").read_text()
    cut = tmp_path / "cut.835"
    cut.write_text(text[: text.index("ST*835*0002")])
    result = post_era(database, cut, codes=CODES, now=NOW)
    assert result.status == "quarantined"
    assert "ends without its" in (result.message or "")
    with database.transaction() as session:
        assert list(session.scalars(select(PostingRow))) == []


def test_crash_midway_leaves_all_or_nothing(database: Database, tmp_path: Path):
    """An exception after some rows were written rolls the whole file back; posting the
    file again afterwards posts it completely."""
    _seed(database)
    path = ERA / "09_two_checks_one_file" / "era.835"
    with pytest.raises(RuntimeError, match="injected failure"):
        post_era(database, path, codes=CODES, now=NOW, fail_after_rows=1)
    with database.transaction() as session:
        for table in (
            PostingRow,
            RemittanceRow,
            RemittanceClaimRow,
            RemittanceFileRow,
            WorkItemRow,
            InboundFileRow,
        ):
            assert list(session.scalars(select(table))) == [], table.__tablename__
    assert _states(database)["ERA110"] == "submitted"
    assert post_era(database, path, codes=CODES, now=NOW).status == "posted"
    with database.transaction() as session:
        assert len(list(session.scalars(select(PostingRow)))) == 4


QUARANTINE = REPO / "fixtures" / "x12" / "quarantine"
QUARANTINED: dict[str, dict[str, str | int]] = json.loads(
    (QUARANTINE / "expected.json").read_text()
)


@pytest.mark.parametrize("name", sorted(QUARANTINED))
def test_quarantine_names_the_segment_that_failed(database: Database, name: str):
    """The SVC, CLP or BPR amount that does not add up (or the PLB element refused), with
    position, ID, loop and element: in ``era post``'s problem, the file's row and its
    work item; the same file through the poller names it in its inbound row."""
    want = QUARANTINED[name]
    where = (
        f"segment {want['segment_index']} ({want['segment_id']}, loop {want['loop']}, "
        f"{want['element']})"
    )
    _seed(database)
    result = post_era(database, QUARANTINE / name, codes=CODES, now=NOW)
    assert (result.status, result.readable) == ("quarantined", True)
    assert posting_document(result)["problem"] == {
        k: want[k] for k in ("segment_index", "segment_id", "loop", "element")
    }
    assert str(want["message"]) in (result.message or "")
    with database.transaction() as session:
        row = session.scalars(select(RemittanceFileRow)).one()
        assert row.problem_position == want["segment_index"]
        assert (row.problem or "").startswith(f"{where}: ")
        item = session.scalars(select(WorkItemRow)).one()
        assert (item.reason, item.source_position) == ("quarantined", want["segment_index"])
        assert where in item.message
        assert list(session.scalars(select(PostingRow))) == []

    # the same payments in another interchange (era post recorded this one's ISA13)
    data = (
        (QUARANTINE / name)
        .read_bytes()
        .replace(b"*00501*000000", b"*00501*900000", 1)
        .replace(b"IEA*1*000000", b"IEA*1*900000", 1)
    )
    stored = store_inbound(database, clearinghouse="simulator", name=name, data=data, now=NOW)
    (routed,) = route_stored(database, codes=CODES, now=NOW)
    assert (stored.status, routed.status) == ("stored", "failed")
    assert where in routed.message
    with database.transaction() as session:
        received = {row.clearinghouse: row for row in session.scalars(select(InboundFileRow))}
        assert where in (received["simulator"].problem or "")
        assert received["cli"].status == "failed"  # era post's file, recorded the same way
        assert where in (received["cli"].problem or "")
