"""Which dental service type (X12 1365) a CDT code falls under, by the CDT chapters.

Payers tie codes to categories in their plan documents; when a 271 names a code under a
service type (EB13), that wins. Otherwise the CDT chapter decides::

    >>> service_type_of("D2740")
    '36'
    >>> service_type_of("D1110")
    '41'
"""

from __future__ import annotations

from typing import Final

CHAPTERS: Final = (
    # (first code, last code, service type)
    ("D0100", "D0999", "23"),  # diagnostic
    ("D1000", "D1999", "41"),  # preventive
    ("D2000", "D2699", "25"),  # restorative: amalgams, composites, inlays
    ("D2700", "D2899", "36"),  # crowns and crown repair
    ("D2900", "D2999", "25"),  # other restorative (recement, build-ups vary by plan)
    ("D3000", "D3999", "26"),  # endodontics
    ("D4000", "D4999", "24"),  # periodontics
    ("D5000", "D5899", "39"),  # removable prosthodontics
    ("D5900", "D5999", "27"),  # maxillofacial prosthetics
    ("D6000", "D6999", "39"),  # implants and fixed prosthodontics
    ("D7000", "D7999", "40"),  # oral and maxillofacial surgery
    ("D8000", "D8999", "38"),  # orthodontics
    ("D9000", "D9999", "28"),  # adjunctive general services
)


def service_type_of(code: str) -> str:
    """The service type of a CDT code (``35`` Dental Care when outside every chapter)."""
    for first, last, service_type in CHAPTERS:
        if first <= code <= last:
            return service_type
    return "35"
