"""Deterministic benchmark inputs: N dental claims as a claim batch JSON file.

Usage::

    python benchmarks/generate.py claims 5000 benchmarks/out/claims-5000.json
    python benchmarks/generate.py era 20000 benchmarks/out   # claims + the 835 paying them
    python benchmarks/generate.py replicate \
        fixtures/eligibility/01_ppo_full_breakdown/response.271 20000 \
        benchmarks/out/benefits-20000.271   # its last HL level repeated: 20,000 patients

Claims are varied the way a practice's day is (exams, cleanings, fillings with surfaces,
crowns, quadrant scaling, dependents, a few secondary claims) and all pass the clean-claim
edits, so the build benchmark measures the writer, not the error path.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

CENT = Decimal("0.01")

PROCEDURES: list[tuple[str, str, list[str], list[str]]] = [
    # code, fee, surfaces (by tooth), areas
    ("D0120", "65.00", [], []),
    ("D1110", "110.00", [], []),
    ("D0274", "85.00", [], []),
    ("D2391", "210.00", ["M", "O"], []),
    ("D2392", "260.00", ["M", "O", "D"], []),
    ("D2160", "190.00", ["M", "O", "D"], []),
    ("D2740", "1250.00", [], []),
    ("D4341", "280.00", [], ["10"]),
    ("D7140", "180.00", [], []),
]
TOOTH_CODES = {"D2391", "D2392", "D2160", "D2740", "D7140"}


def luhn_npi(base9: str) -> str:
    """A 10-digit NPI whose check digit is right (Luhn over 80840 + the first 9 digits)."""
    digits = [int(d) for d in "80840" + base9]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        weighted = digit * 2 if index % 2 == 0 else digit
        total += weighted - 9 if weighted > 9 else weighted
    return base9 + str((10 - total % 10) % 10)


def _address(rng: random.Random) -> dict[str, str]:
    return {
        "line1": f"{rng.randint(1, 9999)} MAIN ST",
        "city": "SPRINGFIELD",
        "state": "IL",
        "postal_code": f"62{rng.randint(100, 999)}",
    }


def claim(rng: random.Random, number: int, provider: dict[str, Any]) -> dict[str, Any]:
    """One claim, numbered ``number``."""
    day = date(2026, 1, 5) + timedelta(days=rng.randint(0, 280))
    lines = []
    for _ in range(rng.randint(1, 6)):
        code, fee, surfaces, areas = rng.choice(PROCEDURES)
        line: dict[str, Any] = {
            "procedure_code": code,
            "charge": fee,
            "service_date": day.isoformat(),
            "line_control_number": f"L{number}-{len(lines) + 1}",
        }
        if code in TOOTH_CODES:
            line["teeth"] = [{"tooth": str(rng.choice([3, 14, 19, 30])), "surfaces": surfaces}]
        if areas:
            line["oral_cavity_areas"] = areas
        lines.append(line)
    dependent = rng.random() < 0.3
    born = date(1960 + rng.randint(0, 40), rng.randint(1, 12), rng.randint(1, 28))
    subscriber: dict[str, Any] = {
        "name": {"last_name": f"PATIENT{number % 997}", "first_name": "ALEX"},
        "member_id": f"M{number:08d}",
        "group_number": "GRP100",
    }
    document: dict[str, Any] = {
        "patient_control_number": f"PC{number:07d}",
        "total_charge": str(sum(Decimal(ln["charge"]) for ln in lines)),
        "billing_provider": provider,
        "payer": {"payer_id": "DENTL1", "name": "EXAMPLE DENTAL PLAN"},
        "subscriber": subscriber,
        "lines": lines,
    }
    if dependent:
        document["patient"] = {
            "name": {"last_name": subscriber["name"]["last_name"], "first_name": "SAM"},
            "relationship": "19",
            "date_of_birth": "2015-06-01",
            "gender": "F",
            "address": _address(rng),
        }
    else:
        subscriber.update(
            {"date_of_birth": born.isoformat(), "gender": "M", "address": _address(rng)}
        )
    return document


def claims(count: int, seed: int = 20261122) -> dict[str, Any]:
    """A batch of ``count`` claims from two practices."""
    rng = random.Random(seed)
    providers = [
        {
            "organization_name": name,
            "npi": luhn_npi(f"{base:09d}"),
            "tax_id": f"{base:09d}",
            "taxonomy": "1223G0001X",
            "address": _address(rng),
        }
        for name, base in (
            ("SPRINGFIELD FAMILY DENTAL", 123456780),
            ("LAKESIDE DENTAL GROUP", 223456781),
        )
    ]
    return {"claims": [claim(rng, n, providers[n % 2]) for n in range(1, count + 1)]}


def era(batch: dict[str, Any], seed: int = 20261123) -> str:
    """An 835 paying every claim of ``batch``: one payment (ST) per practice, each line
    paid with a CO-45 fee-schedule write-off and PR deductible/coinsurance, REF*6R echoing
    our line control numbers, and a PLB recoupment per payment — balanced to the cent."""
    from edigateway.domain.remittances import (
        Adjustment,
        ClaimPayment,
        Party,
        PartyAddress,
        ProviderAdjustment,
        Remittance,
        ServicePayment,
    )
    from edigateway.x12.envelope import InterchangeParams
    from edigateway.x12.x835_005010X221A1 import write_835

    rng = random.Random(seed)
    by_npi: dict[str, list[ClaimPayment]] = {}
    names: dict[str, str] = {}
    for number, document in enumerate(batch["claims"], start=1):
        provider = document["billing_provider"]
        names[provider["npi"]] = provider["organization_name"]
        services, adjusted = [], Decimal("0.00")
        for line in document["lines"]:
            charge = Decimal(line["charge"])
            write_off = (charge * Decimal(rng.choice(["0.10", "0.15", "0.20"]))).quantize(CENT)
            coinsurance = ((charge - write_off) * Decimal("0.20")).quantize(CENT)
            adjustments = [
                Adjustment(group="CO", reason="45", amount=write_off),
                Adjustment(group="PR", reason="2", amount=coinsurance),
            ]
            paid = charge - write_off - coinsurance
            adjusted += write_off + coinsurance
            services.append(
                ServicePayment(
                    procedure_code=line["procedure_code"],
                    charge=charge,
                    paid=paid,
                    service_date=date.fromisoformat(line["service_date"]),
                    line_control_number=line.get("line_control_number"),
                    adjustments=adjustments,
                )
            )
        total = Decimal(document["total_charge"])
        by_npi.setdefault(provider["npi"], []).append(
            ClaimPayment(
                patient_control_number=document["patient_control_number"],
                status="1",
                charge=total,
                paid=total - adjusted,
                patient_responsibility=sum(
                    (a.amount for s in services for a in s.adjustments if a.group == "PR"),
                    Decimal("0.00"),
                ),
                filing_indicator="12",
                payer_claim_control_number=f"PAYER{number:08d}",
                services=services,
                patient_last_name=(document.get("patient") or document["subscriber"])["name"][
                    "last_name"
                ],
                member_id=document["subscriber"]["member_id"],
            )
        )
    remittances = []
    for index, (npi, payments) in enumerate(sorted(by_npi.items()), start=1):
        recoup = Decimal("25.00")
        paid = sum((c.paid for c in payments), Decimal("0.00"))
        remittances.append(
            Remittance(
                transaction_control_number=f"{index:04d}",
                handling_code="I",
                payment_amount=paid - recoup,
                payment_method="ACH",
                payment_format="CCP",
                payment_date=date(2026, 11, 20),
                trace_number=f"BENCH{index:06d}",
                payer_trace_id="1999999999",
                payer=Party(
                    name="BENCHMARK DENTAL PLAN",
                    address=PartyAddress(
                        line1="PO BOX 100", city="CHICAGO", state="IL", postal_code="60680"
                    ),
                    contact_name="PROVIDER SERVICES",
                    contact_phone="8005550199",
                ),
                payer_id="BENCH1",
                payee=Party(name=names[npi], identifier_qualifier="XX", identifier=npi),
                claims=payments,
                provider_adjustments=[
                    ProviderAdjustment(
                        provider_id=npi,
                        fiscal_period_end=date(2026, 12, 31),
                        reason="WO",
                        reference="PAYER00000001",
                        amount=recoup,
                    )
                ],
            )
        )
    params = InterchangeParams(
        "ZZ",
        "BENCHPAYER",
        "ZZ",
        "BENCHPRACTICE",
        "BENCHPAYER",
        "BENCHPRACTICE",
        1,
        1,
        1,
        datetime(2026, 11, 20, 9, 0),  # noqa: DTZ001 - ISA time is local
    )
    return write_835(remittances, params)


def replicate(source: Path, count: int) -> str:
    """``source`` (one transaction set) with its last HL level — a 271's subscriber, a
    277CA's patient and claim — repeated ``count`` times: HL01 numbered on, SE01 counted
    again; everything else as it was (enough to time a reader on a large file)."""
    text = source.read_text()
    terminator = text[105]
    segments = [s.strip() for s in text.split(terminator) if s.strip()]
    last = max(i for i, s in enumerate(segments) if s.startswith("HL*"))
    end = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    block, element = segments[last:end], segments[0][3]
    first = int(block[0].split(element)[1])
    repeated = []
    for number in range(count):
        hl = block[0].split(element)
        hl[1] = str(first + number)
        repeated += [element.join(hl), *block[1:]]
    se = segments[end].split(element)
    se[1] = str(int(se[1]) + (count - 1) * len(block))
    out = [*segments[:last], *repeated, element.join(se), *segments[end + 1 :]]
    return (terminator + "\n").join(out) + terminator + "\n"


def main(argv: list[str]) -> int:
    """``generate.py claims N OUT``, ``generate.py era N OUT_DIR`` or
    ``generate.py replicate X12_FILE N OUT``."""
    if len(argv) == 5 and argv[1] == "replicate":
        out = Path(argv[4])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(replicate(Path(argv[2]), int(argv[3])))
        print(f"wrote {out}")
        return 0
    if len(argv) != 4 or argv[1] not in ("claims", "era"):
        print(__doc__)
        return 2
    count = int(argv[2])
    if argv[1] == "claims":
        out = Path(argv[3])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(claims(count)))
        print(f"wrote {out}")
        return 0
    folder = Path(argv[3])
    folder.mkdir(parents=True, exist_ok=True)
    batch = claims(count)
    (folder / f"era-claims-{count}.json").write_text(json.dumps(batch))
    (folder / f"era-{count}.835").write_text(era(batch))
    print(f"wrote {folder}/era-claims-{count}.json and era-{count}.835")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
