"""The rule set's catalogue and code sets (pure functions, no X12)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from edigateway.domain.rules import (
    RULES,
    AdjustmentCodes,
    CdtList,
    DatedCode,
    SnipType,
    area_problem,
    cdt_format_problem,
    snip_type_of,
    state_problem,
    surface_problems,
    taxonomy_problem,
    tooth_problem,
    zip_problem,
)

SRC = Path(__file__).resolve().parents[3] / "src" / "edigateway"


def test_every_rule_raised_anywhere_is_in_the_catalogue():
    """An edit or validation rule without a SNIP type would be typed by default: refuse."""
    used: set[str] = set()
    for path in (SRC / "domain").glob("*.py"):
        used |= set(re.findall(r'"(E\d{3})"', path.read_text()))
    for path in (SRC / "x12" / "snip.py", SRC / "domain" / "rules.py"):
        used |= set(re.findall(r'"([EV]\d{3})"', path.read_text()))
    assert used <= set(RULES), sorted(used - set(RULES))
    assert {r.snip_type for r in RULES.values()} == set(SnipType)


def test_unknown_ids_are_implementation_guide_requirements():
    assert snip_type_of("E020") is SnipType.CODE_SET
    assert snip_type_of("Z999") is SnipType.IMPLEMENTATION_GUIDE


@pytest.mark.parametrize(
    ("tooth", "ok"),
    [
        ("1", True),
        ("32", True),
        ("A", True),
        ("T", True),
        ("51", True),
        ("82", True),
        ("AS", True),
        ("TS", True),
        ("0", False),
        ("33", False),
        ("99", False),
        ("U", False),
        ("50", False),
        ("83", False),
        ("US", False),
        ("01", False),
    ],
)
def test_tooth_designations(tooth: str, ok: bool):
    assert (tooth_problem(tooth) is None) is ok


def test_surfaces():
    assert surface_problems("3", ["M", "O", "D", "B", "L"]) == []
    assert [r for r, _ in surface_problems("3", ["M", "X"])] == ["V102"]
    assert [r for r, _ in surface_problems("3", list("MODBLI"))] == ["V102"]
    assert [r for r, _ in surface_problems("3", ["M", "M"])] == ["E021"]


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (area_problem, ["00", "10", "40", "L", "R"], ["03", "50", "X", ""]),
        (taxonomy_problem, ["1223G0001X", "122300000X"], ["1223G00012", "1223G0001", "1223g0001X"]),
        (zip_problem, ["62701", "627011234"], ["6270", "62701-1234", "ABCDE"]),
        (cdt_format_problem, ["D0100", "D9999"], ["D0099", "D239", "d2391", "A2391"]),
        (state_problem, ["IL", "DC", "PR", "GU", "AE"], ["XX", "QC", "il"]),
    ],
)
def test_code_set_formats(check, good: list[str], bad: list[str]):
    assert [v for v in good if check(v) is not None] == []
    assert [v for v in bad if check(v) is None] == []


def test_states_follow_the_country():
    assert state_problem("QC", "CA") is None
    assert state_problem("IL", "CA") is not None
    assert state_problem("ZZ", "MX") is None
    assert zip_problem("K1A0B1", "CA") is None


def test_cdt_list_dates():
    cdt = CdtList({"D2392": DatedCode("D2392", date(2020, 1, 1), date(2026, 1, 1))}, "file")
    assert cdt.problem("D2392", date(2025, 6, 1)) is None
    assert cdt.problem("D2392", None) is None
    assert cdt.problem("D2392", date(2026, 1, 1))[0] == "E017"  # type: ignore[index]
    assert cdt.problem("D2392", date(2019, 12, 31))[0] == "E017"  # type: ignore[index]
    assert cdt.problem("D2391", date(2025, 6, 1))[0] == "E016"  # type: ignore[index]


def test_adjustment_codes_with_their_dates():
    codes = AdjustmentCodes(
        carc={
            "45": DatedCode("45", date(1995, 1, 1)),
            "17": DatedCode("17", date(1995, 1, 1), date(2009, 7, 1)),
        },
        rarc={"N1": DatedCode("N1")},
    )
    assert codes.carc_problem("45", date(2026, 1, 1)) is None
    assert "deactivated on 2009-07-01" in (codes.carc_problem("17", date(2026, 1, 1)) or "")
    assert codes.carc_problem("17", date(2005, 1, 1)) is None
    assert "not a published" in (codes.carc_problem("ZZ9", None) or "")
    assert codes.rarc_problem("N1", None) is None
    assert "through N812" in (codes.rarc_problem("N9999", None) or "")
