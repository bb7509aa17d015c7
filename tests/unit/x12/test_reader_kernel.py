"""The shared X12 kernel: the codecs' public streaming readers, and what an earlier draft
of the kernel got wrong."""

from __future__ import annotations

import ast
from datetime import date, datetime
from pathlib import Path

import pytest

from edigateway.domain.remittances import ClaimPayment
from edigateway.errors import X12StructureError
from edigateway.services.claims import default_parties, load_claim_file
from edigateway.settings import Settings
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x835_005010X221A1 import iter_835, read_835
from edigateway.x12.x837d_005010X224A2 import iter_837d, read_837d, write_837d
from tests.factories import REPO

PARAMS = InterchangeParams(
    "ZZ",
    "PRACTICE",
    "ZZ",
    "CLEARHOUSE1",
    "PRACTICE",
    "CLEARHOUSE1",
    7,
    7,
    1,
    datetime(2026, 11, 21, 9, 0),
)


def _837d(fixture: str) -> str:
    batch = load_claim_file(REPO / "fixtures" / "claims" / fixture)
    submitter, receiver = default_parties(Settings())
    return write_837d(batch, PARAMS, submitter=submitter, receiver=receiver)


def test_prv_pe_in_2300_without_nm1_82_keeps_the_lines_service_dates():
    """A PRV*PE standing in loop 2300 without the NM1*82 that opens 2310B (seen in
    partners' files) must not pull the service lines into another loop: an earlier draft
    of the kernel lost every line's DTP*472 this way."""
    text = _837d("02_composite_posterior_and_anterior.json")
    rendering = next(line for line in text.splitlines() if line.startswith("NM1*82*"))
    edited = text.replace(rendering + "\n", "").replace("SE*40*", "SE*39*")
    assert "CLM*MSD1002*655***11:B:1*Y*A*Y*Y~\nPRV*PE*PXC*1223G0001X~\nLX*1~" in edited
    (claim,) = read_837d(edited.encode(), name="prv.837").claims
    assert [line.service_date for line in claim.lines] == [date(2026, 10, 6)] * 3
    assert [line.line_control_number for line in claim.lines] == [
        "MSD1002-1",
        "MSD1002-2",
        "MSD1002-3",
    ]
    assert claim.rendering_provider is None


def test_iter_837d_streams_the_claims_read_837d_reads():
    text = _837d("26_batch_family_two_patients.json").encode()
    assert list(iter_837d(text, name="batch.837")) == read_837d(text, name="batch.837").claims


def test_iter_837d_checks_the_parties_at_the_end():
    """A stream ends with the check a whole read makes of the submitter (1000A)."""
    text = _837d("01_filling_amalgam_mod.json")
    broken = text.replace(
        "PER*IC*BILLING OFFICE*TE*2175550142*EM*billing@maple-dental.example~",
        "PER*IC*BILLING OFFICE*TE*1~",
    )
    assert broken != text
    with pytest.raises(X12StructureError, match="submitter/receiver"):
        list(iter_837d(broken.encode(), name="parties.837"))


def test_iter_835_streams_what_read_835_gathers_without_listing_skipped():
    path = REPO / "fixtures" / "era" / "09_two_checks_one_file" / "era.835"
    streamed = [e for e in iter_835(path) if isinstance(e, ClaimPayment)]
    assert streamed == [c for r in read_835(path).remittances for c in r.claims]


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("edigateway.x12"):
            found += [
                f"{path.name}: {node.module}.{alias.name}"
                for alias in node.names
                if alias.name.startswith("_")
            ]
    return found


@pytest.mark.slow  # 1.3 s on the loaded 2-core machine
def test_no_module_imports_a_private_name_of_the_x12_package():
    """Rules and services use a codec's public reading API (iter_837d, iter_835 …), never
    its private reader class (snip.py imported the 837D's and 835's ``_Reader``)."""
    found = [
        hit
        for path in sorted((REPO / "src" / "edigateway").rglob("*.py"))
        for hit in _private_imports(path)
    ]
    assert found == []
