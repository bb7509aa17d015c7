"""Money invariants under random claim lives (issue 15's first done-when).

A Hypothesis state machine drives random sequences of what happens to claims — submit,
999 and 277CA accept/reject, 835 payments (full, partial, denial), the same payment sent
again under a new check, reversal + correction, split claims (> 50 lines) answered per
part, the secondary payer's payment, write-off, void, replacement (paid with or without
the original reversed), predetermination answers (priced CLP02 = 25, or money on it) —
through the real code: claims are stored and queued by the submission service and
uploaded by the outbox to an in-memory clearinghouse; every answer is X12 written by our
writers, put in the clearinghouse's outbound folder and brought in by the poller, which
routes acknowledgments and posts 835s as it does in production.

After every step it checks, from the rows themselves:

* each claim's ledger identity (billed = paid + contractual + patient + other +
  outstanding) with each column summed here from the posted rows, and 0 ≤ paid,
  0 ≤ outstanding ≤ billed;
* Σ insurance paid ≤ billed per service (every payer's claim of the treatment: primary,
  secondary, replaced originals) and per claim;
* no money on predeterminations;
* A/R (the aging report's total) = Σ outstanding of the sent claims that owe;
* every held payment has exactly one open work item.

Each example starts from an empty, migrated database: a copy of a template file on
SQLite; on PostgreSQL the test's schema with every table truncated.
"""

from __future__ import annotations

import itertools
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from edigateway.codelists import CodeLists
from edigateway.domain.acknowledgments import (
    AckParty,
    ClaimAck,
    ClaimAckFile,
    FunctionalAck,
    TransactionAck,
)
from edigateway.domain.claim_lifecycle import LEDGER_COLUMN, counts_in_receivables
from edigateway.domain.claims import ClaimBatch, OtherPayer
from edigateway.domain.remittances import (
    Adjustment,
    ClaimPayment,
    Party,
    PartyAddress,
    Remittance,
    ServicePayment,
)
from edigateway.errors import ConflictError
from edigateway.persistence.database import Database
from edigateway.persistence.tables import (
    ClaimLineRow,
    ClaimRow,
    PostingRow,
    RemittanceClaimRow,
    WorkItemRow,
)
from edigateway.reconcile.secondary import SECONDARY_SUFFIX
from edigateway.services import era_review
from edigateway.services.claim_store import import_claims
from edigateway.services.claims import load_claim_file
from edigateway.services.control_numbers import DatabaseControlNumbers
from edigateway.services.followup import aging_report
from edigateway.services.inbound import poll_inbound
from edigateway.services.ledger import ledgers
from edigateway.services.outbox import drain_outbox
from edigateway.services.submissions import Queued, queue_837d, queue_stored
from edigateway.transports.memory import MemoryTransport
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x277ca_005010X214 import write_277ca
from edigateway.x12.x835_005010X221A1 import write_835
from edigateway.x12.x999_005010X231A1 import write_999
from tests.factories import REPO, SuiteEnvironment, second_plan, settings_for

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.domain.claims import Claim

pytestmark = pytest.mark.slow

CODES = CodeLists.load(REPO / "mappings")
BASE = load_claim_file(REPO / "fixtures" / "era-money" / "claims.json").claims[0]
START = datetime(2026, 10, 10, 9, 0)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
PROCEDURES = ("D0120", "D1110", "D0274", "D0150", "D1206", "D0210", "D0330")
PAYEE = Party(name="MAPLE STREET DENTAL", identifier_qualifier="XX", identifier="1456789019")
PAYER_ADDRESS = PartyAddress(line1="PO BOX 5500", city="CHICAGO", state="IL", postal_code="60680")


# --------------------------------------------------------------------------- databases


@dataclass
class Databases:
    """Hands out an empty migrated database per example."""

    backend: str
    folder: Path
    template: Path | None = None
    url: str | None = None
    schema: str | None = None
    count: itertools.count[int] = field(default_factory=itertools.count)

    def fresh(self) -> Database:
        if self.backend == "sqlite":
            assert self.template is not None
            path = self.folder / f"example{next(self.count)}.sqlite3"
            shutil.copyfile(self.template, path)
            return Database.connect(f"sqlite:///{path}")
        assert self.url is not None
        db = Database.connect(self.url, schema=self.schema)
        with db.engine.begin() as connection:
            tables = [
                t
                for t in sa.inspect(connection).get_table_names(schema=self.schema)
                if t != "alembic_version"
            ]
            names = ", ".join(f'"{self.schema}"."{t}"' for t in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return db


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    folder = tmp_path_factory.mktemp("money-properties")
    if request.param == "sqlite":
        template = folder / "template.sqlite3"
        db = Database.connect(f"sqlite:///{template}")
        db.upgrade()
        db.dispose()
        yield Databases("sqlite", folder, template=template)
        return
    url = SuiteEnvironment().database_url
    if url is None:
        pytest.skip("EDIGATEWAY_TEST_DATABASE_URL is not set")
    import uuid

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db = Database.connect(url, schema=schema)
    try:
        db.upgrade()
        db.dispose()
        yield Databases("postgresql", folder, url=url, schema=schema)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --------------------------------------------------------------------------- claims


def _claim(pcn: str, charges: list[Decimal], *, kind: str, secondary: bool) -> Claim:
    lines = [
        BASE.lines[0].model_copy(
            update={
                "procedure_code": PROCEDURES[n % len(PROCEDURES)],
                "charge": charge,
                "service_date": None if kind == "predetermination" else date(2026, 10, 5),
                "line_control_number": f"{pcn}L{n + 1}",
            }
        )
        for n, charge in enumerate(charges)
    ]
    others = []
    if secondary:
        others = [OtherPayer.model_validate(second_plan(BASE.subscriber.name.model_dump()))]
    return BASE.model_copy(
        update={
            "patient_control_number": pcn,
            "kind": kind,
            "lines": lines,
            "total_charge": sum(charges, ZERO),
            "service_date": None,
            "other_payers": others,
        }
    )


CHARGE = st.sampled_from([Decimal(v) for v in ("65.00", "110.00", "35.50", "260.00", "18.25")])


@st.composite
def claim_plans(draw: st.DrawFn) -> list[tuple[str, list[Decimal], bool]]:
    """(kind, line charges, has a secondary payer) for 2–4 claims; now and then one
    with more than 50 lines, which the 837D writer splits into parts."""
    plans = []
    for _ in range(draw(st.integers(2, 4))):
        kind = draw(st.sampled_from(["claim", "claim", "claim", "predetermination"]))
        if kind == "claim" and draw(st.integers(0, 5)) == 0:
            charges = [Decimal("20.00")] * draw(st.integers(51, 53))
        else:
            charges = draw(st.lists(CHARGE, min_size=1, max_size=3))
        plans.append((kind, charges, kind == "claim" and draw(st.booleans())))
    return plans


# --------------------------------------------------------------------------- answers


@dataclass
class Sent:
    """A claim payment we sent as the payer, and whether a reversal took it back."""

    payment: ClaimPayment
    reversed: bool = False


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_DOWN)


def _reversal(payment: ClaimPayment) -> ClaimPayment:
    """CLP02 = 22: every amount of ``payment`` negated."""

    def neg(adjustments: list[Adjustment]) -> list[Adjustment]:
        return [a.model_copy(update={"amount": -a.amount}) for a in adjustments]

    return payment.model_copy(
        update={
            "status": "22",
            "charge": -payment.charge,
            "paid": -payment.paid,
            "patient_responsibility": (
                -payment.patient_responsibility
                if payment.patient_responsibility is not None
                else None
            ),
            "adjustments": neg(payment.adjustments),
            "services": [
                s.model_copy(
                    update={
                        "charge": -s.charge,
                        "paid": -s.paid,
                        "adjustments": neg(s.adjustments),
                    }
                )
                for s in payment.services
            ],
        }
    )


class MoneyMachine(RuleBasedStateMachine):
    """Random claim lives through the real exchange and posting code."""

    databases: Databases

    def __init__(self) -> None:
        super().__init__()
        self.db = self.databases.fresh()
        self.settings = settings_for(self.databases.folder / "data")
        self.numbers = DatabaseControlNumbers(lambda: self.db)
        self.transport = MemoryTransport()
        self.now = START
        self.replies = itertools.count(700)
        self.queued: dict[str, Queued] = {}
        self.sent: dict[str, list[Sent]] = defaultdict(list)
        self.claims: dict[str, Claim] = {}
        self.payer_numbers: dict[str, str] = {}

    def teardown(self) -> None:
        self.db.dispose()

    # -- helpers
    def _tick(self) -> datetime:
        self.now += timedelta(hours=1)
        return self.now

    def _params(self) -> InterchangeParams:
        number = next(self.replies)
        return InterchangeParams(
            "ZZ",
            "EDGSIM",
            "ZZ",
            "EDIGATEWAY",
            "EDGSIM",
            "EDIGATEWAY",
            number,
            number,
            1,
            self.now,
        )

    def _deliver(self, suffix: str, data: bytes) -> None:
        """Put an answer in the clearinghouse's folder and poll: it is applied (an
        acknowledgment for a claim already answered is set aside as unmatched)."""
        name = f"EDGSIM_{next(self.replies):09d}.{suffix}"
        self.transport.put_inbound(name, data)
        results = poll_inbound(
            self.db, self.transport, clearinghouse="sim", codes=CODES, now=self._tick()
        )
        for result in results:
            event(f"{result.kind} {result.status}")
            assert result.status in ("processed", "duplicate", "unmatched"), (name, result)

    def _rows(self, *, state: set[str] | None = None) -> list[tuple[int, str, str, str]]:
        """(id, PCN, kind, state) of the current (not superseded) claims."""
        with self.db.transaction() as session:
            query = (
                select(ClaimRow.id, ClaimRow.patient_control_number, ClaimRow.kind, ClaimRow.state)
                .where(ClaimRow.superseded_by_id.is_(None))
                .order_by(ClaimRow.id)
            )
            found = [tuple(r) for r in session.execute(query)]
        return [r for r in found if state is None or r[3] in state]  # type: ignore[misc]

    def _claim_of(self, pcn: str) -> Claim:
        if pcn not in self.claims:
            from edigateway.services.claim_store import load_claims

            with self.db.transaction() as session:
                self.claims[pcn] = load_claims(session, {pcn})[pcn][1]
        return self.claims[pcn]

    def _parts(self, claim: Claim) -> list[tuple[str, Claim]]:
        """The claims as the payer sees them: a split claim's parts ``<pcn>-<n>``."""
        from edigateway.domain.claims import MAX_LINES_PER_CLAIM
        from edigateway.domain.claims_split import split_claim

        if len(claim.lines) <= MAX_LINES_PER_CLAIM:
            return [(claim.patient_control_number, claim)]
        return [(p.patient_control_number, p) for p in split_claim(claim, MAX_LINES_PER_CLAIM)]

    def _send_835(self, payments: list[ClaimPayment], payer_id: str = "DDPIL") -> None:
        total = sum((p.paid for p in payments), ZERO)
        trace = f"TRN{next(self.replies)}"
        remittance = Remittance(
            transaction_control_number="0001",
            handling_code="I" if total > ZERO else "H",
            payment_amount=abs(total),
            credit_debit="C" if total >= ZERO else "D",
            payment_method="ACH" if total > ZERO else "NON",
            payment_date=self.now.date(),
            trace_number=trace,
            payer_trace_id="1999999999",
            payer=Party(name="PRAIRIE DENTAL PLAN", address=PAYER_ADDRESS),
            payer_id=payer_id,
            payee=PAYEE,
            claims=payments,
        )
        self._deliver("835", write_835([remittance], self._params()).encode())

    def _payment(
        self,
        pcn: str,
        claim: Claim,
        *,
        status: str,
        fractions: list[tuple[int, int]],
        over: bool = False,
    ) -> ClaimPayment:
        """A claim payment for ``claim`` as sent under ``pcn`` (a part's number): per line
        the payer allows a share of the charge and pays a share of that (both from
        ``fractions``, in percent); the rest is contractual (CO-45; OA-23 for a secondary)
        and the patient's (PR-2). A denial (CLP02 = 4) pays nothing: CO-50 per line.
        ``over`` pays the whole charge whatever was paid before (a payer paying twice)."""
        services = []
        secondary = status == "2"
        for n, line in enumerate(claim.lines):
            allow_pct, pay_pct = fractions[n % len(fractions)]
            charge = line.charge
            if status == "4":
                paid, adjustments = ZERO, [Adjustment(group="CO", reason="50", amount=charge)]
            else:
                allowed = charge if over else _money(charge * allow_pct / 100)
                paid = (
                    allowed
                    if over or (status == "1" and pay_pct >= 100)
                    else _money(allowed * pay_pct / 100)
                )
                adjustments = []
                if charge - allowed:
                    group = "OA" if secondary else "CO"
                    adjustments.append(
                        Adjustment(
                            group=group, reason="23" if secondary else "45", amount=charge - allowed
                        )
                    )
                if allowed - paid:
                    adjustments.append(Adjustment(group="PR", reason="2", amount=allowed - paid))
            services.append(
                ServicePayment(
                    procedure_code=line.procedure_code,
                    charge=charge,
                    paid=paid,
                    line_control_number=line.line_control_number,
                    service_date=line.service_date,
                    adjustments=adjustments,
                )
            )
        patient = sum((a.amount for s in services for a in s.adjustments if a.group == "PR"), ZERO)
        number = self.payer_numbers.setdefault(
            pcn.split("-", maxsplit=1)[0] + ("S" if secondary else ""),
            f"PAY{len(self.payer_numbers) + 1}",
        )
        return ClaimPayment(
            patient_control_number=pcn,
            status=status,
            charge=sum((s.charge for s in services), ZERO),
            paid=sum((s.paid for s in services), ZERO),
            patient_responsibility=patient,
            filing_indicator="CI",
            payer_claim_control_number=number,
            services=services,
        )

    def _predetermination_answer(self, pcn: str, claim: Claim, pct: int) -> ClaimPayment:
        """CLP02 = 25 as dental payers answer: SVC03 the estimated benefit, CO-45 and PR-2
        per line, claim-level OA-101 = Σ SVC03, so CLP04 = 0."""
        services = []
        for line in claim.lines:
            allowed = _money(line.charge * 80 / 100)
            estimate = _money(allowed * pct / 100)
            adjustments = [Adjustment(group="CO", reason="45", amount=line.charge - allowed)]
            if allowed - estimate:
                adjustments.append(Adjustment(group="PR", reason="2", amount=allowed - estimate))
            services.append(
                ServicePayment(
                    procedure_code=line.procedure_code,
                    charge=line.charge,
                    paid=estimate,
                    allowed_amount=allowed,
                    line_control_number=line.line_control_number,
                    adjustments=adjustments,
                )
            )
        benefit = sum((s.paid for s in services), ZERO)
        return ClaimPayment(
            patient_control_number=pcn,
            status="25",
            charge=claim.total_charge,
            paid=ZERO,
            patient_responsibility=sum(
                (a.amount for s in services for a in s.adjustments if a.group == "PR"), ZERO
            ),
            filing_indicator="CI",
            payer_claim_control_number=f"PD{pcn}",
            adjustments=[Adjustment(group="OA", reason="101", amount=benefit)],
            services=services,
        )

    # -- rules
    @initialize(plans=claim_plans())
    def store_claims(self, plans: list[tuple[str, list[Decimal], bool]]) -> None:
        claims = [
            _claim(f"P{n + 1}", charges, kind=kind, secondary=secondary)
            for n, (kind, charges, secondary) in enumerate(plans)
        ]
        import_claims(self.db, ClaimBatch(claims=claims), now=self._tick(), state="ready")
        self.claims = {c.patient_control_number: c for c in claims}
        for _claim_row in claims:
            self.submit(0)

    @rule(pick=st.integers(0, 99))
    def submit(self, pick: int) -> None:
        """Queue one ready claim in its own 837D and upload it."""
        ready = self._rows(state={"ready"})
        if not ready:
            return
        claim_id, pcn, _kind, _state = ready[pick % len(ready)]
        with self.db.transaction() as session:
            practice_id = session.get_one(ClaimRow, claim_id).practice_id
        self.queued[pcn] = queue_stored(
            self.db,
            [claim_id],
            practice_id=practice_id,
            settings=self.settings,
            clearinghouse="sim",
            numbers=self.numbers,
            now=self._tick(),
        )
        drain_outbox(self.db, self.transport, clearinghouse="sim", now=self._tick())

    @rule(pick=st.integers(0, 99), accept=st.booleans())
    def answer_999(self, pick: int, accept: bool) -> None:
        sent = sorted(self.queued)
        if not sent:
            return
        queued = self.queued[sent[pick % len(sent)]]
        transaction = TransactionAck(
            transaction_set_id="837",
            control_number="0001",
            implementation_guide="005010X224A2",
            status="A" if accept else "R",
            error_codes=[] if accept else ["5"],
        )
        group = FunctionalAck.for_transactions(
            "HC", str(int(queued.interchange_control_number)), "005010X224A2", [transaction]
        )
        self._deliver("999", write_999([group], self._params()).encode())

    @rule(pick=st.integers(0, 99), accept=st.booleans())
    def answer_277ca(self, pick: int, accept: bool) -> None:
        """The payer's 277CA for every part of one sent claim."""
        sent = sorted(self.queued)
        if not sent:
            return
        pcn = sent[pick % len(sent)]
        claim = self._claim_of(pcn)
        acks = [
            ClaimAck(
                patient_control_number=part_pcn,
                category_code="A2" if accept else "A7",
                status_code="20" if accept else "562",
                entity_code="85",
                status_date=self.now.date(),
                amount=part.total_charge,
                payer_claim_control_number=f"ACK{part_pcn}" if accept else None,
                billing_provider_name="MAPLE STREET DENTAL",
                billing_provider_id="1456789019",
                patient_last_name="DOE",
                patient_id="W1",
            )
            for part_pcn, part in self._parts(claim)
        ]
        ack_file = ClaimAckFile(
            reference="277CA1",
            created=self.now,
            information_source=AckParty(
                name="PRAIRIE DENTAL PLAN", id_qualifier="PI", identifier="DDPIL"
            ),
            source_trace="T1",
            received_date=self.now.date(),
            processed_date=self.now.date(),
            receiver=AckParty(name="EDIGATEWAY", identifier="EDIGATEWAY"),
            receiver_trace="0001",
            claims=acks,
        ).with_totals()
        self._deliver("277", write_277ca([ack_file], self._params()).encode())

    @rule(
        pick=st.integers(0, 99),
        mode=st.sampled_from(["full", "partial", "denial", "over"]),
        fractions=st.lists(
            st.tuples(st.integers(50, 100), st.integers(0, 100)), min_size=1, max_size=3
        ),
        part=st.integers(0, 9),
        pct=st.integers(0, 100),
    )
    def pay(
        self, pick: int, mode: str, fractions: list[tuple[int, int]], part: int, pct: int
    ) -> None:
        """The payer's 835 for one sent claim (one part of a split claim): a primary's
        payment, a secondary's (CLP02 = 2), or a predetermination's answer (priced with
        CLP02 = 25, or — ``over`` — money on it)."""
        sent = sorted(self.queued)
        if not sent:
            return
        pcn = sent[pick % len(sent)]
        claim = self._claim_of(pcn)
        parts = self._parts(claim)
        part_pcn, part_claim = parts[part % len(parts)]
        if claim.kind == "predetermination":
            if mode == "over":
                payment = self._payment(part_pcn, part_claim, status="1", fractions=fractions)
            else:
                payment = self._predetermination_answer(part_pcn, part_claim, pct)
        else:
            status = {"denial": "4"}.get(mode, "2" if pcn.endswith(SECONDARY_SUFFIX) else "1")
            payment = self._payment(
                part_pcn,
                part_claim,
                status=status,
                fractions=[(100, 100)] if mode == "full" else fractions,
                over=mode == "over",
            )
        self._send_835([payment])
        self.sent[part_pcn].append(Sent(payment))

    @rule(pick=st.integers(0, 99))
    def pay_again_under_a_new_check(self, pick: int) -> None:
        """A payment already sent, sent again in a new 835 (new ISA13, new TRN)."""
        paid = sorted(p for p, s in self.sent.items() if s)
        if not paid:
            return
        pcn = paid[pick % len(paid)]
        self._send_835([self.sent[pcn][-1].payment])
        self.sent[pcn].append(Sent(self.sent[pcn][-1].payment))

    @rule(
        pick=st.integers(0, 99),
        fractions=st.lists(
            st.tuples(st.integers(50, 100), st.integers(0, 100)), min_size=1, max_size=2
        ),
        correct=st.booleans(),
    )
    def reverse_and_correct(
        self, pick: int, fractions: list[tuple[int, int]], correct: bool
    ) -> None:
        """The payer takes back its last standing payment (CLP02 = 22) and, usually, pays
        the claim again corrected, in the same 835."""
        standing = sorted(
            p
            for p, s in self.sent.items()
            if any(not x.reversed and x.payment.status in ("1", "2", "4") for x in s)
        )
        if not standing:
            return
        pcn = standing[pick % len(standing)]
        last = next(
            x
            for x in reversed(self.sent[pcn])
            if not x.reversed and x.payment.status in ("1", "2", "4")
        )
        last.reversed = True
        payments = [_reversal(last.payment)]
        if correct:
            claim = self._claim_of(
                pcn.split("-")[0] if "-" in pcn and not pcn.endswith(SECONDARY_SUFFIX) else pcn
            )
            part = dict(self._parts(claim)).get(pcn, claim)
            payments.append(
                self._payment(pcn, part, status=last.payment.status, fractions=fractions)
            )
        self._send_835(payments)
        if correct:
            self.sent[pcn].append(Sent(payments[1]))

    @rule(pick=st.integers(0, 99), void=st.booleans(), reverse=st.booleans())
    def replace_or_void(self, pick: int, void: bool, reverse: bool) -> None:
        """A corrected claim (frequency 7) or a void (8) of a paid claim, sent; the payer
        reverses the original's payment (or, ``reverse`` false, forgets to) and pays the
        replacement."""
        candidates = [
            r
            for r in self._rows(state={"paid", "partially_paid", "denied"})
            if r[2] == "claim" and "-" not in r[1]
        ]
        if not candidates:
            return
        _id, pcn, _kind, _state = candidates[pick % len(candidates)]
        original = self._claim_of(pcn)
        if len(original.lines) > 50:
            return
        number = self.payer_numbers.get(pcn)
        if number is None:
            return
        changed = original.model_copy(
            update={
                "frequency": "8" if void else "7",
                "payer_claim_control_number": number,
                "note": f"CORRECTED {next(self.replies)}",
            }
        )
        queued = queue_837d(
            self.db,
            ClaimBatch(claims=[changed]),
            settings=self.settings,
            clearinghouse="sim",
            numbers=self.numbers,
            now=self._tick(),
        )
        drain_outbox(self.db, self.transport, clearinghouse="sim", now=self._tick())
        self.queued[pcn] = queued
        self.claims[pcn] = changed
        payments = []
        standing = [x for x in self.sent[pcn] if not x.reversed]
        if reverse and standing:
            standing[-1].reversed = True
            payments.append(_reversal(standing[-1].payment))
        if not void:
            payments.append(self._payment(pcn, changed, status="1", fractions=[(90, 80)]))
        if payments:
            self._send_835(payments)
            self.sent[pcn] += [Sent(p) for p in payments[1:] if p.status != "22"]

    @rule(pick=st.integers(0, 99), close=st.booleans(), part=st.integers(1, 3))
    def settle_by_hand(self, pick: int, close: bool, part: int) -> None:
        """A coordinator writes off what the payer left (all of it, or a part) or closes
        the claim, moving the rest to the patient."""
        answered = self._rows(state={"paid", "partially_paid", "denied", "reversed"})
        if not answered:
            return
        _id, pcn, kind, _state = answered[pick % len(answered)]
        with self.db.transaction() as session:
            row = session.get_one(ClaimRow, _id)
            outstanding = ledgers(session, [row])[_id].outstanding
        if kind != "claim" or outstanding <= ZERO:
            return
        if close:
            era_review.close(self.db, pcn, now=self._tick(), actor="coordinator")
        else:
            amount = None if part == 1 else _money(outstanding / part) or None
            era_review.write_off(self.db, pcn, now=self._tick(), actor="coordinator", amount=amount)

    @rule(policy=st.sampled_from(["full", "semi", "review"]))
    def set_era_policy(self, policy: str) -> None:
        """The practice changes the primary payer's ERA automation."""
        with self.db.transaction() as session:
            practice_id = session.scalars(select(ClaimRow.practice_id)).first()
        assert practice_id is not None
        era_review.set_policy(
            self.db,
            policy,  # type: ignore[arg-type]
            practice_id=practice_id,
            payer_id="DDPIL",
            now=self._tick(),
        )

    @rule(pick=st.integers(0, 99), approve=st.booleans())
    def decide_a_pending_payment(self, pick: int, approve: bool) -> None:
        """A person approves a payment the ERA policy kept for approval, or dismisses a
        held or awaiting one (a guard-held payment is never approved here: posting it
        anyway is a person's explicit decision to break the rule the guard keeps)."""
        waiting = era_review.pending(self.db)
        if approve:
            waiting = [p for p in waiting if p.review == "awaiting"]
        if not waiting:
            return
        chosen = waiting[pick % len(waiting)]
        if approve:
            try:
                era_review.approve(self.db, chosen.id, now=self._tick(), actor="coordinator")
            except ConflictError:
                event("approval refused: it would settle the claim twice")
        else:
            era_review.dismiss(self.db, chosen.id, now=self._tick(), actor="coordinator")

    # -- invariants
    @invariant()
    def money_holds(self) -> None:
        check_money(self.db, today=self.now.date())


def check_money(db: Database, *, today: date) -> None:
    """The issue's invariants, each column summed here from the posted rows."""
    with db.transaction() as session:
        claims = list(session.scalars(select(ClaimRow)))
        books = ledgers(session, claims)
        columns: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
        paid_by_line: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
        for claim_id, line, kind, amount in session.execute(
            select(
                PostingRow.claim_id, PostingRow.line_number, PostingRow.kind, PostingRow.amount
            ).where(PostingRow.held.is_(False))
        ):
            if claim_id is None:
                continue
            column = LEDGER_COLUMN.get(kind)
            if column is not None:
                columns[claim_id][column] += amount
            if column == "paid":
                paid_by_line[claim_id, line] += amount
        by_id = {c.id: c for c in claims}
        for claim in claims:
            ledger = books[claim.id]
            assert ledger.balances(), (claim.patient_control_number, ledger)
            if claim.kind == "predetermination":
                assert not any(columns[claim.id].values()), (
                    f"money on predetermination {claim.patient_control_number}: "
                    f"{dict(columns[claim.id])}"
                )
                continue
            for name in ("paid", "contractual", "patient_responsibility", "other_adjustments"):
                assert getattr(ledger, name) == columns[claim.id][name], (
                    claim.patient_control_number,
                    name,
                    ledger,
                )
            assert ledger.paid >= ZERO, (claim.patient_control_number, ledger)
            assert ZERO <= ledger.outstanding <= ledger.billed, (
                claim.patient_control_number,
                claim.state,
                ledger,
            )
        # Σ insurance paid ≤ billed, per service and per claim, over every payer's claim
        # of the treatment (a secondary, replaced originals)
        charges = {
            (row.claim_id, row.line_number): row.charge
            for row in session.scalars(select(ClaimLineRow))
        }
        treatment: dict[str, list[ClaimRow]] = defaultdict(list)
        for claim in claims:
            if claim.kind == "claim":
                root = claim.patient_control_number.removesuffix(SECONDARY_SUFFIX)
                treatment[root].append(claim)
        for root, group in treatment.items():
            current = [
                c
                for c in group
                if c.superseded_by_id is None
                and not c.patient_control_number.endswith(SECONDARY_SUFFIX)
            ]
            billed_by = current[-1] if current else group[-1]
            lines = {n for (cid, n) in charges if cid == billed_by.id}
            for n in lines:
                paid = sum((paid_by_line[c.id, n] for c in group), ZERO)
                assert paid <= charges[billed_by.id, n], (root, n, paid)
            total = sum((columns[c.id]["paid"] for c in group), ZERO)
            assert total <= billed_by.total_charge, (root, total)
        # every held payment: exactly one open work item
        for rc_id in session.scalars(
            select(RemittanceClaimRow.id).where(RemittanceClaimRow.review == "held")
        ):
            open_items = session.scalar(
                select(func.count())
                .select_from(WorkItemRow)
                .where(WorkItemRow.remittance_claim_id == rc_id, WorkItemRow.status == "open")
            )
            assert open_items == 1, (rc_id, open_items)
        owed = sum(
            (
                books[c.id].outstanding
                for c in claims
                if c.superseded_by_id is None
                and counts_in_receivables(c.kind, c.state, c.frequency)
                and books[c.id].outstanding > ZERO
            ),
            ZERO,
        )
        del by_id
    report = aging_report(db, today=today)
    assert report.total.total == owed, (report.total, owed)


def test_money_invariants_hold_over_random_claim_lives(databases: Databases) -> None:
    MoneyMachine.databases = databases
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            # PostgreSQL costs ~4x per step (a round trip per statement): fewer examples
            # keep each backend near a minute
            max_examples=50 if databases.backend == "sqlite" else 15,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


# --------------------------------------------------------------------------- found cases

_TWENTY_LINES = [Decimal("20.00")] * 52
_THREE = [Decimal("65.00")] * 3
_ONE = [Decimal("65.00")]

FOUND: dict[
    str, tuple[list[tuple[str, list[Decimal], bool]], list[tuple[str, dict[str, object]]]]
] = {
    # The original's payment was never reversed; a void (8) replaced it, the payer denied
    # the void, a second replacement (7) replaced the void and was paid: the guard looked
    # only at the claim the replacement replaced directly (the void, nothing paid), so the
    # same service was paid 65.00 + 46.80 on 65.00 billed.
    "replaced twice, minimal": (
        [("claim", _ONE, False)],
        [
            ("pay", {"pick": 0, "mode": "full", "fractions": [(100, 100)], "part": 0, "pct": 0}),
            ("replace_or_void", {"pick": 0, "reverse": False, "void": True}),
            ("pay", {"pick": 0, "mode": "denial", "fractions": [(80, 0)], "part": 0, "pct": 0}),
            ("replace_or_void", {"pick": 0, "reverse": False, "void": False}),
        ],
    ),
    # Hypothesis's shrunk sequence at c1dad13 (a void of a denied void paid 28.52 while
    # the original's 65.00 stood: 93.52 on 65.00 billed)
    "voided twice, as shrunk": (
        [("claim", _TWENTY_LINES, False), ("claim", _THREE, True), ("claim", _ONE, False)],
        [
            ("pay", {"fractions": [(50, 55)], "mode": "full", "part": 0, "pct": 50, "pick": 0}),
            ("answer_277ca", {"accept": True, "pick": 3}),
            (
                "pay",
                {
                    "fractions": [(91, 45), (74, 60), (82, 22)],
                    "mode": "full",
                    "part": 4,
                    "pct": 7,
                    "pick": 17,
                },
            ),
            ("answer_277ca", {"accept": False, "pick": 24}),
            (
                "pay",
                {
                    "fractions": [(70, 42), (77, 96), (67, 71)],
                    "mode": "over",
                    "part": 2,
                    "pct": 65,
                    "pick": 56,
                },
            ),
            ("answer_277ca", {"accept": False, "pick": 56}),
            ("replace_or_void", {"pick": 68, "reverse": True, "void": False}),
            ("answer_277ca", {"accept": True, "pick": 98}),
            ("replace_or_void", {"pick": 99, "reverse": False, "void": True}),
            (
                "pay",
                {
                    "fractions": [(70, 44), (83, 88), (99, 70)],
                    "mode": "denial",
                    "part": 9,
                    "pct": 65,
                    "pick": 24,
                },
            ),
            ("answer_277ca", {"accept": False, "pick": 99}),
            ("replace_or_void", {"pick": 68, "reverse": False, "void": False}),
            ("replace_or_void", {"pick": 39, "reverse": True, "void": True}),
            ("pay", {"fractions": [(80, 0)], "mode": "denial", "part": 8, "pct": 90, "pick": 62}),
            ("replace_or_void", {"pick": 57, "reverse": False, "void": True}),
            (
                "pay",
                {
                    "fractions": [(93, 0), (58, 52), (90, 21)],
                    "mode": "denial",
                    "part": 2,
                    "pct": 57,
                    "pick": 21,
                },
            ),
            ("answer_277ca", {"accept": True, "pick": 80}),
            ("answer_277ca", {"accept": True, "pick": 46}),
            (
                "pay",
                {
                    "fractions": [(77, 57), (63, 18)],
                    "mode": "partial",
                    "part": 0,
                    "pct": 69,
                    "pick": 89,
                },
            ),
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(FOUND))
def test_a_claim_replaced_twice_is_not_paid_over_the_original(
    databases: Databases, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sequences the state machine found, replayed step by step with the invariants
    after each: the last payment of P3's treatment is held (replacement_paid, one open
    work item) because the first original's payment still stands."""
    # Hypothesis's event() only counts into its statistics, and refuses outside a test
    monkeypatch.setattr(f"{__name__}.event", lambda _name: None)
    plans, steps = FOUND[case]
    MoneyMachine.databases = databases
    machine = MoneyMachine()
    try:
        machine.store_claims(plans)
        machine.money_holds()
        for name, arguments in steps:
            getattr(machine, name)(**arguments)
            machine.money_holds()
        pcn = "P1" if len(plans) == 1 else "P3"
        with machine.db.transaction() as session:
            last = session.scalars(
                select(RemittanceClaimRow)
                .where(RemittanceClaimRow.patient_control_number == pcn)
                .order_by(RemittanceClaimRow.id.desc())
            ).first()
            assert last is not None
            assert last.review == "held"
            reasons = list(
                session.scalars(
                    select(WorkItemRow.reason).where(
                        WorkItemRow.remittance_claim_id == last.id, WorkItemRow.status == "open"
                    )
                )
            )
        assert reasons == ["replacement_paid"]
    finally:
        machine.teardown()
