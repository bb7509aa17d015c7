"""The aging CSV cannot smuggle a formula into a spreadsheet (OWASP CSV injection): text
cells that start like a formula get a leading quote; our own amounts stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from edigateway.services.dashboard import aging_csv
from edigateway.services.followup import Aging, AgingLine
from edigateway.services.spreadsheet_cells import FORMULA_STARTS

BUCKETS = ("0-30", "31-60", "61-90", "91-120", "120+")


def _report(name: str, payer_id: str = "DDPIL", amount: str = "-12.50") -> Aging:
    buckets = dict.fromkeys(BUCKETS, Decimal("0.00")) | {"0-30": Decimal(amount)}
    return Aging(
        as_of=date(2026, 11, 23),
        by="sent",
        buckets=BUCKETS,
        payers=(AgingLine(name, payer_id, 1, buckets, Decimal(amount)),),
        total=AgingLine("TOTAL", None, 1, buckets, Decimal(amount)),
        timely_filing=(),
        claims=(),
    )


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_a_hyperlink_formula_is_shown_as_text_and_negative_amounts_stay_numbers():
    header, row, total = _rows(aging_csv(_report('=HYPERLINK("http://x")', "+1")))
    assert row[:2] == ['\'=HYPERLINK("http://x")', "'+1"]
    assert row[header.index("0-30")] == row[header.index("total")] == "-12.50"
    assert total[0] == "TOTAL"
    assert total[header.index("total")] == "-12.50"


def test_every_formula_start_is_neutralised():
    for start in FORMULA_STARTS:
        assert _rows(aging_csv(_report(f"{start}1+1")))[1][0] == f"'{start}1+1"
    assert _rows(aging_csv(_report("DELTA - IL")))[1][0] == "DELTA - IL"


@given(st.text(max_size=60))
def test_no_text_cell_reads_as_a_formula_and_nothing_else_changes(name: str):
    cell = _rows(aging_csv(_report(name)))[1][0]
    assert not cell.startswith(FORMULA_STARTS)
    assert cell in (name, f"'{name}")
    assert (cell == name) == (not name.startswith(FORMULA_STARTS))
