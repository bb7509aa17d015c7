"""Keep PHI out of logs: a :class:`logging.Filter` that masks what looks like patient data.

Our own messages name claims by number and records by ID, never by patient; this filter is
the second line, for text that passes through logs from elsewhere (a library's exception
quoting an X12 segment, a stray request body). It masks the elements of X12 segments that
carry people (NM1, N3, N4, DMG, REF, PER) and anything shaped like a date of birth, and
the installed filter is on every handler of the root logger, so no record skips it::

    >>> PhiRedactor().redact("bad segment NM1*IL*1*DOE*JANE****MI*W123~")
    'bad segment NM1*[redacted]~'
"""

from __future__ import annotations

import logging
import re
from typing import Final

_SEGMENTS: Final = re.compile(r"\b(NM1|N3|N4|DMG|REF|PER)([*|^\x1d])[^~\n\x1c'\r]*")
_DATES: Final = re.compile(r"\b(19|20)\d{2}-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])\b")


class PhiRedactor(logging.Filter):
    """Masks PHI-shaped text in every log record (message and arguments, rendered)."""

    def redact(self, text: str) -> str:
        """``text`` with person segments' elements and date-like values masked."""
        text = _SEGMENTS.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
        return _DATES.sub("[date]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the record once, redacted; never drop it."""
        rendered = record.getMessage()
        cleaned = self.redact(rendered)
        if cleaned != rendered:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install() -> PhiRedactor:
    """Put the redactor on the root logger's handlers and on uvicorn's loggers."""
    redactor = PhiRedactor()
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access", "edigateway"):
        logger = logging.getLogger(name)
        logger.addFilter(redactor)
        for handler in logger.handlers:
            handler.addFilter(redactor)
    return redactor
