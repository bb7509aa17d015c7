"""A practice's payers and their timely-filing limits (days from the date of service, and
for secondary claims an optional window from the primary's payment), and which practice a
command means when it names none. The CLI's ``payers`` commands, the API's
``/v1/payers`` routes and the dashboard's Payers page call these; every change of a limit
is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from edigateway.errors import InputError, NotFoundError
from edigateway.persistence.tables import Payer, Practice
from edigateway.services.access import practice_by, record
from edigateway.services.claim_store import payer_aliases

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from edigateway.persistence.database import Database


def payer_practice(db: Database, npi: str | None) -> int | None:
    """The practice whose payers a command means: the one ``npi`` names, else the only one
    the database holds (``None`` when it holds none yet).

    Payer names and limits belong to a practice, so with several practices the caller
    must say which; guessing would show or change another practice's contract.
    """
    with db.transaction() as session:
        if npi is not None:
            return practice_by(session, npi).id
        found = session.scalars(select(Practice).order_by(Practice.npi).limit(6)).all()
    if len(found) > 1:
        listed = ", ".join(p.npi for p in found[:5]) + (", …" if len(found) > 5 else "")
        msg = (
            f"the database holds several practices ({listed}); say whose payers with --practice NPI"
        )
        raise InputError(msg)
    return found[0].id if found else None


MAX_DAYS = 3650
"""The longest filing limit accepted (ten years: anything longer is a typing mistake)."""


def _check_days(days: int, what: str) -> None:
    if not 1 <= days <= MAX_DAYS:
        msg = f"{what} {days} days is out of range (1–{MAX_DAYS})"
        raise InputError(msg)


def _payer(session: Session, payer_id: str, practice_id: int | None) -> Payer:
    """The practice's row for ``payer_id``; other practices' rows are theirs to set."""
    payer = (
        None
        if practice_id is None
        else session.scalars(
            select(Payer).where(Payer.practice_id == practice_id, Payer.payer_id == payer_id)
        ).first()
    )
    if payer is None:
        msg = (
            f"payer {payer_id} is unknown for this practice (payers are created when "
            "its claims are imported)"
        )
        raise NotFoundError(msg)
    return payer


def set_timely_filing(
    db: Database, payer_id: str, days: int, *, practice_id: int | None, now: datetime
) -> None:
    """Record a practice's timely-filing limit with a payer (days from the date of
    service); other practices' limits with the same payer are theirs to set."""
    _check_days(days, "timely-filing limit")
    with db.transaction() as session:
        payer = _payer(session, payer_id, practice_id)
        payer.timely_filing_days = days
        _audit(session, payer, actor="cli", now=now)


def set_secondary_filing(
    db: Database, payer_id: str, days: int | None, *, practice_id: int | None, now: datetime
) -> None:
    """Record (``None``: clear) a practice's secondary-claim window with a payer: a
    secondary claim to it must be received within ``days`` of the primary payer's payment,
    or within the ordinary limit from the date of service, whichever ends later
    (:func:`~edigateway.reconcile.followup.filing_deadline`). Cleared, a secondary claim
    has the date-of-service limit only."""
    if days is not None:
        _check_days(days, "secondary filing window")
    with db.transaction() as session:
        payer = _payer(session, payer_id, practice_id)
        payer.secondary_filing_days = days
        _audit(session, payer, actor="cli", now=now)


def set_filing_limits(
    db: Database,
    payer_id: str,
    *,
    timely_filing_days: int,
    secondary_filing_days: int | None,
    practice_id: int,
    actor: str,
    now: datetime,
    remote_addr: str | None = None,
) -> PayerLimit:
    """Replace both of a practice's filing limits with a payer in one transaction (what a
    PM system's ``PUT`` does: the contract's terms as a whole, so a secondary window it
    leaves out is cleared, not kept from before)."""
    _check_days(timely_filing_days, "timely-filing limit")
    if secondary_filing_days is not None:
        _check_days(secondary_filing_days, "secondary filing window")
    with db.transaction() as session:
        payer = _payer(session, payer_id, practice_id)
        payer.timely_filing_days = timely_filing_days
        payer.secondary_filing_days = secondary_filing_days
        _audit(session, payer, actor=actor, now=now, remote_addr=remote_addr)
        return _limit(payer)


def _audit(
    session: Session,
    payer: Payer,
    *,
    actor: str,
    now: datetime,
    remote_addr: str | None = None,
) -> None:
    """One audit row with the limits as they now stand: who changed a contract's terms
    and when is what a practice is asked when a claim was refused as late."""
    secondary = (
        f", secondary {payer.secondary_filing_days} days from the primary's payment"
        if payer.secondary_filing_days is not None
        else ""
    )
    record(
        session,
        actor=actor,
        practice_id=payer.practice_id,
        action="change",
        resource="payer_filing_limits",
        resource_id=payer.payer_id,
        at=now,
        remote_addr=remote_addr,
        detail=f"{payer.timely_filing_days} days from service{secondary}",
    )


@dataclass(frozen=True, slots=True)
class PayerLimit:
    """One of a practice's payers: the name it sends, other names it has sent, and its
    timely-filing limit (days from the date of service) and secondary-claim window (days
    from the primary's payment; ``None``: none)."""

    payer_id: str
    name: str
    aliases: tuple[str, ...]
    timely_filing_days: int
    secondary_filing_days: int | None = None

    def as_json(self) -> dict[str, object]:
        """The payer as ``payers list --json`` prints it."""
        return {
            "payer_id": self.payer_id,
            "name": self.name,
            "aliases": list(self.aliases),
            "timely_filing_days": self.timely_filing_days,
            "secondary_filing_days": self.secondary_filing_days,
        }


def payers(db: Database, practice_id: int | None) -> list[PayerLimit]:
    """A practice's payers: the name it sends, other names it has sent, and its limits."""
    if practice_id is None:
        return []
    with db.transaction() as session:
        return [
            _limit(p)
            for p in session.scalars(
                select(Payer)
                .where(Payer.practice_id == practice_id)
                .order_by(Payer.name, Payer.payer_id)
            )
        ]


def _limit(payer: Payer) -> PayerLimit:
    return PayerLimit(
        payer.payer_id,
        payer.name,
        tuple(payer_aliases(payer)),
        payer.timely_filing_days,
        payer.secondary_filing_days,
    )
