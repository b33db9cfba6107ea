"""Two officers editing the same agreement at once cannot together break its rules (PostgreSQL row locks)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from ppp.errors import RuleViolation
from procurement import services
from procurement.factories import AgreementFactory, VendorFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls):
    """Run the calls in parallel threads, started together; return what each returned or raised."""
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


def test_concurrent_shares_cannot_exceed_100_percent():
    agreement = AgreementFactory(vendors=[])
    services.cost_share_set(agreement_id=agreement.pk, vendor=None, percentage=Decimal("40"))
    first, second = VendorFactory(), VendorFactory()

    results = _race(
        lambda: services.cost_share_set(agreement_id=agreement.pk, vendor=first, percentage=Decimal("60")),
        lambda: services.cost_share_set(agreement_id=agreement.pk, vendor=second, percentage=Decimal("60")),
    )

    assert sorted(type(r).__name__ for r in results) == ["CostShare", "RuleViolation"]
    assert agreement.share_total() == Decimal("100")
    assert any(isinstance(r, RuleViolation) and "160" in r.message for r in results)


def test_concurrent_activations_activate_once():
    agreement = AgreementFactory()

    results = _race(
        lambda: services.agreement_activate(agreement_id=agreement.pk),
        lambda: services.agreement_activate(agreement_id=agreement.pk),
    )

    assert sorted(type(r).__name__ for r in results) == ["Agreement", "TransitionError"]
    assert agreement.history.filter(status="active").count() == 1
