"""Remittance rows: an 835's payments, claim and line payments, adjustments, postings and
PLB entries written in bulk and read back as posting reads them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from edigateway.domain.postings import Posting, PostingKind
from edigateway.domain.remittances import (
    Adjustment,
    ClaimPayment,
    Party,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from edigateway.persistence import remittance_rows as rows
from edigateway.persistence.database import Database
from edigateway.persistence.tables import (
    PostingRow,
    ProviderAdjustmentRow,
    RemittanceAdjustmentRow,
    RemittanceLineRow,
)
from tests.factories import NOW
from tests.unit.persistence.conftest import AddClaim

D = Decimal


def _remittance(trace: str = "TRN1") -> Remittance:
    return Remittance(
        transaction_control_number="0001",
        handling_code="I",
        payment_amount=D("80.00"),
        payment_method="ACH",
        trace_number=trace,
        payer_trace_id="1999999999",
        payer=Party(name="PAYER"),
        payee=Party(name="MAPLE", identifier_qualifier="XX", identifier="1456789019"),
        source_position=4,
    )


def _payment(pcn: str, status: str = "1", number: str | None = "PCN-A") -> ClaimPayment:
    return ClaimPayment(
        patient_control_number=pcn,
        status=status,
        charge=D("100.00"),
        paid=D("80.00"),
        payer_claim_control_number=number,
        source_position=10,
        adjustments=[Adjustment(group="OA", reason="23", amount=D("0.00"))],
        services=[
            ServicePayment(
                procedure_code="D1110",
                charge=D("60.00"),
                paid=D("50.00"),
                remark_codes=["N1", "M2"],
                source_position=12,
                adjustments=[
                    Adjustment(group="CO", reason="45", amount=D("10.00"), quantity=D("1.5"))
                ],
            ),
            ServicePayment(
                procedure_code="D0120", charge=D("40.00"), paid=D("30.00"), source_position=15
            ),
        ],
    )


def test_a_payment_is_written_whole_and_found_again(database: Database, add_claim: AddClaim):
    with database.transaction() as session:
        claim_id = add_claim(session, "PC1")
        file_id = rows.insert_file(
            session, name="x" * 300, sha256="a" * 64, size=10, received_at=NOW, status="posted"
        )
        found = rows.find_file(session, "a" * 64)
        assert found is not None
        assert found.name == "x" * rows.NAME_WIDTH
        assert rows.find_file(session, "b" * 64) is None
        remittance_id = rows.insert_remittance(
            session,
            file_id=file_id,
            sender_id="PAYER",
            interchange_control_number="000000101",
            remittance=_remittance(),
        )
        ids = rows.insert_claim_payments(
            session, remittance_id, [(_payment("PC1"), claim_id), (_payment("UNKNOWN"), None)]
        )
        rows.insert_service_payments(session, [(_payment("PC1"), (1, None), ids[0])])
        rows.insert_postings(
            session,
            remittance_id,
            [
                Posting(
                    kind=PostingKind.PAID,
                    amount=D("50.00"),
                    patient_control_number="PC1",
                    line_number=1,
                    remark_codes=["N1"],
                    source_position=12,
                ),
                Posting(kind=PostingKind.PROVIDER_ADJUSTMENT, amount=D("5.00")),
            ],
            {"PC1": claim_id},
        )
        rows.insert_provider_adjustments(
            session,
            remittance_id,
            [
                ProviderAdjustment(
                    provider_id="1456789019",
                    reason="WO",
                    reference="PCN-A",
                    amount=D("5.00"),
                    fiscal_period_end=date(2026, 12, 31),
                ),
                ProviderAdjustment(provider_id="1456789019", reason="L6", amount=D("-1.00")),
            ],
            {"PCN-A": claim_id},
        )

        lines = list(session.scalars(select(RemittanceLineRow).order_by(RemittanceLineRow.id)))
        assert [
            (line.claim_line_number, line.procedure_code, line.remark_codes) for line in lines
        ] == [(1, "D1110", "N1,M2"), (None, "D0120", "")]
        adjustments = session.execute(
            select(
                RemittanceAdjustmentRow.remittance_line_id,
                RemittanceAdjustmentRow.reason,
                RemittanceAdjustmentRow.quantity,
            ).order_by(RemittanceAdjustmentRow.id)
        ).all()
        assert adjustments == [(None, "23", None), (lines[0].id, "45", "1.5")]
        assert session.execute(
            select(PostingRow.claim_id, PostingRow.kind, PostingRow.amount).order_by(PostingRow.id)
        ).all() == [(claim_id, "paid", D("50.00")), (None, "provider_adjustment", D("5.00"))]
        assert session.execute(
            select(ProviderAdjustmentRow.claim_id, ProviderAdjustmentRow.amount).order_by(
                ProviderAdjustmentRow.id
            )
        ).all() == [(claim_id, D("5.00")), (None, D("-1.00"))]
        assert rows.lines_on_file(session, {claim_id}) == [
            rows.LineOnFile(claim_id, 1, "1", payment_reversed=False)
        ]

        envelope = {
            "sender_id": "PAYER",
            "interchange_control_number": "000000101",
            "transaction_control_number": "0001",
        }
        assert rows.payment_on_file(
            session,
            trace_number="TRN1",
            payer_trace_id="1999999999",
            **{**envelope, "sender_id": "OTHER"},
            other_than_file=file_id,
        )
        assert rows.payment_on_file(
            session,
            trace_number="TRN2",
            payer_trace_id="1999999999",
            **envelope,
            other_than_file=file_id + 1,
        )
        assert not rows.payment_on_file(
            session,
            trace_number="TRN2",
            payer_trace_id="1999999999",
            **envelope,
            other_than_file=file_id,
        )


def test_reversal_links_are_written_and_read_back(database: Database, add_claim: AddClaim):
    with database.transaction() as session:
        claim_id = add_claim(session, "PC1")
        file_id = rows.insert_file(
            session, name="f", sha256="c" * 64, size=1, received_at=NOW, status="posted"
        )
        remittance_id = rows.insert_remittance(
            session,
            file_id=file_id,
            sender_id="PAYER",
            interchange_control_number="1",
            remittance=_remittance(),
        )
        original, reversal, correction = rows.insert_claim_payments(
            session,
            remittance_id,
            [
                (_payment("PC1"), claim_id),
                (_payment("PC1", "22"), claim_id),
                (_payment("PC1"), claim_id),
            ],
        )
        rows.link_payments(
            session, reversed_by={original: reversal}, corrected_by={reversal: correction}
        )
        assert rows.payments_on_file(session, {claim_id}) == [
            rows.PaymentOnFile(original, claim_id, "1", reversal, None),
            rows.PaymentOnFile(reversal, claim_id, "22", None, correction),
            rows.PaymentOnFile(correction, claim_id, "1", None, None),
        ]
        rows.insert_service_payments(session, [(_payment("PC1"), (1, 2), original)])
        assert {
            (line.line_number, line.payment_reversed)
            for line in rows.lines_on_file(session, {claim_id})
        } == {(1, True), (2, True)}


def test_claims_named_by_number_or_payer_number(database: Database, add_claim: AddClaim):
    with database.transaction() as session:
        current = add_claim(session, "PC2", payer_number="NEW")
        add_claim(session, "PC1", payer_number="OLD", superseded_by=current)
        named, _earlier = rows.claims_named(session, {"PC1", "PC2", "NEW", "OLD"})
        assert named == [rows.ClaimNamed("PC2", current, "NEW")]
        file_id = rows.insert_file(
            session, name="f", sha256="d" * 64, size=1, received_at=NOW, status="posted"
        )
        remittance_id = rows.insert_remittance(
            session,
            file_id=file_id,
            sender_id="PAYER",
            interchange_control_number="1",
            remittance=_remittance(),
        )
        rows.insert_claim_payments(
            session, remittance_id, [(_payment("PC2", number="EARLY"), current)]
        )
        assert rows.claims_named(session, {"EARLY"}) == (
            [],
            [rows.ClaimNamed("PC2", current, "EARLY")],
        )
