"""An appeal letter, as HTML and as PDF: the practice's letterhead, the payer, the claim's
facts (patient, member ID, claim numbers, dates of service, each procedure with what was
billed, paid and denied), the payer's decision with each CARC/RARC in plain words, the
reason and the coordinator's narrative, and the enclosures (attachments with their control
numbers, which the payer matches them by).

The letter's facts (:class:`AppealLetter`) are gathered once, when the appeal is made, and
kept (sealed) with it: the letter downloaded after sending is the letter that was sent, not
one redrawn from later postings. Drawn like the patient's estimate
(:mod:`.estimate_documents`): fpdf2 core fonts, text folded to Latin-1; the HTML is
self-contained, every value escaped.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape
from typing import Final

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pydantic import BaseModel, ConfigDict

from edigateway.domain.appeals import REASONS, AppealReason

GROUPS: Final[dict[str, str]] = {
    "CO": "contractual obligation",
    "PR": "patient responsibility",
    "OA": "other adjustment",
    "PI": "payer-initiated reduction",
    "CR": "correction or reversal",
}

_FOLD: Final = str.maketrans(
    {
        "−": "-",
        "–": "-",
        "—": "-",
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "≤": "<=",
        "≥": ">=",
    }
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LetterLine(_Model):
    """One procedure of the claim as the letter lists it."""

    line_number: int
    procedure_code: str
    description: str | None = None
    teeth: str = ""
    service_date: date | None = None
    charge: Decimal
    paid: Decimal
    denied: Decimal


class Remark(_Model):
    """A remark code (RARC) with its meaning."""

    code: str
    meaning: str


class Denial(_Model):
    """One reason the payer gave (CAS group + CARC, with its remarks) and its amount."""

    line_number: int | None = None
    procedure_code: str | None = None
    group: str
    code: str
    meaning: str
    remarks: list[Remark] = []
    amount: Decimal


class Enclosure(_Model):
    """An attachment sent with the appeal."""

    control_number: str
    report_type: str
    description: str
    file_name: str


class AppealLetter(_Model):
    """Everything the letter says, gathered when the appeal was made."""

    prepared_on: date
    practice_name: str
    practice_npi: str
    practice_tax_id: str | None = None
    practice_address: list[str]
    signer: str
    payer_name: str
    payer_id: str
    payer_address: list[str] = []
    patient_name: str
    patient_birth_date: date | None = None
    subscriber_name: str
    member_id: str
    group_number: str | None = None
    claim_number: str
    payer_claim_number: str | None = None
    first_service_date: date | None = None
    last_service_date: date | None = None
    submitted_on: date | None = None
    lines: list[LetterLine]
    billed: Decimal
    paid: Decimal
    denied: Decimal
    denials: list[Denial]
    remarks: list[Remark] = []
    """The payer's other remarks on the claim (MOA, and those its denial work items
    name), beside the reasons' own."""
    reason: AppealReason
    narrative: str
    enclosures: list[Enclosure] = []


def _latin1(text: str) -> str:
    return text.translate(_FOLD).encode("latin-1", "replace").decode("latin-1")


def subject(letter: AppealLetter) -> str:
    """The letter's subject line."""
    number = f", payer claim {letter.payer_claim_number}" if letter.payer_claim_number else ""
    return f"Request for reconsideration: claim {letter.claim_number}{number}"


def _dates(letter: AppealLetter) -> str:
    first, last = letter.first_service_date, letter.last_service_date
    if first is None:
        return "not stated"
    return first.isoformat() if last in (None, first) else f"{first} to {last}"


def facts(letter: AppealLetter) -> list[tuple[str, str]]:
    """The claim's facts, in the order the letter gives them."""
    rows = [("Patient", letter.patient_name)]
    if letter.patient_birth_date:
        rows.append(("Patient's date of birth", letter.patient_birth_date.isoformat()))
    rows += [("Subscriber", letter.subscriber_name), ("Member ID", letter.member_id)]
    if letter.group_number:
        rows.append(("Group number", letter.group_number))
    rows.append(("Claim (patient control number)", letter.claim_number))
    if letter.payer_claim_number:
        rows.append(("Payer claim number", letter.payer_claim_number))
    rows.append(("Dates of service", _dates(letter)))
    if letter.submitted_on:
        rows.append(("Submitted on", letter.submitted_on.isoformat()))
    rows += [
        ("Billed", str(letter.billed)),
        ("Paid", str(letter.paid)),
        ("Denied (appealed)", str(letter.denied)),
    ]
    return rows


def procedure(line: LetterLine) -> str:
    """A line as the letter names it: code, the practice's words, teeth."""
    words = f" {line.description}" if line.description else ""
    teeth = f", tooth {line.teeth}" if line.teeth else ""
    return f"{line.procedure_code}{words}{teeth}"


def denial_text(denial: Denial) -> str:
    """A reason the payer gave, in words: where, group, code, meaning, remarks, amount."""
    where = (
        f"Line {denial.line_number} ({denial.procedure_code}): "
        if denial.line_number is not None
        else "Claim: "
    )
    group = GROUPS.get(denial.group, denial.group)
    remarks = "".join(f" Remark {r.code}: {r.meaning}" for r in denial.remarks)
    return (
        f"{where}{denial.group}-{denial.code} ({group}) {denial.amount}: {denial.meaning}.{remarks}"
    ).replace("..", ".")


def remark_text(remark: Remark) -> str:
    """A remark on the whole claim, in words."""
    return f"Claim remark {remark.code}: {remark.meaning}"


def _opening(letter: AppealLetter) -> str:
    why = REASONS.get(letter.reason, "")
    return (
        "We ask you to reconsider your decision on the claim below and to pay the "
        f"amount denied ({letter.denied})." + (f" {why}" if why else "")
    )


def _enclosure(item: Enclosure) -> str:
    return f"{item.control_number}: {item.description} ({item.file_name})"


def _closing(letter: AppealLetter) -> str:
    return (
        "Please send your decision to the address above, quoting the claim number. "
        f"Sincerely, {letter.signer}, {letter.practice_name}"
    )


def render_html(letter: AppealLetter) -> str:
    """The letter as one self-contained HTML page."""
    head = "<br>".join(
        escape(x)
        for x in [letter.practice_name, *letter.practice_address, f"NPI {letter.practice_npi}"]
        + ([f"TIN {letter.practice_tax_id}"] if letter.practice_tax_id else [])
    )
    payer = "<br>".join(
        escape(x) for x in [letter.payer_name, "Appeals department", *letter.payer_address]
    )
    about = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts(letter))
    lines = "".join(
        f"<tr><td>{escape(procedure(ln))}</td><td>{ln.service_date or ''}</td>"
        f"<td class=n>{ln.charge}</td><td class=n>{ln.paid}</td><td class=n>{ln.denied}</td>"
        "</tr>"
        for ln in letter.lines
    )
    denials = (
        "".join(f"<li>{escape(denial_text(d))}</li>" for d in letter.denials)
        or "<li>The payer gave no adjustment reason.</li>"
    )
    narrative = "".join(f"<p>{escape(p)}</p>" for p in letter.narrative.split("\n\n") if p.strip())
    enclosed = "".join(f"<li>{escape(_enclosure(e))}</li>" for e in letter.enclosures)
    enclosures = f"<h2>Enclosures</h2><ul>{enclosed}</ul>" if enclosed else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(subject(letter))}</title>
<style>body{{font-family:serif;max-width:46em;margin:2em auto;color:#111}}
table{{border-collapse:collapse;width:100%}}td,th{{padding:.25em .5em;text-align:left}}
.lines td,.lines th{{border-bottom:1px solid #ccc}}.n{{text-align:right}}
.total td{{font-weight:bold}}header{{margin-bottom:1.5em}}</style></head>
<body><header><strong>{head}</strong></header>
<p>{letter.prepared_on.isoformat()}</p>
<p>{payer}<br>Payer ID {escape(letter.payer_id)}</p>
<p><strong>{escape(subject(letter))}</strong></p>
<p>Dear appeals reviewer,</p>
<p>{escape(_opening(letter))}</p>
<table class=about>{about}</table>
<h2>Procedures</h2>
<table class=lines><tr><th>Procedure</th><th>Date</th><th class=n>Billed</th>
<th class=n>Paid</th><th class=n>Denied</th></tr>{lines}
<tr class=total><td>Total</td><td></td><td class=n>{letter.billed}</td>
<td class=n>{letter.paid}</td><td class=n>{letter.denied}</td></tr></table>
<h2>Your decision</h2><ul>{denials}</ul>
<h2>Why it should be reconsidered</h2>{narrative}
{enclosures}
<p>{escape(_closing(letter))}</p>
</body></html>
"""


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="Letter")
        self._footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Times", size=7)
        self.cell(0, 5, _latin1(f"{self._footer_text} - page {self.page_no()}"), align="C")


def _line(pdf: FPDF, text: str, height: float = 4.8) -> None:
    pdf.multi_cell(0, height, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("Times", "B", 11)
    _line(pdf, text, 6)
    pdf.set_font("Times", size=10)


def _pdf_head(pdf: FPDF, letter: AppealLetter) -> None:
    """Letterhead, date, the payer's address, subject and opening."""
    pdf.set_font("Times", "B", 13)
    _line(pdf, letter.practice_name, 6)
    pdf.set_font("Times", size=9)
    for text in [
        *letter.practice_address,
        f"NPI {letter.practice_npi}",
        *([f"TIN {letter.practice_tax_id}"] if letter.practice_tax_id else []),
    ]:
        _line(pdf, text, 4.5)
    pdf.ln(4)
    pdf.set_font("Times", size=10)
    _line(pdf, letter.prepared_on.isoformat())
    pdf.ln(2)
    for text in [
        letter.payer_name,
        "Appeals department",
        *letter.payer_address,
        f"Payer ID {letter.payer_id}",
    ]:
        _line(pdf, text)
    pdf.ln(2)
    pdf.set_font("Times", "B", 10)
    _line(pdf, subject(letter))
    pdf.set_font("Times", size=10)
    pdf.ln(2)
    _line(pdf, "Dear appeals reviewer,")
    pdf.ln(1)
    _line(pdf, _opening(letter))
    pdf.ln(2)


def render_pdf(letter: AppealLetter) -> bytes:
    """The letter as a Letter-size PDF (several pages when it needs them)."""
    pdf = _Pdf(subject(letter))
    pdf.set_title(_latin1(subject(letter)))
    pdf.set_author(_latin1(letter.practice_name))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    _pdf_head(pdf, letter)
    for key, value in facts(letter):
        pdf.cell(58, 5, _latin1(key))
        pdf.cell(0, 5, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _heading(pdf, "Procedures")
    with pdf.table(
        col_widths=(92, 24, 24, 24, 24),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        table.row(["Procedure", "Date", "Billed", "Paid", "Denied"])
        for ln in letter.lines:
            table.row(
                [
                    _latin1(procedure(ln)),
                    str(ln.service_date or ""),
                    str(ln.charge),
                    str(ln.paid),
                    str(ln.denied),
                ]
            )
        table.row(["Total", "", str(letter.billed), str(letter.paid), str(letter.denied)])
    _heading(pdf, "Your decision")
    for denial in letter.denials:
        _line(pdf, f"- {denial_text(denial)}")
    if not letter.denials:
        _line(pdf, "- The payer gave no adjustment reason.")
    for remark in letter.remarks:
        _line(pdf, f"- {remark_text(remark)}")
    _heading(pdf, "Why it should be reconsidered")
    for paragraph in letter.narrative.split("\n\n"):
        if paragraph.strip():
            _line(pdf, paragraph.strip())
            pdf.ln(1.5)
    if letter.enclosures:
        _heading(pdf, "Enclosures")
        for item in letter.enclosures:
            _line(pdf, f"- {_enclosure(item)}")
    pdf.ln(4)
    _line(pdf, "Please send your decision to the address above, quoting the claim number.")
    pdf.ln(3)
    _line(pdf, "Sincerely,")
    pdf.ln(6)
    _line(pdf, letter.signer)
    _line(pdf, letter.practice_name)
    return bytes(pdf.output())
