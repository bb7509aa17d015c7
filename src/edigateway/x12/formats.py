"""X12 value formats shared by the codecs: amounts (R), dates (D8), times (TM).

Amounts are written the way the guides show them, without trailing zeros
(``Decimal("150.00")`` → ``150``, ``Decimal("100.50")`` → ``100.5``) and read back to two
places, so a claim survives a round trip unchanged::

    >>> x12_amount(Decimal("100.50")), parse_amount("100.5")
    ('100.5', Decimal('100.50'))
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from edigateway.domain.common import CENT


def x12_amount(value: Decimal) -> str:
    """An amount as an X12 ``R`` value: no trailing zeros, no leading plus sign."""
    text = format(value.quantize(CENT), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse_amount(text: str) -> Decimal:
    """An X12 ``R`` value as money (two places); raises ``ValueError`` when not a number."""
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a number") from exc
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a number")
    return value.quantize(CENT)


def x12_date(value: date) -> str:
    """A date as ``CCYYMMDD`` (D8)."""
    return value.strftime("%Y%m%d")


def parse_date(text: str) -> date:
    """A ``CCYYMMDD`` date; raises ``ValueError`` otherwise."""
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"{text!r} is not a CCYYMMDD date")
    try:  # by hand: strptime costs more than all else in a service line
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a calendar date ({exc})") from exc


def parse_datetime(day: str, time: str) -> datetime:
    """GS04/GS05-style ``CCYYMMDD`` + ``HHMM[SS]`` into a naive local datetime."""
    stamp = parse_date(day)
    if not (4 <= len(time) <= 8 and time[:4].isdigit()):
        raise ValueError(f"{time!r} is not an HHMM time")
    return datetime(stamp.year, stamp.month, stamp.day, int(time[:2]), int(time[2:4]))  # noqa: DTZ001
