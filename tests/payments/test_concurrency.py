"""Two officers certifying the same milestone at once pay it once (PostgreSQL row locks and constraints)."""

import threading

import pytest
from django.db import connection

from payments import services
from payments.models import Certificate
from ppp.errors import StateConflict

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_officers_issuing_the_same_milestones_certificate_at_once_issue_one(achieved, certifier, approver):
    results = _race(
        lambda: services.certificate_issue(milestone_id=achieved.pk, by=certifier),
        lambda: services.certificate_issue(milestone_id=achieved.pk, by=approver),
    )

    assert sorted(type(r).__name__ for r in results) == ["Certificate", "StateConflict"]
    assert Certificate.objects.filter(milestone=achieved).live().count() == 1
    assert any(isinstance(r, StateConflict) and "certified in full" in r.message for r in results)
