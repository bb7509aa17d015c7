"""X12 code lists shared by the readers, writers and reports: one table per list, in one place.

Which guide uses which list:

* :data:`SERVICE_TYPES` — element 1365, the service type codes of the 270's EQ01 and the
  271's EB03 (005010X279A1 lists all of them for both; a dental payer mostly answers 35 and
  23–28, 36–41, but a standard 270 may ask for 30 "health benefit plan coverage").
* :data:`TIME_PERIODS` — element 615, the 271's EB06 and HSD05.
* :data:`BENEFIT_QUANTITIES` — element 673 as the 271's EB09 uses it, and
  :data:`HSD_QUANTITIES` / :data:`HSD_UNITS` for HSD01 and HSD03.
* :data:`CLAIM_STATUS_CATEGORIES` / :data:`CLAIM_STATUS_CODES` — external code sources 507
  and 508, read by the 277CA (005010X214) and the 277 claim status answer (005010X212).

The names are the code lists' own wording, shortened where it was long. The claim status
codes (508) are a list of about 800 maintained by X12; :data:`CLAIM_STATUS_CODES` holds the
ones clearinghouses and dental payers commonly send. A code missing from a table is never
refused: :func:`describe_code` says it is not in our table, with the code, so the reader of
a report can look it up.
"""

from __future__ import annotations

from typing import Final

SERVICE_TYPES: Final[dict[str, str]] = {
    "1": "Medical Care", "2": "Surgical", "3": "Consultation", "4": "Diagnostic X-Ray",
    "5": "Diagnostic Lab", "6": "Radiation Therapy", "7": "Anesthesia",
    "8": "Surgical Assistance", "9": "Other Medical", "10": "Blood Charges",
    "11": "Used Durable Medical Equipment", "12": "Durable Medical Equipment Purchase",
    "13": "Ambulatory Service Center Facility", "14": "Renal Supplies in the Home",
    "15": "Alternate Method Dialysis", "16": "Chronic Renal Disease (CRD) Equipment",
    "17": "Pre-Admission Testing", "18": "Durable Medical Equipment Rental",
    "19": "Pneumonia Vaccine", "20": "Second Surgical Opinion", "21": "Third Surgical Opinion",
    "22": "Social Work", "23": "Diagnostic Dental", "24": "Periodontics", "25": "Restorative",
    "26": "Endodontics", "27": "Maxillofacial Prosthetics", "28": "Adjunctive Dental Services",
    "30": "Health Benefit Plan Coverage", "32": "Plan Waiting Period", "33": "Chiropractic",
    "34": "Chiropractic Office Visits", "35": "Dental Care", "36": "Dental Crowns",
    "37": "Dental Accident", "38": "Orthodontics", "39": "Prosthodontics",
    "40": "Oral Surgery", "41": "Routine (Preventive) Dental", "42": "Home Health Care",
    "43": "Home Health Prescriptions", "44": "Home Health Visits", "45": "Hospice",
    "46": "Respite Care", "47": "Hospital", "48": "Hospital - Inpatient",
    "49": "Hospital - Room and Board", "50": "Hospital - Outpatient",
    "51": "Hospital - Emergency Accident", "52": "Hospital - Emergency Medical",
    "53": "Hospital - Ambulatory Surgical", "54": "Long Term Care", "55": "Major Medical",
    "56": "Medically Related Transportation", "57": "Air Transportation", "58": "Cabulance",
    "59": "Licensed Ambulance", "60": "General Benefits", "61": "In-vitro Fertilization",
    "62": "MRI/CAT Scan", "63": "Donor Procedures", "64": "Acupuncture",
    "65": "Newborn Care", "66": "Pathology", "67": "Smoking Cessation",
    "68": "Well Baby Care", "69": "Maternity", "70": "Transplants", "71": "Audiology Exam",
    "72": "Inhalation Therapy", "73": "Diagnostic Medical", "74": "Private Duty Nursing",
    "75": "Prosthetic Device", "76": "Dialysis", "77": "Otological Exam",
    "78": "Chemotherapy", "79": "Allergy Testing", "80": "Immunizations",
    "81": "Routine Physical", "82": "Family Planning", "83": "Infertility", "84": "Abortion",
    "85": "AIDS", "86": "Emergency Services", "87": "Cancer", "88": "Pharmacy",
    "89": "Free Standing Prescription Drug", "90": "Mail Order Prescription Drug",
    "91": "Brand Name Prescription Drug", "92": "Generic Prescription Drug",
    "93": "Podiatry", "94": "Podiatry - Office Visits", "95": "Podiatry - Nursing Home Visits",
    "96": "Professional (Physician)", "97": "Anesthesiologist",
    "98": "Professional (Physician) Visit - Office",
    "99": "Professional (Physician) Visit - Inpatient",
    "A0": "Professional (Physician) Visit - Outpatient",
    "A1": "Professional (Physician) Visit - Nursing Home",
    "A2": "Professional (Physician) Visit - Skilled Nursing Facility",
    "A3": "Professional (Physician) Visit - Home", "A4": "Psychiatric",
    "A5": "Psychiatric - Room and Board", "A6": "Psychotherapy",
    "A7": "Psychiatric - Inpatient", "A8": "Psychiatric - Outpatient", "A9": "Rehabilitation",
    "AA": "Rehabilitation - Room and Board", "AB": "Rehabilitation - Inpatient",
    "AC": "Rehabilitation - Outpatient", "AD": "Occupational Therapy",
    "AE": "Physical Medicine", "AF": "Speech Therapy", "AG": "Skilled Nursing Care",
    "AH": "Skilled Nursing Care - Room and Board", "AI": "Substance Abuse",
    "AJ": "Alcoholism", "AK": "Drug Addiction", "AL": "Vision (Optometry)", "AM": "Frames",
    "AN": "Routine Exam", "AO": "Lenses", "AQ": "Nonmedically Necessary Physical",
    "AR": "Experimental Drug Therapy", "B1": "Burn Care",
    "B2": "Brand Name Prescription Drug - Formulary",
    "B3": "Brand Name Prescription Drug - Non-Formulary",
    "BA": "Independent Medical Evaluation", "BB": "Partial Hospitalization (Psychiatric)",
    "BC": "Day Care (Psychiatric)", "BD": "Cognitive Therapy", "BE": "Massage Therapy",
    "BF": "Pulmonary Rehabilitation", "BG": "Cardiac Rehabilitation", "BH": "Pediatric",
    "BI": "Nursery", "BJ": "Skin", "BK": "Orthopedic", "BL": "Cardiac", "BM": "Lymphatic",
    "BN": "Gastrointestinal", "BP": "Endocrine", "BQ": "Neurology", "BR": "Eye",
    "BS": "Invasive Procedures", "BT": "Gynecological", "BU": "Obstetrical",
    "BV": "Obstetrical/Gynecological", "BW": "Mail Order Prescription Drug: Brand Name",
    "BX": "Mail Order Prescription Drug: Generic", "BY": "Physician Visit - Office: Sick",
    "BZ": "Physician Visit - Office: Well", "C1": "Coronary Care",
    "CA": "Private Duty Nursing - Inpatient", "CB": "Private Duty Nursing - Home",
    "CC": "Surgical Benefits - Professional (Physician)",
    "CD": "Surgical Benefits - Facility", "CE": "Mental Health Provider - Inpatient",
    "CF": "Mental Health Provider - Outpatient", "CG": "Mental Health Facility - Inpatient",
    "CH": "Mental Health Facility - Outpatient", "CI": "Substance Abuse Facility - Inpatient",
    "CJ": "Substance Abuse Facility - Outpatient", "CK": "Screening X-ray",
    "CL": "Screening Laboratory", "CM": "Mammogram, High Risk Patient",
    "CN": "Mammogram, Low Risk Patient", "CO": "Flu Vaccination",
    "CP": "Eyewear and Eyewear Accessories", "CQ": "Case Management", "DG": "Dermatology",
    "DM": "Durable Medical Equipment", "DS": "Diabetic Supplies",
    "GF": "Generic Prescription Drug - Formulary",
    "GN": "Generic Prescription Drug - Non-Formulary", "GY": "Allergy",
    "IC": "Intensive Care", "MH": "Mental Health", "NI": "Neonatal Intensive Care",
    "ON": "Oncology", "PT": "Physical Therapy", "PU": "Pulmonary", "RN": "Renal",
    "RT": "Residential Psychiatric Treatment", "TC": "Transitional Care",
    "TN": "Transitional Nursery Care", "UC": "Urgent Care",
}
"""Service type codes (element 1365), all 186 that 005010X279A1 allows in EQ01 and EB03."""

TIME_PERIODS: Final[dict[str, str]] = {
    "6": "hour", "7": "day", "13": "24 hours", "21": "years", "22": "service year",
    "23": "calendar year", "24": "year to date", "25": "contract", "26": "episode",
    "27": "visit", "28": "outlier", "29": "remaining", "30": "exceeded",
    "31": "not exceeded", "32": "lifetime", "33": "lifetime remaining", "34": "month",
    "35": "week", "36": "admission",
}
"""Time period qualifiers (element 615): every value the 271 allows in EB06 (HSD05 takes
the same list without 13 and 36)."""

BENEFIT_QUANTITIES: Final[dict[str, str]] = {
    "8H": "minimum", "99": "quantity used", "CA": "covered - actual",
    "CE": "covered - estimated", "D3": "number of co-insurance days",
    "DB": "deductible blood units", "DY": "days", "HS": "hours",
    "LA": "lifetime reserve - actual", "LE": "lifetime reserve - estimated",
    "M2": "maximum", "MN": "months", "P6": "number of services or procedures",
    "QA": "quantity approved", "S7": "age, high value", "S8": "age, low value",
    "VS": "visits", "YY": "years",
}
"""Quantity qualifiers (element 673) of the 271's EB09. S7 "age, high value" is an upper
age limit (covered up to that age), S8 "age, low value" a lower one (from that age)."""

HSD_QUANTITIES: Final[dict[str, str]] = {
    "DY": "days", "FL": "units", "HS": "hours", "MN": "months", "VS": "visits",
}
"""HSD01 quantity qualifiers (element 673) of the 271: what HSD02 counts."""

HSD_UNITS: Final[dict[str, str]] = {
    "DA": "days", "MO": "months", "VS": "visits", "WK": "weeks", "YR": "years",
}
"""HSD03 unit or basis for measurement codes (element 355): the unit of HSD04."""

CLAIM_STATUS_CATEGORIES: Final[dict[str, str]] = {
    "A0": "forwarded to another entity",
    "A1": "received (this does not yet mean accepted for adjudication)",
    "A2": "accepted into the adjudication system",
    "A3": "returned as unprocessable: rejected and not entered into adjudication",
    "A4": "not found in the adjudication system",
    "A5": "split upon acceptance into the adjudication system",
    "A6": "rejected for missing information",
    "A7": "rejected for invalid information",
    "A8": "rejected for a relational field in error",
    "D0": "data search unsuccessful: no claim matches the request",
    "E0": "response not possible: error on the submitted request data",
    "E1": "response not possible: system status (try again later)",
    "E2": "the information holder is not responding (resubmit later)",
    "E3": "correction required: relational fields in error",
    "E4": "trading partner agreement requirement not met: data correction required",
    "F0": "finalized: the adjudication cycle is complete and no more action will be taken",
    "F1": "finalized: paid",
    "F2": "finalized: denied",
    "F3": "finalized: adjudication information has been changed",
    "F3F": "finalized: processed and forwarded to a subsequent payer",
    "F3N": "finalized: processed, not forwarded",
    "F4": "finalized: adjudication complete, no payment forthcoming",
    "P0": "pending: adjudication details",
    "P1": "pending: in process",
    "P2": "pending: in review",
    "P3": "pending: information requested",
    "P4": "pending: patient requested information",
    "P5": "pending: payer administrative or system hold",
    "R0": "requests additional information (general)",
    "R1": "requests additional information: entity requests",
    "R3": "requests additional information: claim or line",
    "R4": "requests additional information: documentation",
    "R5": "requests additional information: more specific detail",
    "R6": "requests additional information: regulatory requirements",
    "R7": "requests additional information: confirm care is consistent with plan coverage",
    "R8": "requests additional information: confirm care is consistent with plan "
          "coverage exceptions",
    "R9": "requests additional information: determination of medical necessity",
    "R10": "requests additional information: support a filed grievance or appeal",
    "R11": "requests additional information: pre-payment review of claims",
    "R12": "requests additional information: clarification or justification of use for "
           "a specified procedure code",
    "R13": "requests additional information: original documents submitted are not "
           "readable",
    "R14": "requests additional information: original documents received are not what "
           "was requested",
    "R15": "requests additional information: workers' compensation coverage verification",
    "R16": "requests additional information: eligibility verification",
}
"""Claim status category codes (external code source 507), every category a 277CA or a
277 claim status answer may carry."""

CLAIM_STATUS_CODES: Final[dict[str, str]] = {
    "0": "cannot provide further status electronically",
    "1": "for more detailed information, see the remittance advice",
    "2": "more detailed information in a letter",
    "3": "claim has been adjudicated and is awaiting the payment cycle",
    "6": "balance due from the subscriber",
    "12": "one or more originally submitted procedure codes have been combined",
    "15": "one or more originally submitted procedure codes have been modified",
    "16": "claim has been forwarded to the entity",
    "17": "claim has been forwarded by a third party to the entity",
    "18": "the entity received the claim but returned an invalid status",
    "19": "the entity acknowledges receipt of the claim",
    "20": "accepted for processing",
    "21": "missing or invalid information",
    "23": "returned to the entity",
    "24": "entity not approved as an electronic submitter",
    "25": "entity not approved",
    "26": "entity not found",
    "27": "policy canceled",
    "29": "subscriber and policy number/contract number mismatched",
    "30": "subscriber and subscriber ID mismatched",
    "31": "subscriber and policyholder name mismatched",
    "32": "subscriber and policy number/contract number not found",
    "33": "subscriber and subscriber ID not found",
    "34": "subscriber and policyholder name not found",
    "35": "claim/encounter not found",
    "37": "predetermination is on file, awaiting completion of services",
    "38": "awaiting next periodic adjudication cycle",
    "39": "charges for pregnancy deferred until delivery",
    "40": "waiting for final approval",
    "41": "special handling required at payer site",
    "42": "awaiting related charges",
    "44": "charges pending provider audit",
    "45": "awaiting benefit determination",
    "46": "internal review/audit",
    "47": "internal review/audit: partial payment made",
    "49": "pending provider accreditation review",
    "50": "claim waiting for internal provider verification",
    "51": "investigating occupational illness/accident",
    "52": "investigating existence of other insurance coverage",
    "53": "claim being researched for insured ID/group policy number error",
    "54": "duplicate of a previously processed claim/line",
    "55": "claim assigned to an approver/analyst",
    "56": "awaiting eligibility determination",
    "65": "claim/line has been paid",
    "97": "patient eligibility not found with entity",
    "116": "claim submitted to the incorrect payer",
    "122": "missing/invalid data prevents the payer from processing the claim",
    "128": "entity's tax ID",
    "145": "entity's specialty/taxonomy code",
    "153": "entity's ID number",
    "164": "entity's contract/member number",
    "178": "submitted charges",
    "187": "date(s) of service",
    "454": "procedure code for services rendered",
    "510": "future date",
    "562": "the entity's National Provider Identifier (NPI)",
}
"""Claim status codes (external code source 508) clearinghouses and dental payers commonly
send (module docstring: the full list is X12's, about 800 codes)."""


def describe_code(table: dict[str, str], code: str | None) -> str | None:
    """The plain words for ``code`` in ``table``; ``None`` without a code, and a sentence
    naming the code as not in our table for one the table lacks (never an error)."""
    if not code:
        return None
    return table.get(code, f"code {code} (not in our table; see the X12 code list)")
