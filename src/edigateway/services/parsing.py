"""Reading any supported X12 file into domain objects, by what its header says it is.

``edigateway x12 parse`` calls :func:`parse_document` for its JSON (written as it is read,
see :mod:`edigateway.services.json_stream`) and :func:`summarise` for its text. Both sniff
the envelope and refuse versions and transactions we do not read with
:class:`~edigateway.errors.UnsupportedX12Error`. :func:`require` is the same refusal for a
command that reads one transaction (``era post`` an 835, ``estimate`` a 271), so that each
says "unsupported" (exit 2) for what the others do: a 4010, a GS08 such as
``005010X221`` without A1, another transaction.

Memory: an 835, an 837D and a 277CA are read claim by claim, a 271 patient by patient,
and their JSON is written as they are read, so memory stays flat whatever the file's
size. A 999 is written one transaction set at a time (its reader emits whole
acknowledgments); a 270, 276 and 277 are read whole (inquiries and their answers, sized
by the batch we sent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from edigateway.errors import UnsupportedX12Error, X12Location
from edigateway.services.json_stream import Dump, Later, Records, iter_json, iter_jsonl
from edigateway.x12.envelope import SUPPORTED, sniff_header
from edigateway.x12.x835_005010X221A1 import RemittanceEnd, RemittanceStart, iter_835

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path
    from typing import TextIO

    from edigateway.domain.remittances import Remittance
    from edigateway.x12.envelope import FileHeader
    from edigateway.x12.x835_005010X221A1 import Event


GUIDES: dict[str, str] = {kind: version for (_, _, version), kind in SUPPORTED.items()}
"""Each transaction's guide (GS08) by its short name, as the envelope reads them; the
readers of the other transactions are imported when a file needs them (their domain
models take a tenth of a second to build at start-up)."""
GUIDE_837D, GUIDE_835, GUIDE_279 = GUIDES["837D"], GUIDES["835"], GUIDES["270"]
GUIDE_212, GUIDE_214, GUIDE_999 = GUIDES["276"], GUIDES["277CA"], GUIDES["999"]

PARSED: dict[str, str] = {
    "837": GUIDE_837D,
    "835": GUIDE_835,
    "270": GUIDE_279,
    "271": GUIDE_279,
    "276": GUIDE_212,
    "999": GUIDE_999,
}
"""The transactions ``x12 parse`` reads (ST01 → the one GS08 version it reads them in; a
277 is read in two, 005010X212 and the 277CA's 005010X214)."""

RECORDS = Records(
    names={
        "remittances": "payment",
        "claims": "claim",
        "benefits": "benefits",
        "inquiries": "inquiry",
        "answers": "answer",
        "acknowledgments": "acknowledgment",
        "acks": "ack",
    },
    links={"remittances": "trace_number"},
)
"""How ``x12 parse --jsonl`` names its lines: the file's head (``file``), one line per
claim (an 835's claims between their payment's ``payment`` and ``payment_end`` lines,
each naming the payment's trace number), inquiry, answer or acknowledgment, and the
totals and lists that follow (``end``)."""


@dataclass(frozen=True, slots=True)
class Document:
    """What ``x12 parse`` prints of a file: ``json`` (the ``--json`` document: a dict, or
    for a 271 the benefits object or list) and ``lines`` (the same content as a dict for
    ``--jsonl``). Lists in them are iterators: each is read from the file as it is
    written, once."""

    json: Any
    lines: dict[str, Any]


def parse_document(path: Path) -> Document:
    """The domain objects ``path`` holds, as a document to write (see :class:`Document`)."""
    kind = _kind(path)
    build: Callable[[Path], Document] = {
        "837D": _document_837d,
        "835": _document_835,
        "270": _document_270,
        "271": _document_271,
        "276": _document_276,
        "277": _document_277,
        "277CA": _document_277ca,
        "999": _document_999,
    }[kind]
    return build(path)


def write_document(path: Path, out: TextIO, *, lines: bool = False) -> None:
    """Write ``path``'s document to ``out`` as it is read: ``json.dumps(…, indent=2)`` of
    it byte for byte, or JSON Lines. A file found malformed part-way ends the output
    there (the error says where): an array or object left open is not valid JSON, so a
    consumer cannot take it for the whole file; a JSON Lines reader must check the
    command's exit code."""
    document = parse_document(path)
    if lines:
        for text in iter_jsonl(document.lines, RECORDS):
            out.write(text)
        return
    for text in iter_json(document.json):
        out.write(text)
    out.write("\n")


def summarise(path: Path) -> list[str]:
    """What ``x12 parse`` prints without ``--json``: a line about the file, then a line
    per claim, payment, inquiry or answer (an 835 streamed: its first 20 payments)."""
    kind = _kind(path)
    if kind == "835":
        totals = _Totals835(path)
        for event in iter_835(path):
            totals.add(event)
        return totals.summary()
    if kind == "837D":
        return _summarise_837d(path)
    document = parse_document(path).lines
    key = next(key for key in document if key in RECORDS.names)
    if kind == "271":
        return [line for item in document[key] for line in _describe(kind, item)]
    items = list(document[key])
    what = "inquiry(ies)" if kind in ("270", "276") else f"{RECORDS.names[key]}(s)"
    return [
        f"{path}: {kind}, {len(items)} {what}",
        *(f"  {line}" for item in items for line in _describe(kind, item)),
    ]


def _kind(path: Path) -> str:
    """The short name (``835``, ``277CA`` …) of what ``path`` holds, refusing what
    ``x12 parse`` does not read."""
    header = sniff_header(path)
    kind = SUPPORTED.get((header.functional_id, header.transaction, header.gs_version))
    if kind is None and header.transaction in PARSED:
        require(header, str(path), header.transaction, PARSED[header.transaction], "x12 parse")
    if kind in ("837D", "835", "270", "271", "276", "277", "277CA", "999"):
        return kind
    if header.transaction:
        what = kind or header.transaction
        what += f" ({header.gs_version})" if header.gs_version else ""
    else:
        what = "an interchange without a transaction set (ST)"
    raise UnsupportedX12Error(
        f"parsing {what} is not supported yet; edigateway parses 837D ({GUIDE_837D}), "
        f"835 ({GUIDE_835}), 270/271 ({GUIDE_279}), 276/277 ({GUIDE_212}), "
        f"277CA ({GUIDE_214}) and 999 ({GUIDE_999})",
        _st_location(header, str(path)),
    )


def require(header: FileHeader, file: str, transaction: str, guide: str, command: str) -> None:
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
            f"{transaction} version {guide} only",
            _st_location(header, file),
        )
    if header.gs_version != guide:
        addenda = bool(header.gs_version) and guide.startswith(header.gs_version)
        raise UnsupportedX12Error(
            (
                f"{transaction} version {header.gs_version} (GS08) is not supported"
                if header.gs_version
                else f"this {transaction} has no functional group (GS) to say its version"
            )
            + f": {command} reads {transaction} version {guide} only"
            + (
                f" (the guide with its {guide[len(header.gs_version) :]} addenda)"
                if addenda
                else ""
            ),
            X12Location(
                file=file,
                segment_index=header.gs_position,
                segment_id="GS",
                loop="GS",
                element="GS08",
            )
            if header.gs_position is not None
            else X12Location(
                file=file, segment_index=header.st_position, segment_id="ST", loop="ST"
            ),
        )


def require_file(path: Path, transaction: str, guide: str, command: str) -> None:
    """:func:`require` for the file at ``path`` (reads only up to its first ST)."""
    require(sniff_header(path), str(path), transaction, guide, command)


def _article(name: str) -> str:
    """ "an 835", "an 837D", "a 271", "a TA1" (the transaction numbers X12 health care
    uses start with 2, 8 or 9)."""
    return "an" if name.startswith("8") else "a"


def _st_location(header: FileHeader, file: str) -> X12Location:
    """ST01 when the file has a transaction set, else its GS08 (or ISA)."""
    if header.st_position is not None:
        return X12Location(
            file=file, segment_index=header.st_position, segment_id="ST", loop="ST", element="ST01"
        )
    if header.gs_position is not None:
        return X12Location(
            file=file, segment_index=header.gs_position, segment_id="GS", loop="GS", element="GS08"
        )
    return X12Location(file=file, segment_index=1, segment_id="ISA")


def _document_835(path: Path) -> Document:
    totals = _Totals835(path)
    document = {
        "file": str(path),
        "transaction": "835",
        "version": GUIDE_835,
        "remittances": totals.remittances(iter_835(path)),
        **{key: Later(totals.field(key)) for key in _Totals835.FIELDS},
    }
    return Document(document, document)


@dataclass(slots=True)
class _Totals835:
    """An 835's counts and sums, added up as its events pass (so that they follow the
    remittances in the streamed document), and the summary they make."""

    path: Path
    payments: int = 0
    claims: int = 0
    services: int = 0
    amount: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    plb: Decimal = Decimal("0.00")
    lines: list[str] = field(default_factory=list)

    FIELDS = (
        "payments",
        "claims",
        "services",
        "claims_paid",
        "provider_adjustments",
        "payment_total",
    )
    """The totals' keys in the document, after ``remittances``."""
    SHOWN = 20
    """Payments listed in the text summary."""

    def add(self, event: Event) -> None:
        """Count one event of :func:`~edigateway.x12.x835_005010X221A1.iter_835`."""
        if isinstance(event, RemittanceStart):
            self.payments += 1
            r = event.remittance
            self.amount += r.payment_amount
            if len(self.lines) < self.SHOWN:
                self.lines.append(
                    f"  payment {r.trace_number} {r.payment_method} "
                    f"{r.payment_amount} from {r.payer.name}"
                )
        elif isinstance(event, RemittanceEnd):
            self.plb += sum((p.amount for p in event.provider_adjustments), Decimal("0.00"))
        else:
            self.claims += 1
            self.services += len(event.services)
            self.paid += event.paid

    def field(self, key: str) -> Callable[[], object]:
        """The document's value of ``key`` (one of :attr:`FIELDS`), read when written."""
        return lambda: {
            "payments": self.payments,
            "claims": self.claims,
            "services": self.services,
            "claims_paid": str(self.paid),
            "provider_adjustments": str(self.plb),
            "payment_total": str(self.amount),
        }[key]

    def remittances(self, events: Iterator[Event]) -> Iterator[dict[str, Any]]:
        """Each payment as the document's dict, its claims read as they are written."""
        for event in events:
            self.add(event)
            if isinstance(event, RemittanceStart):
                yield self._remittance(event.remittance, events)

    def _remittance(self, header: Remittance, events: Iterator[Event]) -> dict[str, Any]:
        """The payment ``header`` (claims and PLB still to come) in the document's order:
        its claims, then its provider adjustments once the claims are all read."""
        ended: list[RemittanceEnd] = []
        document = header.model_dump(mode="json", exclude_none=True)
        document["claims"] = self._claims(events, ended)
        document["provider_adjustments"] = Later(
            lambda: [Dump(p, exclude_none=True) for end in ended for p in end.provider_adjustments]
        )
        return document

    def _claims(self, events: Iterator[Event], ended: list[RemittanceEnd]) -> Iterator[Dump]:
        """The claims of the payment being read, up to and including its end."""
        for event in events:
            self.add(event)
            if isinstance(event, RemittanceEnd):
                ended.append(event)
                return
            if not isinstance(event, RemittanceStart):
                yield Dump(event, exclude_none=True)

    def summary(self) -> list[str]:
        """The text ``x12 parse`` prints of the 835."""
        head = (
            f"{self.path}: 835, {self.payments} payment(s), {self.claims} claim(s), "
            f"{self.services} service line(s); claims paid {self.paid}, provider "
            f"adjustments {self.plb}, payments {self.amount}"
        )
        return [head, *self.lines]


def _document_837d(path: Path) -> Document:
    from edigateway.x12.x837d_005010X224A2 import stream_837d

    stream = stream_837d(path)
    first: list[Any] = []

    def party(index: int) -> Any:
        """The submitter (0) or receiver (1), read once the first claim has been (1000A
        and 1000B come before it) or the file has ended without one."""
        if not first:
            first.append(next(stream.claims, None))
        found = stream.parties()[index]
        return None if found is None else Dump(found)

    def claims() -> Iterator[Dump]:
        if not first:
            first.append(next(stream.claims, None))
        if first[0] is not None:
            yield Dump(first[0], exclude_defaults=True)
            yield from (Dump(c, exclude_defaults=True) for c in stream.claims)

    document = {
        "file": str(path),
        "transaction": "837D",
        "version": GUIDE_837D,
        "submitter": Later(lambda: party(0)),
        "receiver": Later(lambda: party(1)),
        "claims": claims(),
        "skipped_segments": Later(
            lambda: [
                {"segment_index": loc.segment_index, "segment_id": loc.segment_id, "loop": loc.loop}
                for loc in stream.parsed().skipped
            ]
        ),
    }
    return Document(document, document)


def _summarise_837d(path: Path) -> list[str]:
    from edigateway.x12.x837d_005010X224A2 import read_837d

    parsed = read_837d(path)
    lines = [f"{path}: 837D, {len(parsed.claims)} claim(s)"]
    lines += [
        f"  {c.patient_control_number}  {c.kind:<16} freq {c.frequency}  ${c.total_charge}  "
        f"{len(c.lines)} line(s)  payer {c.payer.name}"
        for c in parsed.claims
    ]
    lines += [
        f"  note: segment {loc.segment_index} ({loc.segment_id}, loop {loc.loop}) is not "
        "modelled and was not read"
        for loc in parsed.skipped
    ]
    return lines


def _document_271(path: Path) -> Document:
    """The benefits object of a 271 answering for one patient, else the list of them
    (written patient by patient). Whether there is more than one is known once the
    second has been read, so the first two are read before anything is written."""
    from edigateway.x12.x271_005010X279A1 import iter_271

    stream = iter_271(path)
    ahead = [Dump(b) for b in islice(stream, 2)]
    found = chain(ahead, (Dump(b) for b in stream))
    return Document(
        ahead[0] if len(ahead) == 1 else found,
        {"file": str(path), "transaction": "271", "version": GUIDE_279, "benefits": found},
    )


def _document_270(path: Path) -> Document:
    from edigateway.x12.x270_005010X279A1 import read_270

    parsed = read_270(path)
    document = {
        "file": str(path),
        "transaction": "270",
        "version": GUIDE_279,
        "inquiries": (Dump(i, exclude_none=True) for i in parsed.inquiries),
    }
    return Document(document, document)


def _document_276(path: Path) -> Document:
    from edigateway.x12.x276_005010X212 import read_276

    parsed = read_276(path)
    document = {
        "file": str(path),
        "transaction": "276",
        "version": GUIDE_212,
        "inquiries": (Dump(i, exclude_none=True) for i in parsed.inquiries),
    }
    return Document(document, document)


def _document_277(path: Path) -> Document:
    from edigateway.x12.x277_005010X212 import read_277

    parsed = read_277(path)
    document = {
        "file": str(path),
        "transaction": "277",
        "version": GUIDE_212,
        "answers": (Dump(a, exclude_none=True) for a in parsed.answers),
        "level_statuses": [Dump(s, exclude_none=True) for s in parsed.level_statuses],
        "warnings": [str(w) for w in parsed.warnings],
    }
    return Document(document, document)


def _document_277ca(path: Path) -> Document:
    from edigateway.domain.acknowledgments import ClaimAckFile
    from edigateway.x12.x277ca_005010X214 import stream_277ca

    stream = stream_277ca(path)
    events = iter(stream.events)
    ahead: list[ClaimAckFile] = []

    def acknowledgments() -> Iterator[dict[str, Any]]:
        """Each batch as the document's dict, its claims read as they are written."""
        while (header := ahead.pop() if ahead else next(events, None)) is not None:
            document = header.model_dump(mode="json", exclude_none=True)
            document["claims"] = claims()
            yield document

    def claims() -> Iterator[Dump]:
        """The claims of the batch being read, up to the next batch's header."""
        for event in events:
            if isinstance(event, ClaimAckFile):
                ahead.append(event)
                return
            yield Dump(event, exclude_none=True)

    document = {
        "file": str(path),
        "transaction": "277CA",
        "version": GUIDE_214,
        "acknowledgments": acknowledgments(),
        "interchange_acks": Later(lambda: [Dump(a) for a in stream.parsed().interchange_acks]),
        "warnings": Later(lambda: [str(w) for w in stream.parsed().warnings]),
    }
    return Document(document, document)


def _document_999(path: Path) -> Document:
    from edigateway.x12.x999_005010X231A1 import read_999

    parsed = read_999(path)
    document = {
        "file": str(path),
        "transaction": "999",
        "version": GUIDE_999,
        "acks": (Dump(a, exclude_none=True) for a in parsed.acks),
        "interchange_acks": [Dump(a) for a in parsed.interchange_acks],
        "warnings": [str(w) for w in parsed.warnings],
    }
    return Document(document, document)


def _describe(kind: str, item: Dump) -> list[str]:
    """The text lines of one item of a 270/271/276/277/277CA/999 document."""
    from edigateway.services.eligibility import describe_benefits

    model: Any = item.model
    if kind == "271":
        return describe_benefits(model)
    if kind == "270":
        who = (
            model.subscriber.name.last_name if model.subscriber.name else model.subscriber.member_id
        )
        return [
            (
                f"{model.trace_number}: {who} at {model.payer.name}, service types "
                f"{', '.join(model.service_types)}"
            )
        ]
    if kind == "276":
        return [
            (f"{model.trace_number}: claim {model.patient_control_number} at {model.payer.name}")
        ]
    if kind == "277":
        return [
            f"{model.trace_number}: {model.status} ({model.category_code}:"
            f"{model.status_code}) {model.message}".rstrip()
        ]
    if kind == "277CA":
        return [
            (
                f"batch {model.receiver_trace} from {model.information_source.name}: "
                f"{len(model.claims)} claim(s)"
            ),
            *(
                f"  {c.patient_control_number}: {c.status} ({c.category_code}:"
                f"{c.status_code}) {c.message}".rstrip()
                for c in model.claims
            ),
        ]
    return [
        (
            f"group {model.functional_id} {model.group_control_number} "
            f"({model.version}): {model.status}, {model.transactions_accepted} of "
            f"{model.transactions_included} transaction(s) accepted"
        )
    ]
