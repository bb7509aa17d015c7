"""Generate the segment tables of ``docs/segments/`` from the package's X12 specs.

The spec of each guide (``src/edigateway/x12/spec/``) is the single source of what we read,
write and validate; these pages show it to people: per loop, each segment with its usage
(R required, S situational with the guide's rule where the spec states one, N not used), its
maximum use, and the elements it uses with their codes. Run from the repository root after
changing a spec::

    .venv/bin/python tools/segdocs/gen.py            # write docs/segments/
    .venv/bin/python tools/segdocs/gen.py --check    # exit 1 if a page would change

The pages are committed; ``tests/unit/tools/test_segment_docs.py`` proves that regeneration
reproduces them byte for byte, so they cannot drift from the specs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from edigateway.x12.spec import all_guides
from edigateway.x12.spec.model import Composite, Element, Guide, Loop, Segment

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "segments"
MAX_CODES = 12
"""Code lists longer than this show their first codes and a count (the spec has them all)."""
USAGE = {"R": "required", "S": "situational", "N": "not used"}
NAMES = {
    "I01": "Authorization Information Qualifier",
    "I02": "Authorization Information",
    "I03": "Security Information Qualifier",
    "I04": "Security Information",
    "I05": "Interchange ID Qualifier",
    "I06": "Interchange Sender ID",
    "I07": "Interchange Receiver ID",
    "I08": "Interchange Date",
    "I09": "Interchange Time",
    "I11": "Interchange Control Version Number",
    "I12": "Interchange Control Number",
    "I13": "Acknowledgment Requested",
    "I14": "Interchange Usage Indicator",
    "I15": "Component Element Separator",
    "I16": "Number of Included Functional Groups",
    "I17": "Interchange Acknowledgment Code",
    "I18": "Interchange Note Code",
    "97": "Number of Transaction Sets Included",
    "124": "Application Receiver's Code",
}
"""The standard's names for elements that the X12 dictionary we carry (pyx12's) names by
number only; the maps keep the dictionary's, so only these pages use them."""


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _codes(codes: Sequence[str] | None, external: str | None) -> str:
    if external:
        return f" (code list: {external})"
    if not codes:
        return ""
    shown = ", ".join(f"`{c}`" for c in codes[:MAX_CODES])
    more = len(codes) - MAX_CODES
    return f": {shown}" + (f" … and {more} more" if more > 0 else "")


def _element(ref: str, el: Element) -> str:
    repeat = f", repeats up to {el.repeat}" if el.repeat > 1 else ""
    low, high = el.lengths
    title = NAMES.get(el.title, el.title)
    line = (
        f"**{ref}** {el.usage} {title} ({el.type} {low}-{high}{repeat})"
        f"{_codes(el.codes, el.external)}"
    )
    return line + (f" — *{el.rule}*" if el.rule else "")


def _elements(seg: Segment) -> tuple[list[str], list[str]]:
    """The segment's used elements (one line each, components under their composite) and
    the references of those not used."""
    used: list[str] = []
    unused: list[str] = []
    for seq, item in enumerate(seg.elements, start=1):
        ref = f"{seg.id}{seq:02d}"
        if item.usage == "N":
            unused.append(ref)
        elif isinstance(item, Composite):
            line = f"**{ref}** {item.usage} {item.name or 'composite ' + item.number}"
            used.append(line + (f" — *{item.rule}*" if item.rule else ""))
            for sub, part in enumerate(item.parts, start=1):
                if part.usage == "N":
                    unused.append(f"{ref}-{sub:02d}")
                else:
                    used.append("&nbsp;&nbsp;" + _element(f"{ref}-{sub:02d}", part))
        else:
            used.append(_element(ref, item))
    return used, unused


def _row(seg: Segment) -> str:
    used, unused = _elements(seg)
    cells = used + ([f"not used: {', '.join(unused)}"] if unused else [])
    usage = seg.usage + (f": *{seg.rule}*" if seg.rule else "")
    return (
        f"| {seg.id} | {_cell(seg.name)} | {_cell(usage)} | {seg.max_use} | "
        f"{_cell('<br>'.join(cells))} |"
    )


_TABLE_HEAD = [
    "| Segment | Name | Usage | Max use | Elements |",
    "| --- | --- | --- | ---: | --- |",
]


class _Page:
    """One guide's page, written as the loop tree is walked."""

    def __init__(self, guide: Guide) -> None:
        self.guide = guide
        self.lines: list[str] = []
        self.seen: dict[Loop, str] = {}

    def heading(self, loop: Loop, path: tuple[str, ...], continued: bool) -> None:
        more = " (continued)" if continued else ""
        if loop.numbered:
            inside = f" Inside {' › '.join(path)}." if path else ""
            self.lines += ["", f"### Loop {loop.id} {loop.name}{more}", ""]
            if not continued:
                rule = f" *{loop.rule}*" if loop.rule else ""
                self.lines += [
                    (f"{USAGE[loop.usage].capitalize()}, repeat {loop.repeat}.{inside}{rule}"),
                    "",
                ]
        else:
            self.lines += ["", f"### {loop.name}{more}", ""]

    def walk(self, loop: Loop, path: tuple[str, ...]) -> None:
        """Rows for ``loop``'s segments, a section for each nested loop; a loop the guide
        uses in two places (the 837D's 2300) is written out once and referred to after."""
        here = (*path, loop.id) if loop.numbered else path
        if loop.numbered and loop in self.seen:
            self.heading(loop, path, continued=False)
            self.lines.append(f"The same segments and loops as under {self.seen[loop]} above.")
            return
        if loop.numbered:
            self.seen[loop] = " › ".join(path) or "the transaction"
        table = False
        started = False
        for child in loop.children:
            if isinstance(child, Loop):
                if child.children:
                    self.walk(child, here)
                    table = False
                continue
            if not table:
                self.heading(loop, path, continued=started)
                self.lines += _TABLE_HEAD
                table = started = True
            self.lines.append(_row(child))

    def outline(self) -> None:
        """The numbered loops as a nested list, for finding one's way."""

        def walk(loop: Loop, depth: int) -> None:
            for child in loop.loops():
                first = child.first_segment()
                start = f", starts with {first.id}" if first is not None else ""
                self.lines.append(
                    f"{'  ' * depth}- {child.id} {child.name} "
                    f"({child.usage}, repeat {child.repeat}{start})"
                )
                walk(child, depth + 1)

        walk(self.guide.transaction, 0)

    def text(self) -> str:
        guide, info = self.guide, self.guide.info
        ids = guide.identity()
        validated = (
            "our pyx12 map `mappings/pyx12/" + info.file + "` is generated from it"
            if guide.generated
            else "files are validated with pyx12's packaged map, which this spec "
            "mirrors (docs/conformance.md says where they differ)"
        )
        self.lines = [
            f"# {guide.key}: {info.title} ({info.vriic})",
            "",
            (
                f"<!-- Generated by tools/segdocs/gen.py from src/edigateway/x12/spec/"
                f"{guide.module}.py; edit the spec, not this page. -->"
            ),
            "",
            (
                f"GS01 `{ids.functional_id}`, ST01 `{ids.transaction_set}`, GS08 "
                f"`{ids.version}`. The spec `src/edigateway/x12/spec/{guide.module}.py` is what "
                f"our readers and writers follow; {validated}."
            ),
            "",
            (
                "Usage: **R** required, **S** situational (with the guide's rule in italics where "
                "the spec states one), **N** not used. Each element is shown with its usage, "
                "name, X12 data type and length, and its codes where the guide lists them; "
                "elements not used are listed after them."
            ),
            "",
            "## Loops",
            "",
        ]
        self.outline()
        self.lines += ["", "## Segments"]
        self.walk(guide.transaction, ())
        return "\n".join(self.lines) + "\n"


def page(guide: Guide) -> str:
    """One guide's page as text."""
    return _Page(guide).text()


def index(guides: Sequence[Guide]) -> str:
    """docs/segments/README.md: the pages."""
    lines = [
        "# Segment tables",
        "",
        "<!-- Generated by tools/segdocs/gen.py; edit the specs, not these pages. -->",
        "",
        (
            "One page per implementation guide, generated from its spec in "
            "`src/edigateway/x12/spec/` (the single source of our grammars; "
            "`docs/conformance.md` compares them with independent grammars)."
        ),
        "",
        "| Guide | Transaction | Version | Page |",
        "| --- | --- | --- | --- |",
    ]
    for guide in guides:
        info = guide.info
        lines.append(
            f"| {guide.key} | {info.title} | {info.vriic} | [{guide.key}.md]({guide.key}.md) |"
        )
    return "\n".join(lines) + "\n"


def outputs() -> dict[Path, str]:
    """Every page and its text."""
    guides = all_guides()
    files = {OUT / f"{g.key}.md": page(g) for g in guides}
    files[OUT / "README.md"] = index(guides)
    return files


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) every page."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a committed page differs"
    )
    args = parser.parse_args(argv)
    files = outputs()
    stale = [
        path
        for path, text in files.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)}")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for path in stale:
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
