"""Digit patterns accept ASCII digits only: X12 numeric and ID elements are ASCII, and a
pattern's ``\\d`` would let Arabic-Indic or full-width digits into a claim or an 835."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from edigateway.domain.acknowledgments import ControlNumber
from edigateway.domain.common import NPI, PhoneNumber, PostalCode

NON_ASCII_DIGITS = ["\u0661", "\uff11", "\u0967"]  # Arabic-Indic, full-width, Devanagari


@pytest.mark.parametrize("digit", NON_ASCII_DIGITS)
@pytest.mark.parametrize(
    ("kind", "length"), [(NPI, 10), (PhoneNumber, 10), (PostalCode, 5), (ControlNumber, 9)]
)
def test_non_ascii_digits_are_refused(kind, length, digit):
    adapter = TypeAdapter(kind)
    assert adapter.validate_python("1" * length) == "1" * length
    with pytest.raises(ValidationError):
        adapter.validate_python(digit * length)
