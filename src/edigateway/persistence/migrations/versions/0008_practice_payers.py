"""Payer names, aliases and filing limits per practice.

Until now one ``payers`` row per payer ID was shared by every practice: its name was the
text the first practice happened to send, and its timely-filing limit was set for all. Now
each practice has its own row, keyed by (practice, payer ID):

* the practice that created the shared row (the one with the earliest claim for it) keeps
  the row, its name and its limit;
* every other practice with claims for that payer gets a new row with the limit the shared
  row had and the name found in *its own* earliest claim (claim documents are opened
  with the PHI cipher :meth:`Database.upgrade` hands over); its claims are moved to it;
* other names a practice has sent for the payer become its ``aliases`` (JSON list);
* a row no claim refers to belonged to nobody and is dropped.

When a document does not open (the upgrade ran without the PHI keys), that practice's
row is named by its payer ID rather than borrowing another practice's text, and a warning
says so; such a row takes the name of the practice's next claim for the payer
(:class:`~edigateway.services.claim_store.ClaimStore`).

Downgrade folds the rows back into the earliest one per payer ID (other practices' names
and limits are lost, as they were before this revision).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from alembic import context, op

from edigateway.errors import PhiError
from edigateway.security.phi import VERSION, Binding, PhiCipher

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

MAX_ALIASES = 20
"""Names kept per practice and payer besides the display name."""

_payers = sa.table(
    "payers",
    sa.column("id", sa.Integer),
    sa.column("practice_id", sa.Integer),
    sa.column("payer_id", sa.String),
    sa.column("name", sa.String),
    sa.column("aliases", sa.Text),
    sa.column("timely_filing_days", sa.Integer),
)
_claims = sa.table(
    "claims",
    sa.column("id", sa.Integer),
    sa.column("practice_id", sa.Integer),
    sa.column("payer_id", sa.Integer),
    sa.column("patient_control_number", sa.String),
    sa.column("document_sha256", sa.String),
    sa.column("document", sa.Text),
)


class _Seen:
    """What one practice sent for one shared payer row: names in order of first use.

    (A plain class: alembic loads this file outside ``sys.modules``, where dataclasses
    cannot resolve their annotations.)
    """

    __slots__ = ("first_claim", "names")

    def __init__(self, first_claim: int) -> None:
        self.first_claim = first_claim
        self.names: list[str] = []

    def add(self, name: str | None) -> None:
        if name is not None and _norm(name) not in {_norm(n) for n in self.names}:
            self.names.append(name)


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _payer_name(cipher: PhiCipher | None, document: str, binding: Binding) -> str | None:
    """The payer name in one claim document, or None when it cannot be read."""
    try:
        if document.startswith(f"{VERSION}."):
            if cipher is None:
                return None
            document = cipher.open(document, binding)
        name = json.loads(document)["payer"]["name"]
    except (PhiError, ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) and name.strip() else None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("aliases", sa.Text(), nullable=True))
        batch_op.drop_constraint("uq_payers_payer_id", type_="unique")
    _split_shared_rows()
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.alter_column("practice_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("aliases", existing_type=sa.Text(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_payers_practice_id"), ["practice_id", "payer_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_payers_practice_id_practices"), "practices", ["practice_id"], ["id"]
        )


def _split_shared_rows() -> None:
    bind = op.get_bind()
    cipher = context.config.attributes.get("phi")
    if not isinstance(cipher, PhiCipher):
        cipher = None
    seen: dict[tuple[int, int], _Seen] = {}
    query = sa.select(
        _claims.c.id,
        _claims.c.practice_id,
        _claims.c.payer_id,
        _claims.c.patient_control_number,
        _claims.c.document_sha256,
        _claims.c.document,
    ).order_by(_claims.c.id)
    for row in bind.execute(query.execution_options(yield_per=500)):
        key = (int(row.payer_id), int(row.practice_id))
        if key not in seen:
            seen[key] = _Seen(first_claim=int(row.id))
        seen[key].add(
            _payer_name(
                cipher,
                str(row.document),
                Binding(
                    "claims",
                    "document",
                    int(row.practice_id),
                    f"{row.patient_control_number}:{row.document_sha256}",
                ),
            )
        )
    by_payer: dict[int, list[tuple[int, _Seen]]] = {}
    for (payer, practice), what in seen.items():
        by_payer.setdefault(payer, []).append((practice, what))
    unnamed = 0
    for shared in bind.execute(sa.select(_payers)).all():
        users = sorted(by_payer.get(shared.id, []), key=lambda u: u[1].first_claim)
        if not users:
            bind.execute(_payers.delete().where(_payers.c.id == shared.id))
            continue
        (creator, created), *others = users
        bind.execute(
            _payers.update()
            .where(_payers.c.id == shared.id)
            .values(practice_id=creator, aliases=_aliases(shared.name, created.names))
        )
        for practice, what in others:
            name = what.names[0] if what.names else shared.payer_id
            unnamed += not what.names
            new_id = bind.execute(
                _payers.insert()
                .values(
                    practice_id=practice,
                    payer_id=shared.payer_id,
                    name=name[:60],
                    aliases=_aliases(name, what.names),
                    timely_filing_days=shared.timely_filing_days,
                )
                .returning(_payers.c.id)
            ).scalar_one()
            bind.execute(
                _claims.update()
                .where(_claims.c.payer_id == shared.id, _claims.c.practice_id == practice)
                .values(payer_id=new_id)
            )
    if unnamed:
        log.warning(
            "0008: %d practice payer row(s) named by their payer ID: the claim "
            "documents did not open (was the upgrade run without the PHI keys?)",
            unnamed,
        )


def _aliases(name: str, names: list[str]) -> str:
    others = [n for n in names if _norm(n) != _norm(name)]
    return json.dumps(others[:MAX_ALIASES])


def downgrade() -> None:
    """Revert."""
    bind = op.get_bind()
    keep: dict[str, int] = {
        row.payer_id: row.first
        for row in bind.execute(
            sa.select(_payers.c.payer_id, sa.func.min(_payers.c.id).label("first")).group_by(
                _payers.c.payer_id
            )
        )
    }
    for row in bind.execute(sa.select(_payers.c.id, _payers.c.payer_id)).all():
        if row.id != keep[row.payer_id]:
            bind.execute(
                _claims.update()
                .where(_claims.c.payer_id == row.id)
                .values(payer_id=keep[row.payer_id])
            )
            bind.execute(_payers.delete().where(_payers.c.id == row.id))
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_payers_practice_id_practices"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_payers_practice_id"), type_="unique")
        batch_op.drop_column("aliases")
        batch_op.drop_column("practice_id")
        batch_op.create_unique_constraint(batch_op.f("uq_payers_payer_id"), ["payer_id"])
