"""The payer's predetermination number (REF*G3) on the claim for the treatment it priced.

Called by the claim store as it stores claims (:mod:`.predeterminations` reads the estimate
back; it needs the store, which needs this, so this module needs neither).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sqlalchemy import bindparam, select

from edigateway.persistence.database import cipher_of
from edigateway.persistence.tables import ClaimRow, RemittanceClaimRow

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from edigateway.domain.claims import Claim

PRICED_ONLY = "25"
"""CLP02: predetermination pricing only, no payment."""


def link(
    session: Session,
    claims: list[tuple[Claim, int, int]],
    opened: Callable[[Session, ClaimRow], Claim],
) -> list[Claim]:
    """Each ``(claim, practice_id, payer_row_id)``'s claim with the payer's predetermination
    number (REF*G3) of its practice's answered predetermination for the same patient, payer
    and procedures (the most recent), when it has none and one exists; else unchanged.
    One query for all of them; ``opened`` decrypts a stored claim (the claim store's, which
    calls this as it stores claims)."""
    cipher = cipher_of(session)
    wanted = {
        n: (practice, payer, cipher.blind_index(c.subscriber.member_id, purpose="member-id"))
        for n, (c, practice, payer) in enumerate(claims)
        if not c.is_predetermination and not c.predetermination_number
    }
    answered = _answered(session, set(wanted.values())) if wanted else {}
    linked: list[Claim] = []
    for n, (claim, _practice, _payer) in enumerate(claims):
        codes = sorted(line.procedure_code for line in claim.lines)
        number = next(
            (
                answer
                for row, answer in answered.get(wanted.get(n, (0, 0, "")), [])
                if _same_patient(planned := opened(session, row), claim) and _covers(planned, codes)
            ),
            None,
        )
        linked.append(
            claim.model_copy(update={"predetermination_number": number}) if number else claim
        )
    return linked


_ANSWERED: Final = (
    select(ClaimRow, RemittanceClaimRow.payer_claim_control_number)
    .join(RemittanceClaimRow, RemittanceClaimRow.claim_id == ClaimRow.id)
    .where(
        ClaimRow.practice_id.in_(bindparam("practices", expanding=True)),
        ClaimRow.member_index.in_(bindparam("members", expanding=True)),
        ClaimRow.kind == "predetermination",
        RemittanceClaimRow.status == PRICED_ONLY,
        RemittanceClaimRow.payer_claim_control_number.is_not(None),
    )
    .order_by(RemittanceClaimRow.id.desc())
)
"""The predeterminations a payer priced, by practice and member index: built once, as
every claim stored runs it (building the statement cost more than running it)."""


def _answered(
    session: Session, keys: set[tuple[int, int, str]]
) -> dict[tuple[int, int, str], list[tuple[ClaimRow, str]]]:
    """Per (practice, payer row, member index): the predeterminations the payer priced
    (CLP02 = 25), newest answer first, with the payer's number from the answer."""
    found: dict[tuple[int, int, str], list[tuple[ClaimRow, str]]] = {}
    wanted = {"practices": sorted({k[0] for k in keys}), "members": sorted({k[2] for k in keys})}
    for row, number in session.execute(_ANSWERED, wanted):
        key = (row.practice_id, row.payer_id, row.member_index or "")
        if key in keys and number:
            found.setdefault(key, []).append((row, number))
    return found


def _same_patient(planned: Claim, claim: Claim) -> bool:
    if (planned.patient is None) != (claim.patient is None):
        return False
    if planned.patient is not None and claim.patient is not None:
        return (
            planned.patient.name.last_name,
            planned.patient.name.first_name,
            planned.patient.date_of_birth,
        ) == (
            claim.patient.name.last_name,
            claim.patient.name.first_name,
            claim.patient.date_of_birth,
        )
    return planned.subscriber.name.last_name == claim.subscriber.name.last_name


def _covers(planned: Claim, codes: list[str]) -> bool:
    """Every procedure claimed was in the plan (as many times)."""
    left = [line.procedure_code for line in planned.lines]
    for code in codes:
        if code not in left:
            return False
        left.remove(code)
    return True
