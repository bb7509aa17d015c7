"""Write the API's OpenAPI document to a file: the checked-in ``docs/openapi.json``, which
a test compares with the document the app serves (so every change to the contract is a
reviewed change to that file)::

    .venv/bin/python -m edigateway.api.export docs/openapi.json

The app is built on default settings; building the document opens nothing (no database,
no keys), so this runs anywhere the package is installed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from edigateway.api.app import create_app
from edigateway.bootstrap import bootstrap

if TYPE_CHECKING:
    from fastapi import FastAPI

DEFAULT = Path("docs/openapi.json")


def text_of(app: FastAPI) -> str:
    """The document as checked in: indented, keys in the app's order, UTF-8, a final
    newline."""
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """``python -m edigateway.api.export [FILE]`` (default ``docs/openapi.json``)."""
    target = Path(argv[0]) if argv else DEFAULT
    with bootstrap() as gateway:
        target.write_text(text_of(create_app(gateway)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
