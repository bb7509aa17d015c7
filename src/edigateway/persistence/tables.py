"""The tables, as SQLAlchemy 2 declarative classes (rows, not domain objects).

Money is stored as whole cents (:class:`Cents`) so SQLite and PostgreSQL hold exactly the
same value and sums never pass through floating point. Every row that came from an 835
keeps ``source_position``, the segment position (ISA = 1) it was read from.

Claims keep the document *as submitted* (JSON) beside the few columns we search and sort
on; replacing (7) or voiding (8) a claim adds a row and marks the earlier one, so history is
never rewritten.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


class Cents(TypeDecorator[Decimal]):
    """A ``Decimal`` amount stored as an integer number of cents."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        """Decimal → cents; refuses amounts with fractions of a cent."""
        if value is None:
            return None
        cents = value / CENT
        if cents != cents.to_integral_value():
            msg = f"{value} has fractions of a cent"
            raise ValueError(msg)
        return int(cents)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        """Cents → Decimal with two places."""
        return None if value is None else (Decimal(value) * CENT).quantize(CENT)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with constraint names the migrations can refer to."""

    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """The Core table of a row class. Bulk inserts go through Core (executemany, batched
    RETURNING), several times faster than the ORM's per-row bookkeeping."""
    table = model.__table__
    assert isinstance(table, Table)  # noqa: S101 - declarative classes map tables
    return table


class Practice(Base):
    """A dental practice (billing provider): the tenant that owns claims and payments."""

    __tablename__ = "practices"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    npi: Mapped[str] = mapped_column(String(10), unique=True)
    tin: Mapped[str | None] = mapped_column(String(9))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    era_policy: Mapped[str] = mapped_column(String(6), default="full")
    """How the practice's ERAs are posted unless a payer says otherwise (migration 0011):
    ``full``, ``semi`` or ``review`` (:mod:`edigateway.domain.era_policy`)."""


class Payer(Base):
    """An insurance payer as one practice knows it: the name it sends, other names it has
    sent (``aliases``, a JSON list, shown read-only) and its contract's timely-filing limit.

    One row per (practice, payer ID) — never shared — because the name is text a practice
    typed, and a limit is part of that practice's contract (migration 0008).
    """

    __tablename__ = "payers"
    __table_args__ = (UniqueConstraint("practice_id", "payer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    payer_id: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(60))
    aliases: Mapped[str] = mapped_column(Text, default="[]")
    timely_filing_days: Mapped[int] = mapped_column(Integer, default=365)
    era_policy: Mapped[str | None] = mapped_column(String(6))
    """This payer's ERA automation (``full``/``semi``/``review``); ``None``: the
    practice's default (migration 0011)."""
    secondary_filing_days: Mapped[int | None] = mapped_column(Integer)
    """The payer's own window for a secondary claim (migration 0021): such a claim must be
    received within this many days of the primary payer's payment (``claims.
    primary_paid_on``), or within ``timely_filing_days`` of the date of service, whichever
    ends later — many dental plans give a secondary claim that window because it cannot be
    sent before the primary's EOB. ``None``: a secondary claim has the date-of-service
    limit only, like any other claim."""


class ClaimRow(Base):
    """A claim as submitted; ``state`` is where it is in its lifecycle."""

    __tablename__ = "claims"
    __table_args__ = (
        Index("ix_claims_pcn", "patient_control_number", "practice_id"),
        Index("ix_claims_member_kind", "member_index", "kind"),
        Index(
            "ix_claims_superseded_by_id",
            "superseded_by_id",
            sqlite_where=text("superseded_by_id IS NOT NULL"),
            postgresql_where=text("superseded_by_id IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id"))
    patient_control_number: Mapped[str] = mapped_column(String(38))
    kind: Mapped[str] = mapped_column(String(20))
    frequency: Mapped[str] = mapped_column(String(1))
    payer_claim_control_number: Mapped[str | None] = mapped_column(String(50), index=True)
    total_charge: Mapped[Decimal] = mapped_column(Cents)
    first_service_date: Mapped[date | None] = mapped_column(Date)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    """The day the claim was sent (uploaded), set by the move to ``submitted``; ``None``
    until then (migration 0011: it used to be the day it was stored)."""
    state: Mapped[str] = mapped_column(String(24))
    state_changed_at: Mapped[datetime] = mapped_column(DateTime)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    """Indexed by migration 0017: posting asks, for every batch of an 835, which claims
    the paid ones replaced (without the index each ask read the whole table); only the
    superseded claims since 0019, so that SQLite never takes it for ``IS NULL`` (nearly
    every claim) instead of ``ix_claims_pcn`` when it looks up current claims by number."""
    document_sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    member_index: Mapped[str | None] = mapped_column(String(64))
    """Indexed with ``kind`` (migration 0020): storing a claim looks up the member's
    predeterminations, and a member's other claims must not be read to find them."""
    created_at: Mapped[datetime] = mapped_column(DateTime)
    other_payer_roles: Mapped[str | None] = mapped_column(String(20))
    """The responsibility codes (SBR01: ``S`` secondary, ``T`` tertiary …) of the claim's
    other plans, in order, ``""`` for none (migration 0017): with ``claim_lines`` the
    non-PHI projection an 835 is matched against, so posting need not open the document.
    ``None`` when migration 0017 could not read the document (no PHI keys): posting opens
    it then."""
    primary_paid_on: Mapped[date | None] = mapped_column(Date)
    """For a secondary claim (SBR01 ``S``): the day the primary payer paid it, the
    adjudication date (2330B DTP*573) of its other payer with responsibility ``P``, which
    the payer's ``secondary_filing_days`` count from (migration 0021). Not PHI: a date,
    kept beside the document so timely filing reads columns only. ``None`` for any other
    claim, and for a secondary claim stored before 0021 that the migration could not tie to
    the primary's posted payment from columns alone: its limit counts from the date of
    service as before."""


class ClaimLineRow(Base):
    """A service line as submitted (for matching and reports without reading the JSON)."""

    __tablename__ = "claim_lines"
    __table_args__ = (UniqueConstraint("claim_id", "line_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    line_number: Mapped[int] = mapped_column(Integer)
    procedure_code: Mapped[str] = mapped_column(String(5))
    charge: Mapped[Decimal] = mapped_column(Cents)
    service_date: Mapped[date | None] = mapped_column(Date)
    line_control_number: Mapped[str | None] = mapped_column(String(50))
    teeth: Mapped[str | None] = mapped_column(String(100))


class ClaimStateRow(Base):
    """One step of a claim's history: from which state to which, when and why."""

    __tablename__ = "claim_states"
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    previous_state: Mapped[str | None] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(24))
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text)
    remittance_claim_id: Mapped[int | None] = mapped_column(ForeignKey("remittance_claims.id"))


class RemittanceFileRow(Base):
    """An 835 file as received: posted, or quarantined with the exact problem."""

    __tablename__ = "remittance_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12))
    problem: Mapped[str | None] = mapped_column(Text)
    problem_position: Mapped[int | None] = mapped_column(Integer)


class RemittanceRow(Base):
    """One payment (835 transaction): check/EFT, trace number, payer and payee."""

    __tablename__ = "remittances"
    __table_args__ = (UniqueConstraint("trace_number", "payer_trace_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("remittance_files.id"), index=True)
    sender_id: Mapped[str] = mapped_column(String(15))
    interchange_control_number: Mapped[str] = mapped_column(String(9))
    transaction_control_number: Mapped[str] = mapped_column(String(9))
    trace_number: Mapped[str] = mapped_column(String(50))
    payer_trace_id: Mapped[str] = mapped_column(String(50))
    payer_id: Mapped[str | None] = mapped_column(String(80))
    payer_name: Mapped[str] = mapped_column(String(60))
    payee_name: Mapped[str] = mapped_column(String(60))
    payee_id: Mapped[str | None] = mapped_column(String(80))
    handling_code: Mapped[str] = mapped_column(String(2))
    payment_amount: Mapped[Decimal] = mapped_column(Cents)
    credit_debit: Mapped[str] = mapped_column(String(1))
    payment_method: Mapped[str] = mapped_column(String(3))
    payment_date: Mapped[date | None] = mapped_column(Date)
    source_position: Mapped[int | None] = mapped_column(Integer)


class RemittanceClaimRow(Base):
    """One CLP loop; ``claim_id`` is ours when it matched."""

    __tablename__ = "remittance_claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittances.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    patient_control_number: Mapped[str] = mapped_column(String(38))
    status: Mapped[str] = mapped_column(String(2))
    charge: Mapped[Decimal] = mapped_column(Cents)
    paid: Mapped[Decimal] = mapped_column(Cents)
    patient_responsibility: Mapped[Decimal | None] = mapped_column(Cents)
    payer_claim_control_number: Mapped[str | None] = mapped_column(String(50))
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("remittance_claims.id"))
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("remittance_claims.id"))
    source_position: Mapped[int | None] = mapped_column(Integer)
    review: Mapped[str | None] = mapped_column(String(10))
    """``None``: posted. ``held``: a guard stopped it (its postings are written with
    ``held`` and count nowhere until a person approves); ``awaiting``: the payer's ERA
    policy wants a person to approve it; ``dismissed``: a person decided it is not to be
    posted (a true duplicate) — migration 0011."""
    review_reason: Mapped[str | None] = mapped_column(Text)
    planned_state: Mapped[str | None] = mapped_column(String(24))
    """The state the claim moves to when a held or awaiting payment is approved."""


class RemittanceLineRow(Base):
    """One SVC loop; ``claim_line_number`` is our line when it matched."""

    __tablename__ = "remittance_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_claim_id: Mapped[int] = mapped_column(ForeignKey("remittance_claims.id"), index=True)
    claim_line_number: Mapped[int | None] = mapped_column(Integer)
    procedure_code: Mapped[str] = mapped_column(String(48))
    charge: Mapped[Decimal] = mapped_column(Cents)
    paid: Mapped[Decimal] = mapped_column(Cents)
    line_control_number: Mapped[str | None] = mapped_column(String(50))
    service_date: Mapped[date | None] = mapped_column(Date)
    remark_codes: Mapped[str] = mapped_column(String(200), default="")
    source_position: Mapped[int | None] = mapped_column(Integer)


class RemittanceAdjustmentRow(Base):
    """One CAS triplet, at claim level (``remittance_line_id`` empty) or line level."""

    __tablename__ = "remittance_adjustments"
    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_claim_id: Mapped[int] = mapped_column(ForeignKey("remittance_claims.id"), index=True)
    remittance_line_id: Mapped[int | None] = mapped_column(ForeignKey("remittance_lines.id"))
    group_code: Mapped[str] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(String(5))
    amount: Mapped[Decimal] = mapped_column(Cents)
    quantity: Mapped[str | None] = mapped_column(String(15))
    source_position: Mapped[int | None] = mapped_column(Integer)


class ProviderAdjustmentRow(Base):
    """One PLB entry: the provider ledger, linked to a claim when its reference names one."""

    __tablename__ = "provider_adjustments"
    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittances.id"), index=True)
    provider_id: Mapped[str] = mapped_column(String(50))
    fiscal_period_end: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(2))
    reference: Mapped[str | None] = mapped_column(String(50))
    amount: Mapped[Decimal] = mapped_column(Cents)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    source_position: Mapped[int | None] = mapped_column(Integer)


class PostingRow(Base):
    """One amount posted, with its kind, codes and source segment."""

    __tablename__ = "postings"
    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_id: Mapped[int | None] = mapped_column(ForeignKey("remittances.id"), index=True)
    """The payment it came from; ``None`` for a person's write-off or transfer."""
    remittance_claim_id: Mapped[int | None] = mapped_column(
        ForeignKey("remittance_claims.id"), index=True
    )
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    """Written but not counted: its claim payment waits for a person (migration 0011)."""
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    actor: Mapped[str | None] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(Text)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    line_number: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Cents)
    group_code: Mapped[str | None] = mapped_column(String(2))
    reason_code: Mapped[str | None] = mapped_column(String(5))
    remark_codes: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str | None] = mapped_column(String(100))
    source_position: Mapped[int | None] = mapped_column(Integer)


class WorkItemRow(Base):
    """Something a coordinator must act on; resolved with a note, never deleted."""

    __tablename__ = "work_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    reason: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    codes: Mapped[str] = mapped_column(String(200), default="")
    amount: Mapped[Decimal | None] = mapped_column(Cents)
    patient_control_number: Mapped[str | None] = mapped_column(String(38))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    remittance_id: Mapped[int | None] = mapped_column(ForeignKey("remittances.id"))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("remittance_files.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    remittance_claim_id: Mapped[int | None] = mapped_column(ForeignKey("remittance_claims.id"))
    """The claim payment a guard or the ERA policy holds (migration 0011)."""
    source_position: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)


class PredeterminationEstimateRow(Base):
    """The payer's answer to a predetermination (CLP02 = 25), per line: what it would
    allow and pay and what the patient would owe, and its predetermination number. Kept
    beside the claim, never posted (migration 0011)."""

    __tablename__ = "predetermination_estimates"
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    remittance_claim_id: Mapped[int] = mapped_column(ForeignKey("remittance_claims.id"))
    line_number: Mapped[int | None] = mapped_column(Integer)
    procedure_code: Mapped[str] = mapped_column(String(48))
    charge: Mapped[Decimal] = mapped_column(Cents)
    allowed: Mapped[Decimal | None] = mapped_column(Cents)
    insurance: Mapped[Decimal] = mapped_column(Cents)
    patient: Mapped[Decimal] = mapped_column(Cents)
    predetermination_number: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ControlCounterRow(Base):
    """The last control numbers used per sender ID (ISA06): never reused."""

    __tablename__ = "control_counters"
    sender_id: Mapped[str] = mapped_column(String(15), primary_key=True)
    last_interchange: Mapped[int] = mapped_column(BigInteger)


class SubmissionRow(Base):
    """The outbox: an X12 file to send, recorded with the claims' state change.

    ``status``: ``pending`` (recorded, not sent) → ``sending`` (remote name chosen, upload
    under way) → ``sent``; a sender that dies in ``sending`` checks the remote name on
    restart instead of sending a second copy.
    """

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(8))
    clearinghouse: Mapped[str] = mapped_column(String(40))
    sender_id: Mapped[str] = mapped_column(String(15))
    interchange_control_number: Mapped[str] = mapped_column(String(9))
    group_control_number: Mapped[str] = mapped_column(String(9))
    file_name: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    remote_name: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    ack_status: Mapped[str | None] = mapped_column(String(12))
    ack_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("sender_id", "interchange_control_number"),)


class SubmissionClaimRow(Base):
    """Which claims a submission carries, and in which transaction set (ST02)."""

    __tablename__ = "submission_claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    transaction_control_number: Mapped[str] = mapped_column(String(9))


class InboundFileRow(Base):
    """A file received from a clearinghouse (TA1, 999, 277CA, 835, 271), stored before the
    remote copy is archived, deduplicated by content hash and by sender + ISA13.

    Its bytes are sealed piece by piece in :class:`InboundFileChunkRow` rows (migration
    0018; ``size`` says how many bytes), so neither writing nor reading a 50 MB file holds
    it whole; ``payload`` keeps the one sealed token of a file received before 0018
    (``NULL`` otherwise)."""

    __tablename__ = "inbound_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    clearinghouse: Mapped[str] = mapped_column(String(40))
    remote_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    sender_id: Mapped[str | None] = mapped_column(String(15))
    interchange_control_number: Mapped[str | None] = mapped_column(String(9))
    payload: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    problem: Mapped[str | None] = mapped_column(Text)


class InboundFileChunkRow(Base):
    """One sealed piece of a received file (migration 0018): ``seq`` counts from 0, every
    piece but the last holds :data:`~edigateway.persistence.inbound_rows.FILE_CHUNK` bytes.
    Each is sealed on its own, bound to the file's SHA-256, its ``seq`` and whether it is
    the last (:func:`~edigateway.persistence.inbound_rows.chunk_binding`)."""

    __tablename__ = "inbound_file_chunks"
    inbound_file_id: Mapped[int] = mapped_column(ForeignKey("inbound_files.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sealed: Mapped[str] = mapped_column(Text)


class InboundQuarantineRow(Base):
    """A file in a clearinghouse's inbound folder that we could not or would not fetch —
    name refused, gone by download time, over the size cap, or failing to download poll
    after poll — recorded by name and size, as there are no bytes to keep (migration 0009).

    ``retrying`` counts failed polls (``attempts``); ``quarantined`` means the file has a
    work item and no poll fetches it again while it stays listed. Once the name is no
    longer in the folder (an operator moved it, or it vanished) the row is ``released``,
    so a later file of the same name is new. One live row per name (partial unique index).
    """

    __tablename__ = "inbound_quarantine"
    __table_args__ = (
        Index(
            "uq_inbound_quarantine_live",
            "clearinghouse",
            "remote_name",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    clearinghouse: Mapped[str] = mapped_column(String(40))
    remote_name: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    remote_mtime: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)


class ApiKeyRow(Base):
    """An API key of a practice: only the keyed hash of its secret is stored."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditEventRow(Base):
    """Who read, created, changed, exported or transmitted which PHI record, when, from
    where. Append-only: the database refuses UPDATE and DELETE (migration 0004 triggers)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(60))
    practice_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(12))
    resource: Mapped[str] = mapped_column(String(30))
    resource_id: Mapped[str | None] = mapped_column(String(60))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")


class IdempotencyRow(Base):
    """An ``Idempotency-Key`` of an API key: claimed (inserted, committed) before the work
    runs, so the unique constraint picks one winner among concurrent requests; the first
    answer is stored when the work ends and replayed to retries.

    ``status_code``/``body`` are NULL while the first request is in flight (migration
    0006); ``created_at`` is when it was claimed, which tells a stale claim (a process that
    died mid-request) from a live one.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ClaimEstimateRow(Base):
    """An estimate given to the patient for a claim's procedures (codes, amounts and the
    rule behind each figure; no names), kept to compare with what the payer paid."""

    __tablename__ = "claim_estimates"
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    total_fee: Mapped[Decimal] = mapped_column(Cents)
    total_insurance: Mapped[Decimal] = mapped_column(Cents)
    total_patient: Mapped[Decimal] = mapped_column(Cents)
    document: Mapped[str] = mapped_column(Text)


class UserRow(Base):
    """A person who signs in to the coordinator's pages (``/ui``) for one practice, with one
    role (``admin``, ``coordinator``, ``viewer``; :mod:`edigateway.services.users`). Emails
    are unique across the gateway, so signing in needs only the email and the password.
    Only an argon2id hash of the password is kept; the TOTP secret, which would let anyone
    make codes, is sealed like PHI, bound to the row (migration 0013)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(12))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    """``None`` until the user follows their set-password link."""
    password_set_at: Mapped[datetime | None] = mapped_column(DateTime)
    totp_secret: Mapped[str | None] = mapped_column(Text)
    """Sealed; set once the user confirmed a first code."""
    totp_pending: Mapped[str | None] = mapped_column(Text)
    """Sealed; a secret shown for enrolment, not yet confirmed by a code."""
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    """The time step of the last code accepted: no code is accepted twice."""
    sign_in_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """Attempts since the last completed sign-in (each counted before it is checked)."""
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(60))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)


class UserLinkRow(Base):
    """A set-password link of a user: single use, expiring; a newer link voids the older
    ones. Only a keyed hash of its token is kept, so the table alone sets no password."""

    __tablename__ = "user_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class UiSessionRow(Base):
    """A user's signed-in browser session (``/ui``): the cookie holds a random ID, the table
    only its keyed hash, so neither a stolen cookie jar nor a stolen database yields a
    usable session. Signing out (``revoked_at``), idleness, age, disabling the user or
    setting a new password ends it (migrations 0007, 0013: sessions belonged to an API key
    before)."""

    __tablename__ = "ui_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class ClaimAttachmentRow(Base):
    """A file supporting a claim (radiographs, perio chart, narrative): its bytes and its
    file name sealed like PHI, bound to the row's practice and control number; size, type
    and hash in the clear for listing. The attachment control number (``A<NPI>-<id>``)
    ties it to the claim: the 837D's PWK06, the 275's TRN02, the packet's cover sheet.

    ``transmission`` is empty until the claim is queued, then how it went (PWK02: ``EL``
    with a 275, else the profile's fallback such as ``BM``); ``submission_id`` is the outbox
    row of its 275. Once it has gone it cannot be deleted (migration 0014)."""

    __tablename__ = "claim_attachments"
    __table_args__ = (UniqueConstraint("practice_id", "control_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    control_number: Mapped[str] = mapped_column(String(50))
    report_type: Mapped[str] = mapped_column(String(2))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(Text)
    """Sealed: a file name often holds the patient's name."""
    content: Mapped[str] = mapped_column(Text)
    """Sealed bytes (:meth:`~edigateway.security.phi.PhiCipher.seal_bytes`)."""
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(60))
    transmission: Mapped[str | None] = mapped_column(String(2))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class AppealRow(Base):
    """An appeal of a payer's decision on a claim (issue 16, item 3): why, the
    coordinator's narrative and the letter's facts (both sealed: they name the patient,
    bound to the row), the attachments it lists, and its tracking — when and how it was
    sent, when to follow up (``reminder_item_id``: the work item opened on that day) and
    the payer's answer (migration 0016).

    ``denied_amount`` is what the payer denied when the appeal was made, the money the
    appeal asks for; ``letter`` is the letter's content as of then, so the letter
    downloaded after sending is the letter that was sent."""

    __tablename__ = "appeals"
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    narrative: Mapped[str] = mapped_column(Text)
    """Sealed."""
    letter: Mapped[str] = mapped_column(Text)
    """Sealed JSON of the letter's facts (:class:`edigateway.services.appeal_documents.
    AppealLetter`)."""
    attachment_ids: Mapped[str] = mapped_column(String(200), default="[]")
    denied_amount: Mapped[Decimal] = mapped_column(Cents)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    sent_on: Mapped[date | None] = mapped_column(Date)
    sent_method: Mapped[str | None] = mapped_column(String(12))
    sent_by: Mapped[str | None] = mapped_column(String(60))
    follow_up_on: Mapped[date | None] = mapped_column(Date, index=True)
    reminder_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id"))
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    outcome_on: Mapped[date | None] = mapped_column(Date)
    outcome_note: Mapped[str | None] = mapped_column(Text)
