"""Reading any supported X12 file into domain objects, by what its header says it is.

The front ends (``edigateway x12 parse``, the API) call :func:`parse_file`; it sniffs the
envelope, refuses versions and transactions we do not read with
:class:`~edigateway.errors.UnsupportedX12Error`, and returns a JSON-ready document.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from edigateway.errors import UnsupportedX12Error, X12Location
from edigateway.x12.envelope import read_segments, sniff_header
from edigateway.x12.x270_005010X279A1 import GUIDE as GUIDE_279
from edigateway.x12.x835_005010X221A1 import GUIDE as GUIDE_835
from edigateway.x12.x835_005010X221A1 import RemittanceEnd, RemittanceStart, iter_835, read_835
from edigateway.x12.x837d_005010X224A2 import GUIDE as GUIDE_837D
from edigateway.x12.x837d_005010X224A2 import read_837d_segments

if TYPE_CHECKING:
    from pathlib import Path


def parse_file(path: Path, *, full: bool = True) -> dict[str, Any]:
    """The domain objects ``path`` holds, as a JSON-ready dict with a human summary.

    With ``full=False`` an 835 is only streamed and summed (flat memory), not returned.
    """
    header = sniff_header(path)
    if header.gs_version == GUIDE_837D:
        return _parse_837d(path)
    if header.gs_version == GUIDE_835:
        return _parse_835(path) if full else _summarise_835(path)
    if header.gs_version == GUIDE_279 and header.transaction == "271":
        return _parse_271(path)
    if header.gs_version == GUIDE_279 and header.transaction == "270":
        return _parse_270(path)
    raise UnsupportedX12Error(
        f"parsing {header.transaction or 'this transaction'} {header.gs_version} is not "
        f"supported yet; edigateway parses 837D ({GUIDE_837D}), 835 ({GUIDE_835}) and "
        f"270/271 ({GUIDE_279})", X12Location(file=str(path), segment_id="GS", element="GS08"))


def _parse_271(path: Path) -> dict[str, Any]:
    from edigateway.services.eligibility import benefits_of, describe_benefits

    found = benefits_of(path)
    dumped = [b.model_dump(mode="json") for b in found]
    return {"document": dumped[0] if len(dumped) == 1 else dumped,
            "summary": [line for b in found for line in describe_benefits(b)]}


def _parse_270(path: Path) -> dict[str, Any]:
    from edigateway.x12.x270_005010X279A1 import read_270

    parsed = read_270(path.read_text(encoding="utf-8", errors="replace"), str(path))
    return {"file": str(path), "transaction": "270", "version": GUIDE_279,
            "inquiries": [i.model_dump(mode="json", exclude_none=True)
                          for i in parsed.inquiries],
            "summary": [f"{path}: 270, {len(parsed.inquiries)} inquiry(ies)"] + [
                f"  {i.trace_number}: {i.subscriber.name.last_name} at {i.payer.name}, "
                f"service types {', '.join(i.service_types)}" for i in parsed.inquiries]}


def _parse_835(path: Path) -> dict[str, Any]:
    parsed = read_835(path)
    summary = _summarise_835(path)
    return {**summary, "remittances": [
        r.model_dump(mode="json", exclude_none=True) for r in parsed.remittances]}


def _summarise_835(path: Path) -> dict[str, Any]:
    payments = claims = services = 0
    amount = paid = plb = Decimal("0.00")
    lines: list[str] = []
    for event in iter_835(read_segments(path), str(path)):
        if isinstance(event, RemittanceStart):
            payments += 1
            r = event.remittance
            amount += r.payment_amount
            lines.append(f"  payment {r.trace_number} {r.payment_method} {r.payment_amount} "
                         f"from {r.payer.name}")
        elif isinstance(event, RemittanceEnd):
            plb += sum((p.amount for p in event.provider_adjustments), Decimal("0.00"))
        else:
            claims += 1
            services += len(event.services)
            paid += event.paid
    head = (f"{path}: 835, {payments} payment(s), {claims} claim(s), {services} service "
            f"line(s); claims paid {paid}, provider adjustments {plb}, payments {amount}")
    return {"file": str(path), "transaction": "835", "version": GUIDE_835,
            "payments": payments, "claims": claims, "services": services,
            "claims_paid": str(paid), "provider_adjustments": str(plb),
            "payment_total": str(amount), "summary": [head, *lines[:20]]}


def _parse_837d(path: Path) -> dict[str, Any]:
    parsed = read_837d_segments(read_segments(path), str(path))
    lines = [f"{path}: 837D, {len(parsed.claims)} claim(s)"]
    lines += [
        f"  {c.patient_control_number}  {c.kind:<16} freq {c.frequency}  ${c.total_charge}  "
        f"{len(c.lines)} line(s)  payer {c.payer.name}" for c in parsed.claims
    ]
    lines += [
        f"  note: segment {loc.segment_index} ({loc.segment_id}, loop {loc.loop}) is not "
        "modelled and was not read" for loc in parsed.skipped
    ]
    return {
        "file": str(path),
        "transaction": "837D",
        "version": GUIDE_837D,
        "submitter": parsed.submitter.model_dump(mode="json") if parsed.submitter else None,
        "receiver": parsed.receiver.model_dump(mode="json") if parsed.receiver else None,
        "claims": [c.model_dump(mode="json", exclude_defaults=True) for c in parsed.claims],
        "skipped_segments": [
            {"segment_index": loc.segment_index, "segment_id": loc.segment_id, "loop": loc.loop}
            for loc in parsed.skipped
        ],
        "summary": lines,
    }
