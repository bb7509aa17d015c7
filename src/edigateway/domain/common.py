"""Building blocks shared by every domain model: money, names, addresses, code types.

Money is :class:`~decimal.Decimal` with two places, never float: ``Money`` parses
``"150"``, ``150`` or ``"150.5"`` into ``Decimal("150.00")`` and refuses more precision
than cents, so a sum of lines always equals the total printed on the claim.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

CENT = Decimal("0.01")


def _to_money(value: object) -> Decimal:
    if type(value) is Decimal and value.is_finite() and abs(value) < MONEY_LIMIT:
        # the readers' amounts, already parsed as Decimal: what the general path below
        # returns for them, without the text round trip (an 835 validates 200,000 amounts)
        cents = value.quantize(CENT)
        if cents == value:
            return cents
    if isinstance(value, float):
        # Floats are refused on purpose: 0.1 + 0.2 is not 0.3 on a claim.
        value = repr(value)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    if abs(amount) >= MONEY_LIMIT:
        raise ValueError(f"not a plausible amount (at most {MONEY_LIMIT - CENT}): {value!r}")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError(f"more precision than cents: {value!r}")
    return amount.quantize(CENT)


MONEY_LIMIT = Decimal("10000000000")
"""Ten billion dollars: above any dental claim or payment, below every column's range."""


def _money_text(value: Decimal) -> str:
    """``format(value, "f")``: an amount is never written in exponent notation. ``str``
    writes the same digits for every amount of cents and costs a quarter as much (an 835
    written as JSON has 340,000 amounts); it is only used when it says no exponent."""
    text = str(value)
    return text if "E" not in text else format(value, "f")


Money = Annotated[
    Decimal,
    BeforeValidator(_to_money),
    PlainSerializer(_money_text, return_type=str, when_used="json"),
]
"""An amount of money in dollars with exactly two decimal places (serialized as a string)."""


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must not be negative")
    return value


NonNegativeMoney = Annotated[Money, AfterValidator(_non_negative)]


class DomainModel(BaseModel):
    """Base for domain models: immutable, strict about unknown fields, whitespace trimmed."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=True,
        validate_default=True,
    )


USState = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="Two-letter state code")]
PostalCode = Annotated[
    str, Field(pattern=r"^[0-9]{5}([0-9]{4})?$", description="ZIP code, 5 or 9 digits, no dash")
]
Gender = Literal["M", "F", "U"]
NPI = Annotated[str, Field(pattern=r"^[0-9]{10}$", description="National Provider Identifier")]
Taxonomy = Annotated[
    str, Field(pattern=r"^[0-9A-Z]{9}X$", description="Health care provider taxonomy code")
]
PhoneNumber = Annotated[str, Field(pattern=r"^[0-9]{10}$", description="10-digit phone number")]


class Address(DomainModel):
    """A US postal address (the 837D N3/N4 pair)."""

    line1: Annotated[str, Field(min_length=1, max_length=55)]
    line2: Annotated[str | None, Field(max_length=55)] = None
    city: Annotated[str, Field(min_length=2, max_length=30)]
    state: USState
    postal_code: PostalCode


class PersonName(DomainModel):
    """A person's name as claims carry it (NM103–NM107)."""

    last_name: Annotated[str, Field(min_length=1, max_length=60)]
    first_name: Annotated[str | None, Field(max_length=35)] = None
    middle_name: Annotated[str | None, Field(max_length=25)] = None
    suffix: Annotated[str | None, Field(max_length=10)] = None
