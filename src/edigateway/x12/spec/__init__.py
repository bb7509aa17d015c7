"""One declarative spec per X12 implementation guide: the single source of our grammar.

Each module describes one guide's transaction as a tree of :mod:`.model` objects:

=========  ===================  ==========================================
key        module               guide
=========  ===================  ==========================================
837D       ``x224a2_837d``      005010X224A2 Health Care Claim: Dental
270        ``x279a1_270``       005010X279A1 Eligibility Inquiry
271        ``x279a1_271``       005010X279A1 Eligibility Response
276        ``x212_276``         005010X212 Claim Status Request
277        ``x212_277``         005010X212 Claim Status Response
277CA      ``x214_277ca``       005010X214 Claim Acknowledgment
275        ``x210_275``         005010X210 Additional Information (attachments)
835        ``x221a1_835``       005010X221A1 Claim Payment/Advice
999        ``x231a1_999``       005010X231A1 Implementation Acknowledgment
=========  ===================  ==========================================

From the specs, ``tools/mapgen/gen.py`` generates our pyx12 maps (``mappings/pyx12/``),
``tools/segdocs/gen.py`` the segment tables of ``docs/segments/``, and
``tools/grammar_audit`` compares them with independent grammars. A reader asks a guide
which loop a segment starts (:meth:`.model.Guide.start_of`, :meth:`.model.Guide.loop_starts`).
Specs are built on first use (``guide("837D")``), not at import.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Final

from edigateway.errors import ConfigurationError
from edigateway.x12.spec.model import Guide, LoopTracker

MODULES: Final[dict[str, str]] = {
    "837D": "x224a2_837d",
    "270": "x279a1_270",
    "271": "x279a1_271",
    "276": "x212_276",
    "277": "x212_277",
    "277CA": "x214_277ca",
    "275": "x210_275",
    "835": "x221a1_835",
    "999": "x231a1_999",
}


@cache
def guide(key: str) -> Guide:
    """The spec of one guide by its key (``"837D"``, ``"277CA"`` …), built once."""
    if key not in MODULES:
        raise ConfigurationError(f"no X12 spec for {key!r}; known: {', '.join(MODULES)}")
    module = importlib.import_module(f"edigateway.x12.spec.{MODULES[key]}")
    found: Guide = module.guide()
    return found


__all__ = ["MODULES", "Guide", "LoopTracker", "all_guides", "guide"]


def all_guides() -> tuple[Guide, ...]:
    """Every guide's spec, in the order of :data:`MODULES`."""
    return tuple(guide(key) for key in MODULES)
