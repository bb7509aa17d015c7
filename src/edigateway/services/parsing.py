"""Reading any supported X12 file into domain objects, by what its header says it is.

The front ends (``edigateway x12 parse``, the API) call :func:`parse_file`; it sniffs the
envelope, refuses versions and transactions we do not read with
:class:`~edigateway.errors.UnsupportedX12Error`, and returns a JSON-ready document.
:func:`require` is the same refusal for a command that reads one transaction (``era post``
an 835, ``estimate`` a 271), so that each says "unsupported" (exit 2) for what the others
do: a 4010, a GS08 such as ``005010X221`` without A1, another transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from edigateway.errors import UnsupportedX12Error, X12Location
from edigateway.x12.envelope import SUPPORTED, sniff_header
from edigateway.x12.x270_005010X279A1 import GUIDE as GUIDE_279
from edigateway.x12.x835_005010X221A1 import GUIDE as GUIDE_835
from edigateway.x12.x835_005010X221A1 import RemittanceEnd, RemittanceStart, iter_835, read_835
from edigateway.x12.x837d_005010X224A2 import GUIDE as GUIDE_837D
from edigateway.x12.x837d_005010X224A2 import read_837d

if TYPE_CHECKING:
    from pathlib import Path

    from edigateway.x12.envelope import FileHeader


PARSED: dict[str, str] = {"837": GUIDE_837D, "835": GUIDE_835, "270": GUIDE_279,
                          "271": GUIDE_279}
"""The transactions ``x12 parse`` reads (ST01 → the one GS08 version it reads them in)."""


def parse_file(path: Path, *, full: bool = True) -> dict[str, Any]:
    """The domain objects ``path`` holds, as a JSON-ready dict with a human summary.

    With ``full=False`` an 835 is only streamed and summed (flat memory), not returned.
    """
    header = sniff_header(path)
    kind = SUPPORTED.get((header.functional_id, header.transaction, header.gs_version))
    if kind is None and header.transaction in PARSED:
        require(header, str(path), header.transaction, PARSED[header.transaction],
                "x12 parse")
    if header.gs_version == GUIDE_837D:
        return _parse_837d(path)
    if header.gs_version == GUIDE_835:
        return _parse_835(path) if full else _summarise_835(path)
    if header.gs_version == GUIDE_279 and header.transaction == "271":
        return _parse_271(path)
    if header.gs_version == GUIDE_279 and header.transaction == "270":
        return _parse_270(path)
    if header.transaction:
        what = kind or header.transaction
        what += f" ({header.gs_version})" if header.gs_version else ""
    else:
        what = "an interchange without a transaction set (ST)"
    raise UnsupportedX12Error(
        f"parsing {what} is not supported yet; edigateway parses 837D ({GUIDE_837D}), "
        f"835 ({GUIDE_835}) and 270/271 ({GUIDE_279})",
        _st_location(header, str(path)))


def require(header: FileHeader, file: str, transaction: str, guide: str,
            command: str) -> None:
    """Refuse, as unsupported (exit 2 everywhere), a file that is not ``transaction`` in
    version ``guide``: another transaction at ST01, another version at GS08 (an 835 of
    ``005010X221`` without the A1 addenda, a 271 of ``005010X279``).

    ``header`` comes from the sniff, which has already refused versions other than 5010
    (unsupported) and a GS01 that does not fit its ST01 (malformed). A file whose sniff
    found no transaction set is left to the reader, which names what is missing where
    (malformed).
    """
    if not header.transaction:
        return
    if header.transaction != transaction:
        kind = SUPPORTED.get((header.functional_id, header.transaction, header.gs_version))
        found = kind or header.transaction
        what = f"{_article(found)} {found} ({header.gs_version or 'no GS08'})"
        raise UnsupportedX12Error(
            f"this is {what}, not {_article(transaction)} {transaction}: {command} reads "
            f"{transaction} version {guide} only", _st_location(header, file))
    if header.gs_version != guide:
        addenda = bool(header.gs_version) and guide.startswith(header.gs_version)
        raise UnsupportedX12Error(
            (f"{transaction} version {header.gs_version} (GS08) is not supported"
             if header.gs_version else
             f"this {transaction} has no functional group (GS) to say its version")
            + f": {command} reads {transaction} version {guide} only"
            + (f" (the guide with its {guide[len(header.gs_version):]} addenda)"
               if addenda else ""),
            X12Location(file=file, segment_index=header.gs_position, segment_id="GS",
                        loop="GS", element="GS08") if header.gs_position is not None
            else X12Location(file=file, segment_index=header.st_position, segment_id="ST",
                             loop="ST"))


def require_file(path: Path, transaction: str, guide: str, command: str) -> None:
    """:func:`require` for the file at ``path`` (reads only up to its first ST)."""
    require(sniff_header(path), str(path), transaction, guide, command)


def _article(name: str) -> str:
    """"an 835", "an 837D", "a 271", "a TA1" (the transaction numbers X12 health care
    uses start with 2, 8 or 9)."""
    return "an" if name.startswith("8") else "a"


def _st_location(header: FileHeader, file: str) -> X12Location:
    """ST01 when the file has a transaction set, else its GS08 (or ISA)."""
    if header.st_position is not None:
        return X12Location(file=file, segment_index=header.st_position, segment_id="ST",
                           loop="ST", element="ST01")
    if header.gs_position is not None:
        return X12Location(file=file, segment_index=header.gs_position, segment_id="GS",
                           loop="GS", element="GS08")
    return X12Location(file=file, segment_index=1, segment_id="ISA")


def _parse_271(path: Path) -> dict[str, Any]:
    from edigateway.services.eligibility import benefits_of, describe_benefits

    found = benefits_of(path)
    dumped = [b.model_dump(mode="json") for b in found]
    return {"document": dumped[0] if len(dumped) == 1 else dumped,
            "summary": [line for b in found for line in describe_benefits(b)]}


def _parse_270(path: Path) -> dict[str, Any]:
    from edigateway.x12.x270_005010X279A1 import read_270

    parsed = read_270(path)
    return {"file": str(path), "transaction": "270", "version": GUIDE_279,
            "inquiries": [i.model_dump(mode="json", exclude_none=True)
                          for i in parsed.inquiries],
            "summary": [f"{path}: 270, {len(parsed.inquiries)} inquiry(ies)"] + [
                f"  {i.trace_number}: "
                f"{i.subscriber.name.last_name if i.subscriber.name else i.subscriber.member_id}"
                f" at {i.payer.name}, "
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
    for event in iter_835(path):
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
    parsed = read_837d(path)
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
