"""Descriptions of the domain models' fields that do not describe themselves.

The domain models (claims, eligibility, estimates) are shared with the CLI's ``schema``
command and the X12 codecs; most fields carry ``Field(description=…)`` there. The rest are
described here, by schema and property name, and :mod:`edigateway.api.openapi` fills them
into the OpenAPI document — so every property of every schema a PM developer sees is
described. A contract test fails when a property has no description in either place, or
when an entry here names a property that no longer exists.
"""

from __future__ import annotations

from typing import Final

FIELDS: Final[dict[str, dict[str, str]]] = {
    # ------------------------------------------------------------------ claims, 837D
    "Claim": {
        "kind": "claim for payment, or predetermination (CLM19 PB: nothing billed yet)",
        "frequency": "CLM05-3: 1 original, 7 replacement of a prior claim, 8 void",
        "total_charge": "CLM02: the claim's total charge, the sum of the lines' charges",
        "place_of_service": "CLM05-1: facility code (11 office)",
        "payer_responsibility": "SBR01: the payer's position, P primary, S secondary, T tertiary",
        "filing_indicator": "SBR09 claim filing indicator (CI commercial insurance …)",
        "provider_signature_on_file": "CLM06: the provider's signature is on file",
        "assignment_participation": "CLM07: A assigned, B assignment accepted on lab "
        "services only, C not assigned",
        "benefits_assignment": "CLM08: Y benefits assigned to the provider, N not, W not "
        "applicable",
        "release_of_information": "CLM09: Y signed release of information, I informed consent only",
        "delay_reason": "CLM20: why the claim is sent late (X12 delay reason code)",
        "billing_provider": "the practice (or dentist) that bills (2010AA)",
        "rendering_provider": "the dentist who performed the services, when not the "
        "billing provider (2310B)",
        "service_facility": "where the services were performed, when not the billing "
        "provider's address (2310C)",
        "payer": "the payer the claim goes to (2010BB)",
        "subscriber": "the insured person whose plan pays (2010BA)",
        "prior_authorization": "REF*G1: the payer's prior authorization number",
        "referral_number": "REF*9F: the referral number",
        "accident": "when an accident caused the treatment (CLM11, DTP*439)",
        "orthodontics": "orthodontic treatment facts (DN1, DTP*452)",
        "missing_teeth": "teeth missing or to be extracted (DN2)",
        "attachments": "supporting documents sent separately (PWK)",
        "patient_amount_paid": "AMT*F5: what the patient already paid",
        "note": "NTE: a note to the payer",
        "other_payers": "other plans covering the patient, for coordination of benefits (2320)",
        "lines": "the procedures, in order (2400); at least one",
    },
    "BillingProvider": {
        "entity": "organization (NM102 2) or person (NM102 1)",
        "organization_name": "the practice's name, for an organization",
        "person": "the dentist's name, for a person",
        "taxonomy": "PRV03 provider taxonomy code",
        "address": "the practice's street address (N3/N4; not a PO box)",
        "contact": "who the payer calls about the claim (PER)",
    },
    "RenderingProvider": {"name": "the dentist's name"},
    "ServiceFacility": {
        "name": "the facility's name",
        "npi": "the facility's NPI, if it has one",
        "address": "the facility's address",
    },
    "Payer": {
        "payer_id": "the payer's ID on the clearinghouse's payer list",
        "name": "the payer's name as the practice writes it",
        "address": "the payer's address",
    },
    "Subscriber": {
        "name": "the subscriber's name",
        "member_id": "the subscriber's member ID on the plan",
        "date_of_birth": "the subscriber's date of birth",
        "gender": "F, M or U (unknown)",
        "address": "the subscriber's address",
        "group_number": "SBR03: the plan's group number",
        "group_name": "SBR04: the plan's group name",
    },
    "Patient": {
        "name": "the patient's name",
        "relationship": "PAT01: the patient's relationship to the subscriber (01 spouse, "
        "19 child, 53 life partner, G8 other …)",
        "date_of_birth": "the patient's date of birth",
        "gender": "F, M or U (unknown)",
        "address": "the patient's address",
    },
    "PersonName": {
        "last_name": "last name (NM103)",
        "first_name": "first name (NM104)",
        "middle_name": "middle name or initial (NM105)",
        "suffix": "name suffix, e.g. JR (NM107)",
    },
    "Address": {
        "line1": "street address (N301)",
        "line2": "second address line (N302)",
        "city": "city (N401)",
    },
    "Contact": {
        "name": "the contact's name",
        "phone": "10-digit phone number",
        "email": "e-mail address",
    },
    "Accident": {
        "causes": "CLM11: AA auto accident, EM employment, OA other accident",
        "state": "the state of an auto accident (CLM11-4)",
        "accident_date": "DTP*439: the day of the accident",
    },
    "Orthodontics": {
        "total_months": "DN101: months of orthodontic treatment in all",
        "months_remaining": "DN102: treatment months remaining",
        "appliance_placement_date": "DTP*452: when the appliance was placed",
    },
    "Attachment": {
        "report_type": "PWK01: what the document is (RB radiographs, DA dental models, "
        "OZ support data …)",
        "transmission": "PWK02: how it is sent (BM mail, EL electronically, FX fax …)",
        "control_number": "PWK06: the attachment control number that ties it to the claim",
    },
    "Adjustment": {
        "group": "CAS01: CO contractual, PR patient responsibility, OA other, PI "
        "payer-initiated, CR correction",
        "amount": "the adjustment amount",
        "quantity": "the adjusted quantity, if any",
    },
    "LineAdjudication": {
        "payer_id": "the other payer that adjudicated the line",
        "paid": "SVD02: what it paid for the line",
        "quantity": "SVD05: units it paid for",
        "adjustments": "its adjustments of the line (CAS)",
        "adjudication_date": "DTP*573: when it adjudicated the line",
    },
    "OtherPayer": {
        "responsibility": "SBR01: this plan's position (P primary, S secondary …)",
        "filing_indicator": "SBR09 of this plan",
        "group_number": "SBR03 of this plan",
        "group_name": "SBR04 of this plan",
        "subscriber_name": "the name of this plan's subscriber",
        "subscriber_member_id": "the member ID of this plan's subscriber",
        "payer": "the other payer (2330B)",
        "adjudication_date": "DTP*573: when this payer adjudicated the claim",
        "claim_adjustments": "this payer's claim-level adjustments (CAS)",
        "benefits_assignment": "OI03 of this plan: Y, N or W",
        "release_of_information": "OI06 of this plan: Y or I",
    },
    "Diagnosis": {
        "code": "the diagnosis code without its decimal point (K0252)",
        "code_set": "ICD-10-CM (ICD-9-CM is read for old claims only)",
    },
    "ToothDetail": {"surfaces": "the surfaces treated (TOO03: M, O, D, B, L, I, F)"},
    "ServiceLine": {
        "modifiers": "SV301-3…6: procedure modifiers",
        "description": "SV301-7: the procedure's description",
        "charge": "SV302: the line's charge",
        "place_of_service": "SV303: facility code when it differs from the claim's",
        "oral_cavity_areas": "SV304: areas of the mouth (00 whole mouth, 10/20/30/40 quadrants …)",
        "prosthesis": "SV305: I initial placement, R replacement",
        "teeth": "the teeth treated, with surfaces (TOO)",
        "service_date": "DTP*472: the date of service",
        "predetermination_number": "REF*G3: the predetermination this line was estimated in",
        "prior_authorization": "REF*G1: the line's prior authorization number",
        "rendering_provider": "the dentist who performed this line, when not the claim's",
    },
    # ------------------------------------------------------------------ eligibility, 270/271
    "EligibilityInquiry": {
        "payer": "the payer to ask",
        "provider": "the provider asking (the practice or dentist)",
        "subscriber": "the subscriber, found by member ID",
        "service_types": "X12 service type codes to ask about (35 dental care …)",
        "service_date": "the date the benefits are asked for (default: today)",
    },
    "InquiryPayer": {
        "payer_id": "the payer's ID on the clearinghouse's payer list",
        "name": "the payer's name",
    },
    "InquiryPerson": {
        "name": "the person's name",
        "member_id": "the member ID on the plan",
        "date_of_birth": "the date of birth",
        "gender": "F, M or U (unknown)",
    },
    "InquiryProvider": {
        "organization_name": "the practice's name",
        "person": "the dentist's name, when the provider is a person",
    },
    "DentalBenefits": {
        "payer_name": "the payer's name as the 271 gives it",
        "payer_id": "the payer's ID as the 271 gives it",
        "subscriber": "the subscriber's name as the payer has it",
        "patient": "the patient's name, when a dependent",
        "member_id": "the member ID as the payer has it",
        "group_number": "the plan's group number",
        "group_name": "the plan's group name",
        "plan_name": "the plan's name",
        "coverage": "active, inactive, or not stated by the payer",
        "plan_begin": "the plan's start date",
        "plan_end": "the plan's end date",
        "eligibility_begin": "when the patient's eligibility began",
        "categories": "what each service category pays, per network",
        "deductibles": "deductibles as stated",
        "maximums": "annual and lifetime maximums as stated",
        "age_limits": "age rules (EB09 S7/S8)",
        "frequencies": "frequency limits (HSD)",
        "waiting_periods": "waiting periods (MSG)",
        "rejections": "why the payer could not answer (AAA), if it could not",
        "messages": "the payer's free-text messages (MSG)",
    },
    "CategoryBenefit": {
        "category": "the benefit category",
        "service_type": "the X12 service type code (EB03)",
        "plan": "the plan it belongs to, when the 271 names several",
        "covered": "whether the category is covered; null when not stated",
        "coinsurance_out_of_network": "patient share out of network (0.50 = 50 %)",
        "copay_in_network": "copay in network",
        "copay_out_of_network": "copay out of network",
        "copay_unknown_network": "copay when the payer does not know the network",
        "messages": "the payer's messages for this category",
    },
    "Accumulator": {
        "level": "individual or family",
        "network": "in, out, both, unknown or not stated (EB12)",
        "service_types": "the service types it applies to (none: all)",
        "period": "the period it runs over (EB06)",
        "amount": "the amount for the period",
        "remaining": "what remains of it",
    },
    "Frequency": {
        "period": "the time period (HSD05) in words",
        "period_count": "how many periods (HSD06): 2 per 1 year …",
        "remaining": "how many remain, when the payer says",
        "plan": "the plan it belongs to, when the 271 names several",
        "procedure_codes": "the procedures it limits (EB13)",
        "service_types": "the service types it limits",
        "text": "the limit in words",
    },
    "AgeLimit": {
        "service_types": "the service types it limits",
        "procedure_codes": "the procedures it limits",
        "plan": "the plan it belongs to, when the 271 names several",
        "network": "the network it applies to",
        "text": "the rule in words",
    },
    "WaitingPeriod": {
        "service_types": "the service types that wait",
        "until": "when the waiting period ends, if stated",
        "text": "the payer's words",
    },
    "Rejection": {
        "reason": "the reject reason in words",
        "retry": "whether asking again may help",
        "advice": "what to do, in words",
    },
    # ------------------------------------------------------------------ estimates
    "TreatmentPlan": {
        "procedures": "the procedures to estimate",
        "network": "in or out of network (which benefits apply)",
        "used": "benefits the patient already used this period",
    },
    "PlannedProcedure": {
        "tooth": "the tooth, for tooth-specific limits",
        "surfaces": "the surfaces, as written on the plan",
        "fee": "the practice's fee",
    },
    "BenefitUsage": {
        "maximum_used": "how much of the annual maximum is used",
        "orthodontic_maximum_used": "how much of the orthodontic lifetime maximum is used",
    },
    "Estimate": {
        "lines": "each procedure, estimated",
        "total_fee": "the sum of the fees",
        "total_allowed": "the sum of the allowed amounts",
        "total_insurance": "what insurance is expected to pay",
        "total_patient": "what the patient is expected to pay",
        "notes": "what the estimate could not know (missing benefits …)",
    },
    "LineEstimate": {
        "procedure_code": "the CDT code",
        "tooth": "the tooth, if any",
        "fee": "the practice's fee",
        "category": "the benefit category the code falls in (null: unknown)",
        "allowed": "the allowed amount and its rule",
        "deductible": "the deductible applied and its rule",
        "coinsurance": "the patient's coinsurance and its rule",
        "insurance": "what insurance pays and its rule",
        "patient": "what the patient pays and its rule",
        "flags": "frequency, maximum, age or waiting-period warnings",
    },
    "Figure": {
        "amount": "the amount",
        "rule": "how it was reached, in words",
    },
}
