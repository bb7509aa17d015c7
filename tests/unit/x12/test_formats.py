"""X12 numbers are read by the X12 definition, not by whatever ``Decimal`` or ``int`` take.

A hypothesis property compares :func:`parse_amount` with a plain reference (the ``R``
pattern, at most 18 digits, below the money limit) on arbitrary text, and checks that only
``ValueError`` ever comes out, so the readers' ``except ValueError`` covers every refusal.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edigateway.domain.common import CENT, MONEY_LIMIT
from edigateway.x12.formats import is_digits, parse_amount, parse_decimal

NUMBERS = st.one_of(
    st.from_regex(r"-?[0-9]{0,21}(\.[0-9]{0,5})?", fullmatch=True),
    st.text(alphabet="0123456789.-+eEnaNIfity _\u00b2\u0663", max_size=30),
    st.text(max_size=30),
)


def _reference(text: str) -> Decimal | None:
    if not re.fullmatch(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)", text):
        return None
    if sum(c in "0123456789" for c in text) > 18:
        return None
    value = Decimal(text)
    return None if abs(value) >= MONEY_LIMIT else value.quantize(CENT)


@given(NUMBERS)
def test_parse_amount_follows_the_x12_definition(text: str):
    try:
        got: Decimal | None = parse_amount(text)
    except ValueError:
        got = None
    assert got == _reference(text)


@pytest.mark.slow  # generated numbers by the hundred
@given(NUMBERS, st.integers(1, 20))
def test_parse_decimal_refuses_only_with_value_error(text: str, digits: int):
    try:
        value = parse_decimal(text, digits)
    except ValueError:
        return
    assert value.is_finite()
    assert len(value.as_tuple().digits) <= digits


@given(st.text(max_size=25))
def test_is_digits_means_int_reads_it(text: str):
    if is_digits(text):
        assert int(text) >= 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1E5", "not a number as X12 writes them"),
        ("NaN", "not a number"),
        ("9" * 19, "has 19 digits; the element allows at most 18"),
        ("10000000000", "beyond the largest amount"),
        ("\u00b2", "not a number"),
    ],
)
def test_refusals_say_which_rule(text: str, message: str):
    with pytest.raises(ValueError, match=message):
        parse_amount(text)
