"""The grammar audit (tools/grammar_audit): our X12 grammars against TigerShark and stupidedi.

The first test is the audit itself: every difference between our grammar and the reference
for each guide is either explained (``explained.toml``) or a known bug to be fixed
(``known_bugs.toml``), and no entry in either list is stale. The others check that the audit
and the extractor can tell a difference from a modelling choice, so that the first test can
fail for the right reasons.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from types import ModuleType

import pytest

from tests.factories import REPO

TOOL = REPO / "tools" / "grammar_audit"
GUIDES = ["837D", "270", "271", "276", "277", "277CA", "835", "999"]


def _load(name: str) -> ModuleType:
    """Import a tool script by path (``tools/`` is not a package)."""
    module_name = f"grammar_audit_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, TOOL / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


audit = _load("audit")
extract = _load("extract")


@pytest.mark.parametrize("guide", GUIDES)
def test_every_difference_is_explained_or_a_known_bug(guide):
    result = audit.verdict([guide])
    unexplained = [f"{d.key} — {d.detail}" for d in result.unexplained]
    assert not unexplained, (
        "differences neither in explained.toml nor in known_bugs.toml:\n" + "\n".join(unexplained)
    )
    assert not result.stale, "entries that no longer occur (fixed? delete them):\n" + "\n".join(
        result.stale
    )
    assert result.differences, f"{guide}: the audit compared nothing"


def test_the_837d_findings_of_issue_13_are_fixed():
    found = {d.key for d in audit.audit("837D")}
    for key in (
        "837D 2400/SV3/SV306 usage: ours R, tigershark S",
        "837D 2300/HI segment missing in ours",
        "837D 2300/HCP segment missing in ours",
        "837D 2400/HCP segment missing in ours",
        "837D 2400/SV3/SV311 usage: ours N, tigershark S",
        "837D ST/ST/ST03 usage: ours S, tigershark R",
    ):
        assert key not in found


@pytest.mark.parametrize("guide", ["837D", "270", "271", "276", "277", "277CA"])
def test_no_known_bug_remains_for_the_guides_issue_13_closed(guide):
    bugs = [k for k in audit.load_explanations(audit.KNOWN_BUGS) if k.startswith(f"{guide} ")]
    assert bugs == [], "fix these or explain them (explained.toml):\n" + "\n".join(bugs)


def test_conformance_doc_lists_every_explanation():
    text = (REPO / "docs" / "conformance.md").read_text(encoding="utf-8")
    keys = {**audit.load_explanations(audit.EXPLAINED), **audit.load_explanations(audit.KNOWN_BUGS)}
    missing = [k for k in keys if f"`{k}`" not in text]
    assert not missing, (
        "docs/conformance.md lacks (regenerate with audit.py --markdown):\n"
        + "\n".join(missing[:20])
    )


# -- the comparison ---------------------------------------------------------------------
def _seg(seg_id, usage, max_use, *elements, name=""):
    return audit.Segment(seg_id, name or seg_id, usage, max_use, tuple(elements))


def _el(ref, usage, codes=None, *, composite=False, external=False):
    return audit.Element(ref, usage, frozenset(codes) if codes else None, composite, external)


def _grammar(label, *loops):
    table = {"ST": audit.Loop("ST", "Transaction Set", "R", "1")}
    for loop in loops:
        table[loop.id] = loop
    return audit.Grammar("T", label, table)


def _keys(ours, ref):
    return sorted(d.key for d in audit.compare(ours, ref))


def test_usage_codes_and_missing_parts_are_reported_under_stable_keys():
    ref = _grammar(
        "ref",
        audit.Loop(
            "2400",
            "Line",
            "R",
            "50",
            [
                _seg("LX", "R", "1", _el("LX01", "R")),
                _seg("SV3", "R", "1", _el("SV301", "R"), _el("SV306", "S")),
                _seg("TOO", "S", "32", _el("TOO01", "R", ["JP"]), _el("TOO03", "S", ["B", "D"])),
                _seg("HCP", "S", "1", _el("HCP01", "R")),
            ],
        ),
        audit.Loop("2430", "Adjudication", "S", "15", [_seg("SVD", "R", "1")]),
    )
    ours = _grammar(
        "ours",
        audit.Loop(
            "2400",
            "Line",
            "R",
            "99",
            [
                _seg("LX", "R", "1", _el("LX01", "R")),
                _seg("SV3", "R", "1", _el("SV301", "R"), _el("SV306", "R")),
                _seg("TOO", "S", "32", _el("TOO01", "R", ["JP"]), _el("TOO03", "S", ["B", "X"])),
                _seg("NTE", "S", "1"),
            ],
        ),
    )
    assert _keys(ours, ref) == [
        "T 2400 loop repeat: ours 99, ref 50",
        "T 2400/HCP segment missing in ours",
        "T 2400/NTE segment extra in ours",
        "T 2400/SV3/SV306 usage: ours R, ref S",
        "T 2400/TOO/TOO03 codes extra in ours: X",
        "T 2400/TOO/TOO03 codes missing in ours: D",
        "T 2430 loop missing in ours",
    ]


def test_modelling_choices_are_not_differences():
    ref = _grammar(
        "ref",
        audit.Loop(
            "2310A",
            "Referring",
            "S",
            "2",
            [
                # the reference writes the loop's usage on its first segment, lists every element
                _seg(
                    "NM1",
                    "S",
                    "1",
                    _el("NM101", "R", ["DN"]),
                    _el("NM102", "R"),
                    _el("NM106", "N"),
                    _el("NM108", "S"),
                    _el("NM112", "N"),
                ),
                # an unused composite listed without parts
                _seg(
                    "REF",
                    "S",
                    "3",
                    _el("REF01", "R", ["0B"]),
                    _el("REF02", "R"),
                    _el("REF04", "N", composite=True),
                ),
                _seg("N4", "R", "1", _el("N401", "R"), _el("N402", "S", ["NY", "NJ"])),
            ],
        ),
    )
    ours = _grammar(
        "ours",
        audit.Loop(
            "2310A",
            "Referring",
            "S",
            "2",
            [
                _seg(
                    "NM1",
                    "R",
                    "1",
                    _el("NM101", "R", ["DN"]),
                    _el("NM102", "R"),
                    _el("NM106", "N"),
                    _el("NM108", "S"),
                ),  # stops after the last used element
                _seg(
                    "REF",
                    "S",
                    "3",
                    _el("REF01", "R", ["0B"]),
                    _el("REF02", "R"),
                    _el("REF04", "N", composite=True),
                    _el("REF04-01", "N"),
                    _el("REF04-02", "N"),
                ),
                _seg("N4", "R", "1", _el("N401", "R"), _el("N402", "S", external=True)),
            ],
        ),
    )
    assert _keys(ours, ref) == []


def test_same_id_segments_are_matched_by_qualifier_then_name():
    ref = _grammar(
        "ref",
        audit.Loop(
            "2400",
            "Line",
            "R",
            "50",
            [
                _seg("LX", "R", "1"),
                _seg("REF", "S", "5", _el("REF01", "R", ["G1"]), name="Prior Authorization"),
                _seg("REF", "S", "5", _el("REF01", "R", ["9F"]), name="Referral Number"),
                _seg("REF", "S", "1", _el("REF01", "R", ["6R"]), name="Line Item Control Number"),
                # two reference segments with one qualifier decide nothing: matched by name
                _seg("DTP", "S", "1", _el("DTP01", "R", ["472"]), name="Date - Service Date"),
                _seg("DTP", "S", "1", _el("DTP01", "R", ["472"]), name="Date - Prior Placement"),
            ],
        ),
    )
    ours = _grammar(
        "ours",
        audit.Loop(
            "2400",
            "Line",
            "R",
            "50",
            [
                _seg("LX", "R", "1"),
                # one segment for two qualifiers: compared as a group, max use as a sum
                _seg(
                    "REF", "S", "2", _el("REF01", "R", ["G1", "9F"]), name="Prior Auth or Referral"
                ),
                _seg("REF", "S", "1", _el("REF01", "R", ["6R"]), name="Line Item Control Number"),
                _seg("DTP", "S", "1", _el("DTP01", "R", ["441"]), name="Date - Prior Placement"),
                _seg("DTP", "S", "1", _el("DTP01", "R", ["472"]), name="Date - Service"),
            ],
        ),
    )
    assert _keys(ours, ref) == [
        "T 2400/DTP[441]/DTP01 codes extra in ours: 441",
        "T 2400/DTP[441]/DTP01 codes missing in ours: 472",
        "T 2400/REF[9F,G1] max use: ours 2, ref 10",
    ]


def test_a_fixed_difference_makes_its_entry_stale_and_a_new_one_is_unexplained(monkeypatch):
    known = "837D 2300 loop usage: ours S, tigershark R"
    real_audit = audit.audit

    def fixed(guide):
        found = [d for d in real_audit(guide) if d.key != known]
        return [*found, audit.Difference("segment usage", "837D 2400/XYZ usage: ours R, x S")]

    monkeypatch.setattr(audit, "audit", fixed)
    result = audit.verdict(["837D"])
    assert result.stale == [known]
    assert [d.key for d in result.unexplained] == ["837D 2400/XYZ usage: ours R, x S"]


def test_explanation_files_are_well_formed():
    seen: set[str] = set()
    for path, allowed in (
        (audit.EXPLAINED, {"deliberate", "reference-error"}),
        (audit.KNOWN_BUGS, {"bug", "verify"}),
    ):
        for key, note in audit.load_explanations(path).items():
            assert note.category in allowed, f"{path.name}: {key}: {note.category}"
            assert len(note.reason) > 40, f"{path.name}: {key}: give the reason"
            assert key.split(" ")[0] in GUIDES
            assert key not in seen
            seen.add(key)


def test_our_spec_is_read_through_the_adapter():
    grammar = audit.GUIDES["837D"].ours()
    line = grammar.loops["2400"]
    sv3 = next(s for s in line.segments if s.id == "SV3")
    assert sv3.element("SV301").composite
    assert sv3.element("SV301-01").codes == frozenset({"AD"})
    assert "2300" in grammar.loops
    assert "ISA_LOOP" not in grammar.loops
    assert not any(s.id in {"ISA", "GS", "GE", "IEA"} for s in grammar.loops["ST"].segments)


# -- the extractor ----------------------------------------------------------------------
TIGERSHARK_SAMPLE = """
from tigershark.X12.parse import Composite, Element, Loop, Message, Properties, Segment
parsed_837_2400 = Loop("2400", Properties(desc="Line", position="3650", repeat="50", req_sit="R"),
    Segment("LX", Properties(desc="Line", position="3650", repeat="1", req_sit="R"),
        Element("LX01", Properties(req_sit="R", position=1, codes=[]))),
    Segment("SV3", Properties(desc="Dental Service", position="3800", repeat="1", req_sit="R"),
        Composite("C003", Properties(req_sit="R", seq="01"),
            Element("SV301-01", Properties(req_sit="R", position=0, codes=["AD"])),
            Element("SV301-02", Properties(req_sit="R", position=0, codes=[]))),
        Element("SV302", Properties(req_sit="R", position=2, codes=[]))),
)
parsed_837_ST_LOOP = Loop("ST_LOOP", Properties(desc="ST", repeat=">1", req_sit="R"),
    Segment("ST", Properties(desc="ST", position="0050", repeat="1", req_sit="R"),
        Element("ST01", Properties(req_sit="R", position=1, codes=["837"]))),
    parsed_837_2400)
parsed_837 = Message("837", Properties(desc="837"), parsed_837_ST_LOOP)
"""

STUPIDEDI_SAMPLE = """
# frozen_string_literal: true
HN277 = Builder::Dsl.build("HN", "277", "Sample") do
  table_header("1 - Header") do
    segment(100, s::ST, "Transaction Set Header", r::Required, d::RepeatCount.bounded(1)) do
      element(e::Required, "Transaction Set Identifier Code", b::Values("277"))
    end
  end
  table_detail("2 - Detail") do
    loop_("2000A SOURCE", d::RepeatCount.unbounded) do
      segment(100, s::HL, "Source", r::Situational, d::RepeatCount.bounded(1)) do
        element(e::Required, "Id") # a comment, "quoted"
        composite(e::Required, "STATUS") do
          element(e::Required, "Category", values("A1", "A2"))
          element(e::NotUsed, "Qualifier")
        end
      end
      loop_("2120C LOOP HEADER", d::RepeatCount.bounded(1)) do
        segment(3300, s::LS, "Loop Header", r::Situational, d::RepeatCount.bounded(1)) do
          element(e::Required, "Loop Identifier Code", b::Values("2120"))
        end
      end
    end
  end
end
"""


def test_tigershark_grammar_is_read_without_executing_it(tmp_path):
    base = tmp_path / extract.TIGERSHARK_DIR
    (base / "loops").mkdir(parents=True)
    (base / "__init__.py").write_text(TIGERSHARK_SAMPLE, encoding="utf-8")
    doc = extract.extract_tigershark(tmp_path, "0" * 40)
    loops = {loop["id"]: loop for loop in doc["loops"]}
    assert list(loops) == ["ST", "2400"]
    sv3 = loops["2400"]["segments"][1]
    assert [e["ref"] for e in sv3["elements"]] == ["SV301", "SV301-01", "SV301-02", "SV302"]
    assert sv3["elements"][1]["codes"] == ["AD"]
    assert doc["provenance"]["files"][0]["commit"] == "0" * 40
    assert doc["provenance"]["licence"] == "BSD-3-Clause"


def test_stupidedi_grammar_is_read_in_both_builder_styles(tmp_path):
    path = tmp_path / "X212-HN277.rb"
    path.write_text(STUPIDEDI_SAMPLE, encoding="utf-8")
    loops = {loop.id: loop for loop in extract.Stupidedi(path, path.name).extract()}
    assert list(loops) == ["ST", "2000A"]
    source = loops["2000A"]
    assert source.usage == "S"  # from its first segment
    assert source.repeat == ">1"
    assert [s.id for s in source.segments] == ["HL", "LS"]  # the invented LOOP HEADER dissolved
    hl = source.segments[0]
    assert [(e.ref, e.usage, e.codes) for e in hl.elements] == [
        ("HL01", "R", None),
        ("HL02", "R", None),
        ("HL02-01", "R", ["A1", "A2"]),
        ("HL02-02", "N", None),
    ]


def test_a_malformed_source_is_refused_with_its_place(tmp_path):
    path = tmp_path / "X.rb"
    path.write_text(
        'HP835 = b.build("HP", "835", "",\n d::TableDef.header("1",\n'
        '  b::Segment(100, s::ST, "ST", r::Maybe, d::RepeatCount.bounded(1))))\n',
        encoding="utf-8",
    )
    with pytest.raises(extract.ExtractError, match=r"X\.rb: line 3: requirement expected"):
        extract.Stupidedi(path, "X.rb").extract()


@pytest.mark.parametrize("guide", GUIDES)
def test_reference_facts_carry_their_provenance(guide):
    path = audit.REFERENCE / audit.GUIDES[guide].reference
    doc = json.loads(path.read_text(encoding="utf-8"))
    provenance = doc["provenance"]
    assert provenance["repository"] in {"zentist/TigerShark", "kputnam/stupidedi"}
    assert provenance["licence"] == "BSD-3-Clause"
    for item in provenance["files"]:
        assert re.fullmatch(r"[0-9a-f]{40}", item["commit"]), item
    assert doc["guide"] == guide
