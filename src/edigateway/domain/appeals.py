"""An appeal's vocabulary: why it is made, how it is sent, what came of it.

Kept apart from the services that store appeals and render their letters, so the command
line can offer these choices without loading the PDF library and the database layer.
"""

from __future__ import annotations

from typing import Final, Literal

AppealReason = Literal[
    "medical_necessity",
    "not_covered",
    "frequency_limit",
    "missing_information",
    "coding_correction",
    "timely_filing",
    "coordination_of_benefits",
    "underpayment",
    "other",
]
REASONS: Final[dict[str, str]] = {
    "medical_necessity": "The treatment was necessary for the patient's oral health; the "
    "enclosed records show the condition it treated.",
    "not_covered": "The service is a benefit of the patient's plan and should have been covered.",
    "frequency_limit": "The service was within the plan's frequency limits, or the "
    "patient's condition required it sooner; the enclosed records show why.",
    "missing_information": "The information needed to process the claim is enclosed.",
    "coding_correction": "The claim was processed under the wrong procedure, tooth or "
    "date; the correct details are given below.",
    "timely_filing": "The claim was filed within the plan's filing limit; proof of timely "
    "filing is enclosed.",
    "coordination_of_benefits": "The order of the patient's coverage was applied incorrectly.",
    "underpayment": "The amount paid does not match the plan's fee schedule or the "
    "patient's benefits.",
    "other": "",
}
"""Each reason in the words the letter uses (``other``: the narrative says it all)."""

SendMethod = Literal["mail", "fax", "portal", "electronic"]
Outcome = Literal["pending", "won", "partially_won", "lost"]
Decision = Literal["won", "partially_won", "lost"]
AppealStatus = Literal["draft", "sent", "decided"]
