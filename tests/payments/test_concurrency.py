"""Two officers certifying the same milestone at once pay it once (PostgreSQL row locks and constraints)."""

import pytest

from payments import services
from payments.models import Certificate
from ppp.errors import StateConflict
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_officers_issuing_the_same_milestones_certificate_at_once_issue_one(achieved, certifier, approver):
    results = race(
        lambda: services.certificate_issue(milestone_id=achieved.pk, by=certifier),
        lambda: services.certificate_issue(milestone_id=achieved.pk, by=approver),
    )

    assert sorted(type(r).__name__ for r in results) == ["Certificate", "StateConflict"]
    assert Certificate.objects.filter(milestone=achieved).live().count() == 1
    assert any(isinstance(r, StateConflict) and "certified in full" in r.message for r in results)
