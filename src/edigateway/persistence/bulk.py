"""Bulk inserts and updates of rows we build ourselves, straight to the DBAPI's
``executemany``.

Posting a 20,000-claim 835 writes about half a million rows (line payments, CAS triplets,
postings, history). Passed to SQLAlchemy as dictionaries, most of their cost was its
per-row parameter building (``construct_params``) and the :class:`~.tables.Cents` type's
bind processor; here a row is a tuple in column order and only the values that need it
are converted, the way SQLAlchemy would convert them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from edigateway.persistence.tables import Cents

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy import Table
    from sqlalchemy.engine import Dialect
    from sqlalchemy.orm import Session


def cents(value: Decimal | None) -> int | None:
    """An amount as the whole cents :class:`~.tables.Cents` stores: the same value and the
    same refusal of a fraction of a cent as its bind processor, without its call chain."""
    if value is None:
        return None
    scaled = value.scaleb(2)
    whole = int(scaled)
    if whole != scaled:
        msg = f"{value} has fractions of a cent"
        raise ValueError(msg)
    return whole


def insert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (values in the order of ``columns``) with one ``executemany`` in
    the session's transaction.

    Amounts (:class:`~.tables.Cents` columns) become whole cents; any other value goes
    through its column's bind processor when the type has one on this dialect (dates to
    text on SQLite). Columns left out get NULL, not their Python-side default: callers
    name every column that has one.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join([_mark(dialect)] * len(columns))
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608 - names from the metadata, quoted; values bound
    connection.exec_driver_sql(statement, _converted(table, columns, rows, dialect))


def update_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set ``columns`` of rows given by ID with one ``executemany``: each of ``rows`` is
    the new values in the order of ``columns``, then the row's ``id``. Values are
    converted as :func:`insert_rows` converts them. Rows loaded in the session are not
    told: the caller sets their attributes as committed (posting moves 20,000 claims, and
    the ORM's unit of work cost ~0.1 ms per updated row)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    mark = _mark(dialect)
    sets = ", ".join(f"{quote(c)} = {mark}" for c in columns)
    statement = f"UPDATE {quote(table.name)} SET {sets} WHERE {quote('id')} = {mark}"  # noqa: S608 - names from the metadata, quoted; values bound
    connection.exec_driver_sql(statement, _converted(table, (*columns, "id"), rows, dialect))


def _mark(dialect: Dialect) -> str:
    return "?" if dialect.paramstyle == "qmark" else "%s"


def _converted(
    table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    """``rows`` as the DBAPI takes them: amounts in cents, other values through their
    column type's bind processor on this dialect, where it has one."""
    convert: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        if isinstance(column_type, Cents):
            convert.append((index, cents))
            continue
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            convert.append((index, processor))
    if not convert:
        return [tuple(r) for r in rows]
    converted: list[tuple[Any, ...]] = []
    for row in rows:
        values = list(row)
        for index, to_column in convert:
            values[index] = to_column(values[index])
        converted.append(tuple(values))
    return converted
