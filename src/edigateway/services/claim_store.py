"""Storing claims as submitted, and reading them back for posting and follow-up.

``import_claims`` is idempotent: importing the same claim again returns the stored row
(``unchanged``); a replacement (frequency 7) or void (8) with the same patient control
number is stored beside the original and supersedes it; an original (1) whose content
differs from the stored one is refused — the coordinator must send a replacement, or the
835 could not be matched unambiguously — unless the stored one was rejected (999 or
277CA): the payer never took it, so the corrected claim (or the same claim again, once
the cause was fixed elsewhere) is stored under the same number and the rejected one becomes
``resubmitted`` (superseded by it, out of A/R).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from edigateway.domain.claim_lifecycle import REJECTED, Cause, ClaimState
from edigateway.domain.claims import Claim
from edigateway.domain.edits import ensure_clean
from edigateway.errors import ConflictError
from edigateway.persistence.claim_rows import Move, first_steps, note, transition
from edigateway.persistence.database import cipher_of
from edigateway.persistence.event_rows import NewClaim
from edigateway.persistence.tables import (
    ClaimLineRow,
    ClaimRow,
    Payer,
    Practice,
    table_of,
)
from edigateway.security.phi import Binding
from edigateway.services.predetermination_numbers import link

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from datetime import date, datetime

    from sqlalchemy.orm import Session

    from edigateway.domain.claims import ClaimBatch
    from edigateway.persistence.database import Database
    from edigateway.security.phi import PhiCipher

DEFAULT_TIMELY_FILING_DAYS = 365
"""Used for a payer until someone sets its contract's limit (many dental plans: 12 months)."""

MAX_ALIASES = 20
"""Other names kept per practice and payer (a practice rarely spells a payer 20 ways)."""

STORE_BATCH = 500
"""Claims inserted per statement batch."""
SUMMARY_COLUMNS: Final = (
    "id",
    "patient_control_number",
    "kind",
    "frequency",
    "state",
    "state_changed_at",
    "total_charge",
    "first_service_date",
    "submitted_on",
    "payer_claim_control_number",
    "superseded_by_id",
)
"""A claim's columns an answer about it shows (no PHI): :attr:`ClaimStore.written`."""

OPEN_STATES = frozenset({"submitted", "accepted", "partially_paid", "denied", "reversed"})


class PracticeRef(Protocol):
    """A practice as the store needs it: a :class:`~edigateway.persistence.tables.Practice`
    row, or :class:`KnownPractice` when the caller knows both values without the row."""

    @property
    def id(self) -> int: ...

    @property
    def npi(self) -> str: ...


@dataclass(frozen=True, slots=True)
class KnownPractice:
    """A practice's ID and NPI known without reading its row (an API key's lookup read
    the NPI; the NPI, a practice's identity, never changes)."""

    id: int
    npi: str


@dataclass(frozen=True, slots=True)
class ImportedClaim:
    """One claim's outcome of an import."""

    id: int
    patient_control_number: str
    status: Literal["stored", "unchanged"]


def _document(claim: Claim, cipher: PhiCipher) -> tuple[str, str]:
    """The claim's JSON and its keyed digest (HMAC: a plain hash of PHI could be guessed)."""
    text = claim.model_dump_json(exclude_defaults=True)
    return text, cipher.blind_index(text, purpose="claim-document")


def document_binding(practice_id: int, pcn: str, digest: str) -> Binding:
    """Where a claim document lives: its practice, claim number and content digest."""
    return Binding("claims", "document", practice_id, f"{pcn}:{digest}")


def open_document(session: Session, row: ClaimRow) -> Claim:
    """The claim as submitted, decrypted."""
    text = cipher_of(session).open(
        row.document,
        document_binding(row.practice_id, row.patient_control_number, row.document_sha256),
    )
    return Claim.model_validate_json(text)


class ClaimStore:
    """Stores claims inside one session, in batches, remembering practices and payers
    (a payer row belongs to one practice: its name and limit are that practice's).

    A batch costs a handful of statements whatever its size: one look-up of the claims
    already stored under its patient control numbers, one multi-row INSERT of the claims
    (ids returned), one of their lines and one of their first history step.
    """

    def __init__(
        self, session: Session, now: datetime, practice: PracticeRef | None = None
    ) -> None:
        """``practice``: the billing practice when the caller has read its row already
        (the API checks the claim's NPI against it): not looked up again."""
        self.session, self.now = session, now
        self._practices: dict[str, int] = {} if practice is None else {practice.npi: practice.id}
        self._payers: dict[tuple[int, str], Payer] = {}
        self._names_seen: dict[int, set[str]] = {}
        self.written: dict[int, dict[str, Any]] = {}
        """The :data:`SUMMARY_COLUMNS` of the latest batch's claims (stored, or found
        unchanged) by ID, as written: a caller answers with them instead of reading the
        rows back (at most :data:`STORE_BATCH` are kept)."""

    def practice_id(self, claim: Claim) -> int:
        """Our practice for the claim's billing provider (created on first sight)."""
        provider = claim.billing_provider
        if provider.npi not in self._practices:
            name = provider.organization_name or (
                f"{provider.person.first_name or ''} {provider.person.last_name}".strip()
                if provider.person
                else provider.npi
            )
            self._practices[provider.npi] = _get_or_create(
                self.session,
                Practice,
                {"npi": provider.npi},
                {"name": name[:60], "tin": provider.tax_id, "created_at": self.now},
            )
        return self._practices[provider.npi]

    def payer_id(self, claim: Claim) -> int:
        """The claim's practice's own row for its payer (created with the name the claim
        gives and the default filing limit); a name the practice has not used for this
        payer before is remembered among the row's aliases."""
        practice = self.practice_id(claim)
        key = (practice, claim.payer.payer_id)
        if key not in self._payers:
            found = self.session.scalars(_PAYER, {"practice": practice, "payer": key[1]}).first()
            if found is None:  # the practice's first claim to this payer
                row_id = _get_or_create(
                    self.session,
                    Payer,
                    {"practice_id": practice, "payer_id": key[1]},
                    {
                        "name": claim.payer.name[:60],
                        "aliases": "[]",
                        "timely_filing_days": DEFAULT_TIMELY_FILING_DAYS,
                    },
                )
                found = self.session.get_one(Payer, row_id)
            self._payers[key] = found
        row = self._payers[key]
        if claim.payer.name not in self._names_seen.setdefault(row.id, set()):
            _remember_name(self.session, row, claim.payer.name)
            self._names_seen[row.id].add(claim.payer.name)
        return row.id

    def linked(self, claims: Sequence[Claim]) -> list[Claim]:
        """``claims`` as they are stored: a claim for treatment a payer priced carries its
        predetermination number (REF*G3; :func:`~edigateway.services.
        predetermination_numbers.link`). The 837D written for stored claims must be
        written from these."""
        return link(
            self.session,
            [(c, self.practice_id(c), self.payer_id(c)) for c in claims],
            open_document,
        )

    def store(self, claims: Sequence[Claim], state: str = "submitted") -> list[ImportedClaim]:
        """Store ``claims`` in order (see module docstring); a patient control number seen
        twice (an original and its replacement in one file) is handled in sequence."""
        results: list[ImportedClaim] = []
        run: list[Claim] = []
        seen: set[str] = set()
        for claim in claims:
            if claim.patient_control_number in seen or len(run) >= STORE_BATCH:
                results += self._store_run(run, state)
                run, seen = [], set()
            run.append(claim)
            seen.add(claim.patient_control_number)
        return results + self._store_run(run, state)

    def _store_run(self, claims: list[Claim], state: str) -> list[ImportedClaim]:
        if not claims:
            return []
        _lock_claim_numbers(
            self.session, {(self.practice_id(c), c.patient_control_number) for c in claims}
        )
        existing = {
            (row.practice_id, row.patient_control_number): row
            for row in self.session.scalars(
                _CURRENT_UNDER, {"numbers": sorted({c.patient_control_number for c in claims})}
            )
        }
        outcome: list[ImportedClaim | None] = []
        new: list[tuple[Claim, str, str, ClaimRow | None]] = []
        self.written = {}
        claims = self.linked(claims)
        for claim in claims:
            pcn = claim.patient_control_number
            text, digest = _document(claim, cipher_of(self.session))
            earlier = existing.get((self.practice_id(claim), pcn))
            if (
                earlier is not None
                and earlier.document_sha256 == digest
                and earlier.state not in REJECTED
            ):
                outcome.append(ImportedClaim(earlier.id, pcn, "unchanged"))
                self.written[earlier.id] = {c: getattr(earlier, c) for c in SUMMARY_COLUMNS}
                continue
            if earlier is not None and claim.frequency == "1" and earlier.state not in REJECTED:
                msg = (
                    f"claim {pcn} was already imported (id {earlier.id}) with different "
                    "content; send the change as a replacement (frequency 7) or void it (8)"
                )
                raise ConflictError(msg)
            outcome.append(None)
            new.append((claim, text, digest, earlier))
        ids = self._insert(new, state) if new else []
        fresh = iter(zip(new, ids, strict=True))
        results: list[ImportedClaim] = []
        for item in outcome:
            if item is not None:
                results.append(item)
                continue
            (claim, _text, _digest, earlier), claim_id = next(fresh)
            results.append(ImportedClaim(claim_id, claim.patient_control_number, "stored"))
            if earlier is not None:
                self._supersede(earlier, claim, claim_id)
        return results

    def _supersede(self, earlier: ClaimRow, claim: Claim, claim_id: int) -> None:
        """``earlier`` gives way to the new ``claim_id``; both histories name the other."""
        was = earlier.state
        if was in REJECTED and claim.frequency != "8":
            new_state = ClaimState.RESUBMITTED
            why = f"resubmitted as claim {claim_id} (corrected after the rejection)"
        else:
            new_state = ClaimState.VOIDED if claim.frequency == "8" else ClaimState.REPLACED
            why = f"superseded by claim {claim_id} (frequency {claim.frequency})"
        transition(self.session, [Move(earlier, new_state, Cause("system", why))], now=self.now)
        earlier.superseded_by_id = claim_id
        if new_state is ClaimState.RESUBMITTED:
            note(
                self.session,
                self.session.get_one(ClaimRow, claim_id),
                Cause("system", f"resubmission of claim {earlier.id}, which was {was}"),
                self.now,
            )

    def _insert(self, new: list[tuple[Claim, str, str, ClaimRow | None]], state: str) -> list[int]:
        now = self.now
        claims_table = table_of(ClaimRow)
        cipher = cipher_of(self.session)
        rows = [
            {
                "practice_id": self.practice_id(claim),
                "payer_id": self.payer_id(claim),
                "patient_control_number": claim.patient_control_number,
                "kind": claim.kind,
                "frequency": claim.frequency,
                "payer_claim_control_number": claim.payer_claim_control_number,
                "total_charge": claim.total_charge,
                "first_service_date": min(service_dates(claim), default=None),
                "submitted_on": now.date() if state == "submitted" else None,
                "state": state,
                "state_changed_at": now,
                "superseded_by_id": None,
                "document_sha256": digest,
                "document": cipher.seal(
                    text,
                    document_binding(self.practice_id(claim), claim.patient_control_number, digest),
                ),
                "member_index": cipher.blind_index(claim.subscriber.member_id, purpose="member-id"),
                "created_at": now,
                "other_payer_roles": other_payer_roles(claim),
                "primary_paid_on": primary_paid_on(claim),
            }
            for claim, text, digest, _earlier in new
        ]
        ids = [
            row[0]
            for row in self.session.execute(
                claims_table.insert().returning(claims_table.c.id, sort_by_parameter_order=True),
                rows,
            )
        ]
        for values, claim_id in zip(rows, ids, strict=True):
            self.written[claim_id] = {"id": claim_id} | {c: values[c] for c in SUMMARY_COLUMNS[1:]}
        self.session.execute(
            table_of(ClaimLineRow).insert(),
            [
                {
                    "claim_id": claim_id,
                    "line_number": number,
                    "procedure_code": line.procedure_code,
                    "charge": line.charge,
                    "service_date": line.service_date or claim.service_date,
                    "line_control_number": line.line_control_number,
                    "teeth": ",".join(t.tooth for t in line.teeth) or None,
                }
                for (claim, *_rest), claim_id in zip(new, ids, strict=True)
                for number, line in enumerate(claim.lines, start=1)
            ],
        )
        first_steps(
            self.session,
            [
                NewClaim(
                    id=claim_id,
                    practice_id=self.practice_id(claim),
                    patient_control_number=claim.patient_control_number,
                    state=state,
                    total_charge=claim.total_charge,
                    payer_claim_control_number=claim.payer_claim_control_number,
                    kind=claim.kind,
                    frequency=claim.frequency,
                )
                for (claim, *_rest), claim_id in zip(new, ids, strict=True)
            ],
            ClaimState(state),
            Cause("system", "imported as submitted"),
            now,
        )
        return ids


_PAYER: Final = select(Payer).where(
    Payer.practice_id == bindparam("practice"), Payer.payer_id == bindparam("payer")
)
_CURRENT_UNDER: Final = select(ClaimRow).where(
    ClaimRow.patient_control_number.in_(bindparam("numbers", expanding=True)),
    ClaimRow.superseded_by_id.is_(None),
)
"""A practice's row for a payer, and the current claims under some claim numbers: built
once (every create runs both; building them cost more than running them on SQLite)."""


def _lock_claim_numbers(session: Session, keys: set[tuple[int, str]]) -> None:
    """Make transactions storing the same practice's claim number take turns.

    Storing reads the claims already under a number and then inserts; two PostgreSQL
    transactions doing that at once would both find nothing and store the claim twice.
    A transaction-scoped advisory lock per (practice, claim number), taken in one order,
    serialises exactly those. SQLite runs one writer at a time already.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for practice, pcn in sorted(keys):
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"claim:{practice}:{pcn}"},
        )


def _get_or_create(
    session: Session, model: type[Practice | Payer], key: dict[str, Any], values: dict[str, Any]
) -> int:
    """The id of the row with ``key``, inserted with ``values`` when missing.

    ``INSERT … ON CONFLICT DO NOTHING`` then a read, so two transactions meeting the same
    new practice or payer both succeed: on PostgreSQL the second insert waits for the
    first to commit and then does nothing (read committed sees the row); SQLite runs one
    writer at a time.
    """
    table = table_of(model)
    found = session.scalar(select(table.c.id).filter_by(**key))
    if found is not None:
        return int(found)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(table).values(**key, **values).on_conflict_do_nothing(index_elements=list(key))
    )
    return int(session.scalars(select(table.c.id).filter_by(**key)).one())


def _remember_name(session: Session, payer: Payer, name: str) -> None:
    """Keep ``name`` among the payer row's aliases when it is new for the practice; the row
    is locked and read again first, so concurrent imports do not drop each other's alias.
    A row the 0008 migration could only name by its payer ID takes the name instead."""
    if _norm(name) == _norm(payer.name):
        return
    session.refresh(payer, with_for_update=True)
    known = payer_aliases(payer)
    if payer.name == payer.payer_id:
        payer.name = name[:60]
    elif len(known) < MAX_ALIASES and _norm(name) not in {_norm(n) for n in [payer.name, *known]}:
        payer.aliases = json.dumps([*known, name])
    session.flush()


def payer_aliases(payer: Payer) -> list[str]:
    """The other names the practice has sent for this payer, oldest first."""
    value = json.loads(payer.aliases or "[]")
    return [str(n) for n in value] if isinstance(value, list) else []


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def import_claims(
    db: Database, batch: ClaimBatch, *, now: datetime, state: str = "submitted"
) -> list[ImportedClaim]:
    """Store every claim of ``batch`` (after the clean-claim edits) in one transaction."""
    ensure_clean(batch, today=now.date())
    with db.transaction() as session:
        return ClaimStore(session, now).store(batch.claims, state)


def store_claim(
    session: Session, claim: Claim, *, now: datetime, state: str = "submitted"
) -> ImportedClaim:
    """Store one claim inside the caller's transaction (see module docstring)."""
    return ClaimStore(session, now).store([claim], state)[0]


def service_dates(claim: Claim) -> Iterator[date]:
    """Each line's date of service (the claim's when the line gives none)."""
    for line in claim.lines:
        when = line.service_date or claim.service_date
        if when is not None:
            yield when


def other_payer_roles(claim: Claim) -> str:
    """The responsibility codes of the claim's other plans, in order (``claims.
    other_payer_roles``: what posting needs to know of them, without opening the document)."""
    return "".join(o.responsibility for o in claim.other_payers)


def primary_paid_on(claim: Claim) -> date | None:
    """The day the primary payer paid a secondary claim (SBR01 ``S``): the adjudication
    date (2330B DTP*573) of its other payer with responsibility ``P`` — ``claims.
    primary_paid_on``, what the secondary payer's own filing window counts from. ``None``
    for a claim that is not a secondary, or that does not say when the primary paid."""
    if claim.payer_responsibility != "S":
        return None
    return next((o.adjudication_date for o in claim.other_payers if o.responsibility == "P"), None)


def load_claims(
    session: Session, pcns: Iterable[str], practice_npi: str | None = None
) -> dict[str, tuple[ClaimRow, Claim]]:
    """Our current (not superseded) claims by patient control number.

    When ``practice_npi`` names a practice we know, only its claims count; otherwise any
    practice's (the embedded default serves one practice).
    """
    wanted = list(dict.fromkeys(pcns))
    if not wanted:
        return {}
    query = select(ClaimRow).where(
        ClaimRow.patient_control_number.in_(wanted), ClaimRow.superseded_by_id.is_(None)
    )
    if practice_npi:
        practice = session.scalars(select(Practice.id).where(Practice.npi == practice_npi)).first()
        if practice is not None:
            query = query.where(ClaimRow.practice_id == practice)
    result: dict[str, tuple[ClaimRow, Claim]] = {}
    for row in session.scalars(query):
        result[row.patient_control_number] = (row, open_document(session, row))
    return result
