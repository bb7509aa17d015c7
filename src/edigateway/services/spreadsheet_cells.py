"""Text cells for CSV files a coordinator opens in a spreadsheet (the aging report, the
per-claim A/R): neutralised against formula injection. Its own module so every CSV writer
(the dashboard's, the follow-up reports') uses it without importing the other."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, CSV injection)."""


def spreadsheet_text(value: str) -> str:
    """A text cell a spreadsheet shows as text: one that starts like a formula gets a
    leading single quote (``=HYPERLINK(…)`` → ``'=HYPERLINK(…)``), as OWASP advises.

    Only cells holding text someone typed (payer names and IDs) go through this; counts
    and amounts are our own numbers, so a negative amount stays ``-12.00`` and sums in
    the spreadsheet still work.
    """
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
