"""Every public corpus file gets a verdict; where ours differs from SOURCES.md, we say why.

``KNOWN_DISAGREEMENTS`` lists each file SOURCES.md calls valid that we do not, with the
status we give and a phrase that must appear in our findings: the table stays honest both
ways (a file that starts validating, or fails for another reason, fails this test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edigateway.x12.validation import Validator
from tests.factories import CORPUS

pytestmark = pytest.mark.slow  # every file of the shared corpus through pyx12

FOLDERS = ("835", "837P", "837I", "999", "837D", "270", "271", "276", "277", "277CA", "TA1")

if not CORPUS.is_dir():
    pytest.skip(f"shared corpus not found at {CORPUS}", allow_module_level=True)


def _sources() -> dict[str, str]:
    says: dict[str, str] = {}
    for line in (CORPUS / "SOURCES.md").read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 8 and "/" in cells[1] and not cells[1].startswith("path"):
            says[cells[1]] = cells[8]
    return says


SOURCES = _sources()
FILES = sorted(p for folder in FOLDERS for p in (CORPUS / folder).glob("*") if p.is_file())
VALID_PER_SOURCES = sorted(
    name
    for name, says in SOURCES.items()
    if says.lower().startswith("valid")
    and name.split("/")[0] in ("835", "837P", "837I", "999", "837D", "270", "271")
)

_IMSWEB_837P = ("invalid", "Diagnosis Code")
KNOWN_DISAGREEMENTS: dict[str, tuple[str, str]] = {
    # imsweb's reader checks structure only: its "valid" 837P files carry 4010-style HI
    # qualifiers (BK/BF instead of ABK/ABF), SE01=25 whatever the count, and HL errors.
    "837P/imsweb__x12_valid.txt": _IMSWEB_837P,
    "837P/imsweb__x12_no_errors.txt": _IMSWEB_837P,
    "837P/imsweb__x12_valid_different_separators.txt": _IMSWEB_837P,
    "837P/imsweb__x12_complex.txt": _IMSWEB_837P,
    "837P/imsweb__x12_multiple_gs.txt": _IMSWEB_837P,
    "837P/imsweb__x12_multiple_isa.txt": _IMSWEB_837P,
    "837P/imsweb__x12_multiple_st.txt": _IMSWEB_837P,
    "837P/imsweb__x12_many_claims.txt": _IMSWEB_837P,
    "837P/imsweb__x12_multiple_transactions.txt": _IMSWEB_837P,
    # SE01 says 25 segments; the transaction has 33, and segments end in empty elements.
    "837P/imsweb__x12_ambiguous_loop.txt": ("invalid", "trailing element terminators"),
    # 005010X222A2 / X223A3 errata: pyx12 4.0.0 ships no map for them.
    "837P/lfh__demo.example1.837": ("unsupported", "005010X222A2"),
    "837P/lfh__demo.cob.example3.A.837": ("unsupported", "005010X222A2"),
    "837P/lfh__demo.cob.2ndary.example4.837": ("unsupported", "005010X222A2"),
    "837P/lfh__demo.ambulance.example5.837": ("unsupported", "005010X222A2"),
    "837P/lfh__demo.drug.example10.2.837": ("unsupported", "005010X222A2"),
    "837P/lfh__demo.autoaccident.837": ("unsupported", "005010X222A2"),
    "837I/lfh__institutional-claim.837i": ("unsupported", "005010X223A3"),
    "837I/lfh__two-claims-single-provider.837i": ("unsupported", "005010X223A3"),
    # 837I test file: ZIP code of 5 digits where the guide requires 9 for billing providers,
    # and SE01=25.
    "837I/imsweb__x223-test.txt": ("invalid", "Postal Zone or ZIP Code"),
    # LinuxForHealth's 835 fixtures omit required elements (BPR16 payment date, 1000B PER)
    # or carry impossible dates (20002316).
    "835/lfh__cob-contractural-adjustment.835": ("invalid", "BPR16"),
    "835/lfh__managed-care.835": ("invalid", "invalid date (20002316)"),
    "835/lfh__medicare-part-a.835": ("invalid", "Payer Technical Contact Information"),
    "835/lfh__secondary-payment.835": ("invalid", "BPR16"),
    "835/lfh__tertiary-payment.835": ("invalid", "BPR16"),
    # A 271 whose SE02 (4323) does not repeat its ST02 (4321); SOURCES.md notes SE02!=ST02.
    "271/lfh__subscriber-health-benefit-check-error.271": ("invalid", "does not match ST id"),
    # IEA02 000000001 does not repeat ISA13 000000286 (SOURCES.md's own check notes it).
    "999/imsweb__x12_999_accepted.txt": ("invalid", "does not match ISA id"),
}


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_every_file_gets_a_verdict(path: Path, validator: Validator):
    verdict = validator.validate_file(path)
    assert verdict.status in ("valid", "invalid", "unsupported", "unreadable")
    assert verdict.valid == (verdict.errors == ())
    for finding in verdict.errors:
        assert finding.message
    if verdict.status == "invalid" and all(f.code == "ENGINE" for f in verdict.errors):
        assert "validator limitation" in verdict.errors[0].message


@pytest.mark.parametrize("name", VALID_PER_SOURCES)
def test_files_sources_calls_valid(name: str, validator: Validator):
    verdict = validator.validate_file(CORPUS / name)
    status, phrase = KNOWN_DISAGREEMENTS.get(name, ("valid", ""))
    assert verdict.status == status
    if phrase:
        assert any(phrase in f.message for f in verdict.errors), verdict.errors[:5]


def test_known_disagreements_name_real_files():
    assert set(KNOWN_DISAGREEMENTS) <= set(VALID_PER_SOURCES)


def test_public_dental_sample_is_valid_through_our_map(validator: Validator):
    verdict = validator.validate_file(CORPUS / "837D" / "moov__sample.txt", level=2)
    assert (verdict.status, verdict.transaction, verdict.errors) == ("valid", "837D", ())
    # beyond the map (SNIP 3-5): the TR3 example's made-up NPIs fail their check digit, and
    # it reports SV306 = 1, which RFI 1866 prohibits
    full = validator.validate_file(CORPUS / "837D" / "moov__sample.txt")
    assert sorted({f.code for f in full.errors}) == ["E001", "V110"]


@pytest.mark.parametrize(
    "path", sorted((CORPUS / "837D").glob("oopfactory__*.txt")), ids=lambda p: p.name
)
def test_4010_dental_samples_are_unsupported(path: Path, validator: Validator):
    verdict = validator.validate_file(path)
    assert verdict.status == "unsupported"
    assert "004010X096A1 is not supported" in verdict.errors[0].message


# Every 270/271 of the corpus with the verdict our X279A1 maps give, and why (SOURCES.md).
ELIGIBILITY_VERDICTS: dict[str, tuple[str, str]] = {
    "270/lfh__subscriber-health-benefit-check.270": ("valid", ""),
    "270/lfh__dependent-health-benefit-check.270": ("valid", ""),
    "270/lfh__demo-single-line.270": ("valid", ""),  # whole interchange on one line
    "271/lfh__subscriber-health-benefit-check.271": ("valid", ""),
    "271/lfh__dependent-health-benefit-check.271": ("valid", ""),
    # AAA*Y**42 (unable to respond); indented segments (pyx12: "leading space") and a
    # placeholder NPI 000000000
    "271/oopfactory__From_georgiosd.txt": ("invalid", "white space before 14 segment(s)"),
    "271/lfh__subscriber-health-benefit-check-error.271": ("invalid", "does not match ST id"),
    # 4010 (004010X092A1) files: said plainly, not validated against a 5010 map
    "270/imsweb__x270.txt": ("unsupported", "004010X092A1 is not supported"),
    "271/imsweb__x271.txt": ("unsupported", "004010X092A1 is not supported"),
    # ISA12 00401 with GS08 "005010X279" (no A1)
    "270/oopfactory__Example1_IG.txt": ("unsupported", "ISA12 00401"),
    "270/oopfactory__Example1_IG_0x1D.txt": ("unsupported", "ISA12 00401"),
    # GS01 "XX" and GS08 "005010X279" (no such group/version), and before that an ISA
    # whose repetition separator ISA11 "^" is also its component separator ISA16
    "271/oopfactory__Example_3_2_2.txt": ("unreadable", "also the component separator"),
    "271/oopfactory__Hipaa_ValidationOnAll.txt": ("unreadable", "also the component separator"),
    "271/oopfactory__Hipaa_Example_ErrorWithoutBenefitInfo.txt": (
        "unreadable",
        "also the component separator",
    ),
}


def test_every_eligibility_file_is_listed():
    files = {
        f"{p.parent.name}/{p.name}"
        for folder in ("270", "271")
        for p in (CORPUS / folder).iterdir()
        if p.is_file()
    }
    assert files == set(ELIGIBILITY_VERDICTS)


@pytest.mark.parametrize("name", sorted(ELIGIBILITY_VERDICTS))
def test_eligibility_verdicts(name: str, validator: Validator):
    status, phrase = ELIGIBILITY_VERDICTS[name]
    verdict = validator.validate_file(CORPUS / name)
    assert verdict.status == status, verdict.errors[:5]
    if phrase:
        assert any(phrase in f.message for f in verdict.errors), verdict.errors[:5]
