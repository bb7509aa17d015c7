"""Examples shown in the OpenAPI document (and so in Swagger UI and generated SDKs).

Plain data, checked by the contract tests: each request example validates against its
model, each response example against its schema — an example that drifts from the models
fails a test instead of misleading a PM developer.
"""

from __future__ import annotations

from typing import Any, Final

CLAIM: Final[dict[str, Any]] = {
    "patient_control_number": "BHD2047",
    "total_charge": "218.43",
    "billing_provider": {
        "organization_name": "BLUE HERON DENTAL",
        "npi": "1679576722",
        "tax_id": "364455667",
        "taxonomy": "1223G0001X",
        "address": {
            "line1": "88 HARBOR RD",
            "line2": "UNIT 2",
            "city": "PEORIA",
            "state": "IL",
            "postal_code": "616021234",
        },
        "contact": {"name": "ROBIN ALVAREZ", "phone": "3095550188"},
    },
    "rendering_provider": {
        "name": {"last_name": "OSEI", "first_name": "KWAME"},
        "npi": "1987654328",
        "taxonomy": "1223G0001X",
    },
    "payer": {
        "payer_id": "LKDP1",
        "name": "LAKESHORE DENTAL PLAN",
        "address": {
            "line1": "PO BOX 7100",
            "city": "CHICAGO",
            "state": "IL",
            "postal_code": "60690",
        },
    },
    "subscriber": {
        "name": {"last_name": "QUINTERO", "first_name": "MARISOL"},
        "member_id": "LKD550187",
        "date_of_birth": "1979-05-21",
        "gender": "F",
        "address": {
            "line1": "12 BIRCH CT",
            "city": "PEORIA",
            "state": "IL",
            "postal_code": "61603",
        },
        "group_number": "GRP7720",
        "group_name": "PEORIA SCHOOLS",
    },
    "lines": [
        {
            "procedure_code": "D2160",
            "charge": "218.43",
            "service_date": "2026-10-06",
            "teeth": [{"tooth": "30", "surfaces": ["M", "O", "D"]}],
            "line_control_number": "BHD2047-1",
        }
    ],
}
"""A one-line amalgam filling (a made-up practice and patient: no fixture's data)."""

CLAIM_CREATED: Final[dict[str, Any]] = {
    "id": 41,
    "patient_control_number": "BHD2047",
    "kind": "claim",
    "frequency": "1",
    "state": "ready",
    "state_changed_at": "2026-11-23T09:00:00Z",
    "total_charge": "218.43",
    "first_service_date": "2026-10-06",
    "submitted_on": "2026-11-23",
    "payer_id": "LKDP1",
    "payer_claim_control_number": None,
    "superseded_by_id": None,
    "status": "stored",
}

WORK_ITEM: Final[dict[str, Any]] = {
    "id": 7,
    "created_at": "2026-11-23T09:05:00Z",
    "status": "open",
    "reason": "denied",
    "claim": "BHD2047",
    "codes": ["CO-204"],
    "message": "claim BHD2047 denied: service not covered under the patient's plan",
    "amount": "218.43",
    "source_position": 18,
    "file_id": 2,
    "resolved_at": None,
    "resolution_note": None,
}

REMITTANCE: Final[dict[str, Any]] = {
    "id": 5,
    "trace_number": "EFT0000123",
    "payer_name": "LAKESHORE DENTAL PLAN",
    "payer_id": "LKDP1",
    "payment_amount": "174.74",
    "credit_debit": "C",
    "payment_method": "ACH",
    "payment_date": "2026-11-20",
    "claims": 1,
    "posted_at": "2026-11-23T09:05:00Z",
}

CLAIM_DETAIL: Final[dict[str, Any]] = {
    **{k: v for k, v in CLAIM_CREATED.items() if k != "status"},
    "state": "ch_accepted",
    "claim": CLAIM,
    "history": [
        {"from": None, "to": "ready", "at": "2026-11-23T09:00:00Z", "reason": "stored by key:k1"},
        {
            "from": "ready",
            "to": "queued",
            "at": "2026-11-23T09:01:00Z",
            "reason": "queued in 837D-000000012.x12",
        },
        {
            "from": "queued",
            "to": "submitted",
            "at": "2026-11-23T09:02:00Z",
            "reason": "837D-000000012.x12: uploaded",
        },
        {
            "from": "submitted",
            "to": "ch_accepted",
            "at": "2026-11-23T09:05:00Z",
            "reason": "999 ACK-12.999: accepted",
        },
    ],
    "transmissions": [
        {
            "id": 3,
            "kind": "837D",
            "clearinghouse": "simulator",
            "file_name": "837D-000000012.x12",
            "remote_name": "837D-000000012.x12",
            "interchange_control_number": "000000012",
            "status": "sent",
            "created_at": "2026-11-23T09:01:00Z",
            "sent_at": "2026-11-23T09:02:00Z",
            "ack_status": "accepted",
            "ack_at": "2026-11-23T09:05:00Z",
            "last_error": None,
            "transaction_control_number": "0001",
        }
    ],
    "ledger": {
        "billed": "218.43",
        "paid": "0.00",
        "contractual": "0.00",
        "patient_responsibility": "0.00",
        "other_adjustments": "0.00",
        "outstanding": "218.43",
    },
    "postings": [],
}

REMITTANCE_DETAIL: Final[dict[str, Any]] = {
    **REMITTANCE,
    "postings": [
        {
            "claim_id": 41,
            "line_number": 1,
            "kind": "paid",
            "amount": "174.74",
            "group_code": None,
            "reason_code": None,
            "remark_codes": [],
            "reference": None,
            "source_position": 21,
        },
        {
            "claim_id": 41,
            "line_number": 1,
            "kind": "contractual",
            "amount": "43.69",
            "group_code": "CO",
            "reason_code": "45",
            "remark_codes": [],
            "reference": None,
            "source_position": 23,
        },
    ],
    "provider_adjustments": [],
}

INQUIRY: Final[dict[str, Any]] = {
    "trace_number": "ELG-2047",
    "payer": {"payer_id": "LKDP1", "name": "LAKESHORE DENTAL PLAN"},
    "provider": {"organization_name": "BLUE HERON DENTAL", "npi": "1679576722"},
    "subscriber": {
        "name": {"last_name": "QUINTERO", "first_name": "MARISOL"},
        "member_id": "LKD550187",
        "date_of_birth": "1979-05-21",
        "gender": "F",
    },
    "service_types": ["35"],
    "service_date": "2026-11-23",
}
"""The same made-up subscriber's dental benefits (service type 35)."""

BENEFITS: Final[dict[str, Any]] = {
    "payer_name": "LAKESHORE DENTAL PLAN",
    "payer_id": "LKDP1",
    "member_id": "LKD550187",
    "plan_name": "LAKESHORE PPO",
    "coverage": "active",
    "categories": [
        {
            "category": "preventive",
            "service_type": "41",
            "covered": True,
            "coinsurance_in_network": "0",
        },
        {
            "category": "basic",
            "service_type": "25",
            "covered": True,
            "coinsurance_in_network": "0.2",
        },
    ],
    "deductibles": [
        {
            "level": "individual",
            "network": "in",
            "period": "calendar_year",
            "amount": "75.00",
            "remaining": "75.00",
        }
    ],
    "maximums": [
        {
            "level": "individual",
            "network": "in",
            "period": "calendar_year",
            "amount": "1750.00",
            "remaining": "1750.00",
        }
    ],
}
"""A short 271 answer: covered categories, a deductible and an annual maximum."""

PLAN: Final[dict[str, Any]] = {
    "procedures": [
        {"procedure_code": "D0120", "fee": "61.25"},
        {"procedure_code": "D2391", "fee": "223.50", "tooth": "19"},
    ],
    "fee_schedule": {"D0120": "48.75", "D2391": "171.20"},
}
"""Two procedures with the practice's fees and the plan's allowed amounts."""


def examples(summary: str, value: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One named example for a request body (``Body(openapi_examples=…)``)."""
    return {"default": {"summary": summary, "value": value}}
