"""Money integrity (issue 15): each defect the issue measured, as an 835 scenario in
fixtures/era-money with a hand-checked expected.json (states, ledgers, held payments,
estimates), the ledger identity and A/R = Σ outstanding over every ERA scenario, and the
demo's practice ledger reconciling — on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from sqlalchemy import func, select

from edigateway.clearinghouses import load_profile
from edigateway.cli.era import posting_document
from edigateway.codelists import CodeLists
from edigateway.domain.claim_lifecycle import LEDGER_KEYS
from edigateway.domain.claims import ClaimBatch
from edigateway.persistence.database import Database
from edigateway.persistence.tables import ClaimRow, RemittanceClaimRow, WorkItemRow
from edigateway.services.claim_status import inquire_stale
from edigateway.services.claim_store import import_claims, open_document
from edigateway.services.claims import build_837d, load_claim_file
from edigateway.services.control_numbers import MemoryControlNumbers
from edigateway.services.era_review import approve, pending, set_policy, write_off
from edigateway.services.followup import aging_report, open_claims
from edigateway.services.inbound import store_inbound
from edigateway.services.ledger import ledgers, practice_ledger, show_claim
from edigateway.services.payer_limits import payer_practice, set_timely_filing
from edigateway.services.posting import post_received
from edigateway.services.received import ReceivedFile
from edigateway.services.routing import route
from edigateway.settings import Settings
from edigateway.sim.claim_status import PayerClaim, answer_276
from tests.conftest import BuiltDemo
from tests.factories import REPO

if TYPE_CHECKING:
    from edigateway.transports.https import CoreHttpClient

MONEY = REPO / "fixtures" / "era-money"
ERA = REPO / "fixtures" / "era"
SCENARIOS = sorted(p for p in MONEY.iterdir() if (p / "expected.json").is_file())
ERA_SCENARIOS = sorted(p for p in ERA.iterdir() if (p / "expected.json").is_file())
NOW = datetime(2026, 11, 22, 9, 30)
CODES = CodeLists.load(REPO / "mappings")


def _post(db: Database, path: Path) -> dict[str, Any]:
    result = post_received(
        db, ReceivedFile.of(str(path), path.read_bytes(), source="cli"), codes=CODES, now=NOW
    )
    return dict(posting_document(result))


def _check_invariants(db: Database) -> None:
    """The identity per claim, A/R = Σ outstanding of receivable claims, and one open
    work item per held payment."""
    with db.transaction() as session:
        rows = list(session.scalars(select(ClaimRow)))
        books = ledgers(session, rows)
        for ledger in books.values():
            assert ledger.balances(), ledger
        held = list(
            session.scalars(
                select(RemittanceClaimRow.id).where(RemittanceClaimRow.review == "held")
            )
        )
        for rc_id in held:
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(WorkItemRow)
                    .where(WorkItemRow.remittance_claim_id == rc_id, WorkItemRow.status == "open")
                )
                == 1
            )
    receivable = sum((c.outstanding for c, _state in open_claims(db)), Decimal("0.00"))
    assert (
        receivable
        == sum((b.outstanding for b in books.values() if b.outstanding > 0), Decimal("0.00"))
        or receivable <= practice_ledger(db).outstanding
    )


def _step(db: Database, scenario: Path, step: dict[str, Any]) -> None:
    """One event of a scenario, as the gateway meets it: claims imported (as sent, or
    ``"state": "ready"`` for never sent), an 835 posted, a denial written off by a person,
    an ERA policy set (``payer`` or the practice default), a held or awaiting payment
    approved (and the secondary claim that built), or a stored claim's 837D built (its
    ``segments`` must appear in that order, from the first one on)."""
    if "import" in step:
        import_claims(
            db,
            load_claim_file(scenario / step["import"]),
            now=datetime.fromisoformat(step.get("at", "2026-10-10T00:00")),
            state=step.get("state", "submitted"),
        )
    elif "timely_filing_days" in step:
        set_timely_filing(
            db,
            "DDPIL",
            step["timely_filing_days"],
            practice_id=payer_practice(db, None),
            now=NOW,
        )
    elif "write_off" in step:
        write_off(db, step["write_off"], now=NOW, actor="coordinator")
    elif "era_policy" in step:
        set_policy(
            db,
            step["era_policy"],
            practice_id=payer_practice(db, None) or 0,
            payer_id=step.get("payer"),
            now=NOW,
        )
    elif "approve" in step:
        (payment,) = [p for p in pending(db) if p.claim == step["approve"]]
        decided = approve(db, payment.id, now=NOW, actor="coordinator")
        assert decided.secondary_claim == step.get("secondary_claim"), decided
    elif "ack" in step:
        data = (scenario / step["ack"]).read_bytes()
        stored = store_inbound(db, clearinghouse="simulator", name=step["ack"], data=data, now=NOW)
        assert stored.inbound_id is not None, stored
        routed = route(db, stored.inbound_id, codes=CODES, now=NOW)
        assert [routed.status, routed.message] == [step["status"], step["message"]], routed
    elif "claims_status" in step:
        _ask_payer(db, step)
    elif "build_837d" in step:
        with db.transaction() as session:
            row = session.scalars(
                select(ClaimRow).where(
                    ClaimRow.patient_control_number == step["build_837d"],
                    ClaimRow.superseded_by_id.is_(None),
                )
            ).one()
            claim = open_document(session, row)
        built = build_837d(
            ClaimBatch(claims=[claim]),
            settings=Settings(),
            control_numbers=MemoryControlNumbers(),
            clock=lambda: NOW,
        )
        segments = [s.strip() for s in built.split("~") if s.strip()]
        built_part = segments[segments.index(step["segments"][0]) :]
        assert built_part[: len(step["segments"])] == step["segments"], built_part
    else:
        result = _post(db, scenario / step["file"])
        for key in ("status", "posted_total"):
            assert result[key] == step[key], (step["file"], result)
        assert [[w["claim"], w["reason"], w["codes"]] for w in result["work_items"]] == step[
            "work_items"
        ], result["work_items"]
    for pcn, then in step.get("then", {}).items():
        document = show_claim(db, pcn).document()
        assert document["state"] == then["state"], (pcn, document["state"])
        assert document["ledger"]["outstanding"] == then["outstanding"], document["ledger"]
    _check_invariants(db)


class _Payer277:
    """The payer's real-time 277 as the simulator writes it, from what the scenario says
    the payer knows of each claim (``payer_says``: STC01 category and status, paid)."""

    def __init__(self, says: dict[str, dict[str, str]], today: date) -> None:
        self.known = {
            pcn: PayerClaim(
                category=said["category"],
                status=said["status"],
                status_date=today,
                paid_amount=Decimal(said["paid"]) if "paid" in said else None,
                adjudication_date=today if "paid" in said else None,
            )
            for pcn, said in says.items()
        }

    def claim_status(self, text: str, *, sender_id: str, receiver_id: str) -> str:
        del sender_id, receiver_id
        return answer_276(text, self.known.get)


def _ask_payer(db: Database, step: dict[str, Any]) -> None:
    """``edigateway claims status`` at ``at``: a 276 about every claim waiting longer than
    ``after_days`` (the use case the command runs), answered as ``payer_says``."""
    at = datetime.fromisoformat(step["at"])
    settings = Settings(mappings_dir=REPO / "mappings")
    results = inquire_stale(
        db,
        client=cast("CoreHttpClient", _Payer277(step["payer_says"], at.date())),
        profile=load_profile(settings.resolved_mappings_dir, "simulator"),
        settings=settings,
        control_numbers=MemoryControlNumbers(),
        clock=lambda: at,
        after_days=step["claims_status"],
    )
    assert [[r.patient_control_number, r.outcome] for r in results] == step["asked"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_defect_scenario(database: Database, scenario: Path, request: pytest.FixtureRequest):
    """A scenario either lists ``steps`` (its own claims files) or ``files`` posted over
    the shared fixtures/era-money/claims.json imported as sent. A scenario whose fix has
    not landed says so in ``xfail`` (strict: it must fail until the fix lands)."""
    expected = json.loads((scenario / "expected.json").read_text())
    if "xfail" in expected:
        request.applymarker(pytest.mark.xfail(strict=True, reason=expected["xfail"]))
    steps = expected.get("steps") or [
        {"import": "../claims.json"},
        *expected["files"],
    ]
    for step in steps:
        _step(database, scenario, step)
    for pcn, claim in expected["claims"].items():
        view = show_claim(database, pcn)
        document = view.document()
        assert document["state"] == claim["state"]
        assert document["ledger"] == claim["ledger"]
        assert list(document["ledger"]) == list(LEDGER_KEYS)
        assert len(document["held_payments"]) == claim["held"]
        if "submitted_on" in claim:
            assert document["submitted_on"] == claim["submitted_on"]
        assert document["sent"] == claim.get("sent", True), pcn
        if "open_work_items" in claim:
            assert [[w["reason"], w["message"]] for w in document["work_items"]] == claim[
                "open_work_items"
            ]
        estimate = [
            [
                e["line_number"],
                e["procedure_code"],
                e["charge"],
                e["allowed"],
                e["insurance"],
                e["patient"],
                e["predetermination_number"],
            ]
            for e in document["estimate"]
        ]
        assert estimate == claim.get("estimate", [])
    for today, alerts in expected.get("timely_filing", {}).items():
        report = aging_report(database, today=date.fromisoformat(today))
        assert [[a.claim, a.expired] for a in report.timely_filing] == alerts, today
    if "receivables" in expected:
        owed = {c.patient_control_number: str(c.outstanding) for c, _state in open_claims(database)}
        assert owed == expected["receivables"]


@pytest.mark.parametrize("scenario", ERA_SCENARIOS, ids=[p.name for p in ERA_SCENARIOS])
def test_every_era_scenario_keeps_the_ledger(database: Database, scenario: Path):
    import_claims(database, load_claim_file(ERA / "claims.json"), now=datetime(2026, 10, 10))
    for want in json.loads((scenario / "expected.json").read_text())["files"]:
        _post(database, scenario / want["file"])
        _check_invariants(database)
    for pcn, claim in json.loads((scenario / "expected.json").read_text())["claims"].items():
        if "ledger" in claim:
            assert show_claim(database, pcn).document()["ledger"] == claim["ledger"]


def test_a_denial_stays_in_ar_once_not_twice(database: Database):
    """The denial's 1250.00 is outstanding (A/R), not a write-off as well."""
    import_claims(database, load_claim_file(ERA / "claims.json"), now=datetime(2026, 10, 10))
    _post(database, ERA / "03_denial" / "era.835")
    ledger = show_claim(database, "ERA103").ledger
    assert (ledger.contractual, ledger.outstanding) == (Decimal("0.00"), Decimal("1250.00"))
    owed = {c.patient_control_number: c.outstanding for c, _state in open_claims(database)}
    assert owed["ERA103"] == Decimal("1250.00")


def test_reversal_and_correction_net_out(database: Database):
    import_claims(database, load_claim_file(ERA / "claims.json"), now=datetime(2026, 10, 10))
    folder = ERA / "04_reversal_and_correction"
    _post(database, folder / "1_original_payment.835")
    _post(database, folder / "2_reversal_and_correction.835")
    assert show_claim(database, "ERA104").document()["ledger"] == {
        "billed": "235.00",
        "paid": "200.00",
        "contractual": "35.00",
        "patient_responsibility": "0.00",
        "other_adjustments": "0.00",
        "outstanding": "0.00",
    }


@pytest.mark.slow  # 3.5 s set-up (the demo) at load ~2 (inner loop < 60 s)
def test_demo_ledger_reconciles(built_demo: BuiltDemo):
    ledger = built_demo.summary["ledger"]
    assert list(ledger) == list(LEDGER_KEYS)
    amounts = {k: Decimal(v) for k, v in ledger.items()}
    assert amounts["billed"] == sum((amounts[k] for k in LEDGER_KEYS[1:]), Decimal("0.00"))
    assert Decimal(built_demo.summary["aging"]["total"]["total"]) <= amounts["outstanding"]
