"""Deterministic benchmark inputs: N dental claims as a claim batch JSON file.

Usage::

    python benchmarks/generate.py claims 5000 benchmarks/out/claims-5000.json

Claims are varied the way a practice's day is (exams, cleanings, fillings with surfaces,
crowns, quadrant scaling, dependents, a few secondary claims) and all pass the clean-claim
edits, so the build benchmark measures the writer, not the error path.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

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
    return {"line1": f"{rng.randint(1, 9999)} MAIN ST", "city": "SPRINGFIELD", "state": "IL",
            "postal_code": f"62{rng.randint(100, 999)}"}


def claim(rng: random.Random, number: int, provider: dict[str, Any]) -> dict[str, Any]:
    """One claim, numbered ``number``."""
    day = date(2026, 1, 5) + timedelta(days=rng.randint(0, 280))
    lines = []
    for _ in range(rng.randint(1, 6)):
        code, fee, surfaces, areas = rng.choice(PROCEDURES)
        line: dict[str, Any] = {"procedure_code": code, "charge": fee,
                                "service_date": day.isoformat(),
                                "line_control_number": f"L{number}-{len(lines) + 1}"}
        if code in TOOTH_CODES:
            line["teeth"] = [{"tooth": str(rng.choice([3, 14, 19, 30])), "surfaces": surfaces}]
        if areas:
            line["oral_cavity_areas"] = areas
        lines.append(line)
    dependent = rng.random() < 0.3
    born = date(1960 + rng.randint(0, 40), rng.randint(1, 12), rng.randint(1, 28))
    subscriber: dict[str, Any] = {
        "name": {"last_name": f"PATIENT{number % 997}", "first_name": "ALEX"},
        "member_id": f"M{number:08d}", "group_number": "GRP100",
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
        document["patient"] = {"name": {"last_name": subscriber["name"]["last_name"],
                                        "first_name": "SAM"},
                               "relationship": "19", "date_of_birth": "2015-06-01",
                               "gender": "F", "address": _address(rng)}
    else:
        subscriber.update({"date_of_birth": born.isoformat(), "gender": "M",
                           "address": _address(rng)})
    return document


def claims(count: int, seed: int = 20261122) -> dict[str, Any]:
    """A batch of ``count`` claims from two practices."""
    rng = random.Random(seed)
    providers = [
        {"organization_name": name, "npi": luhn_npi(f"{base:09d}"), "tax_id": f"{base:09d}",
         "taxonomy": "1223G0001X", "address": _address(rng)}
        for name, base in (("SPRINGFIELD FAMILY DENTAL", 123456780),
                           ("LAKESIDE DENTAL GROUP", 223456781))
    ]
    return {"claims": [claim(rng, n, providers[n % 2]) for n in range(1, count + 1)]}


def main(argv: list[str]) -> int:
    """``generate.py claims N OUT``."""
    if len(argv) != 4 or argv[1] != "claims":
        print(__doc__)
        return 2
    out = Path(argv[3])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(claims(int(argv[2]))))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
