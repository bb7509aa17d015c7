"""The patient's copy of an estimate, as HTML and as PDF: the practice's header, the
patient, each procedure in the practice's own words with its fee, the estimated insurance
share and the patient's share, the totals, the plan facts the estimate used and a
plain-language disclaimer.

The PDF is drawn with fpdf2's core fonts (no font files to ship); they cover Latin-1, so
text is folded to it first (dashes and minus signs become ``-``, other characters ``?``).
The HTML is self-contained (inline style, no scripts, nothing fetched), every value escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Final

from fpdf import FPDF
from fpdf.enums import XPos, YPos

if TYPE_CHECKING:
    from edigateway.domain.eligibility import LineEstimate
    from edigateway.services.estimates import PatientEstimate

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


def _latin1(text: str) -> str:
    return text.translate(_FOLD).encode("latin-1", "replace").decode("latin-1")


def _procedure(line: LineEstimate) -> str:
    words = line.description or "(no description in the practice's fee schedule)"
    tooth = f", tooth {line.tooth}" if line.tooth else ""
    return f"{line.procedure_code} {words}{tooth}"


def _heading(document: PatientEstimate) -> list[str]:
    return [document.practice_name, *document.practice_address, f"NPI {document.practice_npi}"]


def _about(document: PatientEstimate) -> list[tuple[str, str]]:
    rows = [
        ("Patient", document.patient_name),
        (
            "Insurance",
            " / ".join(p for p in (document.payer_name, document.plan_name) if p) or "not stated",
        ),
        ("Prepared on", document.prepared_on.isoformat()),
    ]
    if document.member_id:
        rows.insert(2, ("Member ID", document.member_id))
    if document.claim_number:
        rows.append(("Claim", document.claim_number))
    return rows


def render_html(document: PatientEstimate) -> str:
    """The estimate as one self-contained HTML page."""
    e = document.estimate
    lines = "".join(
        f"<tr><td>{escape(_procedure(ln))}</td><td class=n>{ln.fee}</td>"
        f"<td class=n>{ln.insurance.amount}</td><td class=n>{ln.patient.amount}</td></tr>"
        + "".join(f"<tr class=flag><td colspan=4>{escape(flag)}</td></tr>" for flag in ln.flags)
        for ln in e.lines
    )
    about = "".join(
        f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in _about(document)
    )
    facts = "".join(f"<li>{escape(fact)}</li>" for fact in [*e.facts, *e.notes])
    header = "<br>".join(escape(line) for line in _heading(document))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Treatment estimate for {
        escape(document.patient_name)
    }</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto;color:#111}}
table{{border-collapse:collapse;width:100%}}td,th{{padding:.3em .5em;text-align:left}}
.lines td,.lines th{{border-bottom:1px solid #ccc}}.n{{text-align:right}}
.flag td{{font-size:.85em;color:#555;padding-left:2em}}.total td{{font-weight:bold}}
.disclaimer{{border:1px solid #999;padding:.8em;margin-top:1.5em}}</style></head>
<body><header><strong>{header}</strong></header>
<h1>Treatment estimate</h1>
<table class=about>{about}</table>
<h2>Procedures</h2>
<table class=lines><tr><th>Procedure</th><th class=n>Fee</th><th class=n>Insurance
 (estimated)</th><th class=n>You pay (estimated)</th></tr>{lines}
<tr class=total><td>Total</td><td class=n>{e.total_fee}</td><td class=n>{
        e.total_insurance
    }</td><td class=n>{e.total_patient}</td></tr></table>
<h2>Plan facts used</h2><ul>{facts}</ul>
<p class=disclaimer>{escape(document.disclaimer)}</p>
</body></html>
"""


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="Letter")
        self._footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7)
        self.cell(0, 5, _latin1(f"{self._footer_text} - page {self.page_no()}"), align="C")


def render_pdf(document: PatientEstimate) -> bytes:
    """The estimate as a one- or several-page Letter PDF."""
    e = document.estimate
    pdf = _Pdf(
        f"Treatment estimate for {document.patient_name}, prepared "
        f"{document.prepared_on.isoformat()}"
    )
    pdf.set_title(_latin1(f"Treatment estimate for {document.patient_name}"))
    pdf.set_author(_latin1(document.practice_name))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 6, _latin1(document.practice_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    for line in _heading(document)[1:]:
        pdf.cell(0, 4.5, _latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 8, "Treatment estimate", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)
    for key, value in _about(document):
        pdf.cell(32, 5.5, _latin1(key))
        pdf.cell(0, 5.5, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    with pdf.table(
        col_widths=(100, 28, 32, 32),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5.5,
        first_row_as_headings=True,
    ) as table:
        table.row(["Procedure", "Fee", "Insurance (est.)", "You pay (est.)"])
        for ln in e.lines:
            text = _procedure(ln) + "".join(f"\n  - {flag}" for flag in ln.flags)
            table.row(
                [_latin1(text), str(ln.fee), str(ln.insurance.amount), str(ln.patient.amount)]
            )
        pdf.set_font("Helvetica", "B", 10)
        table.row(["Total", str(e.total_fee), str(e.total_insurance), str(e.total_patient)])
    pdf.set_font("Helvetica", "B", 11)
    pdf.ln(4)
    pdf.cell(0, 6, "Plan facts used", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    for fact in [*e.facts, *e.notes]:
        pdf.multi_cell(0, 4.5, _latin1(f"- {fact}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, "Please note", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(
        0,
        4.5,
        _latin1(document.disclaimer),
        border=1,
        padding=2,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())
