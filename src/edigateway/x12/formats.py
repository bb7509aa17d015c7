"""X12 value formats shared by the codecs: amounts (R), dates (D8), times (TM).

Amounts are written the way the guides show them, without trailing zeros
(``Decimal("150.00")`` → ``150``, ``Decimal("100.50")`` → ``100.5``) and read back to two
places, so a claim survives a round trip unchanged::

    >>> x12_amount(Decimal("100.50")), parse_amount("100.5")
    ('100.5', Decimal('100.50'))

Reading is bounded by the X12 definition of a decimal number (data type ``R``): ASCII
digits with an optional leading minus sign and at most one decimal point, no exponent, no
``NaN`` or ``Infinity``, and no more digits than the element allows (18 for an amount,
data element 782). Python's ``Decimal`` would accept ``1E+999999`` or ``NaN`` and fail later
far from the file; checking the text first turns such a value into an error at its element.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from edigateway.domain.common import CENT, MONEY_LIMIT

AMOUNT_DIGITS: Final = 18
"""Maximum digits of an amount (data element 782, ``R`` 1/18; sign and point not counted)."""
QUANTITY_DIGITS: Final = 15
"""Maximum digits of a quantity (data element 380, ``R`` 1/15)."""

_DECIMAL: Final = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_AMOUNT: Final = re.compile(r"-?(?=\.?(?:[0-9]\.?){1,18}\Z)(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
""":data:`_DECIMAL` with at most 18 digits, in one match: amounts are most of an 835."""


def parse_decimal(text: str, max_digits: int) -> Decimal:
    """An X12 ``R`` value with at most ``max_digits`` digits; ``ValueError`` otherwise.

    ``str.isdigit`` and ``Decimal`` both accept far more than X12 does (``"²"``, ``"1e5"``,
    ``"NaN"``, Arabic-Indic digits), hence the explicit pattern.
    """
    if not _DECIMAL.fullmatch(text):
        raise ValueError(
            f"{text[:40]!r} is not a number as X12 writes them (digits, an "
            "optional leading minus sign and decimal point; no exponent)"
        )
    digits = len(text) - text.startswith("-") - ("." in text)
    if digits > max_digits:
        raise ValueError(
            f"{text[:40]!r} has {digits} digits; the element allows at most {max_digits}"
        )
    return Decimal(text)


def x12_amount(value: Decimal) -> str:
    """An amount as an X12 ``R`` value: no trailing zeros, no leading plus sign."""
    text = format(value.quantize(CENT), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse_amount(text: str) -> Decimal:
    """An X12 amount as money (two places); ``ValueError`` when it is not an X12 ``R`` value
    of at most 18 digits, or beyond what any dental payment can be (the domain's limit)."""
    if not _AMOUNT.fullmatch(text):
        parse_decimal(text, AMOUNT_DIGITS)  # raises, saying which rule the text breaks
    value = Decimal(text)
    if len(text) > 10 and abs(value) >= MONEY_LIMIT:  # ten characters stay below it
        raise ValueError(
            f"{text!r} is beyond the largest amount edigateway accepts ({MONEY_LIMIT - CENT})"
        )
    return value.quantize(CENT)


def is_digits(text: str, max_digits: int = AMOUNT_DIGITS) -> bool:
    """``text`` is 1 to ``max_digits`` ASCII digits (an X12 ``N0`` value that ``int`` reads;
    ``str.isdigit`` alone also accepts ``"²"``, which ``int`` refuses)."""
    return 0 < len(text) <= max_digits and text.isascii() and text.isdigit()


def x12_date(value: date) -> str:
    """A date as ``CCYYMMDD`` (D8)."""
    return value.strftime("%Y%m%d")


def parse_date(text: str) -> date:
    """A ``CCYYMMDD`` date; raises ``ValueError`` otherwise."""
    if len(text) != 8 or not is_digits(text, 8):
        raise ValueError(f"{text[:40]!r} is not a CCYYMMDD date")
    try:  # by hand: strptime costs more than all else in a service line
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a calendar date ({exc})") from exc


def parse_datetime(day: str, time: str) -> datetime:
    """GS04/GS05-style ``CCYYMMDD`` + ``HHMM[SS]`` into a naive local datetime."""
    stamp = parse_date(day)
    if not (4 <= len(time) <= 8 and is_digits(time[:4])):
        raise ValueError(f"{time[:40]!r} is not an HHMM time")
    return datetime(stamp.year, stamp.month, stamp.day, int(time[:2]), int(time[2:4]))  # noqa: DTZ001
