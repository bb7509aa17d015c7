"""Storing claims as submitted: idempotent imports, replacements and voids supersede,
conflicting originals are refused and nothing of that import is kept."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from edigateway.domain.claims import ClaimBatch
from edigateway.errors import CleanClaimError, InputError
from edigateway.persistence.database import Database
from edigateway.persistence.tables import ClaimLineRow, ClaimRow, ClaimStateRow
from edigateway.services.claim_store import import_claims, load_claims
from tests.factories import REPO

NOW = datetime(2026, 11, 20, 9, 0)


def _batch(**changes: object) -> ClaimBatch:
    document = json.loads((REPO / "fixtures/era/claims.json").read_text())
    claim = document["claims"][0]
    claim.update(changes)
    return ClaimBatch.model_validate({"claims": [claim]})


def test_import_is_idempotent_and_stores_lines_and_history(database: Database):
    first = import_claims(database, _batch(), now=NOW)
    again = import_claims(database, _batch(), now=NOW)
    assert [c.status for c in first] == ["stored"]
    assert [(c.id, c.status) for c in again] == [(first[0].id, "unchanged")]
    with database.transaction() as session:
        row = session.scalars(select(ClaimRow)).one()
        assert (row.state, str(row.total_charge)) == ("submitted", "175.00")
        lines = session.scalars(select(ClaimLineRow).order_by(ClaimLineRow.line_number)).all()
        assert [(ln.procedure_code, str(ln.charge)) for ln in lines] == [
            ("D0120", "65.00"),
            ("D1110", "110.00"),
        ]
        assert [s.state for s in session.scalars(select(ClaimStateRow))] == ["submitted"]
        claim = load_claims(session, ["ERA101"])["ERA101"][1]
        assert claim == _batch().claims[0]


def test_changed_original_is_refused_and_nothing_is_kept(database: Database):
    import_claims(database, _batch(), now=NOW)
    with pytest.raises(InputError, match="replacement"):
        import_claims(database, _batch(note="CHANGED"), now=NOW)
    with database.transaction() as session:
        assert len(session.scalars(select(ClaimRow)).all()) == 1


def test_replacement_then_void_supersede_in_order(database: Database):
    original = import_claims(database, _batch(), now=NOW)[0]
    replacement = import_claims(
        database, _batch(frequency="7", payer_claim_control_number="PCC101"), now=NOW
    )[0]
    void = import_claims(
        database, _batch(frequency="8", payer_claim_control_number="PCC101"), now=NOW
    )[0]
    with database.transaction() as session:
        rows = {r.id: r for r in session.scalars(select(ClaimRow))}
        assert rows[original.id].state == "replaced"
        assert rows[original.id].superseded_by_id == replacement.id
        assert rows[replacement.id].state == "voided"
        assert rows[replacement.id].superseded_by_id == void.id
        assert rows[void.id].superseded_by_id is None
        assert load_claims(session, ["ERA101"])["ERA101"][0].id == void.id


def test_unclean_claims_are_not_stored(database: Database):
    with pytest.raises(CleanClaimError):
        import_claims(database, _batch(total_charge="1.00"), now=NOW)
    with database.transaction() as session:
        assert session.scalars(select(ClaimRow)).all() == []
