"""A secondary claim's own timely-filing window: ``payers.secondary_filing_days`` and
``claims.primary_paid_on``.

Many dental payers let a secondary claim arrive within N days of the primary payer's
payment (its EOB), or within the ordinary limit from the date of service, whichever is
later: a secondary cannot be sent before the primary has paid. ``payers.
secondary_filing_days`` is that N (NULL: the date of service only, as before), and
``claims.primary_paid_on`` the day the primary paid a secondary claim — its 2330B
DTP*573, written when the claim is stored — so timely filing still reads columns only.

Existing secondary claims are filled without opening any document: the poster (and the
approval of a held payment) stores the secondary claim ``<pcn>-S`` in the transaction
that posts the primary's payment, so the primary's history row for that payment
(``claim_states.remittance_claim_id``) has the secondary's ``created_at`` as its
``changed_at``, and the payment's ``remittances.payment_date`` is the date the secondary
carries (the posting day when the 835 gave none, as the poster did). A secondary claim
not tied that way (one a practice sent itself, a replacement) stays NULL: its limit counts
from the date of service, as before 0021.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

SUFFIX = "-S"
"""The poster's secondary claim number is the primary's with this suffix."""

_claims = sa.table(
    "claims",
    sa.column("id", sa.Integer),
    sa.column("practice_id", sa.Integer),
    sa.column("patient_control_number", sa.String),
    sa.column("kind", sa.String),
    sa.column("created_at", sa.DateTime),
    sa.column("primary_paid_on", sa.Date),
)
_states = sa.table(
    "claim_states",
    sa.column("claim_id", sa.Integer),
    sa.column("changed_at", sa.DateTime),
    sa.column("remittance_claim_id", sa.Integer),
)
_payments = sa.table(
    "remittance_claims", sa.column("id", sa.Integer), sa.column("remittance_id", sa.Integer)
)
_remittances = sa.table(
    "remittances", sa.column("id", sa.Integer), sa.column("payment_date", sa.Date)
)


def _paid_on(connection: sa.Connection) -> dict[int, date]:
    """Each poster-built secondary claim's primary payment date, when exactly one posted
    payment of its primary was recorded in the transaction that stored it."""
    secondary = _claims.alias("secondary")
    primary = _claims.alias("primary")
    rows = connection.execute(
        sa.select(secondary.c.id, secondary.c.created_at, _remittances.c.payment_date)
        .select_from(secondary)
        .join(
            primary,
            sa.and_(
                primary.c.practice_id == secondary.c.practice_id,
                primary.c.patient_control_number + SUFFIX == secondary.c.patient_control_number,
            ),
        )
        .join(
            _states,
            sa.and_(
                _states.c.claim_id == primary.c.id,
                _states.c.changed_at == secondary.c.created_at,
                _states.c.remittance_claim_id.is_not(None),
            ),
        )
        .join(_payments, _payments.c.id == _states.c.remittance_claim_id)
        .join(_remittances, _remittances.c.id == _payments.c.remittance_id)
        .where(
            secondary.c.kind == "claim",
            secondary.c.patient_control_number.like(f"%{SUFFIX}"),
        )
    )
    found: dict[int, set[date]] = {}
    for claim_id, created_at, payment_date in rows:
        found.setdefault(claim_id, set()).add(payment_date or created_at.date())
    return {claim_id: dates.pop() for claim_id, dates in found.items() if len(dates) == 1}


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secondary_filing_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("primary_paid_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    filled = _paid_on(bind)
    if filled:
        bind.execute(
            _claims.update()
            .where(_claims.c.id == sa.bindparam("claim"))
            .values(primary_paid_on=sa.bindparam("paid")),
            [{"claim": claim_id, "paid": paid_on} for claim_id, paid_on in filled.items()],
        )
        log.info("0021: primary_paid_on filled for %d secondary claims", len(filled))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("primary_paid_on")
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.drop_column("secondary_filing_days")
