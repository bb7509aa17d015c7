"""The X12 specs (src/edigateway/x12/spec) and the pyx12 maps generated from them.

* regeneration (tools/mapgen/gen.py) reproduces every committed file byte for byte;
* the specs of the guides we validate with pyx12's own maps (835, 999) say what those maps
  say, and our 277CA differs from pyx12's X214 map exactly by its listed corrections;
* the maps accept what the guides allow and pyx12's or our old maps refused (claim-level HI
  and HCP, SV311 pointers, no SV306, a 277CA rejecting a whole batch);
* element types and lengths come from the dictionary unless a guide narrows them;
* the loop-start query a reader uses.
"""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

from edigateway.errors import ConfigurationError
from edigateway.x12.spec import MODULES, all_guides, guide
from edigateway.x12.spec.model import Composite, Element, Loop, Segment
from edigateway.x12.validation import Validator
from tests.factories import CORPUS, REPO


def _gen() -> ModuleType:
    """tools/mapgen/gen.py, imported by path (tools/ is not a package)."""
    if "mapgen_gen" in sys.modules:
        return sys.modules["mapgen_gen"]
    spec = importlib.util.spec_from_file_location("mapgen_gen", REPO / "tools/mapgen/gen.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mapgen_gen"] = module
    spec.loader.exec_module(module)
    return module


gen = _gen()


# -- regeneration ------------------------------------------------------------------------
def test_regeneration_is_byte_identical_to_what_is_committed():
    files = gen.outputs()
    assert {p.name for p in files} >= {
        "837.5010.X224.A2.xml",
        "277.5010.X214.xml",
        "maps.xml",
        "elements.py",
    }
    stale = [
        str(p.relative_to(REPO))
        for p, text in files.items()
        if not p.exists() or p.read_bytes() != text.encode("utf-8")
    ]
    assert not stale, "regenerate with .venv/bin/python tools/mapgen/gen.py: " + ", ".join(stale)


def test_the_maps_we_generate_and_those_we_leave_to_pyx12():
    ours = {g.key for g in all_guides() if g.generated}
    assert ours == {"837D", "270", "271", "276", "277", "277CA", "275"}
    index = ET.parse(REPO / "mappings/pyx12/maps.xml").getroot()  # noqa: S314 - ours
    entries = {(m.get("vriic"), m.get("fic")): m.text for m in index.iter("map")}
    for g in all_guides():
        assert entries[(g.info.vriic, g.info.fic)] == g.info.file
        assert (REPO / "mappings/pyx12" / g.info.file).exists() == g.generated


# -- spec against the pyx12 maps ---------------------------------------------------------
Rows = dict[str, tuple[object, ...]]
ENVELOPE = ("ISA", "GS", "ST", "SE", "GE", "IEA", "TA1")


def _codes(values: object) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values or ()}))  # type: ignore[attr-defined]


def _spec_rows(loop: Loop, path: str = "") -> Rows:
    """Loops, segments and elements of a spec as comparable rows (envelope left out)."""
    rows: Rows = {}
    where = f"{path}/{loop.id}" if loop.numbered else path
    if loop.numbered:
        rows[where] = (loop.usage, str(loop.repeat))
    seen: dict[str, int] = {}
    for child in loop.children:
        if isinstance(child, Loop):
            rows.update(_spec_rows(child, where))
            continue
        if child.id in ENVELOPE:
            continue
        seen[child.id] = seen.get(child.id, 0) + 1
        key = f"{where}/{child.id}#{seen[child.id]}"
        rows[key] = (child.usage, str(child.max_use))
        for index, item in enumerate(child.elements, start=1):
            ref = f"{key}/{index:02d}"
            if isinstance(item, Composite):
                rows[ref] = ("C", item.number, item.usage)
                for sub, part in enumerate(item.parts if item.usage != "N" else (), start=1):
                    rows[f"{ref}-{sub:02d}"] = _element_row(
                        part.number, part.usage, part.codes, part.external
                    )
            else:
                rows[ref] = _element_row(item.number, item.usage, item.codes, item.external)
    return rows


def _element_row(
    number: str, usage: str, codes: object, external: str | None
) -> tuple[object, ...]:
    return (number, usage, _codes(codes) if usage != "N" else (), external)


def _map_rows(node: ET.Element, path: str = "") -> Rows:
    """The same rows from a pyx12 map."""
    rows: Rows = {}
    seen: dict[str, int] = {}
    for child in node:
        if child.tag == "loop":
            numbered = child.get("type") is None
            where = f"{path}/{child.get('xid')}" if numbered else path
            if numbered:
                rows[where] = (child.findtext("usage"), child.findtext("repeat"))
            rows.update(_map_rows(child, where))
        elif child.tag == "segment" and child.get("xid") not in ENVELOPE:
            seg_id = child.get("xid") or ""
            seen[seg_id] = seen.get(seg_id, 0) + 1
            key = f"{path}/{seg_id}#{seen[seg_id]}"
            rows[key] = (child.findtext("usage"), child.findtext("max_use"))
            for item in child:
                if item.tag not in ("element", "composite"):
                    continue
                ref = f"{key}/{int(item.findtext('seq') or 0):02d}"
                usage = item.findtext("usage") or ""
                if item.tag == "composite":
                    rows[ref] = ("C", item.findtext("data_ele"), usage)
                    parts = item.findall("element") if usage != "N" else []
                    for part in parts:
                        valid = part.find("valid_codes")
                        rows[f"{ref}-{int(part.findtext('seq') or 0):02d}"] = _element_row(
                            part.findtext("data_ele") or "",
                            part.findtext("usage") or "",
                            [c.text for c in valid.findall("code")] if valid is not None else (),
                            valid.get("external") if valid is not None else None,
                        )
                else:
                    valid = item.find("valid_codes")
                    rows[ref] = _element_row(
                        item.findtext("data_ele") or "",
                        usage,
                        [c.text for c in valid.findall("code")] if valid is not None else (),
                        valid.get("external") if valid is not None else None,
                    )
    return rows


def _differences(key: str) -> dict[str, tuple[object, object]]:
    spec = guide(key)
    path = Path(str(resources.files("pyx12").joinpath("map", spec.info.file)))
    theirs = _map_rows(ET.parse(path).getroot())  # noqa: S314 - pyx12's packaged map
    ours = _spec_rows(spec.transaction)
    return {
        k: (ours.get(k), theirs.get(k))
        for k in sorted(set(ours) | set(theirs))
        if ours.get(k) != theirs.get(k)
    }


def test_the_999_spec_says_what_the_pyx12_map_we_validate_with_says():
    assert _differences("999") == {}


def test_the_835_spec_differs_from_pyx12s_map_only_in_svc06():
    qualifiers = ("AD", "ER", "HC", "HP", "IV", "N4", "NU", "WK")
    assert _differences("835") == {
        "/2000/2100/2110/SVC#1/06-01": (
            ("235", "R", tuple(sorted((*qualifiers, "N6", "UI"))), None),
            ("235", "R", qualifiers, None),
        )
    }


def test_our_277ca_differs_from_pyx12s_x214_map_by_its_corrections_only():
    where = "/2000A/2000B/2000C"
    assert _differences("277CA") == {
        "/2000A/2200A": (("R", "1"), ("R", ">1")),
        where: (("S", ">1"), ("R", ">1")),
        f"{where}/HL#1/04": (("736", "R", ("0", "1"), None), ("736", "R", ("1",), None)),
        f"{where}/2100C/NM1#1/06": (("1038", "N", (), None), ("1038", "S", (), None)),
        f"{where}/2200C": (("S", "1"), ("R", "1")),
        f"{where}/2200C/STC#1": (("S", ">1"), ("R", ">1")),
        f"{where}/2200C/REF#1": (("S", "3"), ("S", "1")),
        f"{where}/2000D": (("S", ">1"), ("R", ">1")),
        f"{where}/2000D/2100D/NM1#1/06": (("1038", "N", (), None), ("1038", "S", (), None)),
        f"{where}/2000D/2200D": (("R", ">1"), ("S", ">1")),
        **{f"{where}/2000D/2200D/REF#{n}": (("S", "3"), ("S", "1")) for n in (1, 2, 3)},
        f"{where}/2000D/2200D/2220D/STC#1": (("R", ">1"), ("R", "1")),
        f"{where}/2000D/2200D/2220D/STC#1/02": (("373", "S", (), None), ("373", "R", (), None)),
        f"{where}/2000D/2200D/2220D/STC#1/12": (("933", "S", (), None), ("933", "N", (), None)),
    }


# -- what the maps now accept ------------------------------------------------------------
def _moov_837d_with(claim: list[str], line: list[str]) -> str:
    """The public X224A2 sample with segments added at the end of 2300 (after REF*D9,
    before the rendering provider) and of the first line (after TOO), SE01 recounted; its
    NPIs given valid check digits and its SV306=1 dropped, so that only the grammar speaks."""
    text = (CORPUS / "837D" / "moov__sample.txt").read_text(encoding="utf-8")
    text = text.replace("1234567890", "1234567893").replace("9876543210", "9876543213")
    segments = [s.strip() for s in text.split("~") if s.strip()]
    segments[segments.index("SV3*AD:D1110*50****1")] = "SV3*AD:D1110*50"
    at = segments.index("REF*D9*17312345600006351") + 1
    segments[at:at] = claim
    at = segments.index("TOO*JP*12*M:O") + 1
    segments[at:at] = line
    segments[segments.index("SV3*AD:D2150*100****1")] = "SV3*AD:D2150*100*********1:2"
    start = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    end = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    segments[end] = f"SE*{end - start + 1}*3456"
    return "~".join(segments) + "~"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not found")
def test_837d_with_claim_diagnoses_repricing_and_pointers_is_valid(validator: Validator):
    """Failed before the 837D map fixes: HI and HCP were "not found" in 2300/2400, SV3 ended
    at SV306 (required)."""
    text = _moov_837d_with(
        ["HI*ABK:K0252*ABF:K036", "HCP*03*100*20*REPRICER"], ["HCP*03*90*10*REPRICER"]
    )
    verdict = validator.validate_text(text, "claim-with-diagnoses.837")
    assert verdict.errors == ()


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not found")
def test_837d_diagnoses_past_the_fourth_are_refused(validator: Validator):
    text = _moov_837d_with(["HI*ABK:K0252*ABF:K036*ABF:K037*ABF:K038*ABF:K039"], [])
    verdict = validator.validate_text(text, "five-diagnoses.837")
    assert any(f.segment_id == "HI" and "(HI05)" in f.message for f in verdict.errors), (
        verdict.errors
    )


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not found")
def test_pyx12_checks_types_and_lengths_through_our_maps(validator: Validator):
    """Our maps carry each element's number; pyx12 takes type and lengths from it."""
    text = _moov_837d_with([], []).replace("CLM*26403774*", "CLM*" + "9" * 39 + "*")
    text = text.replace("DMG*D8*19920501*M", "DMG*D8*19921301*M")
    found = {(f.element, f.code) for f in validator.validate_text(text, "long.837").errors}
    assert {("CLM01", "5"), ("DMG02", "8")} <= found  # too long (AN 1-38); invalid date


REJECTED_BATCH_277CA = (
    "~".join(
        [
            (
                "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*SUBMITTER      "
                "*240311*0512*^*00501*000001120*0*T*:"
            ),
            "GS*HN*CLEARINGHOUSE*SUBMITTER*20240311*051225*1120*X*005010X214",
            "ST*277*0001*005010X214",
            "BHT*0085*08*3920394930203*20240311*051225*TH",
            "HL*1**20*1",
            "NM1*PR*2*PAYER*****PI*12345",
            "TRN*1*000001120",
            "DTP*050*D8*20240311",
            "DTP*009*D8*20240311",
            "HL*2*1*21*0",
            "NM1*41*2*SUBMITTER*****46*ETIN",
            "TRN*2*11200001",
            "STC*A3:24*20240311*U*199.14",
            "QTY*AA*1",
            "AMT*YY*199.14",
            "SE*14*0001",
            "GE*1*1120",
            "IEA*1*000001120",
        ]
    )
    + "~"
)


def test_a_277ca_rejecting_the_whole_batch_is_valid(validator: Validator):
    """Failed with pyx12's X214 map: it required the provider and patient levels."""
    verdict = validator.validate_text(REJECTED_BATCH_277CA, "batch-rejected.277")
    assert (verdict.status, verdict.transaction) == ("valid", "277CA"), verdict.errors


# -- element types and lengths -----------------------------------------------------------
def _elements(node: Loop | Segment) -> list[Element]:
    found: list[Element] = []
    for child in node.children if isinstance(node, Loop) else node.elements:
        if isinstance(child, Loop | Segment):
            found += _elements(child)
        elif isinstance(child, Composite):
            found += list(child.parts)
        else:
            found.append(child)
    return found


@pytest.mark.parametrize("key", list(MODULES))
def test_every_element_has_a_type_and_lengths(key: str):
    for element in _elements(guide(key).transaction):
        low, high = element.lengths
        assert element.type in ("AN", "B", "DT", "ID", "N0", "N2", "R", "TM")
        assert 0 < low <= high, element


def test_types_and_lengths_come_from_the_dictionary_by_number():
    claim_id = Element("1028")
    assert (claim_id.type, claim_id.lengths, claim_id.title) == (
        "AN",
        (1, 38),
        "Claim Submitter's Identifier",
    )
    assert Element("380").type == "R"
    assert Element("373").type == "DT"
    with pytest.raises(ConfigurationError, match="data element 99999"):
        _ = Element("99999").type


def test_a_guide_narrowing_a_length_becomes_a_map_regex_and_widening_is_refused():
    narrowed = Element("1028", min_len=1, max_len=20)
    out: list[str] = []
    gen._element(out, 0, "CLM01", narrowed, 1)
    assert "<regex>^.{1,20}$</regex>" in [line.strip() for line in out]
    with pytest.raises(gen.SpecError, match="not inside the dictionary's 1-38"):
        gen._element([], 0, "CLM01", replace(narrowed, max_len=40), 1)
    with pytest.raises(gen.SpecError, match="data type"):
        gen._element([], 0, "CLM01", replace(narrowed, data_type="R"), 1)


def test_repeating_service_types_are_shown_to_pyx12_as_free_text():
    inquiry = guide("270").loop(("2000A", "2000B", "2000C", "2100C", "2110C"))
    eq01 = next(c for c in inquiry.children if isinstance(c, Segment)).elements[0]
    assert isinstance(eq01, Element)
    assert (eq01.number, eq01.repeat) == ("1365", 99)
    out: list[str] = []
    gen._element(out, 0, "EQ01", eq01, 1)
    assert "<data_ele>933</data_ele>" in out[1]


def test_situational_rules_are_carried_with_their_text():
    line = guide("837D").loop(("2000A", "2000B", "2300", "2400"))
    sv3 = next(c for c in line.children if isinstance(c, Segment) and c.id == "SV3")
    sv306 = sv3.elements[5]
    assert isinstance(sv306, Element)
    assert sv306.usage == "S"
    assert sv306.rule is not None
    assert "RFI 1866" in sv306.rule
    spec = guide("837D")
    for path in (
        ("2000A", "2000B", "2000C"),
        ("2000A", "2000B", "2300"),
        ("2000A", "2000B", "2300", "2320"),
    ):
        assert spec.loop(path).usage == "S"
        assert spec.loop(path).rule, path


# -- the loop-start query ----------------------------------------------------------------
CLAIM = ("2000A", "2000B", "2300")


@pytest.mark.parametrize(
    ("segment", "path", "expected"),
    [
        ("NM1*82*1*KILDARE*BEN****XX*9876543210", CLAIM, (*CLAIM, "2310B")),
        ("NM1*PR*2*OTHER PAYER*****PI*99", (*CLAIM, "2320", "2330A"), (*CLAIM, "2320", "2330B")),
        (
            "NM1*PR*2*PAYER*****PI*66783JJT",
            ("2000A", "2000B", "2010BA"),
            ("2000A", "2000B", "2010BB"),
        ),
        ("LX*2", (*CLAIM, "2400"), (*CLAIM, "2400")),
        ("LX*1", CLAIM, (*CLAIM, "2400")),
        ("HL*3*2*23*0", (*CLAIM, "2400"), ("2000A", "2000B", "2000C")),
        ("HL*4*1*22*0", ("2000A", "2000B", "2000C", "2300", "2400"), ("2000A", "2000B")),
        ("HL*1**20*1", (), ("2000A",)),
        ("NM1*41*2*PREMIER BILLING SERVICE*****46*TGJ23", (), ("1000A",)),
        ("REF*D9*173123", CLAIM, None),
        ("NM1*ZZ*1*NOBODY", CLAIM, None),
        ("CLM*26403774*150***11:B:1*Y*A*Y*I", ("2000A", "2000B"), ("2000A", "2000B", "2300")),
    ],
)
def test_a_reader_asks_which_loop_a_segment_starts(segment, path, expected):
    seg_id, *elements = segment.split("*")
    assert guide("837D").start_of(seg_id, elements, path) == expected


def test_a_composite_qualifier_is_read_with_the_component_separator():
    line = ("2000", "2100", "2110")
    assert (
        guide("835").start_of("SVC", ["HC>99213", "100", "80"], line, component_separator=">")
        == line
    )
    assert (
        guide("835").start_of("SVC", ["ZZ>99213", "100", "80"], line, component_separator=">")
        is None
    )


def test_the_loop_start_table_has_a_row_per_place():
    rows = guide("837D").loop_starts()
    starts = [(r.loop, r.parent) for r in rows]
    assert ("2300", ("2000A", "2000B")) in starts
    assert ("2300", ("2000A", "2000B", "2000C")) in starts
    rendering = next(r for r in rows if r.loop == "2310B")
    assert rendering.segment == "NM1"
    assert rendering.qualifier is not None
    assert (rendering.qualifier.ref, rendering.qualifier.codes) == ("NM101", frozenset({"82"}))
    patient = next(r for r in guide("277CA").loop_starts() if r.loop == "2000D")
    assert patient.qualifier is not None
    assert (patient.qualifier.ref, patient.qualifier.codes) == ("HL03", frozenset({"PT"}))
    assert next(r for r in rows if r.loop == "2400").qualifier is None


def test_an_unknown_loop_path_is_refused_with_its_place():
    with pytest.raises(ConfigurationError, match="no loop 2310B inside 2000A/2000B"):
        guide("837D").start_of("LX", ["1"], ("2000A", "2000B", "2310B"))
    with pytest.raises(ConfigurationError, match="no X12 spec for '837Q'"):
        guide("837Q")
