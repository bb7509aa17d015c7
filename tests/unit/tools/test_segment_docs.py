"""The segment tables of docs/segments/ (tools/segdocs/gen.py): generated from the specs,
committed, and proven current — a spec changed without regenerating fails here."""

from __future__ import annotations

import importlib.util
import re
import sys
from types import ModuleType

from edigateway.x12.spec import MODULES, guide
from tests.factories import REPO


def _gen() -> ModuleType:
    """tools/segdocs/gen.py, imported by path (tools/ is not a package)."""
    if "segdocs_gen" in sys.modules:
        return sys.modules["segdocs_gen"]
    spec = importlib.util.spec_from_file_location("segdocs_gen", REPO / "tools/segdocs/gen.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["segdocs_gen"] = module
    spec.loader.exec_module(module)
    return module


gen = _gen()


def _row(page: str, heading: str, segment: str) -> str:
    """The table row of ``segment`` in the section under ``heading``."""
    section = page.split(f"\n{heading}\n", 1)[1].split("\n### ", 1)[0]
    return next(line for line in section.splitlines() if line.startswith(f"| {segment} |"))


def test_regeneration_is_byte_identical_to_what_is_committed():
    files = gen.outputs()
    assert set(files) == {gen.OUT / f"{key}.md" for key in MODULES} | {gen.OUT / "README.md"}
    stale = [
        str(path.relative_to(REPO))
        for path, text in files.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, "regenerate with .venv/bin/python tools/segdocs/gen.py: " + ", ".join(stale)
    assert gen.main(["--check"]) == 0


def test_a_spec_change_changes_the_page():
    from dataclasses import replace

    original = guide("276")
    renamed = replace(original, info=replace(original.info, title="Renamed"))
    assert gen.page(renamed) != gen.page(original)
    assert gen.page(renamed).startswith("# 276: Renamed (005010X212)\n")


def test_pages_say_usage_rules_and_unused_elements():
    page_837d = gen.page(guide("837D"))
    sv3 = _row(page_837d, "### Loop 2400 Line Counter", "SV3")
    assert "**SV306** S Procedure Count" in sv3
    assert "RFI 1866 prohibits reporting SV306 with the value 1" in sv3
    assert "not used: SV307, SV308, SV309, SV310" in sv3
    # loop 2300 is one spec used under 2000B and 2000C: written once, referred to after
    assert page_837d.count("### Loop 2300 Claim Information") == 2
    assert "The same segments and loops as under 2000A › 2000B above." in page_837d
    page_276 = gen.page(guide("276"))
    dependent = _row(page_276, "### Loop 2100E Dependent Name", "NM1")
    assert re.search(r"not used: [^|]*NM108, NM109", dependent)
    assert "**NM108**" not in dependent
    # the interchange elements get the standard's names, not the dictionary's numbers
    isa = _row(page_276, "### Interchange Control Header", "ISA")
    assert "**ISA09** R Interchange Date (DT 6-6)" in isa


def test_the_index_and_conformance_link_every_page():
    index = (gen.OUT / "README.md").read_text(encoding="utf-8")
    conformance = (REPO / "docs" / "conformance.md").read_text(encoding="utf-8")
    for key in MODULES:
        assert f"]({key}.md)" in index
        assert f"](segments/{key}.md)" in conformance
