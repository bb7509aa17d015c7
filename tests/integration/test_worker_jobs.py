"""The jobs the workers run are the command line's use cases: what one does, the other does."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from edigateway.jobs import poll_clearinghouse, send_outbox
from edigateway.persistence.tables import WorkItemRow
from edigateway.services.claims import load_claim_file
from edigateway.services.submissions import queue_837d
from edigateway.x12.validation import Validator
from tests.factories import FIXTURES, NOW, settings_for, simulated_gateway


def test_the_poll_job_flags_submissions_still_without_a_999(tmp_path: Path, validator: Validator):
    """The worker's poll opens the missing-999 work item the CLI's ``claims poll`` always
    did (the job used to leave it to the command), once, and says how many it opened."""
    clock = [NOW]
    with simulated_gateway(settings_for(tmp_path), validator, lambda: clock[0]) as (_, gateway):
        profile = gateway.profile()
        queued = queue_837d(
            gateway.database,
            load_claim_file(FIXTURES / "claims/05_crown_initial.json"),
            settings=gateway.settings,
            clearinghouse=profile,
            numbers=gateway.control_numbers,
            now=NOW,
        )
        (sent,) = send_outbox(gateway)
        assert sent.status == "sent"
        first = poll_clearinghouse(gateway)  # the simulator has not answered yet
        clock[0] = NOW + timedelta(hours=profile.no_999_after_hours + 1)
        later = poll_clearinghouse(gateway)
        again = poll_clearinghouse(gateway)
        with gateway.database.transaction() as session:
            items = session.scalars(select(WorkItemRow).where(WorkItemRow.reason == "no_999")).all()
    assert (first.files, first.missing_999) == ([], 0)
    assert (later.files, later.missing_999) == ([], 1)
    assert (again.files, again.missing_999) == ([], 0)
    assert [i.submission_id for i in items] == [queued.submission_id]
